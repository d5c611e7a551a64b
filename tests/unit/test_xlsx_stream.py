"""The streamed .xlsx writer read back with openpyxl: typed cells, header and layout, hostile and French
text, formulas never created, empty sheets, and a package whose every part is well-formed XML."""

from __future__ import annotations

import zipfile
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from mailflow.adapters import xlsx_stream
from mailflow.adapters.xlsx_stream import Highlight, column_letter, sheet_bytes, write_sheet, xml_text

HEADERS = ["Référence", "Nombre", "Date", "Texte"]
HOSTILE = "=cmd|' /C calc'!A0 <b>&amp;</b> \"q\" \x00\x01\x07\x08\x0b\x0c\x1b\x1f\ufffe\ud800 fin"
HOSTILE_READ = "=cmd|' /C calc'!A0 <b>&amp;</b> \"q\"  fin"  # the characters XML 1.0 cannot carry are gone
FRENCH = "Élève de 1ʳᵉ, cœur « ouvert »\u00a0: ça marche — déjà ! 😀"


def sheet(data: bytes, title: str = "Dossiers") -> Worksheet:
    return load_workbook(BytesIO(data))[title]


def values(ws: Worksheet) -> list[list[object]]:
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_cells_are_typed_and_the_header_is_styled_frozen_and_filtered_when_read_back():
    rows = [
        ["APP-2027-0001", 24, date(2027, 3, 15), "collège"],
        ["APP-2027-0002", 2.5, datetime(2027, 3, 15, 8, 30), None],
        ["APP-2027-0003", True, Highlight(date(2027, 1, 2)), ""],
    ]
    ws = sheet(sheet_bytes("Dossiers", HEADERS, rows, widths=[16, 9]))
    assert values(ws) == [
        HEADERS,
        ["APP-2027-0001", 24, datetime(2027, 3, 15), "collège"],
        ["APP-2027-0002", 2.5, datetime(2027, 3, 15, 8, 30), None],
        ["APP-2027-0003", True, datetime(2027, 1, 2), None],
    ]
    assert ws.max_row == 4 and ws.freeze_panes == "B2" and ws.auto_filter.ref == "A1:D4"
    header = ws["A1"]
    assert header.font.b and header.font.color.rgb == "FFFFFFFF" and header.fill.fgColor.rgb == "FF000091"
    assert ws["C2"].is_date and ws["C2"].number_format == "dd/mm/yyyy"
    assert ws["C3"].number_format == "dd/mm/yyyy hh:mm"
    late = ws["C4"]
    assert late.is_date and late.font.b and late.fill.fgColor.rgb == "FFF8D7DA"
    assert not ws["C2"].font.b and ws["C2"].fill.fgColor.rgb != "FFF8D7DA"
    assert [ws.column_dimensions[k].width for k in "ABCD"] == [16.7109375, 9.7109375, 20.7109375, 20.7109375]


def test_hostile_text_stays_text_without_formulas_nor_broken_xml_when_it_comes_from_outside():
    attacks = [HOSTILE, "+33 3 88 14 33 00", "-2+3", "@SUM(A1:A9)", "=1+1", '=HYPERLINK("http://x")']
    data = sheet_bytes("Dossiers", ["A", "B", "C", "D", "E", "F"], [attacks])
    ws = sheet(data)
    assert values(ws)[1] == [HOSTILE_READ, *attacks[1:]]
    assert all(cell.data_type == "s" for cell in ws[2])
    with zipfile.ZipFile(BytesIO(data)) as package:
        xml = package.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in xml and b"<f " not in xml and b"&lt;b&gt;&amp;amp;&lt;/b&gt;" in xml


def test_french_and_non_ascii_text_round_trips_when_written_and_read_back():
    title = "Échéances : été/hiver [2027]"  # characters a sheet name cannot hold become spaces
    data = sheet_bytes(title, ["Établissement", "Ville"], [[FRENCH, "Sélestat"]])
    wb = load_workbook(BytesIO(data))
    assert wb.sheetnames == ["Échéances   été hiver  2027"]
    assert values(wb.active) == [["Établissement", "Ville"], [FRENCH, "Sélestat"]]


def test_whitespace_and_newlines_are_kept_when_text_has_them():
    texts = ["  indenté", "fin  ", "ligne 1\nligne 2", "\tonglet", "   "]
    ws = sheet(sheet_bytes("Dossiers", list("ABCDE"), [texts]))
    assert values(ws)[1] == texts


def test_literal_excel_escapes_are_protected_when_text_contains_them():
    """Excel decodes _xHHHH_ in cell text; a literal one is written _x005F_xHHHH_ (LibreOffice agrees)."""
    assert xml_text("a_x0041_b _xZZ_") == "a_x005F_x0041_b _xZZ_"
    assert xml_text("a & b < c > d") == "a &amp; b &lt; c &gt; d"
    assert xml_text("Lycée\u00a0\x01") == "Lycée\u00a0"


def test_values_excel_cannot_hold_become_clear_text_when_written():
    rows = [[10**20, date(1899, 12, 1), datetime(1800, 1, 1, 12, 0), float("nan"), b"bytes", -(10**15) + 1]]
    ws = sheet(sheet_bytes("Dossiers", list("ABCDEF"), rows))
    assert values(ws)[1] == ["100000000000000000000", "1899-12-01", "1800-01-01 12:00:00", "nan", "b'bytes'",
                             -(10**15) + 1]  # fmt: skip


def test_text_is_cut_to_what_a_cell_holds_when_a_form_answer_is_huge():
    long, astral = "é" * 40_000, "😀" * 20_000  # 40,000 UTF-16 code units each
    ws = sheet(sheet_bytes("Dossiers", ["A", "B", "C"], [[long, astral, "court"]]))
    first, second, third = values(ws)[1]
    assert first == "é" * 32_766 + "…" and third == "court"
    assert second.endswith("😀…") and len(second.encode("utf-16-le")) // 2 <= 32_767


def test_rows_beyond_the_sheet_limit_are_refused_when_there_are_too_many(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(xlsx_stream, "_MAX_ROWS", 3)
    sheet_bytes("Dossiers", ["A"], [[1], [2]])
    with pytest.raises(ValueError, match="rows"):
        sheet_bytes("Dossiers", ["A"], [[1], [2], [3]])


def test_an_aware_datetime_is_refused_when_given_instead_of_local_wall_time():
    with pytest.raises(ValueError, match="aware"):
        sheet_bytes("Dossiers", ["A"], [[datetime(2027, 3, 15, tzinfo=UTC)]])


def test_an_empty_sheet_is_still_a_valid_workbook_when_there_are_no_rows():
    ws = sheet(sheet_bytes("Dossiers", HEADERS, []))
    assert values(ws) == [HEADERS] and ws.max_row == 1 and ws.auto_filter.ref == "A1:D1"
    bare = load_workbook(BytesIO(sheet_bytes("", [], [])))
    assert bare.sheetnames == ["Feuille 1"]


def test_every_part_is_well_formed_and_the_bytes_are_reproducible_when_written_twice():
    rows = [[f"APP-2027-{n:04d}", n, date(2027, 1, 1 + n % 28), HOSTILE] for n in range(1, 1200)]
    data = sheet_bytes("Dossiers", HEADERS, iter(rows))
    assert data == sheet_bytes("Dossiers", HEADERS, rows)
    with zipfile.ZipFile(BytesIO(data)) as package:
        names = package.namelist()
        assert names[0] == "[Content_Types].xml" and "xl/worksheets/sheet1.xml" in names
        for name in names:
            ElementTree.fromstring(package.read(name))
        workbook = package.read("xl/workbook.xml").decode()
    assert "'Dossiers'!$A$1:$D$1200" in workbook  # the filter's hidden name covers the whole table
    assert sheet(data).max_row == 1200


def test_rows_stream_to_a_file_and_a_longer_row_widens_the_filter_when_given_more_cells(tmp_path: Path):
    target = tmp_path / "out.xlsx"
    with target.open("wb") as stream:
        count = write_sheet(stream, "Dossiers", ["A", "B"], ([n, n, n] for n in range(3)))
    ws = sheet(target.read_bytes())
    assert count == 3 and ws.auto_filter.ref == "A1:C4" and ws["C4"].value == 2


def test_column_letters_follow_excel_when_past_z():
    assert [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702, 16383)] == [
        "A", "Z", "AA", "AZ", "BA", "ZZ", "AAA", "XFD",
    ]  # fmt: skip
