"""The generated xlsx forms: build, fill, read back by defined names; refusing bad files; scanning mail."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.workbook.defined_name import DefinedName

from mailflow.adapters.formbuild import build_forms, build_partner_sheet, build_request_form, fill_form
from mailflow.domain.errors import UnreadableForm
from mailflow.domain.forms import PARTNER_SHEET, REQUEST_FORM, FormSpec, check_form
from mailflow.domain.message import Attachment
from mailflow.extract.forms import scan_attachments
from mailflow.extract.pdf import CORRUPT_PDF
from mailflow.extract.xlsx import CORRUPT, ENCRYPTED, TOO_LARGE, check_container, read_xlsx

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

REQUEST_VALUES: dict[str, object] = {
    "school_name": "Lycée Kléber",
    "uai": "0670080y",
    "school_type": "lycée général et technologique",
    "school_status": "public",
    "address": "25 place de Bordeaux",
    "postal_code": "67082",
    "city": "Strasbourg",
    "school_email": "ce.0670080Y@ac-strasbourg.fr",
    "phone": "03.88.14.33.00",
    "head_name": "Mme Claire Martin",
    "teacher_name": "M. Paul Weber",
    "teacher_email": "paul.weber@ac-strasbourg.fr",
    "languages_taught": ("allemand", "anglais"),
    "target_country": "Allemagne",
    "partner_school_type": "Gymnasium",
    "pupils_level": "Seconde",
    "pupils_count": 24,
    "project_theme": "Le Rhin, frontière et trait d'union",
    "mobility_type": "physique",
    "mobility_period": "mars 2027",
    "existing_partner": False,
    "etwinning_registered": True,
    "signed_on": date(2026, 11, 12),
    "signatory": "Claire Martin, proviseure",
}


def _variant(**changes: object) -> dict[str, object]:
    values = dict(REQUEST_VALUES)
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


# Many different fillings of the request form: the readers must give back exactly what check_form makes
# of the values themselves (same normalised values, same problems), whatever the file format.
VALUE_SETS: dict[str, dict[str, object]] = {
    "kleber": _variant(),
    "college-virtual-spain": _variant(
        school_name="Collège Jean-Jacques Waltz",
        uai=" 0680066 c ",
        school_type="Collège",
        school_status="privé sous contrat",
        target_country="Espagne",
        mobility_type="virtuelle",
        mobility_period=None,
        pupils_count="28 élèves",
        signed_on="12 novembre 2026",
        phone="+33 3 89 12 34 56",
        languages_taught="anglais; espagnol",
        postal_code=68000,
        city="Colmar",
    ),
    "partner-known-germany": _variant(
        existing_partner=True,
        partner_name="Goethe-Gymnasium",
        partner_city="Freiburg im Breisgau",
        partner_email="sekretariat@goethe-gymnasium.de",
        partner_head_name="Dr. Andrea Vogel",
        target_country="Deutschland",
        mobility_type="virtuelle et physique",
        mobility_period="du 3 au 10 mars 2027",
        etwinning_registered=True,
        erasmus_accreditation=True,
        etwinning_school_label=False,
        other_framework="OFAJ, accord bilatéral…",
        teacher_subject="Allemand",
    ),
    "ecole-scotland": _variant(
        school_name="École élémentaire du Neuhof",
        uai="0671236E",
        school_type="École",
        target_country="Royaume-Uni",
        target_region="Écosse",
        languages_taught=("anglais",),
        pupils_count="12",
        signed_on="2026-11-12",
        phone="0388123456",
        mobility_type="virtuelle",
        mobility_period=None,
        partner_school_type="Primary school",
    ),
    "lp-italy-multiline": _variant(
        school_name="Lycée professionnel d’Altkirch",
        uai="0670384D",
        school_type="LP",
        target_country="IT",
        pupils_count=500,
        signed_on=date(2027, 1, 1),
        project_theme="Objectifs :\n- découvrir la gastronomie\n- pratiquer l'italien « en situation »",
        address="3 rue de l'Œuvre Notre-Dame\nBP 40021",
        working_languages="italien, français",
    ),
    "erea-austria-hybrid": _variant(
        school_name="EREA Jean Monnet",
        uai="0672134F",
        school_type="EREA",
        target_country="Autriche",
        mobility_type="hybride",
        mobility_period="printemps 2027",
        school_status="Publique",
    ),
    "poland-unicode": _variant(
        target_country="Pologne",
        existing_partner="Oui",
        partner_name="Liceum Ogólnokształcące nr 1",
        partner_city="Łódź",
        partner_email="sekretariat@lo1.lodz.pl",
        partner_head_name="Paweł Wiśniewski",
        head_name="Mme Œnone Straßburger",
        signatory="Œnone Straßburger, proviseure",
    ),
    "minimal-virtual": _variant(
        mobility_type="virtuel",
        mobility_period=None,
        etwinning_registered=None,
        target_country="be",
        languages_taught="allemand et anglais",
        head_name="M. Luc Bauer",
    ),
    "invalid-values": _variant(
        uai="0740003A",
        school_email="pas-un-courriel",
        pupils_count=0,
        postal_code="6700",
        target_country="Atlantide",
        signed_on="bientôt",
        mobility_type="en bateau",
    ),
    "missing-required": _variant(
        school_name=None, uai=None, phone=None, existing_partner=None, signatory=None
    ),
}
PARTNER_VALUES: dict[str, object] = {
    "partner_name": "Goethe-Gymnasium Freiburg",
    "partner_school_type": "Gymnasium",
    "partner_city": "Freiburg im Breisgau",
    "partner_country": "Deutschland",
    "partner_head_name": "Dr. Andrea Vogel",
    "partner_email": "sekretariat@goethe-gymnasium.de",
    "partner_languages": "Französisch, Englisch",
    "guarantees_checked": "oui",
}


@pytest.fixture(scope="module")
def blank_request() -> bytes:
    return build_request_form()


@pytest.fixture(scope="module")
def blank_partner() -> bytes:
    return build_partner_sheet()


def plain_workbook(**names: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"], ws["B1"] = "Nom", "Lycée Kléber"
    for name, target in names.items():
        wb.defined_names[name] = DefinedName(name, attr_text=target)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# ------------------------------------------------------------------------------ build, fill, read


def test_filled_request_form_reads_back_ok_when_filled_with_fill_form(blank_request: bytes) -> None:
    raw = read_xlsx(fill_form(blank_request, REQUEST_VALUES))
    assert raw is not None
    assert (raw.form_id, raw.version, raw.source) == ("demande-appariement", "2026.1", "defined_names")
    assert set(raw.cells) == set(REQUEST_FORM.keys)
    check = check_form(REQUEST_FORM, raw.cells)
    assert check.ok, check.problems
    assert check.values["uai"] == "0670080Y"
    assert check.values["signed_on"] == date(2026, 11, 12)
    assert check.values["pupils_count"] == 24
    assert check.values["existing_partner"] is False
    assert check.values["languages_taught"] == ("allemand", "anglais")
    assert check.values["target_country"] == "DE"


@pytest.mark.parametrize("name", VALUE_SETS)
def test_filled_request_form_reads_back_the_same_values_when_filled_in_many_ways(
    blank_request: bytes, name: str
) -> None:
    values = VALUE_SETS[name]
    scan = scan_attachments(
        [Attachment(filename=f"{name}.xlsx", content_type=XLSX_TYPE, data=fill_form(blank_request, values))]
    )
    (found,) = scan.forms
    assert (found.spec_id, found.source) == ("demande-appariement", "defined_names")
    read, expected = check_form(REQUEST_FORM, found.raw.cells), check_form(REQUEST_FORM, values)
    assert read.values == expected.values
    assert [(p.field, p.code) for p in read.problems] == [(p.field, p.code) for p in expected.problems]
    assert read.ok is not name.startswith(("invalid", "missing"))


def test_filled_partner_sheet_reads_back_ok_when_filled_with_fill_form(blank_partner: bytes) -> None:
    raw = read_xlsx(fill_form(blank_partner, PARTNER_VALUES))
    assert raw is not None
    assert (raw.form_id, raw.version) == ("fiche-partenaire", "2026.1")
    check = check_form(PARTNER_SHEET, raw.cells)
    assert check.ok, check.problems
    assert check.values["partner_country"] == "DE"
    assert check.values["guarantees_checked"] is True


def test_blank_form_gives_missing_problems_when_read_unfilled(blank_request: bytes) -> None:
    raw = read_xlsx(blank_request)
    assert raw is not None
    assert all(value is None for value in raw.cells.values())
    check = check_form(REQUEST_FORM, raw.cells)
    assert {p.code for p in check.problems} == {"missing"}


def test_fill_form_raises_when_key_has_no_cell(blank_request: bytes) -> None:
    with pytest.raises(KeyError):
        fill_form(blank_request, {"not_a_field": "x"})


def test_fill_form_empties_cell_when_value_is_none(blank_request: bytes) -> None:
    filled = fill_form(blank_request, {"school_name": "Lycée Kléber"})
    raw = read_xlsx(fill_form(filled, {"school_name": None}))
    assert raw is not None and raw.cells["school_name"] is None


def test_build_is_deterministic_when_run_twice() -> None:
    assert build_request_form() == build_request_form()
    assert build_partner_sheet() == build_partner_sheet()
    assert fill_form(build_partner_sheet(), PARTNER_VALUES) == fill_form(
        build_partner_sheet(), PARTNER_VALUES
    )


@pytest.mark.parametrize("spec", [REQUEST_FORM, PARTNER_SHEET], ids=lambda s: s.form_id)
def test_build_forms_writes_one_name_per_field_when_run(tmp_path: Path, spec: FormSpec) -> None:
    paths = build_forms(tmp_path / "forms")
    assert [p.name for p in paths] == [
        "demande-appariement.xlsx",
        "demande-appariement.pdf",
        "fiche-partenaire.xlsx",
    ]
    wb = load_workbook(tmp_path / "forms" / f"{spec.form_id}.xlsx")
    names = set(wb.defined_names)
    assert names - {"form_id", "form_version"} == set(spec.keys)
    assert len(names) - 2 == len(spec.fields)
    assert "Instructions" in wb.sheetnames
    sheet = wb.worksheets[0]
    assert sheet.protection.sheet
    for key in spec.keys:
        ((title, coordinate),) = wb.defined_names[key].destinations
        assert title == sheet.title
        cell = sheet[coordinate.replace("$", "")]
        assert cell.protection.locked is False, key
    assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4)
    assert sheet.page_setup.fitToWidth == 1
    assert wb.properties.creator == "mailflow"


def test_request_form_has_drop_downs_when_choice_or_yesno(blank_request: bytes) -> None:
    wb = load_workbook(io.BytesIO(blank_request))
    sheet = wb["Demande"]
    lists = {str(dv.sqref): dv.formula1 for dv in sheet.data_validations.dataValidation if dv.type == "list"}
    cells = {key: wb.defined_names[key].attr_text.split("!")[1].replace("$", "") for key in REQUEST_FORM.keys}
    assert lists[cells["mobility_type"]] == '"virtuelle,physique,virtuelle et physique"'
    assert lists[cells["existing_partner"]] == '"oui,non"'
    assert cells["school_type"] in lists and cells["school_status"] in lists
    assert "ce.dareic@ac-strasbourg.fr" in " ".join(str(c.value) for c in wb["Instructions"]["B"])


# ------------------------------------------------------------------------------------ other books


def test_read_returns_none_when_workbook_has_no_defined_names() -> None:
    assert read_xlsx(plain_workbook()) is None


def test_read_returns_none_when_names_are_not_ours() -> None:
    assert read_xlsx(plain_workbook(Budget="'Sheet'!$B$1")) is None


def test_read_finds_fields_when_names_differ_in_case_or_are_constants() -> None:
    raw = read_xlsx(plain_workbook(School_Name="'Sheet'!$B$1", form_id='"demande-appariement"'))
    assert raw is not None
    assert raw.form_id == "demande-appariement"
    assert raw.version is None
    assert raw.cells == {"school_name": "Lycée Kléber"}


def test_read_finds_fields_when_names_are_local_to_a_sheet() -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws["C3"] = "0670080Y"
    ws.defined_names["uai"] = DefinedName("uai", attr_text="'Sheet'!$C$3")
    buffer = io.BytesIO()
    wb.save(buffer)
    raw = read_xlsx(buffer.getvalue())
    assert raw is not None and raw.cells == {"uai": "0670080Y"}


def test_read_ignores_names_when_they_point_nowhere() -> None:
    raw = read_xlsx(plain_workbook(uai="#REF!", city="'Gone'!$A$1", school_name="'Sheet'!$B$1"))
    assert raw is not None
    assert raw.cells == {"city": None, "school_name": "Lycée Kléber"}


# ---------------------------------------------------------------------------------- refused files


@pytest.mark.parametrize(
    "data",
    [b"", b"not a workbook at all", b"PK\x03\x04garbage", zip_bytes({"hello.txt": b"hi"})],
    ids=["empty", "text", "broken-zip", "zip-not-excel"],
)
def test_read_refuses_with_french_reason_when_file_is_corrupt(data: bytes) -> None:
    with pytest.raises(UnreadableForm) as error:
        read_xlsx(data)
    assert str(error.value) == CORRUPT


def test_read_refuses_when_file_is_truncated(blank_request: bytes) -> None:
    with pytest.raises(UnreadableForm):
        read_xlsx(blank_request[: len(blank_request) // 2])


def test_read_refuses_before_opening_when_uncompressed_size_is_huge() -> None:
    bomb = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": b"\0" * 60_000_000})
    assert len(bomb) < 200_000
    with pytest.raises(UnreadableForm) as error:
        read_xlsx(bomb)
    assert str(error.value) == TOO_LARGE


def test_read_refuses_when_declared_size_exceeds_the_given_limit(blank_request: bytes) -> None:
    with pytest.raises(UnreadableForm) as error:
        read_xlsx(blank_request, max_uncompressed=1_000)
    assert str(error.value) == TOO_LARGE


def test_read_refuses_when_zip_has_too_many_members() -> None:
    with pytest.raises(UnreadableForm) as error:
        read_xlsx(zip_bytes({f"x/{i}.xml": b"" for i in range(1_500)}))
    assert str(error.value) == TOO_LARGE


def test_read_refuses_when_workbook_is_password_protected() -> None:
    encrypted = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500 + "EncryptedPackage".encode("utf-16-le")
    with pytest.raises(UnreadableForm) as error:
        read_xlsx(encrypted)
    assert str(error.value) == ENCRYPTED
    assert "mot de passe" in ENCRYPTED


def test_read_leaves_legacy_xls_to_the_label_search_when_file_is_ole() -> None:
    legacy = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500
    assert check_container(legacy) == "xls"
    assert read_xlsx(legacy) is None


# ------------------------------------------------------------------------------------- scanning


def test_scan_picks_the_form_when_among_other_attachments(blank_request: bytes) -> None:
    filled = fill_form(blank_request, REQUEST_VALUES)
    attachments = [
        Attachment(filename="logo.png", content_type="image/png", data=b"\x89PNG\r\n"),
        Attachment(filename="budget.xlsx", content_type=XLSX_TYPE, data=plain_workbook()),
        Attachment(filename="demande appariement.xlsx", content_type=XLSX_TYPE, data=filled),
        Attachment(filename="lettre.pdf", content_type="application/pdf", data=b"%PDF-1.4\n"),
        Attachment(filename="notes.txt", content_type="text/plain", data=b"hello"),
    ]
    scan = scan_attachments(attachments)
    assert [(f.attachment_name, f.spec_id) for f in scan.forms] == [
        ("demande appariement.xlsx", "demande-appariement")
    ]
    assert scan.forms[0].raw.cells["school_name"] == "Lycée Kléber"
    assert scan.unreadable == (("lettre.pdf", CORRUPT_PDF),)
    assert (
        scan.forms[0].source == "defined_names" and scan.forms[0].display_name == "demande appariement.xlsx"
    )


def test_scan_reports_reason_when_spreadsheet_is_broken_or_old() -> None:
    attachments = [
        Attachment(filename="demande.xlsx", content_type=XLSX_TYPE, data=b"PK\x03\x04broken"),
        Attachment(filename="demande.xls", content_type="application/vnd.ms-excel", data=b"\xd0\xcf\x11\xe0"),
        Attachment(filename="demande.ods", content_type="application/octet-stream", data=b"PK"),
    ]
    scan = scan_attachments(attachments)
    assert scan.forms == ()
    assert scan.unreadable == (("demande.xlsx", CORRUPT), ("demande.xls", CORRUPT), ("demande.ods", CORRUPT))


def test_scan_reads_form_when_named_xlsm_or_only_typed_by_content(blank_partner: bytes) -> None:
    filled = fill_form(blank_partner, PARTNER_VALUES)
    attachments = [
        Attachment(filename="fiche.xlsm", content_type="application/octet-stream", data=filled),
        Attachment(filename="fiche", content_type="application/octet-stream", data=filled),
        Attachment(filename="ATT00001", content_type=XLSX_TYPE, data=filled),
    ]
    scan = scan_attachments(attachments)
    assert [f.spec_id for f in scan.forms] == ["fiche-partenaire"] * 3
    assert scan.unreadable == ()


def test_scan_guesses_form_when_version_marker_is_missing() -> None:
    partner = plain_workbook(partner_country="'Sheet'!$B$1", guarantees_checked="'Sheet'!$A$1")
    request = plain_workbook(uai="'Sheet'!$B$1", partner_name="'Sheet'!$A$1")
    scan = scan_attachments(
        [
            Attachment(filename="a.xlsx", content_type=XLSX_TYPE, data=partner),
            Attachment(filename="b.xlsx", content_type=XLSX_TYPE, data=request),
        ]
    )
    assert [f.spec_id for f in scan.forms] == ["fiche-partenaire", "demande-appariement"]


def test_scan_is_empty_when_no_attachments() -> None:
    scan = scan_attachments([])
    assert scan.forms == () and scan.unreadable == ()
