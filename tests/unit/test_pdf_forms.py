"""The PDF form: filled and read back by its fields, saved oddly by viewers, flattened, text-only, scanned."""

from __future__ import annotations

import io
from collections.abc import Mapping

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from mailflow.adapters.formbuild_pdf import build_request_pdf, fill_pdf
from mailflow.domain.errors import UnreadableForm
from mailflow.domain.forms import REQUEST_FORM, FieldKind, check_form
from mailflow.domain.message import Attachment
from mailflow.extract.forms import scan_attachments
from mailflow.extract.pdf import ENCRYPTED_PDF, SCANNED, read_pdf
from tests.unit.test_xlsx_forms import REQUEST_VALUES, VALUE_SETS

PDF = "application/pdf"
YESNO_KEYS = {f.key for f in REQUEST_FORM.fields if f.kind is FieldKind.YESNO}


@pytest.fixture(scope="module")
def blank() -> bytes:
    return build_request_pdf()


def scan_one(data: bytes, name: str = "demande.pdf") -> tuple[str, dict[str, object]]:
    scan = scan_attachments([Attachment(filename=name, content_type=PDF, data=data)])
    assert scan.unreadable == ()
    (found,) = scan.forms
    assert found.spec_id == "demande-appariement"
    return found.source, found.raw.cells


def same_check(
    cells: Mapping[str, object], values: Mapping[str, object], skip: set[str] = frozenset()
) -> None:
    """The cells read give what check_form makes of the values themselves (minus ``skip`` keys)."""
    read = check_form(REQUEST_FORM, {k: v for k, v in cells.items() if k not in skip})
    expected = check_form(REQUEST_FORM, {k: v for k, v in values.items() if k not in skip})
    assert read.values == expected.values
    assert [(p.field, p.code) for p in read.problems] == [(p.field, p.code) for p in expected.problems]


def pdf_bytes(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# ------------------------------------------------------------------------------ fill and read back


@pytest.mark.parametrize("name", VALUE_SETS)
def test_filled_pdf_reads_back_the_same_values_when_filled_in_many_ways(blank: bytes, name: str) -> None:
    values = VALUE_SETS[name]
    source, cells = scan_one(fill_pdf(blank, values))
    assert source == "acroform"
    same_check(cells, values)


def test_blank_pdf_gives_only_missing_problems_when_read_unfilled(blank: bytes) -> None:
    raw = read_pdf(blank)
    assert raw is not None and (raw.form_id, raw.version, raw.source) == (
        "demande-appariement",
        "2026.1",
        "acroform",
    )
    assert set(raw.cells) == set(REQUEST_FORM.keys)
    assert {p.code for p in check_form(REQUEST_FORM, raw.cells).problems} == {"missing"}


def test_fill_pdf_is_deterministic_and_refuses_unknown_keys(blank: bytes) -> None:
    assert fill_pdf(blank, REQUEST_VALUES) == fill_pdf(blank, REQUEST_VALUES)
    with pytest.raises(KeyError):
        fill_pdf(blank, {"not_a_field": "x"})


def test_fill_pdf_empties_a_field_when_value_is_none(blank: bytes) -> None:
    filled = fill_pdf(
        fill_pdf(blank, {"school_name": "Lycée Kléber", "existing_partner": True}), {"school_name": None}
    )
    raw = read_pdf(filled)
    assert raw is not None and raw.cells["school_name"] is None and raw.cells["existing_partner"] == "oui"


# ---------------------------------------------------------------------------- saved oddly by viewers


def test_values_are_read_when_viewer_regenerates_appearances(blank: bytes) -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(blank)))
    for page in writer.pages:
        writer.update_page_form_field_values(
            page, {"school_name": "Lycée Kléber", "uai": "0670080Y"}, auto_regenerate=True
        )
    assert writer._root_object["/AcroForm"]["/NeedAppearances"] == BooleanObject(True)
    _, cells = scan_one(pdf_bytes(writer))
    assert (cells["school_name"], cells["uai"]) == ("Lycée Kléber", "0670080Y")


def test_latest_values_are_read_when_saved_as_an_incremental_update(blank: bytes) -> None:
    first = fill_pdf(blank, REQUEST_VALUES)
    writer = PdfWriter(io.BytesIO(first), incremental=True)
    for page in writer.pages:
        writer.update_page_form_field_values(
            page, {"city": "Sélestat", "postal_code": "67600"}, auto_regenerate=False
        )
    updated = pdf_bytes(writer)
    assert updated.startswith(first) and len(updated) > len(first)  # appended, as Acrobat saves
    _, cells = scan_one(updated)
    same_check(cells, {**REQUEST_VALUES, "city": "Sélestat", "postal_code": "67600"})


def _field(name: str, ftype: str, **entries: object) -> DictionaryObject:
    field = DictionaryObject({NameObject("/T"): TextStringObject(name), NameObject("/FT"): NameObject(ftype)})
    for key, value in entries.items():
        field[NameObject(f"/{key}")] = value  # type: ignore[assignment]
    return field


def odd_pdf(fields: list[DictionaryObject], keywords: str = "") -> bytes:
    """A one-page PDF whose AcroForm holds ``fields`` as given (terminal fields or parents of widgets)."""
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    annots, refs = ArrayObject(), ArrayObject()
    for field in fields:
        kids = field.get("/Kids", ArrayObject())
        ref = writer._add_object(field)
        refs.append(ref)
        widgets = ArrayObject()
        for kid in kids or [field]:
            kid[NameObject("/Type")], kid[NameObject("/Subtype")] = (
                NameObject("/Annot"),
                NameObject("/Widget"),
            )
            kid[NameObject("/Rect")] = ArrayObject([NumberObject(0)] * 4)
            if kid is not field:
                kid[NameObject("/Parent")] = ref
                widgets.append(writer._add_object(kid))
            else:
                widgets.append(ref)
        if kids:
            field[NameObject("/Kids")] = widgets
        annots.extend(widgets)
    page[NameObject("/Annots")] = annots
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/Fields"): refs, NameObject("/NeedAppearances"): BooleanObject(True)}
    )
    if keywords:
        writer.add_metadata({"/Keywords": keywords})
    return pdf_bytes(writer)


def test_values_are_read_when_a_viewer_saved_them_oddly() -> None:
    on, off, n = NameObject("/On"), NameObject("/Off"), NameObject
    data = odd_pdf(
        [
            _field("school_name", "/Tx", Kids=ArrayObject([DictionaryObject({n("/V"): TextStringObject("Lycée Kléber")})])),
            _field("uai", "/Tx", V=TextStringObject("0670080Y")),
            _field("etwinning_registered", "/Btn", V=on),
            _field("erasmus_accreditation", "/Btn", V=n("/Yes")),
            _field("etwinning_school_label", "/Btn", V=n("/Choix1")),  # a custom export value, ticked
            _field("existing_partner", "/Btn", Ff=NumberObject(1 << 15),  # a radio group: only /AS on its widgets
                   Kids=ArrayObject([DictionaryObject({n("/AS"): off}), DictionaryObject({n("/AS"): n("/Non")})])),
            _field("mobility_type", "/Ch", V=TextStringObject("V"),
                   Opt=ArrayObject([ArrayObject([TextStringObject("V"), TextStringObject("virtuelle")])])),
            _field("school_type", "/Btn", Ff=NumberObject(1 << 15), V=n("/1"),  # export value by index in /Opt
                   Opt=ArrayObject([TextStringObject("école"), TextStringObject("collège")])),
            _field("target_country", "/Ch", V=ArrayObject([TextStringObject("Allemagne")])),
            _field("teacher_subject", "/Btn", Ff=NumberObject(1 << 16)),  # a push button: no value
        ],
        keywords="form_id=demande-appariement; form_version=2026.1",
    )  # fmt: skip
    raw = read_pdf(data)
    assert raw is not None and (raw.form_id, raw.version, raw.source) == (
        "demande-appariement",
        "2026.1",
        "acroform",
    )
    values = check_form(REQUEST_FORM, raw.cells).values
    assert values["school_name"] == "Lycée Kléber" and values["uai"] == "0670080Y"
    assert (
        values["etwinning_registered"]
        is values["erasmus_accreditation"]
        is values["etwinning_school_label"]
        is True
    )
    assert values["existing_partner"] is False
    assert (values["mobility_type"], values["school_type"], values["target_country"]) == (
        "virtuelle",
        "collège",
        "DE",
    )
    assert "teacher_subject" not in values


def test_unticked_box_is_no_answer_when_check_box_is_off() -> None:
    raw = read_pdf(
        odd_pdf([_field(k, "/Btn", V=NameObject("/Off")) for k in ("etwinning_registered", "uai", "city")])
    )
    assert raw is not None and raw.cells == {"etwinning_registered": None, "uai": None, "city": None}


def test_home_made_fillable_pdf_is_read_by_its_field_tooltips() -> None:
    labels = {"Text1": ("Nom de l’établissement", "Lycée Kléber"), "Text2": ("Code RNE/UAI", "0670080y"),
              "Text3": ("PAYS SOUHAITE", "Allemagne"), "Check1": ("Partenaire déjà identifié ?", "/Oui")}  # fmt: skip
    fields = [
        _field(name, "/Btn" if value.startswith("/") else "/Tx", TU=TextStringObject(label),
               V=NameObject(value) if value.startswith("/") else TextStringObject(value))
        for name, (label, value) in labels.items()
    ]  # fmt: skip
    source, cells = scan_one(odd_pdf(fields))
    assert source == "acroform"
    assert cells == {
        "school_name": "Lycée Kléber",
        "uai": "0670080y",
        "target_country": "Allemagne",
        "existing_partner": "oui",
    }


# ---------------------------------------------------------------------------------- text, flattened


def flatten(data: bytes) -> bytes:
    """What "print to PDF" or a flattening tool makes of a filled form: the values drawn, no fields left."""
    reader = PdfReader(io.BytesIO(data))
    values = {
        k: str(f["/V"]) for k, f in (reader.get_fields() or {}).items() if f.get("/V") not in (None, "", " ")
    }
    writer = PdfWriter(clone_from=reader)
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=False, flatten=True)
    writer.remove_annotations(subtypes="/Widget")
    writer._root_object["/AcroForm"][NameObject("/Fields")] = ArrayObject()
    return pdf_bytes(writer)


@pytest.mark.parametrize("name", ["kleber", "partner-known-germany", "lp-italy-multiline", "invalid-values"])
def test_flattened_pdf_is_read_from_its_text_when_fields_are_gone(blank: bytes, name: str) -> None:
    values = VALUE_SETS[name]
    source, cells = scan_one(flatten(fill_pdf(blank, values)))
    assert source == "pdf_text"
    same_check(cells, values, skip=YESNO_KEYS)  # ticked boxes are drawings, not text: asked again


def text_pdf(lines: list[str], *, pages: int = 1) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True)
    for _ in range(pages):
        canvas.setFont("Helvetica", 10)
        for i, line in enumerate(lines):
            canvas.drawString(50, 800 - 16 * i, line)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


HOME_MADE_LINES = [
    "DEMANDE D’APPARIEMENT (version 2023)",
    "NOM DE L’ETABLISSEMENT : Lycée Kléber",
    "Code RNE/UAI : 0670080y",
    "Type d'etablissement: lycee general et technologique",
    "Statut : Public",
    "Adresse :",
    "25 place de Bordeaux",
    "Code postal : 67082     Commune : Strasbourg",
    "Courriel de l’établissement : ce.0670080Y@ac-strasbourg.fr",
    "Tél. : 03 88 14 33 00",
    "Nom du chef d'établissement : Mme Claire Martin",
    "Enseignant référent : M. Paul Weber",
    "Courriel du professeur référent : paul.weber@ac-strasbourg.fr",
    "Langues vivantes enseignées : allemand, anglais",
    "Pays souhaité : Allemagne (Bade-Wurtemberg)",
    "Type d'établissement partenaire recherché : Gymnasium",
    "Niveau / classes concernés : Seconde",
    "Nombre d'élèves : 24 élèves",
    "Projet pédagogique : Le Rhin, frontière",
    "et trait d'union entre nos deux pays",
    "Type de mobilité : physique",
    "Période envisagée : mars 2027",
    "Partenaire déjà identifié ? : non",
    "Date : 12 novembre 2026",
    "Nom et qualité du signataire : Claire Martin, proviseure",
]


def test_text_only_pdf_is_read_by_its_labels_when_it_has_no_fields() -> None:
    source, cells = scan_one(text_pdf(HOME_MADE_LINES), "demande 2023.pdf")
    assert source == "pdf_text"
    check = check_form(REQUEST_FORM, cells)
    assert check.ok, check.problems
    assert check.values["address"] == "25 place de Bordeaux"
    assert check.values["project_theme"] == "Le Rhin, frontière\net trait d'union entre nos deux pays"
    assert (check.values["uai"], check.values["target_country"], check.values["pupils_count"]) == (
        "0670080Y",
        "DE",
        24,
    )
    assert (check.values["city"], check.values["postal_code"]) == ("Strasbourg", "67082")


def test_pdf_that_is_not_a_form_is_ignored_when_it_has_ordinary_text() -> None:
    letter = text_pdf(["Madame, Monsieur,", "Veuillez trouver ci-joint notre demande.", "Cordialement"])
    scan = scan_attachments([Attachment(filename="lettre.pdf", content_type=PDF, data=letter)])
    assert scan.forms == () and scan.unreadable == ()


def test_scanned_pdf_gets_the_answer_asking_for_excel_when_it_has_no_text() -> None:
    from PIL import Image
    from reportlab.lib.utils import ImageReader

    image = io.BytesIO()
    Image.new("L", (60, 80), color=200).save(image, format="PNG")
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True)
    canvas.drawImage(ImageReader(io.BytesIO(image.getvalue())), 0, 0, width=595, height=842)
    canvas.showPage()
    canvas.save()
    scan = scan_attachments([Attachment(filename="scan.pdf", content_type=PDF, data=buffer.getvalue())])
    assert scan.unreadable == (("scan.pdf", SCANNED),)
    assert "Excel" in SCANNED and "scanné" in SCANNED


@pytest.mark.parametrize(("user_password", "readable"), [("secret", False), ("", True)])
def test_encrypted_pdf_is_refused_unless_it_opens_without_password(
    blank: bytes, user_password: str, readable: bool
) -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(fill_pdf(blank, REQUEST_VALUES))))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    scan = scan_attachments([Attachment(filename="d.pdf", content_type=PDF, data=pdf_bytes(writer))])
    if readable:  # only editing is restricted: the form is read
        assert [f.source for f in scan.forms] == ["acroform"] and scan.unreadable == ()
    else:
        assert scan.forms == () and scan.unreadable == (("d.pdf", ENCRYPTED_PDF),)


def test_read_pdf_raises_unreadable_when_bytes_are_not_a_pdf() -> None:
    with pytest.raises(UnreadableForm):
        read_pdf(b"%PDF-1.4\n%garbage only\n")
