"""Hostile attachments: each gets a French reason, within limits asserted on what was read (never on time)."""

from __future__ import annotations

import io
import zipfile
import zlib

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, StreamObject, TextStringObject

from mailflow.adapters.formbuild import build_request_form, fill_form
from mailflow.adapters.formbuild_pdf import build_request_pdf, fill_pdf
from mailflow.domain.forms import REQUEST_FORM, check_form
from mailflow.domain.message import Attachment
from mailflow.extract import forms as forms_module
from mailflow.extract import pdf as pdf_module
from mailflow.extract.forms import UNEXPECTED, scan_attachments
from mailflow.extract.labellines import MAX_LINES, search_lines
from mailflow.extract.labels import MAX_TEXT_CELLS, search_grids
from mailflow.extract.pdf import CORRUPT_PDF, MAX_PAGES, TOO_LARGE_PDF, TOO_MANY_PAGES, read_pdf
from mailflow.extract.pdffields import MAX_FIELDS, pdf_fields
from mailflow.extract.sheets import MAX_COLS, MAX_ROWS, MAX_SHEETS, calamine_grids, xlsx_grids
from mailflow.extract.xlsx import CORRUPT, ENCRYPTED, MAX_MEMBERS, TOO_LARGE, check_container
from tests.unit.test_label_forms import ods_bytes
from tests.unit.test_pdf_forms import _field, odd_pdf, text_pdf
from tests.unit.test_xlsx_forms import REQUEST_VALUES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def sheet_xml(rows: list[list[str]] | None = None, *, repeat: int = 0, width: int = 1) -> str:
    """A worksheet: ``rows`` of inline strings, then ``repeat`` rows of ``width`` cells of filler."""
    body = []
    for r, row in enumerate(rows or [], start=1):
        cells = "".join(
            f'<c r="{_col(c)}{r}" t="inlineStr"><is><t>{v}</t></is></c>' for c, v in enumerate(row)
        )
        body.append(f'<row r="{r}">{cells}</row>')
    start = len(rows or []) + 1
    for r in range(start, start + repeat):
        cells = "".join(f'<c r="{_col(c)}{r}"><v>{c}</v></c>' for c in range(width))
        body.append(f'<row r="{r}">{cells}</row>')
    return f'<?xml version="1.0"?><worksheet {_NS}><sheetData>{"".join(body)}</sheetData></worksheet>'


def _col(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def raw_xlsx(sheets: list[str], extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal workbook written by hand: fast to make with many sheets or rows."""
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    members = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        f"{overrides}</Types>",
        "_rels/.rels": f'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook {_NS} {_R}><sheets>'
        + "".join(f'<sheet name="S{i}" sheetId="{i}" r:id="rId{i}"/>' for i in range(1, len(sheets) + 1))
        + "</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(
            f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        + "</Relationships>",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
        for i, xml in enumerate(sheets, start=1):
            archive.writestr(f"xl/worksheets/sheet{i}.xml", xml)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


LABELS = [["Nom de l'établissement", "Lycée Kléber"], ["Code UAI", "0670080Y"], ["Commune", "Strasbourg"]]


def scan_reason(name: str, data: bytes, content_type: str = "application/octet-stream") -> str:
    scan = scan_attachments([Attachment(filename=name, content_type=content_type, data=data)])
    assert scan.forms == ()
    ((_, reason),) = scan.unreadable
    return reason


# ---------------------------------------------------------------------------------- big workbooks


def test_label_search_reads_a_bounded_corner_when_sheet_has_100k_rows() -> None:
    data = raw_xlsx([sheet_xml(LABELS, repeat=100_000, width=1), sheet_xml([["x"] * 60])])
    grids = xlsx_grids(data)
    assert grids.truncated and grids.sheet_count == 2
    assert [len(sheet) for sheet in grids.sheets] == [MAX_ROWS, 1]
    assert max(len(row) for sheet in grids.sheets for row in sheet) == MAX_COLS
    assert grids.cells_read <= MAX_SHEETS * MAX_ROWS * MAX_COLS
    assert search_grids(grids.sheets, "demande-appariement").values["school_name"] == "Lycée Kléber"


def test_label_search_reads_twenty_sheets_when_workbook_has_hundreds() -> None:
    data = raw_xlsx([sheet_xml([["vide"]]) for _ in range(300)] + [sheet_xml(LABELS)])
    grids = xlsx_grids(data)
    assert (grids.sheet_count, len(grids.sheets), grids.truncated) == (301, MAX_SHEETS, True)
    assert scan_attachments([Attachment(filename="big.xlsx", content_type=XLSX, data=data)]).forms == ()


def test_letter_with_a_few_one_word_labels_is_not_a_form_when_scanned() -> None:
    letter = ["Date : 10 November 2011", "Tel : 0300 1234504", "Email : tribunal@example.org", "Country : UK"]
    pdf = Attachment(filename="lettre.pdf", content_type="application/pdf", data=text_pdf(letter))
    assert scan_attachments([pdf]).forms == ()


def test_label_search_stops_in_a_sheet_when_it_is_a_table_of_text() -> None:
    noise = [[f"élève {r}-{c}" for c in range(MAX_COLS)] for r in range(MAX_TEXT_CELLS // MAX_COLS + 1)]
    late = [*noise, *LABELS]  # the labels come after more text cells than are looked at in one sheet
    assert search_grids([late], "demande-appariement").values == {}
    assert search_grids([late, LABELS], "demande-appariement").values["uai"] == "0670080Y"


def test_line_search_looks_at_a_bounded_number_of_lines_when_text_is_long() -> None:
    lines = [f"Ligne de texte numéro {i}" for i in range(MAX_LINES)] + ["Code UAI : 0670080Y"]
    assert search_lines(lines, "demande-appariement").values == {}
    assert search_lines(lines[-3:], "demande-appariement").values == {"uai": "0670080Y"}


def test_workbook_is_refused_before_opening_when_it_has_too_many_parts() -> None:
    data = raw_xlsx([sheet_xml([["x"]]) for _ in range(MAX_MEMBERS)])
    assert scan_reason("mille.xlsx", data) == TOO_LARGE


def test_ods_label_search_is_bounded_when_sheet_is_long() -> None:
    data = ods_bytes({"Feuille": [*LABELS, *([["ligne", i] for i in range(5_000)])]})
    grids = calamine_grids(data)
    assert [len(sheet) for sheet in grids.sheets] == [MAX_ROWS] and grids.truncated


# --------------------------------------------------------------------------------------- zip bombs


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "members",
    [
        {"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"\0" * 60_000_000},  # declared size
        {"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b" " * 5_000_000},  # ratio > 200
        {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b" " * 5_000_000},
    ],
    ids=["size", "ratio", "ods-ratio"],
)
def test_zip_bomb_is_refused_before_any_parser_runs_when_it_inflates_too_much(
    members: dict[str, bytes],
) -> None:
    data = zip_of(members)
    assert len(data) < 200_000
    assert scan_reason("demande.xlsx", data) == TOO_LARGE


def test_declared_sizes_are_what_is_checked_when_a_member_lies() -> None:
    data = bytearray(zip_of({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"a" * 1000}))
    with pytest.raises(Exception):  # noqa: B017 - a lying header is still refused, whatever the reason
        check_container(bytes(data[:-30]))


# -------------------------------------------------------------------------------- encrypted, macros


def test_encrypted_workbook_gets_the_password_message_when_it_is_an_ole_container() -> None:
    encrypted = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500 + "EncryptedPackage".encode("utf-16-le")
    reason = scan_reason("demande.xlsx", encrypted, XLSX)
    assert reason == ENCRYPTED and reason.startswith("Le classeur est protégé par un mot de passe")


def test_encrypted_ods_gets_the_password_message_when_its_manifest_says_so() -> None:
    manifest = b"<manifest:manifest><manifest:file-entry><manifest:encryption-data/></manifest:file-entry></manifest:manifest>"
    data = zip_of(
        {
            "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
            "META-INF/manifest.xml": manifest,
            "content.xml": b"x",
        }
    )
    assert scan_reason("demande.ods", data) == ENCRYPTED


def test_macro_workbook_is_read_as_data_when_it_carries_a_vba_project() -> None:
    filled = fill_form(build_request_form(), REQUEST_VALUES)
    with zipfile.ZipFile(io.BytesIO(filled)) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    members["xl/vbaProject.bin"] = b'\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 Sub AutoOpen(): Shell "calc" End Sub'
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    scan = scan_attachments(
        [
            Attachment(
                filename="demande.xlsm",
                content_type="application/vnd.ms-excel.sheet.macroEnabled.12",
                data=zip_of(members),
            )
        ]
    )
    (found,) = scan.forms
    assert found.source == "defined_names" and check_form(REQUEST_FORM, found.raw.cells).ok


# ------------------------------------------------------------------------------------- corrupted


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("demande.xlsx", fill_form(build_request_form(), REQUEST_VALUES)[:5_000], CORRUPT),
        ("demande.ods", b"PK\x03\x04" + b"\x00" * 100, CORRUPT),
        ("demande.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\xff" * 600, CORRUPT),
        ("demande.xlsx", zip_of({"word/document.xml": b"<w/>"}), CORRUPT),
        ("demande.pdf", build_request_pdf()[:3_000], CORRUPT_PDF),
        ("demande.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 40, CORRUPT_PDF),
    ],
    ids=["truncated-xlsx", "broken-ods", "broken-xls", "docx-renamed", "truncated-pdf", "garbage-pdf"],
)
def test_corrupted_file_gets_a_french_reason_when_it_cannot_be_parsed(
    name: str, data: bytes, reason: str
) -> None:
    assert scan_reason(name, data) == reason


def test_scan_reports_a_bug_in_a_parser_as_unreadable_when_a_library_raises(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(data: bytes) -> None:
        raise RecursionError("deep")

    monkeypatch.setattr(forms_module, "read_pdf", broken)
    assert scan_reason("demande.pdf", b"%PDF-1.4\n") == UNEXPECTED


# -------------------------------------------------------------------------------------- big PDFs


def test_pdf_with_too_many_pages_is_read_only_so_far_when_no_form_is_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pages_read: list[int] = []
    original = pdf_module.page_lines
    monkeypatch.setattr(pdf_module, "page_lines", lambda page: pages_read.append(1) or original(page))
    reason = scan_reason("dossier.pdf", text_pdf(["Annexe du projet pédagogique"], pages=MAX_PAGES + 15))
    assert reason == TOO_MANY_PAGES.format(pages=MAX_PAGES + 15, limit=MAX_PAGES)
    assert len(pages_read) == MAX_PAGES


def test_pdf_form_is_found_when_a_long_document_starts_with_it() -> None:
    lines = ["Nom de l'établissement : Lycée Kléber", "Code UAI : 0670080Y", "Code postal : 67082"]
    raw = read_pdf(text_pdf(lines, pages=MAX_PAGES + 5))
    assert raw is not None
    assert raw.cells == {"school_name": "Lycée Kléber", "uai": "0670080Y", "postal_code": "67082"}


def test_pdf_stream_bomb_is_stopped_when_a_page_inflates_beyond_the_limit() -> None:
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    font = {NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1")}
    font[NameObject("/BaseFont")] = NameObject("/Helvetica")
    fonts = DictionaryObject({NameObject("/F1"): writer._add_object(DictionaryObject(font))})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
    stream = StreamObject()
    stream._data = zlib.compress(b"BT /F1 12 Tf 72 700 Td (x) Tj ET\n" + b" " * 40_000_000, 9)
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    page[NameObject("/Contents")] = writer._add_object(stream)
    buffer = io.BytesIO()
    writer.write(buffer)
    assert len(buffer.getvalue()) < 100_000
    assert scan_reason("bombe.pdf", buffer.getvalue()) == TOO_LARGE_PDF


def test_pdf_field_walk_is_bounded_when_the_form_has_thousands_of_fields() -> None:
    data = odd_pdf([_field(f"champ{i}", "/Tx", V=TextStringObject("x")) for i in range(MAX_FIELDS + 500)])
    assert len(pdf_fields(PdfReader(io.BytesIO(data)))) == MAX_FIELDS
    assert read_pdf(data) is None


def test_pdf_field_tree_with_a_cycle_is_walked_once_when_kids_point_back() -> None:
    parent = _field("school_name", "/Tx", V=TextStringObject("Lycée Kléber"))
    data = odd_pdf([parent])
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    field = writer._root_object["/AcroForm"]["/Fields"][0].get_object()
    loop = DictionaryObject(
        {NameObject("/T"): TextStringObject("loop"), NameObject("/Parent"): field.indirect_reference}
    )
    loop_ref = writer._add_object(loop)
    loop[NameObject("/Kids")] = writer._root_object["/AcroForm"]["/Fields"]  # points back up the tree
    field[NameObject("/Kids")] = type(writer._root_object["/AcroForm"]["/Fields"])([loop_ref])
    buffer = io.BytesIO()
    writer.write(buffer)
    assert len(pdf_fields(PdfReader(io.BytesIO(buffer.getvalue())))) <= MAX_FIELDS


def test_filled_pdf_still_reads_when_it_is_also_huge_in_pages() -> None:
    reader = PdfReader(io.BytesIO(fill_pdf(build_request_pdf(), REQUEST_VALUES)))
    writer = PdfWriter(clone_from=reader)
    for _ in range(40):
        writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    raw = read_pdf(buffer.getvalue())
    assert raw is not None and raw.source == "acroform" and check_form(REQUEST_FORM, raw.cells).ok
