"""Find our forms among a message's attachments and read them; say in French why a file was not read."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from mailflow.domain.errors import ExtractError
from mailflow.domain.forms import FORM_SPECS, PARTNER_SHEET, REQUEST_FORM
from mailflow.domain.message import Attachment
from mailflow.extract.xlsx import RawForm, read_xlsx

NOT_YET_READ = "Ce format n'est pas encore lu automatiquement ; merci d'envoyer le formulaire Excel officiel."
UNEXPECTED = "Le fichier n'a pas pu être lu ; merci de renvoyer le formulaire Excel officiel."

_EXCEL = "excel"  # read now
_LATER = "later"  # a form format a later version will read (PDF, old Excel, OpenDocument, …)
_EXTENSIONS = {
    ".xlsx": _EXCEL,
    ".xlsm": _EXCEL,
    ".xltx": _EXCEL,
    ".xltm": _EXCEL,
    ".xls": _LATER,
    ".xlsb": _LATER,
    ".ods": _LATER,
    ".fods": _LATER,
    ".numbers": _LATER,
    ".pdf": _LATER,
}
_CONTENT_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _EXCEL,
    "application/vnd.ms-excel.sheet.macroenabled.12": _EXCEL,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template": _EXCEL,
    "application/vnd.ms-excel": _LATER,
    "application/vnd.ms-excel.sheet.binary.macroenabled.12": _LATER,
    "application/vnd.oasis.opendocument.spreadsheet": _LATER,
    "application/pdf": _LATER,
    "application/x-pdf": _LATER,
}
_GENERIC_TYPES = {"application/octet-stream", "application/x-download", "application/download", ""}


class FoundForm(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    attachment_name: str
    spec_id: str
    raw: RawForm


class FormScan(BaseModel):
    """The forms found, in attachment order, and the files that could not be read with the reason."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    forms: tuple[FoundForm, ...] = ()
    unreadable: tuple[tuple[str, str], ...] = ()


def attachment_format(attachment: Attachment) -> str | None:
    """ "excel", "later" or None (not a form format): extension first, then content type, then magic bytes."""
    name = attachment.filename.lower().strip()
    for extension, kind in _EXTENSIONS.items():
        if name.endswith(extension):
            return kind
    content_type = attachment.content_type.lower().split(";")[0].strip()
    if content_type in _CONTENT_TYPES:
        return _CONTENT_TYPES[content_type]
    if content_type in _GENERIC_TYPES and "." not in name.rsplit("/", 1)[-1]:
        head = attachment.data[:8]
        if head.startswith(b"%PDF-"):
            return _LATER
        if head.startswith(b"PK\x03\x04") and b"xl/workbook" in attachment.data[:65536]:
            return _EXCEL
    return None


def spec_id_for(raw: RawForm) -> str | None:
    """Which form a workbook is: its version marker, else the form whose own keys it has most of."""
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


def scan_attachments(attachments: Sequence[Attachment]) -> FormScan:
    """Read every attachment that can hold a form; never raises on a bad file."""
    forms: list[FoundForm] = []
    unreadable: list[tuple[str, str]] = []
    for attachment in attachments:
        kind = attachment_format(attachment)
        if kind == _LATER:
            unreadable.append((attachment.filename, NOT_YET_READ))
            continue
        if kind != _EXCEL:
            continue
        try:
            raw = read_xlsx(attachment.data)
        except ExtractError as exc:
            unreadable.append((attachment.filename, str(exc)))
            continue
        except Exception:  # a bug in a parsing library must not stop the message
            unreadable.append((attachment.filename, UNEXPECTED))
            continue
        spec_id = spec_id_for(raw) if raw is not None else None
        if raw is not None and spec_id is not None:
            forms.append(FoundForm(attachment_name=attachment.filename, spec_id=spec_id, raw=raw))
    return FormScan(forms=tuple(forms), unreadable=tuple(unreadable))
