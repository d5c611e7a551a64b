"""PDF forms -> raw form values: AcroForm fields first (pdffields.py), else the labels in the page text,
rebuilt as lines from text positions (so a flattened form's values sit beside their labels). Scanned,
encrypted or broken PDFs get a French reason; pages, streams and text length are capped.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator, Sequence
from typing import Any

import pypdf
from pypdf import PageObject, PdfReader
from pypdf.errors import LimitReachedError

from mailflow.domain.errors import UnreadableForm
from mailflow.domain.forms import FORM_SPECS
from mailflow.extract.labellines import search_lines
from mailflow.extract.labels import best_hits
from mailflow.extract.pdffields import labels_raw, pdf_fields, read_fields
from mailflow.extract.xlsx import RawForm

MAX_PAGES = 20
MAX_CHUNKS = 5_000  # text pieces per page
MIN_TEXT_CHARS = 20  # less text than this in the whole document: a scan
LINE_TOLERANCE = 3.0  # points between baselines still on one line
COLUMN_GAP = 12.0  # points between two pieces of a line that make them two columns
_LIMITS: dict[str, int] = {
    "maximum_declared_stream_length": 10_000_000,
    "zlib_maximum_output_length": 10_000_000,
    "lzw_maximum_output_length": 10_000_000,
    "run_length_maximum_output_length": 10_000_000,
    "array_based_stream_maximum_output_length": 10_000_000,
    "stream_decoding_work_maximum_length": 50_000_000,
    "stream_parsing_work_maximum_count": 500_000,
    "page_tree_maximum_entries": 10_000,
    "form_fields_maximum_entries": 10_000,
    "xform_maximum_invocations_per_extraction": 500,
}

ENCRYPTED_PDF = (
    "Le document PDF est protégé par un mot de passe et ne peut pas être lu ; merci d'envoyer le "
    "formulaire sans mot de passe, de préférence au format Excel (.xlsx)."
)
CORRUPT_PDF = (
    "Le document PDF est endommagé et ne peut pas être lu ; merci d'envoyer le formulaire officiel au "
    "format Excel (.xlsx)."
)
SCANNED = (
    "Le document PDF ne contient que des images (document scanné ou photographié) : il ne peut pas être "
    "lu automatiquement. Merci d'envoyer le formulaire officiel rempli au format Excel (.xlsx), ou le "
    "formulaire PDF officiel rempli à l'écran."
)
TOO_LARGE_PDF = (
    "Le document PDF contient des éléments anormalement volumineux ; il n'a pas été lu. Merci d'envoyer "
    "le formulaire officiel au format Excel (.xlsx)."
)
TOO_MANY_PAGES = (
    "Le document PDF compte {pages} pages ; seules les {limit} premières ont été lues et aucun formulaire "
    "n'y a été trouvé. Merci d'envoyer le formulaire seul, de préférence au format Excel (.xlsx)."
)


@contextlib.contextmanager
def _limits() -> Iterator[None]:
    """Tighter pypdf limits, and its warnings about odd files kept out of our logs, while reading."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    apply = getattr(pypdf, "apply_configuration", None)  # pypdf >= 7; older versions keep their defaults
    try:
        with apply(**_LIMITS) if apply is not None else contextlib.nullcontext():
            yield
    finally:
        logger.setLevel(level)


def read_pdf(data: bytes) -> RawForm | None:
    """The form in a PDF, or None when the PDF is not one of our forms; UnreadableForm with the reason."""
    with _limits():
        reader = _open(data)
        try:
            fields = pdf_fields(reader)
            raw = read_fields(fields, reader)
        except LimitReachedError as exc:
            raise UnreadableForm(TOO_LARGE_PDF) from exc
        except Exception:  # a broken form dictionary: the page text may still hold the form
            fields, raw = [], None
        if raw is not None:
            return raw
        try:
            page_count = len(reader.pages)
            pages = reader.pages[:MAX_PAGES]
        except LimitReachedError as exc:
            raise UnreadableForm(TOO_LARGE_PDF) from exc
        except Exception as exc:
            raise UnreadableForm(CORRUPT_PDF) from exc
        lines, limited = [], False
        for page in pages:
            try:
                lines.extend(page_lines(page))
            except LimitReachedError:
                limited = True
            except Exception:
                continue  # one unreadable page: the others may hold the form
    hits = best_hits([search_lines(lines, form_id) for form_id in FORM_SPECS])
    if hits is not None:
        return labels_raw(hits, "pdf_text")
    if limited:
        raise UnreadableForm(TOO_LARGE_PDF)
    if sum(len(line.strip()) for line in lines) < MIN_TEXT_CHARS and not any(f.value for f in fields):
        raise UnreadableForm(SCANNED)
    if page_count > MAX_PAGES:
        raise UnreadableForm(TOO_MANY_PAGES.format(pages=page_count, limit=MAX_PAGES))
    return None


def _open(data: bytes) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
    except Exception as exc:
        raise UnreadableForm(CORRUPT_PDF) from exc
    if encrypted:
        try:
            opened = reader.decrypt("")  # an owner password only (printing/editing restrictions) is fine
        except Exception as exc:  # AES without the crypto library, broken encryption dictionary
            raise UnreadableForm(ENCRYPTED_PDF) from exc
        if not opened:
            raise UnreadableForm(ENCRYPTED_PDF)
    return reader


# ------------------------------------------------------------------------------------ text as lines

_Matrix = Sequence[float]


def _multiply(m: _Matrix, n: _Matrix) -> list[float]:
    return [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]


class _Collector:
    """Text pieces with their page position, form XObjects (flattened fields) placed where drawn."""

    def __init__(self) -> None:
        self.pieces: list[tuple[float, float, float, str]] = []  # y, x, end x, text
        self.placed: list[list[float]] = []  # the transforms of the form XObjects being read
        self.flushing = False  # pypdf reports the page text pending before a Do after announcing the Do

    def before(self, operator: bytes, operands: Any, cm: _Matrix, tm: _Matrix) -> None:
        if self.flushing:
            self.flushing = False
        if operator == b"Do":
            outer = self.placed[-1] if self.placed else None
            self.placed.append(_multiply(cm, outer) if outer else list(cm))
            self.flushing = True

    def after(self, operator: bytes, operands: Any, cm: _Matrix, tm: _Matrix) -> None:
        if operator == b"Do" and self.placed:
            self.placed.pop()
            self.flushing = False

    def text(self, text: Any, cm: _Matrix, tm: _Matrix, font: Any, size: Any) -> None:
        piece = str(text).strip()
        if not piece or len(self.pieces) >= MAX_CHUNKS:
            return
        matrix = _multiply(tm, cm)
        placed = self.placed[:-1] if self.flushing else self.placed
        if placed:
            matrix = _multiply(matrix, placed[-1])
        scale = abs(matrix[0]) or 1.0
        width = len(piece) * float(size or 10) * 0.5 * scale
        self.pieces.append((matrix[5], matrix[4], matrix[4] + width, piece))


def page_lines(page: PageObject) -> list[str]:
    """The page's text as lines, top to bottom; pieces far apart on one line are joined by a tab."""
    collector = _Collector()
    page.extract_text(
        visitor_text=collector.text,
        visitor_operand_before=collector.before,
        visitor_operand_after=collector.after,
    )
    rows: list[list[tuple[float, float, float, str]]] = []
    for chunk in sorted(collector.pieces, key=lambda p: (-p[0], p[1])):
        if rows and abs(rows[-1][0][0] - chunk[0]) <= LINE_TOLERANCE:
            rows[-1].append(chunk)
        else:
            rows.append([chunk])
    lines = []
    for row in rows:
        row.sort(key=lambda p: p[1])
        line, end = row[0][3], row[0][2]
        for _, x, piece_end, piece in row[1:]:
            line += ("\t" if x - end > COLUMN_GAP else " ") + piece
            end = max(end, piece_end)
        lines.append(line)
    return lines
