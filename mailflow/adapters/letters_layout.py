"""Page layout of the letters with reportlab: fonts, styles and the one-page A4 documents.

Fonts: DejaVu Sans and DejaVu Serif (Debian ``fonts-dejavu-core``) embedded as TrueType subsets, from
``MAILFLOW_FONT_DIR`` or /usr/share/fonts/truetype/dejavu; when a file is missing the standard PDF fonts
(Helvetica, Times) are used instead, which still have every French glyph (WinAnsi: é, œ, ’, « », U+00A0)
but not other alphabets. Output is deterministic (``invariant``): same input, same bytes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from reportlab.lib.colors import Color, HexColor
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate

__all__ = ["BLUE", "FONT_DIR", "GREY", "Fonts", "Styles", "build_pdf", "fonts", "styles"]

FONT_DIR = Path(os.environ.get("MAILFLOW_FONT_DIR", "/usr/share/fonts/truetype/dejavu"))
BLUE = HexColor("#000091")  # the French State's blue (charte graphique de l'État)
GREY = HexColor("#555555")
LINE = HexColor("#BBBBBB")

_FILES = {
    "MfSans": (
        "DejaVuSans.ttf",
        "DejaVuSans-Bold.ttf",
        "DejaVuSans-Oblique.ttf",
        "DejaVuSans-BoldOblique.ttf",
    ),
    "MfSerif": (
        "DejaVuSerif.ttf",
        "DejaVuSerif-Bold.ttf",
        "DejaVuSerif-Italic.ttf",
        "DejaVuSerif-BoldItalic.ttf",
    ),
}
_FALLBACK = {"MfSans": "Helvetica", "MfSerif": "Times-Roman"}


@dataclass(frozen=True)
class Fonts:
    """The two font families in use (names registered with reportlab) and whether DejaVu is embedded."""

    sans: str
    serif: str
    embedded: bool


@lru_cache(maxsize=4)
def fonts(font_dir: Path = FONT_DIR) -> Fonts:
    """Register DejaVu Sans / Serif from ``font_dir`` (once); the standard fonts when a file is missing."""
    if not all((font_dir / file).is_file() for files in _FILES.values() for file in files):
        return Fonts(sans=_FALLBACK["MfSans"], serif=_FALLBACK["MfSerif"], embedded=False)
    try:
        for family, files in _FILES.items():
            faces = [f"{family}-{face}" for face in ("Regular", "Bold", "Italic", "BoldItalic")]
            for name, file in zip(faces, files, strict=True):
                if name not in pdfmetrics.getRegisteredFontNames():
                    pdfmetrics.registerFont(TTFont(name, str(font_dir / file)))
            pdfmetrics.registerFontFamily(
                family, normal=faces[0], bold=faces[1], italic=faces[2], boldItalic=faces[3]
            )
        return Fonts(sans="MfSans-Regular", serif="MfSerif-Regular", embedded=True)
    except (OSError, TTFError):
        return Fonts(sans=_FALLBACK["MfSans"], serif=_FALLBACK["MfSerif"], embedded=False)


@dataclass(frozen=True)
class Styles:
    """The paragraph styles of the letters, at one scale (smaller scales fit more on the page)."""

    scale: float
    heading: ParagraphStyle
    service: ParagraphStyle
    date: ParagraphStyle
    address: ParagraphStyle
    object: ParagraphStyle
    body: ParagraphStyle
    title: ParagraphStyle
    subtitle: ParagraphStyle
    section: ParagraphStyle
    label: ParagraphStyle
    value: ParagraphStyle
    item: ParagraphStyle
    signature: ParagraphStyle
    footer: ParagraphStyle


def styles(f: Fonts, scale: float = 1.0) -> Styles:
    """Sizes in points at ``scale`` 1: body 10.5 pt serif, heading and small print in sans."""

    def style(name: str, font: str, size: float, leading: float, **kw: object) -> ParagraphStyle:
        return ParagraphStyle(name, fontName=font, fontSize=size * scale, leading=leading * scale, **kw)

    black: Color = HexColor("#1E1E1E")
    return Styles(
        scale=scale,
        heading=style("heading", f.sans, 9.5, 11.5, textColor=black),
        service=style("service", f.sans, 8, 10, textColor=GREY),
        date=style("date", f.serif, 10.5, 14, alignment=TA_LEFT, textColor=black),
        address=style("address", f.serif, 10.5, 14, textColor=black),
        object=style(
            "object", f.serif, 10.5, 14, textColor=black, leftIndent=15 * mm, firstLineIndent=-15 * mm
        ),
        body=style("body", f.serif, 10.5, 14.6, alignment=TA_JUSTIFY, spaceAfter=7 * scale, textColor=black),
        title=style("title", f.sans, 14, 18, alignment=TA_CENTER, textColor=BLUE, spaceAfter=2 * scale),
        subtitle=style("subtitle", f.sans, 9.5, 12, alignment=TA_CENTER, textColor=GREY),
        section=style(
            "section",
            f.sans,
            10,
            13,
            textColor=BLUE,
            spaceBefore=8 * scale,
            spaceAfter=3 * scale,
            keepWithNext=1,
        ),
        label=style("label", f.sans, 8.5, 11, textColor=GREY),
        value=style("value", f.serif, 9.5, 12, textColor=black),
        item=style("item", f.serif, 9.5, 12, textColor=black, leftIndent=4 * mm, bulletIndent=0),
        signature=style("signature", f.serif, 10.5, 14, textColor=black),
        footer=style("footer", f.sans, 7.5, 9, alignment=TA_CENTER, textColor=GREY),
    )


def _footer(text: str, style: ParagraphStyle) -> Callable[[Canvas, SimpleDocTemplate], None]:
    def draw(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setStrokeColor(LINE)
        canvas.setLineWidth(0.5)
        y = doc.bottomMargin - 5 * mm
        canvas.line(doc.leftMargin, y, doc.leftMargin + doc.width, y)
        para = Paragraph(text, style)
        _, height = para.wrap(doc.width, doc.bottomMargin)
        para.drawOn(canvas, doc.leftMargin, y - 2 * mm - height)
        canvas.restoreState()

    return draw


def build_pdf(
    story: Callable[[Styles], Sequence[Flowable]],
    *,
    title: str,
    author: str,
    subject: str,
    footer: str,
    scales: Sequence[float] = (1.0, 0.94, 0.88, 0.82, 0.76, 0.7),
) -> bytes:
    """One A4 page: ``story`` is laid out at the first of ``scales`` that fits on one page (the last
    scale is kept, on as many pages as needed, when none does)."""
    f = fonts(FONT_DIR)
    pdf = b""
    for scale in scales:
        st = styles(f, scale)
        buffer = BytesIO()
        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=22 * mm,
            rightMargin=20 * mm,
            topMargin=14 * mm,
            bottomMargin=20 * mm,
            title=title,
            author=author,
            subject=subject,
            creator="mailflow",
            producer="mailflow (reportlab)",
            lang="fr-FR",
            invariant=True,
        )
        draw = _footer(footer, st.footer)
        doc.build(list(story(st)), onFirstPage=draw, onLaterPages=draw)
        pdf = buffer.getvalue()
        if doc.page == 1:
            break
    return pdf
