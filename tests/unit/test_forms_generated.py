"""The committed blank forms are exactly what the schema generates, and they have the promised structure."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from mailflow.adapters.formbuild import build_forms, build_partner_sheet, build_request_form
from mailflow.adapters.formbuild_pdf import build_request_pdf
from mailflow.adapters.formtext import country_names
from mailflow.domain.countries import COUNTRIES, fold
from mailflow.domain.forms import PARTNER_SHEET, REQUEST_FORM, FieldKind

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ["demande-appariement.xlsx", "demande-appariement.pdf", "fiche-partenaire.xlsx"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("forms")
    assert [p.name for p in build_forms(target)] == GENERATED
    return target


@pytest.mark.parametrize("name", GENERATED)
def test_committed_form_is_byte_for_byte_what_the_schema_generates(built: Path, name: str) -> None:
    committed = ROOT / "forms" / name
    assert committed.exists(), f"forms/{name} is missing: run `mailflow forms build`"
    assert committed.read_bytes() == (built / name).read_bytes(), (
        f"forms/{name} is stale: run `mailflow forms build`"
    )


def test_generation_is_deterministic_when_run_twice() -> None:
    assert build_request_pdf() == build_request_pdf()
    assert build_request_form() == build_request_form()
    assert build_partner_sheet() == build_partner_sheet()


# -------------------------------------------------------------------------------------------- PDF


@pytest.fixture(scope="module")
def pdf() -> PdfReader:
    return PdfReader(io.BytesIO(build_request_pdf()))


def test_pdf_fields_are_named_after_the_field_keys_when_generated(pdf: PdfReader) -> None:
    fields = pdf.get_fields() or {}
    assert set(fields) == set(REQUEST_FORM.keys) | {"form_id", "form_version"}
    assert (fields["form_id"]["/V"], fields["form_version"]["/V"]) == (
        "demande-appariement",
        REQUEST_FORM.version,
    )
    assert (
        "/oui" in fields["existing_partner"]["/_States_"]
        and "/non" in fields["existing_partner"]["/_States_"]
    )
    for spec in REQUEST_FORM.fields:
        field = fields[spec.key]
        if spec.kind is FieldKind.YESNO:
            assert field["/FT"] == "/Btn" and field["/Ff"] & (1 << 15), spec.key  # a radio pair oui / non
        elif spec.kind in (FieldKind.CHOICE, FieldKind.COUNTRY):
            options = [str(o) for o in field["/Opt"]]
            assert field["/FT"] == "/Ch" and field["/Ff"] & (1 << 17), spec.key  # a combo box
            assert options[1:] == (list(spec.choices) if spec.kind is FieldKind.CHOICE else country_names())
        else:
            assert field["/FT"] == "/Tx", spec.key
        assert field.get("/TU") == spec.label, spec.key
    assert fields["project_theme"]["/Ff"] & (1 << 12)  # multiline


def test_pdf_is_a4_with_the_heading_and_french_accents_when_generated(pdf: PdfReader) -> None:
    assert len(pdf.pages) == 2
    assert all(
        (round(float(p.mediabox.width)), round(float(p.mediabox.height))) == (595, 842) for p in pdf.pages
    )
    text = "\n".join(page.extract_text() for page in pdf.pages)
    for expected in ("ACADÉMIE DE STRASBOURG", "Dareic", "Demande d'appariement", "1. Établissement",
                     "Accréditation Erasmus+", "bilatéral…", "ce.dareic@ac-strasbourg.fr", "page 2 / 2",
                     "Référence du formulaire : demande-appariement, version 2026.1"):  # fmt: skip
        assert expected in text, expected
    for spec in REQUEST_FORM.fields:
        assert spec.label.split(" (")[0] in text, spec.label
    assert pdf.metadata is not None and "form_id=demande-appariement" in str(pdf.metadata.get("/Keywords"))


# ------------------------------------------------------------------------------------------- xlsx


def test_country_list_is_a_hidden_sheet_of_french_names_when_generated() -> None:
    wb = load_workbook(io.BytesIO(build_request_form()))
    assert wb.sheetnames == ["Demande", "Instructions", "Listes"]
    lists = wb["Listes"]
    assert lists.sheet_state == "hidden" and lists.protection.sheet and wb.security.lockStructure
    names = [row[0] for row in lists.iter_rows(min_row=2, values_only=True)]
    assert names == country_names() == sorted(names, key=fold)
    assert "Allemagne" in names and "Royaume-Uni" in names and "France" not in names
    assert len(names) == len(COUNTRIES) - 1


@pytest.mark.parametrize(
    ("build", "key"), [(build_request_form, "target_country"), (build_partner_sheet, "partner_country")]
)
def test_country_cell_has_a_drop_down_when_generated(build: object, key: str) -> None:
    assert callable(build)
    wb = load_workbook(io.BytesIO(build()))
    sheet = wb.worksheets[0]
    cell = wb.defined_names[key].attr_text.split("!")[1].replace("$", "")
    lists = {str(dv.sqref): dv for dv in sheet.data_validations.dataValidation if dv.type == "list"}
    assert lists[cell].formula1 == f"'Listes'!$A$2:$A${len(country_names()) + 1}"
    assert lists[cell].errorStyle == "warning"  # "Deutschland" typed by hand is still accepted


@pytest.mark.parametrize("build", [build_request_form, build_partner_sheet], ids=["request", "partner"])
def test_labels_are_locked_and_inputs_open_when_generated(build: object) -> None:
    assert callable(build)
    wb = load_workbook(io.BytesIO(build()))
    sheet = wb.worksheets[0]
    spec = REQUEST_FORM if sheet.title == "Demande" else PARTNER_SHEET
    for key in spec.keys:
        coordinate = wb.defined_names[key].attr_text.split("!")[1].replace("$", "")
        label = sheet[coordinate.replace("C", "B", 1)]
        assert label.protection.locked and label.font.b and label.font.name == "Arial", key
        assert sheet[coordinate].protection.locked is False, key
    assert sheet.protection.sheet and wb["Instructions"].protection.sheet
    assert sheet["B1"].value == "ACADÉMIE DE STRASBOURG"
