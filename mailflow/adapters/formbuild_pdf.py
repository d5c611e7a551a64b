"""The request form as a fillable A4 PDF (AcroForm field names = field keys), and filling it in.

Built with reportlab's standard Helvetica (WinAnsi: French accents, « », œ, … render without embedding a
font file); ``invariant=True`` makes the bytes deterministic. Hidden fields and the document keywords carry
``form_id`` and ``form_version``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from pypdf import PdfReader, PdfWriter
from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from mailflow.adapters import formtext as T
from mailflow.domain.countries import fold
from mailflow.domain.formschema import REQUEST_FORM, FieldKind, FieldSpec, FormSpec, Requirement, field_help

WIDTH, HEIGHT = A4
LEFT, RIGHT, TOP, BOTTOM = 45.0, WIDTH - 45.0, HEIGHT - 40.0, 48.0
LABEL_W, INPUT_X = 185.0, 240.0
INPUT_W = RIGHT - INPUT_X
NAVY, GREY, INK = HexColor("#1F3864"), HexColor("#595959"), HexColor("#1A1A1A")
FILL, BORDER, RULE = HexColor("#F2F6FC"), HexColor("#8EA9DB"), HexColor("#BFBFBF")
_TALL = {"project_theme": 66.0, "address": 30.0, "other_framework": 30.0}
_LINE, _HELP_LINE, _BOX = 11.0, 9.0, 16.0
_BLANK_OPTION = " "  # reportlab needs a non-empty option to show an empty combo box

Draw = Callable[[Canvas, float], None]


@dataclass
class _Block:
    height: float
    draw: Draw
    keep_with_next: bool = False


def build_request_pdf(*, dareic_address: str = T.DAREIC_ADDRESS) -> bytes:
    """The blank "Demande d'appariement" PDF: same fields, labels and help as the Excel form."""
    return _build(REQUEST_FORM, dareic_address)


def _build(spec: FormSpec, address: str) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    canvas.setTitle(spec.title)
    canvas.setAuthor("Académie de Strasbourg – Dareic")
    canvas.setSubject(f"{spec.title} – formulaire version {spec.version}")
    canvas.setKeywords(f"form_id={spec.form_id}; form_version={spec.version}")
    canvas.setCreator("mailflow")
    blocks = _blocks(spec, address)
    pages = _paginate(blocks)
    for number, page in enumerate(pages, start=1):
        _page_frame(canvas, spec, address, (number, len(pages)))
        for top, block in page:
            block.draw(canvas, top)
        if number == 1:
            _markers(canvas, spec)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _paginate(blocks: list[_Block]) -> list[list[tuple[float, _Block]]]:
    pages: list[list[tuple[float, _Block]]] = [[]]
    y = TOP - 118.0  # below the first page's heading
    for index, block in enumerate(blocks):
        needed = block.height
        if block.keep_with_next and index + 1 < len(blocks):
            needed += blocks[index + 1].height
        if y - needed < BOTTOM and pages[-1]:
            pages.append([])
            y = TOP - 22.0
        pages[-1].append((y, block))
        y -= block.height
    return pages


def _page_frame(canvas: Canvas, spec: FormSpec, address: str, page: tuple[int, int]) -> None:
    number, count = page
    if number == 1:
        canvas.setFillColor(NAVY)
        canvas.setFont("Helvetica-Bold", 11)
        canvas.drawString(LEFT, TOP, T.ACADEMY)
        canvas.setFillColor(GREY)
        canvas.setFont("Helvetica", 8)
        canvas.drawString(LEFT, TOP - 12, T.DAREIC)
        canvas.drawRightString(RIGHT, TOP, f"Réf. {spec.form_id} · version {spec.version}")
        _rule(canvas, TOP - 20, NAVY, 1.2)
        canvas.setFillColor(NAVY)
        canvas.setFont("Helvetica-Bold", 20)
        canvas.drawString(LEFT, TOP - 52, spec.title)
        canvas.setFillColor(GREY)
        canvas.setFont("Helvetica", 10)
        canvas.drawString(
            LEFT, TOP - 68, "Officialisation d'un appariement scolaire avec un établissement étranger"
        )
        _paragraph(canvas, T.request_intro(address, pdf=True), TOP - 88, "Helvetica-Oblique", 8.5)
    else:
        canvas.setFillColor(GREY)
        canvas.setFont("Helvetica", 8)
        canvas.drawString(LEFT, TOP, f"{T.ACADEMY} – Dareic")
        canvas.drawRightString(RIGHT, TOP, spec.title)
        _rule(canvas, TOP - 6, RULE, 0.6)
    _rule(canvas, BOTTOM - 14, RULE, 0.6)
    canvas.setFillColor(GREY)
    canvas.setFont("Helvetica", 7.5)
    canvas.drawCentredString(
        WIDTH / 2, BOTTOM - 26, f"{spec.title} – version {spec.version} – page {number} / {count}"
    )


def _rule(canvas: Canvas, y: float, color: Color, width: float) -> None:
    canvas.setStrokeColor(color)
    canvas.setLineWidth(width)
    canvas.line(LEFT, y, RIGHT, y)


def _paragraph(
    canvas: Canvas, text: str, top: float, font: str, size: float, width: float = RIGHT - LEFT
) -> float:
    """Wrapped text from ``top`` down; returns the y below it."""
    canvas.setFont(font, size)
    y = top - size
    for paragraph in text.split("\n"):
        for line in simpleSplit(paragraph, font, size, width):
            canvas.drawString(LEFT, y, line)
            y -= size * 1.3
    return y


def _markers(canvas: Canvas, spec: FormSpec) -> None:
    """Hidden, read-only fields naming the template (what the reader checks first)."""
    for name, value in (("form_id", spec.form_id), ("form_version", spec.version)):
        canvas.acroForm.textfield(
            name=name, value=value, x=0, y=0, width=1, height=1, annotationFlags="hidden",
            fieldFlags="readOnly", maxlen=None, borderWidth=0,
        )  # fmt: skip


# --------------------------------------------------------------------------------------------- blocks


def _blocks(spec: FormSpec, address: str) -> list[_Block]:
    blocks: list[_Block] = []
    section = None
    for spec_field in spec.fields:
        if spec_field.section != section:
            section = spec_field.section
            blocks.append(_section(T.REQUEST_SECTIONS.get(section, section)))
        blocks.append(_field_block(spec_field))
    blocks.append(_section("Envoi de la demande"))
    for text in T.pdf_instructions(address):
        blocks.append(_note(text, "Helvetica", 8.5, space=4, color=INK))
    blocks.append(_note(T.PRIVACY, "Helvetica-Oblique", 7, space=4))
    marker = f"{T.MARKER_LABEL.split(' (')[0]} : {spec.form_id}, version {spec.version}"
    blocks.append(_note(marker, "Helvetica", 7, space=4))
    return blocks


def _section(text: str) -> _Block:
    def draw(canvas: Canvas, top: float) -> None:
        canvas.setFillColor(NAVY)
        canvas.rect(LEFT, top - 23, RIGHT - LEFT, 17, stroke=0, fill=1)
        canvas.setFillColor(white)
        canvas.setFont("Helvetica-Bold", 10)
        canvas.drawString(LEFT + 6, top - 18, text)

    return _Block(30.0, draw, keep_with_next=True)


def _note(text: str, font: str, size: float, *, space: float, color: Color = GREY) -> _Block:
    lines = simpleSplit(text, font, size, RIGHT - LEFT)

    def draw(canvas: Canvas, top: float) -> None:
        canvas.setFillColor(color)
        _paragraph(canvas, text, top - space, font, size)

    return _Block(space + len(lines) * size * 1.3 + 2, draw)


def _field_block(spec_field: FieldSpec) -> _Block:
    label_lines = simpleSplit(spec_field.label, "Helvetica-Bold", 9, LABEL_W)
    label_lines[-1] += T.mark(spec_field)  # never a lone "*" on the last line
    help_text = "" if spec_field.kind is FieldKind.YESNO else field_help(spec_field)
    help_lines = simpleSplit(help_text, "Helvetica-Oblique", 7, INPUT_W)
    box = _TALL.get(spec_field.key, _BOX)
    height = (
        max(len(label_lines) * _LINE, box + len(help_lines) * _HELP_LINE + (1 if help_lines else 0)) + 6.5
    )

    def draw(canvas: Canvas, top: float) -> None:
        canvas.setFillColor(INK)
        canvas.setFont("Helvetica-Bold", 9)
        for i, line in enumerate(label_lines):
            canvas.drawString(LEFT, top - 11.5 - i * _LINE, line)
        _input(canvas, spec_field, top - box, box)
        canvas.setFillColor(GREY)
        canvas.setFont("Helvetica-Oblique", 7)
        for i, line in enumerate(help_lines):
            canvas.drawString(INPUT_X + 1, top - box - 8 - i * _HELP_LINE, line)

    return _Block(height, draw)


def _input(canvas: Canvas, spec_field: FieldSpec, y: float, box: float) -> None:
    form = canvas.acroForm
    flags = "required" if spec_field.requirement is Requirement.REQUIRED else ""
    common = {"name": spec_field.key, "tooltip": spec_field.label, "borderColor": BORDER, "fillColor": FILL}
    if spec_field.kind is FieldKind.YESNO:
        canvas.setFont("Helvetica", 9)
        for i, answer in enumerate(("oui", "non")):
            x = INPUT_X + i * 70
            form.radio(
                value=answer, selected=False, x=x, y=y + 2, size=12, buttonStyle="check", shape="square",
                borderWidth=0.8, textColor=NAVY, fieldFlags="noToggleToOff radio", **common,
            )  # fmt: skip
            canvas.setFillColor(INK)
            canvas.drawString(x + 17, y + 4.5, answer)
        return
    if spec_field.kind in (FieldKind.CHOICE, FieldKind.COUNTRY):
        options = list(spec_field.choices) if spec_field.kind is FieldKind.CHOICE else T.country_names()
        form.choice(
            value=_BLANK_OPTION, options=[_BLANK_OPTION, *options], x=INPUT_X, y=y, width=INPUT_W, height=box,
            fontName="Helvetica", fontSize=9, borderWidth=0.8, textColor=INK, fieldFlags=f"combo {flags}".strip(),
            **common,
        )  # fmt: skip
        return
    multiline = "multiline" if spec_field.key in _TALL else ""
    form.textfield(
        value="", x=INPUT_X, y=y, width=INPUT_W, height=box, fontName="Helvetica", fontSize=9, borderWidth=0.8,
        textColor=INK, maxlen=None, fieldFlags=f"{flags} {multiline}".strip(), **common,
    )  # fmt: skip


# ------------------------------------------------------------------------------------------- filling


def fill_pdf(blank: bytes, values: Mapping[str, object]) -> bytes:
    """Fill the PDF form's fields by key (as a person would in a viewer), appearances regenerated.

    Booleans become oui/non, dates jj/mm/aaaa, lists are joined with ", ", None or "" empties the field.
    A key with no field raises KeyError.
    """
    reader = PdfReader(io.BytesIO(blank))
    fields = reader.get_fields() or {}
    updates: dict[str, str] = {}
    for key, value in values.items():
        if key not in fields:
            raise KeyError(f"the PDF has no field named {key!r}")
        field = fields[key]
        text = _field_text(value)
        if field.get("/FT") == "/Btn":
            states = [str(o).lstrip("/") for o in field.get("/_States_", [])]
            state = next((o for o in states if fold(o) == fold(text)), text)
            updates[key] = f"/{state}" if text else "/Off"
        elif field.get("/FT") == "/Ch":
            options = [str(o) for o in field.get("/_States_", [])]
            updates[key] = next((o for o in options if fold(o) == fold(text) and text), text or _BLANK_OPTION)
        else:
            updates[key] = text
    writer = PdfWriter(clone_from=reader)
    for page in writer.pages:
        writer.update_page_form_field_values(page, updates, auto_regenerate=False)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _field_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)
