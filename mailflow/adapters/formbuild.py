"""The blank forms people download (forms/*.xlsx, and the PDF via formbuild_pdf), generated from the schema.

Each input cell carries a workbook-level defined name equal to its field key; ``form_id`` and
``form_version`` mark the template. Output bytes are deterministic (fixed properties and zip timestamps).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils.cell import absolute_coordinate, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from mailflow.adapters import formtext as T
from mailflow.adapters.formbuild_pdf import build_request_pdf
from mailflow.domain.forms import PARTNER_SHEET, REQUEST_FORM, FieldKind, FieldSpec, FormSpec
from mailflow.domain.formschema import field_help

DAREIC_ADDRESS = T.DAREIC_ADDRESS
LISTS_SHEET = "Listes"
FIXED_TIME = datetime(2026, 1, 1)
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)
_NAVY, _GREY, _INPUT_FILL, _INPUT_BORDER = "1F3864", "595959", "F2F6FC", "8EA9DB"
_FONT = "Arial"  # Liberation Sans / Helvetica elsewhere: the same look as the PDF form
_THIN = Side(style="thin", color=_INPUT_BORDER)
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_TALL = {"project_theme": 90, "address": 32, "other_framework": 32, "remarks": 75, "partner_address": 32}


# ----------------------------------------------------------------------------------------- building


def build_request_form(*, dareic_address: str = DAREIC_ADDRESS) -> bytes:
    """The blank "Demande d'appariement" workbook."""
    wb = Workbook()
    sheet = wb.active
    assert isinstance(sheet, Worksheet)
    sheet.title = "Demande"
    intro = T.request_intro(dareic_address, pdf=False)
    _lists_sheet(wb)
    _form_sheet(wb, sheet, REQUEST_FORM, "Demande d'appariement", intro, T.REQUEST_SECTIONS, bilingual=False)
    _instructions(wb.create_sheet("Instructions", 1), T.request_instructions(dareic_address))
    return _save(wb, REQUEST_FORM.title)


def build_partner_sheet(*, dareic_address: str = DAREIC_ADDRESS) -> bytes:
    """The blank "Fiche partenaire" workbook the embassy returns filled (bilingual labels)."""
    wb = Workbook()
    sheet = wb.active
    assert isinstance(sheet, Worksheet)
    sheet.title = "Fiche partenaire"
    _lists_sheet(wb)
    title = "Fiche partenaire / Partner school form"
    _form_sheet(wb, sheet, PARTNER_SHEET, title, T.PARTNER_INTRO, T.PARTNER_SECTIONS, bilingual=True)
    _instructions(wb.create_sheet("Instructions", 1), T.partner_instructions(dareic_address))
    return _save(wb, PARTNER_SHEET.title)


def build_forms(forms_dir: Path, *, dareic_address: str = DAREIC_ADDRESS) -> list[Path]:
    """Write the request form (.xlsx and .pdf) and the fiche partenaire (.xlsx); returns the paths written."""
    forms_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in (
        (f"{REQUEST_FORM.form_id}.xlsx", build_request_form(dareic_address=dareic_address)),
        (f"{REQUEST_FORM.form_id}.pdf", build_request_pdf(dareic_address=dareic_address)),
        (f"{PARTNER_SHEET.form_id}.xlsx", build_partner_sheet(dareic_address=dareic_address)),
    ):
        path = forms_dir / name
        path.write_bytes(data)
        written.append(path)
    return written


def fill_form(blank: bytes, values: Mapping[str, object]) -> bytes:
    """Write ``values`` (by field key) into the cells named by the workbook's defined names.

    Booleans become "oui"/"non", lists are joined with ", ", None or "" empties the cell. A key with no
    defined name raises KeyError (a typo in a demo or a test must not pass silently).
    """
    wb = load_workbook(io.BytesIO(blank), rich_text=True)
    names = {name.lower(): definition for name, definition in wb.defined_names.items()}
    for key, value in values.items():
        definition = names.get(key.lower())
        if definition is None:
            raise KeyError(f"the workbook has no input named {key!r}")
        title, coordinate = next(iter(definition.destinations))
        wb[title][coordinate.replace("$", "").split(":")[0]].value = _cell_value(value)
    return _save(wb, str(wb.properties.title or ""))


def _cell_value(value: object) -> object:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, str | int | float | date):
        return value
    return str(value)


# ------------------------------------------------------------------------------------------- layout


def _form_sheet(
    wb: Workbook,
    ws: Worksheet,
    spec: FormSpec,
    title: str,
    intro: str,
    sections: Mapping[str, str],
    *,
    bilingual: bool,
) -> None:
    ws.sheet_view.showGridLines = False
    for column, width in (("A", 2), ("B", 44), ("C", 50), ("D", 34)):
        ws.column_dimensions[column].width = width
    ws["B1"] = T.ACADEMY
    ws["B1"].font = Font(name=_FONT, bold=True, size=10, color=_NAVY)
    ws["B2"] = T.DAREIC
    ws["B2"].font = Font(name=_FONT, size=9, color=_GREY)
    ws["B4"] = title
    ws["B4"].font = Font(name=_FONT, bold=True, size=18, color=_NAVY)
    ws.row_dimensions[4].height = 30
    ws.merge_cells("B4:D4")
    ws["B5"] = intro
    ws["B5"].font = Font(name=_FONT, size=10, italic=True, color=_GREY)
    ws["B5"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells("B5:D5")
    ws.row_dimensions[5].height = 45

    row, section = 6, None
    first_input = None
    for field in spec.fields:
        if field.section != section:
            section = field.section
            row += 1
            _section_row(ws, row, sections.get(section, section))
        row += 1
        _field_row(ws, row, field, bilingual=bilingual)
        name = DefinedName(
            field.key, attr_text=f"{quote_sheetname(ws.title)}!{absolute_coordinate(f'C{row}')}"
        )
        wb.defined_names[field.key] = name
        first_input = first_input or f"C{row}"

    row += 2
    ws[f"B{row}"] = T.LEGEND_BILINGUAL if bilingual else T.LEGEND
    ws[f"B{row}"].font = Font(name=_FONT, size=9, italic=True, color=_GREY)
    ws.merge_cells(f"B{row}:D{row}")
    row += 2
    _marker_row(wb, ws, row, spec)

    if first_input:
        ws.sheet_view.selection[0].activeCell = first_input
        ws.sheet_view.selection[0].sqref = first_input
    ws.print_area = f"B1:D{row}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.oddFooter.center.text = f"{spec.title} – version {spec.version} – page &P / &N"
    ws.oddFooter.center.size = 8
    ws.protection.sheet = True
    ws.protection.formatRows = False  # people may still enlarge a row to read a long answer
    ws.protection.formatColumns = False


def _section_row(ws: Worksheet, row: int, text: str) -> None:
    ws[f"B{row}"] = text
    ws.merge_cells(f"B{row}:D{row}")
    for column in "BCD":
        ws[f"{column}{row}"].fill = PatternFill("solid", fgColor=_NAVY)
    ws[f"B{row}"].font = Font(name=_FONT, bold=True, size=11, color="FFFFFF")
    ws[f"B{row}"].alignment = Alignment(vertical="center", indent=1)
    ws.row_dimensions[row].height = 22


def _field_row(ws: Worksheet, row: int, field: FieldSpec, *, bilingual: bool) -> None:
    label = ws[f"B{row}"]
    if bilingual and field.label_en:
        label.value = CellRichText(
            TextBlock(InlineFont(rFont=_FONT, b=True, sz=10), f"{field.label}{T.mark(field)}"),
            TextBlock(InlineFont(rFont=_FONT, i=True, sz=9, color=_GREY), f"\n{field.label_en}"),
        )
    else:
        label.value = f"{field.label}{T.mark(field)}"
    label.font = Font(name=_FONT, bold=True, size=10)
    label.alignment = Alignment(wrap_text=True, vertical="center", indent=1)

    cell = ws[f"C{row}"]
    cell.fill = PatternFill("solid", fgColor=_INPUT_FILL)
    cell.border = _BORDER
    cell.protection = Protection(locked=False)
    tall = field.key in _TALL
    cell.alignment = Alignment(wrap_text=True, vertical="top" if tall else "center", indent=1)
    cell.font = Font(name=_FONT, size=10)
    cell.number_format = {FieldKind.DATE: "DD/MM/YYYY", FieldKind.INTEGER: "0"}.get(field.kind, "@")

    help_text = field_help(field)
    ws[f"D{row}"] = help_text or None
    ws[f"D{row}"].font = Font(name=_FONT, size=9, italic=True, color=_GREY)
    ws[f"D{row}"].alignment = Alignment(wrap_text=True, vertical="center", indent=1)
    ws.row_dimensions[row].height = _TALL.get(field.key, 32 if bilingual or len(help_text) > 48 else 22)
    _validation(ws, cell.coordinate, field, help_text)


def _validation(ws: Worksheet, coordinate: str, field: FieldSpec, help_text: str) -> None:
    title = field.label if len(field.label) <= 32 else field.label[:31] + "…"
    options: dict[str, object] = {
        "allow_blank": True,
        "showInputMessage": bool(help_text),
        "promptTitle": title if help_text else None,
        "prompt": help_text[:255] or None,
        "showErrorMessage": True,
        "errorTitle": title,
    }
    if field.kind in (FieldKind.CHOICE, FieldKind.YESNO):
        choices = field.choices if field.kind is FieldKind.CHOICE else ("oui", "non")
        validation = DataValidation(
            type="list",
            formula1='"' + ",".join(choices) + '"',
            errorStyle="stop",
            error="Choisissez une valeur de la liste : " + ", ".join(choices),
            **options,
        )
    elif field.kind is FieldKind.COUNTRY:
        validation = DataValidation(
            type="list",
            formula1=f"{quote_sheetname(LISTS_SHEET)}!$A$2:$A${len(T.country_names()) + 1}",
            errorStyle="warning",  # "Deutschland" or "Allemagne (Bavière)" are read too
            error="Choisissez de préférence un pays de la liste.",
            **options,
        )
    elif field.kind is FieldKind.INTEGER and field.min_value is not None and field.max_value is not None:
        validation = DataValidation(
            type="whole",
            operator="between",
            formula1=str(field.min_value),
            formula2=str(field.max_value),
            errorStyle="warning",
            error=f"Un nombre entier entre {field.min_value} et {field.max_value} est attendu.",
            **options,
        )
    elif field.kind is FieldKind.DATE:
        validation = DataValidation(
            type="date",
            operator="between",
            formula1="43831",  # 01/01/2020
            formula2="73415",  # 31/12/2100
            errorStyle="warning",
            error="Une date au format jj/mm/aaaa est attendue.",
            **options,
        )
    elif help_text:
        validation = DataValidation(**options)  # a prompt only
    else:
        return
    ws.add_data_validation(validation)
    validation.add(coordinate)


def _marker_row(wb: Workbook, ws: Worksheet, row: int, spec: FormSpec) -> None:
    """The version marker: discreet, locked cells named form_id and form_version."""
    ws[f"B{row}"] = T.MARKER_LABEL
    ws[f"C{row}"] = spec.form_id
    ws[f"D{row}"] = spec.version
    for column in "BCD":
        ws[f"{column}{row}"].font = Font(name=_FONT, size=8, color="A6A6A6")
        ws[f"{column}{row}"].alignment = Alignment(horizontal="left", indent=1)
    for name, column in (("form_id", "C"), ("form_version", "D")):
        target = f"{quote_sheetname(ws.title)}!{absolute_coordinate(f'{column}{row}')}"
        wb.defined_names[name] = DefinedName(name, attr_text=target)


def _lists_sheet(wb: Workbook) -> None:
    """The hidden, protected sheet the country drop-down reads its French names from."""
    ws = wb.create_sheet(LISTS_SHEET)
    ws["A1"] = "Liste des pays"
    ws["A1"].font = Font(name=_FONT, bold=True)
    for row, name in enumerate(T.country_names(), start=2):
        ws.cell(row=row, column=1, value=name)
    ws.column_dimensions["A"].width = 32
    ws.sheet_state = "hidden"
    ws.protection.sheet = True
    wb.security = WorkbookProtection(lockStructure=True)  # the hidden list cannot be shown or deleted


def _instructions(ws: Worksheet, lines: Iterable[tuple[str, str]]) -> None:
    """A text sheet: (style, text) lines, style one of title, heading, text, note."""
    ws.sheet_view.showGridLines = False
    ws.column_dimensions["A"].width = 2
    ws.column_dimensions["B"].width = 100
    fonts = {
        "title": Font(name=_FONT, bold=True, size=16, color=_NAVY),
        "heading": Font(name=_FONT, bold=True, size=11, color=_NAVY),
        "text": Font(name=_FONT, size=10),
        "note": Font(name=_FONT, size=9, italic=True, color=_GREY),
    }
    for row, (style, text) in enumerate(lines, start=1):
        cell = ws.cell(row=row, column=2, value=text or None)
        cell.font = fonts[style]
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[row].height = 26 if style == "title" else max(15, 14 * (len(text) // 115 + 1))
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.protection.sheet = True


# --------------------------------------------------------------------------------------------- saving


def _save(wb: Workbook, title: str) -> bytes:
    """Serialise with fixed properties and zip timestamps, so the same input gives the same bytes."""
    props = wb.properties
    props.creator = props.lastModifiedBy = "mailflow"
    props.created = props.modified = FIXED_TIME
    props.title = title or None
    buffer = io.BytesIO()
    archive = zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(wb, archive).save()  # closes the archive
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        members = sorted(source.infolist(), key=lambda info: info.filename != "[Content_Types].xml")
        for info in members:  # [Content_Types].xml first, as Excel writes it (file-type sniffers look there)
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.create_system = 0
            fixed.external_attr = 0
            target.writestr(fixed, source.read(info))
    return out.getvalue()
