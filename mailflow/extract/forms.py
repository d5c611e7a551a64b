"""Find our forms among a message's attachments (and inside forwarded messages) and read them; say in
French why a file was not read. Official files by their names, home-made ones by their labels.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from mailflow.domain.errors import ExtractError
from mailflow.domain.forms import FORM_SPECS, PARTNER_SHEET, REQUEST_FORM
from mailflow.domain.message import Attachment
from mailflow.extract.labels import best_hits, search_grids
from mailflow.extract.mime import parse_message
from mailflow.extract.pdf import read_pdf
from mailflow.extract.sheets import Grids, calamine_grids, xlsx_grids
from mailflow.extract.xlsx import RawForm, check_container, read_xlsx

NOT_READ = (
    "Ce format de fichier n'est pas lu automatiquement ; merci d'envoyer le formulaire officiel au format "
    "Excel (.xlsx)."
)
UNEXPECTED = (
    "Le fichier n'a pas pu être lu ; merci de renvoyer le formulaire officiel au format Excel (.xlsx)."
)
MAX_FORWARD_DEPTH = 3  # a form in a message forwarded in a message forwarded in the mail

_SHEET, _PDF, _MESSAGE, _OTHER = "spreadsheet", "pdf", "message", "other"
_EXTENSIONS = {
    ".xlsx": _SHEET,
    ".xlsm": _SHEET,
    ".xltx": _SHEET,
    ".xltm": _SHEET,
    ".xls": _SHEET,
    ".xlt": _SHEET,
    ".xlsb": _SHEET,
    ".ods": _SHEET,
    ".ots": _SHEET,
    ".pdf": _PDF,
    ".eml": _MESSAGE,
    ".fods": _OTHER,
    ".numbers": _OTHER,
}
_CONTENT_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _SHEET,
    "application/vnd.ms-excel.sheet.macroenabled.12": _SHEET,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template": _SHEET,
    "application/vnd.ms-excel": _SHEET,
    "application/vnd.ms-excel.sheet.binary.macroenabled.12": _SHEET,
    "application/vnd.oasis.opendocument.spreadsheet": _SHEET,
    "application/pdf": _PDF,
    "application/x-pdf": _PDF,
    "message/rfc822": _MESSAGE,
}
_GENERIC_TYPES = {"application/octet-stream", "application/x-download", "application/download", ""}


class FoundForm(BaseModel):
    """A form read from an attachment. ``attachment_name`` is the top-level attachment (a forwarded
    message for a form found inside one); ``attachment`` is the file the form was read from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    attachment_name: str
    spec_id: str
    raw: RawForm
    source: str = "defined_names"  # "defined_names" | "acroform" | "labels" | "pdf_text"
    attachment: Attachment | None = Field(default=None, repr=False)
    display_name: str = ""  # "transfert.eml › demande.xlsx" for a form inside a forwarded message


class FormScan(BaseModel):
    """The forms found, in attachment order, and the files that could not be read with the reason."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    forms: tuple[FoundForm, ...] = ()
    unreadable: tuple[tuple[str, str], ...] = ()


def attachment_format(attachment: Attachment) -> str | None:
    """ "spreadsheet", "pdf", "message", "other" (a form format not read) or None (not a form format):
    extension first, then content type, then magic bytes."""
    name = attachment.filename.lower().strip()
    for extension, kind in _EXTENSIONS.items():
        if name.endswith(extension):
            return kind
    content_type = attachment.content_type.lower().split(";")[0].strip()
    if content_type in _CONTENT_TYPES:
        return _CONTENT_TYPES[content_type]
    if content_type in _GENERIC_TYPES and "." not in name.rsplit("/", 1)[-1]:
        head = attachment.data[:1024]
        if b"%PDF-" in head:
            return _PDF
        if head.startswith(b"PK\x03\x04") and b"xl/workbook" in attachment.data[:65536]:
            return _SHEET
        if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
            return _SHEET
    return None


def spec_id_for(raw: RawForm) -> str | None:
    """Which form it is: its version marker, else the form whose own keys it has most of."""
    if raw.form_id in FORM_SPECS:
        return raw.form_id
    keys = set(raw.cells)
    if not keys:
        return None
    request_only = set(REQUEST_FORM.keys) - set(PARTNER_SHEET.keys)
    partner_only = set(PARTNER_SHEET.keys) - set(REQUEST_FORM.keys)
    request_score, partner_score = len(keys & request_only), len(keys & partner_only)
    if partner_score > request_score or request_score == 0:
        return PARTNER_SHEET.form_id
    return REQUEST_FORM.form_id


def read_spreadsheet(data: bytes) -> RawForm | None:
    """Any workbook: defined names first (the official xlsx), else the labels in its first cells."""
    kind = check_container(data)
    if kind == "xlsx":
        raw = read_xlsx(data)
        if raw is not None:
            return raw
        grids: Grids = xlsx_grids(data)
    else:
        grids = calamine_grids(data)
    hits = best_hits([search_grids(grids.sheets, form_id) for form_id in FORM_SPECS])
    if hits is None:
        return None
    version = hits.marker[1] if len(hits.marker) > 1 else None
    return RawForm(form_id=hits.form_id, version=version, cells=dict(hits.values), source="labels")


def read_form_file(data: bytes) -> RawForm | None:
    """The form in one spreadsheet or PDF file, or None; UnreadableForm says why it cannot be read."""
    if b"%PDF-" in data[:1024]:
        return read_pdf(data)  # the content decides, not the name: a PDF called .xlsx is a PDF
    return read_spreadsheet(data)


def scan_attachments(attachments: Sequence[Attachment]) -> FormScan:
    """Read every attachment that can hold a form; never raises on a bad file."""
    forms: list[FoundForm] = []
    unreadable: list[tuple[str, str]] = []
    for attachment in attachments:
        _scan_one(attachment, attachment.filename, "", 0, forms, unreadable)
    return FormScan(forms=tuple(forms), unreadable=tuple(unreadable))


def _scan_one(
    attachment: Attachment,
    top_name: str,
    prefix: str,
    depth: int,
    forms: list[FoundForm],
    unreadable: list[tuple[str, str]],
) -> None:
    display = f"{prefix}{attachment.filename}"
    kind = attachment_format(attachment)
    if kind == _MESSAGE:
        if depth < MAX_FORWARD_DEPTH:
            _scan_forwarded(attachment, top_name, f"{display} › ", depth + 1, forms, unreadable)
        return
    if kind == _OTHER:
        unreadable.append((display, NOT_READ))
        return
    if kind not in (_SHEET, _PDF):
        return
    try:
        raw = read_form_file(attachment.data)
    except ExtractError as exc:
        unreadable.append((display, str(exc)))
        return
    except Exception:  # a bug in a parsing library must not stop the message
        unreadable.append((display, UNEXPECTED))
        return
    spec_id = spec_id_for(raw) if raw is not None else None
    if raw is not None and spec_id is not None:
        found = FoundForm(
            attachment_name=top_name,
            spec_id=spec_id,
            raw=raw,
            source=raw.source,
            attachment=attachment,
            display_name=display,
        )
        forms.append(found)


def _scan_forwarded(
    attachment: Attachment,
    top_name: str,
    prefix: str,
    depth: int,
    forms: list[FoundForm],
    unreadable: list[tuple[str, str]],
) -> None:
    try:
        inner = parse_message(attachment.data)
    except Exception:
        return  # not a message after all: nothing to read in it
    for sub in inner.attachments:
        _scan_one(sub, top_name, prefix, depth, forms, unreadable)
