"""Home-made and outdated forms read by their labels: xlsx, .xls, .ods; label variants; forwarded mail."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from email.message import EmailMessage
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from openpyxl import Workbook, load_workbook

from mailflow.adapters.formbuild import build_partner_sheet, build_request_form, fill_form
from mailflow.adapters.formbuild_pdf import build_request_pdf, fill_pdf
from mailflow.domain.forms import PARTNER_SHEET, REQUEST_FORM, check_form
from mailflow.domain.message import Attachment
from mailflow.extract.forms import MAX_FORWARD_DEPTH, scan_attachments
from mailflow.extract.labellines import search_lines
from mailflow.extract.labels import match_label, search_grids
from mailflow.extract.mime import parse_message
from tests.unit.test_xlsx_forms import PARTNER_VALUES, REQUEST_VALUES, VALUE_SETS

DATA = Path(__file__).resolve().parents[1] / "data" / "forms"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REQUEST = "demande-appariement"

# A school's own version: labels in B, answers in D, variants of wording, case, accents and apostrophes.
HOME_MADE_ROWS: list[tuple[str, object]] = [
    ("NOM DE L’ETABLISSEMENT :", "Lycée Kléber"),
    ("Code RNE/UAI :", "0670080y"),
    ("Type d’établissement", "Lycée général et technologique"),
    ("Statut*", "public"),
    ("Adresse", "25 place de Bordeaux"),
    ("Code postal", 67082),
    ("Commune : Strasbourg", None),  # label and answer in one cell
    ("E-mail de l'établissement", "ce.0670080Y@ac-strasbourg.fr"),
    ("Tél.", "03 88 14 33 00"),
    ("Nom du proviseur", "Mme Claire Martin"),
    ("Professeur referent", "M. Paul Weber"),
    ("Courriel du professeur référent", "paul.weber@ac-strasbourg.fr"),
    ("Langues vivantes enseignees", "allemand, anglais"),
    ("PAYS SOUHAITÉ", "allemagne"),
    ("Type d'établissement partenaire recherché", "Gymnasium"),
    ("Niveau / classes concernés", "Seconde"),
    ("Nombre d'élèves concernés :", "24 élèves"),
    ("Projet pédagogique (thème, objectifs)", None),  # the answer is on the next row
    ("Le Rhin, frontière et trait d'union", None),
    ("Type de mobilité", "Physique"),
    ("Période envisagée", "mars 2027"),
    ("Partenaire déjà identifié ?", "NON"),
    ("Date", datetime(2026, 11, 12)),
    ("Nom et qualité du signataire", "Claire Martin, proviseure"),
]
EXPECTED = {
    "school_name": "Lycée Kléber", "uai": "0670080Y", "school_type": "lycée général et technologique",
    "school_status": "public", "address": "25 place de Bordeaux", "postal_code": "67082", "city": "Strasbourg",
    "school_email": "ce.0670080y@ac-strasbourg.fr", "phone": "03 88 14 33 00", "head_name": "Mme Claire Martin",
    "teacher_name": "M. Paul Weber", "teacher_email": "paul.weber@ac-strasbourg.fr",
    "languages_taught": ("allemand", "anglais"), "target_country": "DE", "partner_school_type": "Gymnasium",
    "pupils_level": "Seconde", "pupils_count": 24, "project_theme": "Le Rhin, frontière et trait d'union",
    "mobility_type": "physique", "mobility_period": "mars 2027", "existing_partner": False,
    "signed_on": date(2026, 11, 12), "signatory": "Claire Martin, proviseure",
}  # fmt: skip


def home_made_workbook() -> bytes:
    """Also the source of tests/data/forms/demande-maison.xls (see the README there)."""
    wb = Workbook()
    cover = wb.active
    assert cover is not None
    cover.title = "Couverture"
    cover["A1"] = "Dossier d'appariement 2026-2027 – Lycée Kléber"
    sheet = wb.create_sheet("Formulaire")
    sheet["B1"] = "DEMANDE D’APPARIEMENT (modèle de l'établissement)"
    for row, (label, value) in enumerate(HOME_MADE_ROWS, start=3):
        sheet.cell(row=row, column=2, value=label)
        sheet.cell(row=row, column=4, value=value)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def ods_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    """A minimal OpenDocument spreadsheet, written by hand (python-calamine only reads)."""

    def cell(value: object) -> str:
        if value is None:
            return "<table:table-cell/>"
        if isinstance(value, datetime | date):
            iso = value.strftime("%Y-%m-%d")
            return f'<table:table-cell office:value-type="date" office:date-value="{iso}"><text:p>{iso}</text:p></table:table-cell>'
        if isinstance(value, int | float):
            return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
        return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'

    tables = "".join(
        f'<table:table table:name="{escape(name)}">'
        + "".join("<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>" for row in rows)
        + "</table:table>"
        for name, rows in sheets.items()
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def home_made_ods() -> bytes:
    rows = [[None, label, None, value] for label, value in HOME_MADE_ROWS]
    return ods_bytes({"Couverture": [["Dossier d'appariement"]], "Formulaire": [[], [], *rows]})


def only_form(attachment: Attachment) -> tuple[str, dict[str, object]]:
    scan = scan_attachments([attachment])
    assert scan.unreadable == ()
    (found,) = scan.forms
    return found.source, dict(found.raw.cells)


# ------------------------------------------------------------------------------------- label matching


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Nom de l'établissement", "school_name"),
        ("NOM DE L’ETABLISSEMENT :", "school_name"),
        ("nom de l etablissement *", "school_name"),
        ("1. Nom de l'établissement", "school_name"),
        ("Code RNE/UAI", "uai"),
        ("Code UAI / RNE :", "uai"),
        ("N° UAI", "uai"),
        ("UAI (ex-RNE)", "uai"),
        ("Code UAI (ex-RNE) *", "uai"),
        ("Adresse électronique de l'établissement", "school_email"),
        ("E-mail de l’établissement", "school_email"),
        ("Courriel", "school_email"),
        ("Tél.", "phone"),
        ("Ville", "city"),
        ("Partenaire : ville (*)", "partner_city"),
        ("Nom du chef d'établissement (obligatoire)", "head_name"),
        ("Langue vivante enseignée", "languages_taught"),
        ("Nombre d'élèves concernés", "pupils_count"),
        ("Nombre d’eleves concerne", "pupils_count"),
        ("Projet pedagogique (theme, objectifs)", "project_theme"),
        ("Partenaire deja identifie", "existing_partner"),
        ("Accreditation Erasmus +", "erasmus_accreditation"),
        ("Autre dispositif (OFAJ, Euroscol, accord bilatéral...)", "other_framework"),
        ("Nom et qualite du signataire", "signatory"),
        ("Référence du formulaire (ne pas modifier)", "form_id"),
    ],
)
def test_label_is_recognised_when_written_differently(text: str, key: str) -> None:
    assert match_label(text, REQUEST) == key


@pytest.mark.parametrize(
    "text",
    ["Lycée Kléber", "Strasbourg", "oui", "24", "Allemagne", "Le Rhin, frontière", "Budget prévisionnel", ""],
)
def test_answer_is_not_taken_for_a_label_when_it_looks_ordinary(text: str) -> None:
    assert match_label(text, REQUEST) is None


def test_same_label_means_the_form_own_field_when_forms_differ() -> None:
    assert match_label("Type d'établissement", REQUEST) == "school_type"
    assert match_label("Type d'établissement", PARTNER_SHEET.form_id) == "partner_school_type"
    assert match_label("Name of the partner school", PARTNER_SHEET.form_id) == "partner_name"


def test_value_is_taken_below_when_the_right_is_empty() -> None:
    grid = [["Nom de l'établissement", None, None], ["Lycée Kléber", None, None], ["Commune", None, "Colmar"]]
    assert search_grids([grid], REQUEST).values == {"school_name": "Lycée Kléber", "city": "Colmar"}


def test_label_without_answer_is_found_but_empty_when_next_cell_is_a_label() -> None:
    grid = [["Nom de l'établissement", None], ["Commune", None], ["Code postal", "67000"]]
    assert search_grids([grid], REQUEST).values == {"school_name": None, "city": None, "postal_code": "67000"}


def test_help_text_is_not_an_answer_when_the_input_cell_is_empty() -> None:
    grid = [["Code UAI (ex-RNE) *", None, "7 chiffres et une lettre, ex. 0670080Y"]]
    assert search_grids([grid], REQUEST).values == {"uai": None}


def test_lines_are_read_when_several_labels_share_a_line_or_the_value_follows() -> None:
    hits = search_lines(
        ["Code postal : 67000     Commune : Colmar", "Nom de l'établissement :", "Lycée Bartholdi"], REQUEST
    )
    assert hits.values == {"postal_code": "67000", "city": "Colmar", "school_name": "Lycée Bartholdi"}


# ------------------------------------------------------------------------------- home-made workbooks


def test_home_made_xlsx_is_read_by_labels_when_it_has_no_defined_names() -> None:
    source, cells = only_form(
        Attachment(filename="demande.xlsx", content_type=XLSX, data=home_made_workbook())
    )
    assert source == "labels"
    check = check_form(REQUEST_FORM, cells)
    assert check.ok, check.problems
    assert check.values == EXPECTED


def test_home_made_ods_is_read_by_labels_when_sent_from_libreoffice() -> None:
    ods = Attachment(
        filename="demande.ods",
        content_type="application/vnd.oasis.opendocument.spreadsheet",
        data=home_made_ods(),
    )
    source, cells = only_form(ods)
    assert source == "labels"
    assert check_form(REQUEST_FORM, cells).values == EXPECTED


def test_home_made_xls_is_read_by_labels_when_saved_in_excel_97_format() -> None:
    data = (DATA / "demande-maison.xls").read_bytes()
    assert data.startswith(b"\xd0\xcf\x11\xe0")
    source, cells = only_form(
        Attachment(filename="demande.xls", content_type="application/vnd.ms-excel", data=data)
    )
    assert source == "labels"
    assert check_form(REQUEST_FORM, cells).values == EXPECTED


@pytest.mark.parametrize("name", ["kleber", "partner-known-germany", "invalid-values", "lp-italy-multiline"])
def test_official_form_is_read_by_labels_when_its_defined_names_were_lost(name: str) -> None:
    wb = load_workbook(io.BytesIO(fill_form(build_request_form(), VALUE_SETS[name])))
    for defined in list(wb.defined_names):
        del wb.defined_names[defined]  # what copying the sheet into another workbook does
    buffer = io.BytesIO()
    wb.save(buffer)
    source, cells = only_form(Attachment(filename="copie.xlsx", content_type=XLSX, data=buffer.getvalue()))
    assert source == "labels"
    read, expected = check_form(REQUEST_FORM, cells), check_form(REQUEST_FORM, VALUE_SETS[name])
    assert read.values == expected.values
    assert [p.field for p in read.problems] == [p.field for p in expected.problems]


def test_partner_sheet_is_recognised_by_labels_when_names_were_lost() -> None:
    wb = load_workbook(io.BytesIO(fill_form(build_partner_sheet(), PARTNER_VALUES)), rich_text=True)
    for defined in list(wb.defined_names):
        del wb.defined_names[defined]
    buffer = io.BytesIO()
    wb.save(buffer)
    scan = scan_attachments([Attachment(filename="fiche.xlsx", content_type=XLSX, data=buffer.getvalue())])
    (found,) = scan.forms
    assert (found.spec_id, found.source, found.raw.version) == ("fiche-partenaire", "labels", "2026.1")
    assert (
        check_form(PARTNER_SHEET, found.raw.cells).values == check_form(PARTNER_SHEET, PARTNER_VALUES).values
    )


def test_workbook_with_few_labels_is_not_a_form_when_it_is_something_else() -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Budget", "Montant"])
    ws.append(["Date", "12/11/2026"])
    ws.append(["Adresse", "1 rue X"])
    buffer = io.BytesIO()
    wb.save(buffer)
    assert scan_attachments(
        [Attachment(filename="budget.xlsx", content_type=XLSX, data=buffer.getvalue())]
    ) == (scan_attachments([]))


# --------------------------------------------------------------------------- several forms, forwarded


def forwarded(inner: EmailMessage, depth: int) -> EmailMessage:
    for level in range(depth):
        outer = EmailMessage()
        outer["From"], outer["To"], outer["Subject"] = (
            "secretariat@lycee.fr",
            "ce.dareic@ac-strasbourg.fr",
            f"TR: {level}",
        )
        outer.set_content("Je vous transfère la demande du collège.")
        outer.add_attachment(inner, filename=f"transfert-{level}.eml")
        inner = outer
    return inner


def request_mail() -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "ce.0670080y@ac-strasbourg.fr", "x@y.fr", "Demande"
    msg.set_content("Ci-joint notre demande.")
    msg.add_attachment(
        fill_form(build_request_form(), REQUEST_VALUES), *XLSX.split("/"), filename="demande.xlsx"
    )
    return msg


def test_form_inside_a_forwarded_message_is_found_when_message_is_attached() -> None:
    outer = parse_message(bytes(forwarded(request_mail(), 1)))
    scan = scan_attachments(outer.attachments)
    (found,) = scan.forms
    assert found.attachment_name == "transfert-0.eml"  # the attachment of the mail itself
    assert found.display_name == "transfert-0.eml › demande.xlsx"
    assert found.attachment is not None and found.attachment.filename == "demande.xlsx"
    assert check_form(REQUEST_FORM, found.raw.cells).ok


def test_forwarded_messages_are_followed_only_so_deep_when_nested() -> None:
    assert (
        len(
            scan_attachments(
                parse_message(bytes(forwarded(request_mail(), MAX_FORWARD_DEPTH))).attachments
            ).forms
        )
        == 1
    )
    assert (
        scan_attachments(
            parse_message(bytes(forwarded(request_mail(), MAX_FORWARD_DEPTH + 1))).attachments
        ).forms
        == ()
    )


def test_every_form_is_returned_when_a_mail_carries_several() -> None:
    attachments = [
        Attachment(filename="demande.xlsx", content_type=XLSX, data=fill_form(build_request_form(), REQUEST_VALUES)),
        Attachment(filename="demande.pdf", content_type="application/pdf", data=fill_pdf(build_request_pdf(), VALUE_SETS["ecole-scotland"])),
        Attachment(filename="maison.ods", content_type="application/octet-stream", data=home_made_ods()),
        Attachment(filename="fiche.xlsx", content_type=XLSX, data=fill_form(build_partner_sheet(), PARTNER_VALUES)),
    ]  # fmt: skip
    scan = scan_attachments(attachments)
    assert [(f.attachment_name, f.spec_id, f.source) for f in scan.forms] == [
        ("demande.xlsx", REQUEST, "defined_names"),
        ("demande.pdf", REQUEST, "acroform"),
        ("maison.ods", REQUEST, "labels"),
        ("fiche.xlsx", "fiche-partenaire", "defined_names"),
    ]
