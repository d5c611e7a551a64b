"""Excel workbooks -> raw form values, read by the workbook's defined names (the official template).

Untrusted bytes: the container is checked before any parser opens it (declared uncompressed size,
compression ratio, member count, encryption); formulas are never evaluated (cached values only) and
macros are never kept. Home-made copies are read by their labels (sheets.py, labels.py).
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections import defaultdict
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.cell import column_index_from_string
from pydantic import BaseModel, ConfigDict

from mailflow.domain.errors import UnreadableForm
from mailflow.domain.forms import ALL_FIELD_KEYS

FORM_ID_NAME = "form_id"
FORM_VERSION_NAME = "form_version"
_WANTED = frozenset(ALL_FIELD_KEYS | {FORM_ID_NAME, FORM_VERSION_NAME})
MAX_MEMBERS = 1000
_MAX_ROW, _MAX_COL = 1_048_576, 16_384
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_REFERENCE = re.compile(
    r"=?(?:(?:'(?P<quoted>(?:[^']|'')+)'|(?P<plain>[^'!]+))!)?"
    r"\$?(?P<col>[A-Za-z]{1,3})\$?(?P<row>\d{1,7})(?::\$?[A-Za-z]{1,3}\$?\d{1,7})?"
)
_CONSTANT = re.compile(r'=?"(?P<text>(?:[^"]|"")*)"')

ENCRYPTED = (
    "Le classeur est protégé par un mot de passe et ne peut pas être lu ; merci de renvoyer le formulaire "
    "sans mot de passe."
)
CORRUPT = (
    "Le fichier est endommagé ou n'est pas un classeur lisible ; merci de renvoyer le formulaire "
    "officiel au format Excel (.xlsx)."
)
TOO_LARGE = (
    "Le fichier est anormalement volumineux une fois décompressé ; il n'a pas été ouvert. Merci de "
    "renvoyer le formulaire officiel au format Excel (.xlsx)."
)
MAX_UNCOMPRESSED = 50_000_000
MAX_RATIO = 200  # a member of more than 1 MB compressed more than this: a zip bomb, not a workbook
_RATIO_FLOOR = 1_000_000
_OPENDOCUMENT_SHEET = b"application/vnd.oasis.opendocument.spreadsheet"


class RawForm(BaseModel):
    """The values of a form's input cells by field key, as read (str, int, float, datetime, bool, None)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    form_id: str | None
    version: str | None
    cells: dict[str, object]
    source: str = "defined_names"  # or "acroform", "labels", "pdf_text"


def check_container(data: bytes, *, max_uncompressed: int = MAX_UNCOMPRESSED) -> str:
    """What kind of workbook ``data`` is ("xlsx", "xlsb", "ods" or "xls"), checked before any parsing.

    Raises UnreadableForm (French message) for encrypted files, zip bombs (declared size, compression
    ratio, member count) and whatever is not a workbook.
    """
    if data.startswith(_CFB_MAGIC):  # an OLE file: encrypted OOXML or a legacy .xls
        if _ENCRYPTED_STREAM in data:
            raise UnreadableForm(ENCRYPTED)
        return "xls"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > max_uncompressed:
                raise UnreadableForm(TOO_LARGE)
            if any(
                m.file_size > _RATIO_FLOOR and m.file_size > MAX_RATIO * max(m.compress_size, 1)
                for m in members
            ):
                raise UnreadableForm(TOO_LARGE)
            if any(m.flag_bits & 0x1 for m in members):
                raise UnreadableForm(ENCRYPTED)
            names = {m.filename: m for m in members}
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "xl/workbook.bin" in names:
                return "xlsb"
            mimetype = names.get("mimetype")
            if mimetype is not None and mimetype.file_size < 200:
                if archive.read(mimetype).strip() != _OPENDOCUMENT_SHEET:
                    raise UnreadableForm(CORRUPT)  # a text document or a presentation
                manifest = names.get("META-INF/manifest.xml")
                if manifest is not None and b"encryption-data" in archive.read(manifest):
                    raise UnreadableForm(ENCRYPTED)
                return "ods"
    except UnreadableForm:
        raise
    except Exception as exc:  # BadZipFile, truncated data, bad headers
        raise UnreadableForm(CORRUPT) from exc
    raise UnreadableForm(CORRUPT)


def read_xlsx(data: bytes, *, max_uncompressed: int = MAX_UNCOMPRESSED) -> RawForm | None:
    """Read a workbook's input cells by defined names; None when it has none of ours (not our form).

    Raises UnreadableForm (French message) for encrypted, corrupt or oversized files and other formats.
    """
    if check_container(data, max_uncompressed=max_uncompressed) != "xlsx":
        return None  # .xls, .xlsb, .ods: no defined names read, the labels will be looked for
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about unsupported extensions, not our concern
            workbook = load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_vba=False, keep_links=False
            )
    except Exception as exc:
        raise UnreadableForm(CORRUPT) from exc
    try:
        targets = _our_names(workbook)
        if not targets:
            return None
        values = _read_targets(workbook, targets)
    except Exception as exc:
        raise UnreadableForm(CORRUPT) from exc
    finally:
        workbook.close()
    form_id, version = values.pop(FORM_ID_NAME, None), values.pop(FORM_VERSION_NAME, None)
    return RawForm(form_id=_marker(form_id), version=_marker(version), cells=values)


def _marker(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


# A target is either a constant (defined as ="text") or a (sheet title, row, column) cell.
_Target = tuple[str, int, int] | str


def _our_names(workbook: Any) -> dict[str, _Target]:
    """Our defined names (case-insensitive), workbook-level first, then names local to a sheet."""
    targets: dict[str, _Target] = {}
    scopes: list[tuple[str | None, Any]] = [(None, workbook.defined_names)]
    scopes += [(sheet.title, sheet.defined_names) for sheet in workbook.worksheets]
    for sheet_title, names in scopes:
        for name, definition in names.items():
            key = str(name).lower()
            if key in _WANTED and key not in targets:
                target = _target(str(definition.attr_text or ""), sheet_title)
                if target is not None:
                    targets[key] = target
    return targets


def _target(text: str, sheet_title: str | None) -> _Target | None:
    text = text.strip()
    if constant := _CONSTANT.fullmatch(text):
        return constant["text"].replace('""', '"')
    match = _REFERENCE.fullmatch(text)
    if match is None:
        return None  # a formula, #REF! or a range we do not understand
    title = match["quoted"].replace("''", "'") if match["quoted"] else match["plain"] or sheet_title
    row, col = int(match["row"]), column_index_from_string(match["col"].upper())
    if title is None or not (1 <= row <= _MAX_ROW and 1 <= col <= _MAX_COL):
        return None
    return (title, row, col)


def _read_targets(workbook: Any, targets: dict[str, _Target]) -> dict[str, object]:
    """Cell values for every target, reading each sheet once (read-only mode streams the XML)."""
    values: dict[str, object] = {}
    by_sheet: dict[str, dict[tuple[int, int], list[str]]] = defaultdict(lambda: defaultdict(list))
    for key, target in targets.items():
        if isinstance(target, str):
            values[key] = target
        else:
            values[key] = None
            by_sheet[target[0]][(target[1], target[2])].append(key)
    for title, cells in by_sheet.items():
        if title not in workbook.sheetnames:
            continue
        sheet = workbook[title]
        if not hasattr(sheet, "iter_rows"):
            continue  # a chart sheet
        max_row = max(row for row, _ in cells)
        min_col, max_col = min(col for _, col in cells), max(col for _, col in cells)
        rows = sheet.iter_rows(min_row=1, max_row=max_row, min_col=min_col, max_col=max_col, values_only=True)
        for row_number, row in enumerate(rows, start=1):
            for (wanted_row, col), keys in cells.items():
                if wanted_row == row_number and col - min_col < len(row):
                    for key in keys:
                        values[key] = row[col - min_col]
    return values
