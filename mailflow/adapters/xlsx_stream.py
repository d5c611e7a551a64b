"""A small, fast .xlsx writer for one sheet of rows: SpreadsheetML written straight into a zip stream.

It owns the workbook package (content types, relationships, workbook, styles, one worksheet), a styled
header row, column widths, frozen panes (first row and first column) and the autofilter. Cells are typed:
text is written as inline strings (never a formula, whatever it begins with), numbers as numbers, dates
as real dates; empty cells are skipped. The XML is built with str.join and compressed in chunks, so a
10,000-row export costs about 1 µs a cell and the uncompressed sheet is never held in memory.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from io import BytesIO
from typing import IO, Any, NamedTuple

__all__ = ["Highlight", "column_letter", "sheet_bytes", "write_sheet", "xml_text"]

DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
HEADER_COLOR, HEADER_FILL = "FFFFFF", "000091"
HIGHLIGHT_COLOR, HIGHLIGHT_FILL = "9B1C1C", "F8D7DA"

_HEADER, _DATE, _DATETIME, _HIGHLIGHT = 1, 2, 3, 4  # indexes into cellXfs in _STYLES
_EPOCH = date(1899, 12, 30)  # Excel's day 0 for serial numbers (valid from 1900-03-01)
_FIRST_SERIAL_DAY = date(1900, 3, 1)  # before it, Excel's 1900 leap-year bug shifts the days
_CHUNK_ROWS = 500
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # not allowed in XML 1.0
_OOXML_ESCAPE = re.compile("_x[0-9A-Fa-f]{4}_")  # Excel reads these as escaped characters
_WHITESPACE = " \t\n\r"
_MAX_EXACT = 999_999_999_999_999  # Excel keeps 15 significant digits: longer integers are written as text
_MAX_UNITS = 32_767  # a cell holds at most this many UTF-16 code units; Excel "repairs" a file with more
_MAX_ROWS = 1_048_576
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


class Highlight(NamedTuple):
    """A date drawn highlighted (bold dark red on light red): a due date already passed."""

    value: date


def xml_text(value: str) -> str:
    """``value`` ready for an element's text: characters illegal in XML 1.0 dropped, ``& < >`` escaped,
    and literal ``_xHHHH_`` protected so that Excel does not decode it (Excel's own convention)."""
    if not value.isprintable():  # rare: control characters, unusual spaces, surrogates
        value = _ILLEGAL.sub("", value)
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if "_x" in value:
        value = _OOXML_ESCAPE.sub(r"_x005F\g<0>", value)
    return value


def _clip(value: str) -> str:
    """``value`` cut to what a cell holds, ending with an ellipsis (a hostile form's 100 KB answer)."""
    units = value.encode("utf-16-le", "surrogatepass")
    if len(units) <= 2 * _MAX_UNITS:
        return value
    return (
        units[: 2 * (_MAX_UNITS - 1)].decode("utf-16-le", "surrogatepass") + "…"
    )  # a split pair: dropped later


def _attribute(value: str) -> str:
    return xml_text(value).replace('"', "&quot;")


def column_letter(index: int) -> str:
    """The letters of a 0-based column index: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _width(characters: float) -> float:
    """Excel's stored width for a column ``characters`` wide in the default font (adds the padding)."""
    return math.trunc((characters * 7 + 5) / 7 * 256) / 256 if characters >= 1 else characters


def _string_cell(ref: str, text: str, style: str = "") -> str:
    return _inline(ref, xml_text(_clip(text) if len(text) > _MAX_UNITS // 2 else text), style)


def _inline(ref: str, text: str, style: str = "") -> str:
    """An inline string cell of already escaped ``text`` (nothing when it is empty)."""
    if not text:
        return ""
    space = ' xml:space="preserve"' if text[0] in _WHITESPACE or text[-1] in _WHITESPACE else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _date_cell(ref: str, value: date, style: int) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise ValueError(f"{ref}: an aware datetime; give the local wall time (tzinfo=None)")
        if value.date() < _FIRST_SERIAL_DAY:
            return _string_cell(ref, value.isoformat(sep=" "))
        seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
        serial: float = (value.date() - _EPOCH).days + seconds / 86400
        return f'<c r="{ref}" s="{_DATETIME}"><v>{serial!r}</v></c>'
    if value < _FIRST_SERIAL_DAY:  # Excel cannot show it as a date: clear ISO text instead
        return _string_cell(ref, value.isoformat())
    return f'<c r="{ref}" s="{style}"><v>{(value - _EPOCH).days}</v></c>'


def _cell(ref: str, value: object) -> str:
    """Any value but a plain str (the fast path in _row); what is not a number or a date is text."""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        number = int(value)
        if -_MAX_EXACT <= number <= _MAX_EXACT:
            return f'<c r="{ref}"><v>{number}</v></c>'
        return _string_cell(ref, str(number))
    if isinstance(value, float):
        if math.isfinite(value):
            return f'<c r="{ref}"><v>{float(value)!r}</v></c>'
        return _string_cell(ref, str(value))
    if isinstance(value, Highlight):
        return _date_cell(ref, value.value, _HIGHLIGHT)
    if isinstance(value, date):
        return _date_cell(ref, value, _DATE)
    if isinstance(value, str):
        return _string_cell(ref, str.__str__(value))  # a str subclass (an enum member): its plain text
    return _string_cell(ref, str(value))


def _row(number: int, letters: list[str], values: Sequence[Any]) -> str:
    r = str(number)
    parts = [f'<row r="{r}">']
    for letter, value in zip(letters, values, strict=False):
        kind = type(value)
        if kind is str:
            text = xml_text(value if len(value) <= _MAX_UNITS // 2 else _clip(value))
            if text and text[0] not in _WHITESPACE and text[-1] not in _WHITESPACE:
                parts.append(f'<c r="{letter}{r}" t="inlineStr"><is><t>{text}</t></is></c>')
            elif text:  # leading or trailing whitespace: kept with xml:space
                parts.append(_inline(letter + r, text))
        elif value is not None:
            parts.append(_cell(letter + r, value))
    parts.append("</row>")
    return "".join(parts)


def _sheet_start(headers: Sequence[str], widths: Sequence[float], default_width: float) -> str:
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{_width(widths[i - 1] if i <= len(widths) else default_width)}" '
        'customWidth="1"/>'
        for i in range(1, len(headers) + 1)
    )
    header = "".join(
        _string_cell(f"{column_letter(i)}1", h, f' s="{_HEADER}"') for i, h in enumerate(headers)
    )
    return (
        f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><sheetViews>'
        '<sheetView tabSelected="1" workbookViewId="0">'
        '<pane xSplit="1" ySplit="1" topLeftCell="B2" activePane="bottomRight" state="frozen"/>'
        '<selection pane="topRight" activeCell="B1" sqref="B1"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        '<selection pane="bottomRight" activeCell="B2" sqref="B2"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/>{"<cols>" + cols + "</cols>" if cols else ""}'
        f'<sheetData><row r="1">{header}</row>'
    )


def _sheet_name(title: str) -> str:
    """A valid sheet name: no []:*?/\\, at most 31 characters, not empty."""
    name = _ILLEGAL.sub("", re.sub(r"[\[\]:*?/\\]", " ", title)).strip().strip("'")[:31]
    return name or "Feuille 1"


def write_sheet(
    target: IO[bytes],
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    widths: Sequence[float] = (),
    default_width: float = 20,
) -> int:
    """Write a workbook of one sheet to ``target``: the bold header (white on blue), then one row per
    item of ``rows`` (None and "" left empty; int, float, bool, date, datetime and Highlight typed, the
    rest written as text),
    column widths in characters, first row and column frozen, an autofilter over the table.
    Returns the number of rows written below the header. Datetimes must be naive (local wall time)."""
    name = _sheet_name(title)
    letters = [column_letter(i) for i in range(len(headers))]
    count = 0
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as package:
        _add(package, "[Content_Types].xml", _CONTENT_TYPES)
        _add(package, "_rels/.rels", _ROOT_RELS)
        sheet = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
        sheet.compress_type = zipfile.ZIP_DEFLATED
        with package.open(sheet, "w") as stream:
            stream.write(_sheet_start(headers, widths, default_width).encode())
            chunk: list[str] = []
            for count, values in enumerate(rows, start=1):
                if count >= _MAX_ROWS:
                    raise ValueError(f"more than {_MAX_ROWS - 1} rows: an Excel sheet cannot hold them")
                if len(values) > len(letters):
                    letters += [column_letter(i) for i in range(len(letters), len(values))]
                chunk.append(_row(count + 1, letters, values))
                if len(chunk) == _CHUNK_ROWS:
                    stream.write("".join(chunk).encode())
                    chunk.clear()
            last = column_letter(max(len(letters), 1) - 1)
            chunk.append(
                f'</sheetData><autoFilter ref="A1:{last}{count + 1}"/><pageMargins left="0.7" right="0.7" '
                'top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'
            )
            stream.write("".join(chunk).encode())
        quoted = "'" + name.replace("'", "''") + "'"
        _add(package, "xl/workbook.xml", _WORKBOOK.format(
            name=_attribute(name), filter=xml_text(f"{quoted}!$A$1:${last}${count + 1}")
        ))  # fmt: skip
        _add(package, "xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        _add(package, "xl/styles.xml", _STYLES)
    return count


def sheet_bytes(
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    widths: Sequence[float] = (),
    default_width: float = 20,
) -> bytes:
    """write_sheet into memory: the .xlsx file's bytes."""
    buffer = BytesIO()
    write_sheet(buffer, title, headers, rows, widths, default_width)
    return buffer.getvalue()


def _add(package: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name)  # dated 1980-01-01: the same rows give the same bytes
    info.compress_type = zipfile.ZIP_DEFLATED
    package.writestr(info, text.encode())


_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CONTENT_TYPES = (
    f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_SHEET_TYPE}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_SHEET_TYPE}.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_SHEET_TYPE}.styles+xml"/></Types>'
)
_ROOT_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
    f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'
)
_WORKBOOK = (
    f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView/></bookViews>'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets><definedNames>'
    '<definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">{filter}</definedName>'
    "</definedNames></workbook>"
)


def _styles() -> str:
    """styles.xml: fonts, fills and the cellXfs whose indexes are _HEADER, _DATE, _DATETIME, _HIGHLIGHT."""
    fonts = [
        f'<font>{"<b/>" if bold else ""}<sz val="11"/><color rgb="FF{color}"/><name val="Calibri"/>'
        '<family val="2"/></font>'
        for bold, color in ((False, "000000"), (True, HEADER_COLOR), (True, HIGHLIGHT_COLOR))
    ]
    fills = [
        '<fill><patternFill patternType="none"/></fill>',
        '<fill><patternFill patternType="gray125"/></fill>',
    ]
    fills += [
        f'<fill><patternFill patternType="solid"><fgColor rgb="FF{color}"/><bgColor indexed="64"/></patternFill></fill>'
        for color in (HEADER_FILL, HIGHLIGHT_FILL)
    ]
    header = (
        ' applyFont="1" applyFill="1" applyAlignment="1"><alignment vertical="center" wrapText="1"/></xf>'
    )
    xfs = [  # (number format, font, fill, the rest of the element)
        (0, 0, 0, "/>"),
        (0, 1, 2, header),
        (164, 0, 0, ' applyNumberFormat="1"/>'),
        (165, 0, 0, ' applyNumberFormat="1"/>'),
        (164, 2, 3, ' applyNumberFormat="1" applyFont="1" applyFill="1"/>'),
    ]
    cell_xfs = "".join(
        f'<xf numFmtId="{fmt}" fontId="{font}" fillId="{fill}" borderId="0" xfId="0"{rest}'
        for fmt, font, fill, rest in xfs
    )
    return (
        f'{_XML}<styleSheet xmlns="{_MAIN}"><numFmts count="2"><numFmt numFmtId="164" formatCode="{DATE_FORMAT}"/>'
        f'<numFmt numFmtId="165" formatCode="{DATETIME_FORMAT}"/></numFmts>'
        f'<fonts count="{len(fonts)}">{"".join(fonts)}</fonts><fills count="{len(fills)}">{"".join(fills)}</fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{len(xfs)}">{cell_xfs}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        '<dxfs count="0"/><tableStyles count="0"/></styleSheet>'
    )


_STYLES = _styles()
