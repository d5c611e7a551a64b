"""The form schema and check_form: normalisation, problems in French, cross-field rules."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest

from mailflow.domain.forms import (
    PARTNER_SHEET,
    REQUEST_FORM,
    FieldKind,
    FormSpec,
    Requirement,
    check_form,
    values_from_json,
    values_to_json,
)

DOMAIN_KEYS = [
    "school_name",
    "uai",
    "school_type",
    "school_status",
    "address",
    "postal_code",
    "city",
    "school_email",
    "phone",
    "head_name",
    "teacher_name",
    "teacher_email",
    "teacher_subject",
    "languages_taught",
    "target_country",
    "target_region",
    "partner_school_type",
    "pupils_level",
    "pupils_count",
    "project_theme",
    "working_languages",
    "mobility_type",
    "mobility_period",
    "existing_partner",
    "partner_name",
    "partner_city",
    "partner_email",
    "partner_head_name",
    "etwinning_registered",
    "etwinning_school_label",
    "erasmus_accreditation",
    "other_framework",
    "signed_on",
    "signatory",
]


def valid_request() -> dict[str, object]:
    return {
        "school_name": "Lycée Kléber",
        "uai": "0670080y",
        "school_type": "Lycée général et technologique",
        "school_status": "public",
        "address": "25 place de Bordeaux",
        "postal_code": 67082,
        "city": "Strasbourg",
        "school_email": "Ce.0670080Y@ac-strasbourg.fr",
        "phone": "+33 3 88 14 33 00",
        "head_name": "Mme Claire Martin",
        "teacher_name": "M. Paul Weber",
        "teacher_email": "paul.weber@ac-strasbourg.fr",
        "teacher_subject": "Allemand",
        "languages_taught": "allemand, anglais et espagnol",
        "target_country": "Allemagne (Bade-Wurtemberg)",
        "target_region": "Fribourg",
        "partner_school_type": "Gymnasium",
        "pupils_level": "Seconde",
        "pupils_count": 24.0,
        "project_theme": "Le Rhin, frontière et trait d'union",
        "working_languages": "allemand; français",
        "mobility_type": "Virtuelle et physique",
        "mobility_period": "mars 2027",
        "existing_partner": "oui",
        "partner_name": "Goethe-Gymnasium",
        "partner_city": "Freiburg",
        "partner_email": "sekretariat@goethe-gymnasium.de",
        "partner_head_name": "Dr. Andrea Vogel",
        "etwinning_registered": "x",
        "etwinning_school_label": "non",
        "erasmus_accreditation": True,
        "other_framework": "OFAJ",
        "signed_on": datetime(2026, 11, 12, 0, 0),
        "signatory": "Claire Martin, proviseure",
    }


def field_problem(raw: dict[str, object], key: str, spec: FormSpec = REQUEST_FORM) -> tuple[str, str] | None:
    check = check_form(spec, raw)
    found = [p for p in check.problems if p.field == key]
    return (found[0].code, found[0].message) if found else None


def value_of(key: str, raw_value: object, spec: FormSpec = REQUEST_FORM) -> object:
    check = check_form(spec, {key: raw_value})
    assert not [p for p in check.problems if p.field == key], check.problems
    return check.values[key]


# ------------------------------------------------------------------------------------------ schema


def test_request_form_has_every_domain_key_in_order_when_defined() -> None:
    assert REQUEST_FORM.form_id == "demande-appariement"
    assert REQUEST_FORM.version == "2026.1"
    assert REQUEST_FORM.keys == tuple(DOMAIN_KEYS)
    assert REQUEST_FORM.field("uai").label == "Code UAI (ex-RNE)"
    partner_fields = [f for f in REQUEST_FORM.fields if f.requirement is Requirement.IF_PARTNER]
    assert [f.key for f in partner_fields] == [
        "partner_name",
        "partner_city",
        "partner_email",
        "partner_head_name",
    ]
    assert REQUEST_FORM.field("mobility_period").requirement is Requirement.IF_PHYSICAL


def test_partner_sheet_has_its_fields_when_defined() -> None:
    assert PARTNER_SHEET.form_id == "fiche-partenaire"
    assert PARTNER_SHEET.field("partner_country").kind is FieldKind.COUNTRY
    assert PARTNER_SHEET.field("partner_languages").kind is FieldKind.LIST
    assert PARTNER_SHEET.field("guarantees_checked").kind is FieldKind.YESNO
    optional = {f.key for f in PARTNER_SHEET.fields if f.requirement is Requirement.OPTIONAL}
    assert optional == {"partner_address", "remarks"}


def test_field_lookup_raises_when_key_unknown() -> None:
    with pytest.raises(KeyError):
        REQUEST_FORM.field("nope")


# ------------------------------------------------------------------------------------ whole forms


def test_check_is_ok_with_normalised_values_when_form_fully_valid() -> None:
    check = check_form(REQUEST_FORM, valid_request())
    assert check.ok, check.problems
    assert check.warnings == ()
    assert check.form_id == "demande-appariement"
    v = check.values
    assert v["uai"] == "0670080Y"
    assert v["school_type"] == "lycée général et technologique"
    assert v["postal_code"] == "67082"
    assert v["school_email"] == "ce.0670080y@ac-strasbourg.fr"
    assert v["phone"] == "03 88 14 33 00"
    assert v["languages_taught"] == ("allemand", "anglais", "espagnol")
    assert v["working_languages"] == ("allemand", "français")
    assert v["target_country"] == "DE"
    assert v["pupils_count"] == 24
    assert v["mobility_type"] == "virtuelle et physique"
    assert v["existing_partner"] is True
    assert v["etwinning_registered"] is True
    assert v["etwinning_school_label"] is False
    assert v["signed_on"] == date(2026, 11, 12)
    assert set(v) == set(DOMAIN_KEYS)


def test_one_missing_problem_per_required_field_when_form_empty() -> None:
    check = check_form(REQUEST_FORM, {})
    required = [f for f in REQUEST_FORM.fields if f.requirement is Requirement.REQUIRED]
    assert not check.ok
    assert [p.field for p in check.problems] == [f.key for f in required]
    assert all(p.code == "missing" for p in check.problems)
    assert check.problems[0].message == "« Nom de l'établissement » : ce champ est obligatoire."
    assert check.problems[0].label == "Nom de l'établissement"
    assert all(p.message == f"« {p.label} » : ce champ est obligatoire." for p in check.problems)
    assert check.values == {}


@pytest.mark.parametrize("blank", [None, "", "   ", "-", " / ", "\n", float("nan"), [], ()])
def test_value_counts_as_missing_when_blank(blank: object) -> None:
    raw = valid_request() | {"school_name": blank}
    assert field_problem(raw, "school_name") == (
        "missing",
        "« Nom de l'établissement » : ce champ est obligatoire.",
    )


def test_problems_follow_form_order_when_several() -> None:
    raw = valid_request() | {"signatory": None, "uai": "0740003A", "phone": "12"}
    assert [p.field for p in check_form(REQUEST_FORM, raw).problems] == ["uai", "phone", "signatory"]


def test_unknown_keys_are_ignored_when_present_in_raw() -> None:
    check = check_form(REQUEST_FORM, valid_request() | {"form_id": "x", "whatever": 3})
    assert check.ok
    assert "whatever" not in check.values


def test_invalid_optional_value_is_a_problem_when_unusable() -> None:
    raw = valid_request() | {"etwinning_registered": "peut-être"}
    assert field_problem(raw, "etwinning_registered") == (
        "invalid_yesno",
        "« Inscrit sur eTwinning » : « peut-être » n'est pas une réponse valide (« oui » ou « non » attendu).",
    )


def test_optional_field_is_absent_when_left_empty() -> None:
    raw = valid_request() | {"teacher_subject": "", "target_region": None}
    check = check_form(REQUEST_FORM, raw)
    assert check.ok
    assert "teacher_subject" not in check.values
    assert "target_region" not in check.values


# ------------------------------------------------------------------------------------ cross-field


@pytest.mark.parametrize("mobility", ["physique", "virtuelle et physique"])
def test_period_is_required_when_mobility_is_physical(mobility: str) -> None:
    raw = valid_request() | {"mobility_type": mobility, "mobility_period": ""}
    assert field_problem(raw, "mobility_period") == (
        "missing",
        "« Période envisagée » : ce champ est obligatoire pour une mobilité physique.",
    )


@pytest.mark.parametrize("mobility", ["virtuelle", "nonsense", None])
def test_period_is_optional_when_mobility_not_physical(mobility: object) -> None:
    raw = valid_request() | {"mobility_type": mobility, "mobility_period": None}
    assert field_problem(raw, "mobility_period") is None


def test_period_accepts_dates_when_given_as_cells() -> None:
    assert value_of("mobility_period", datetime(2027, 3, 1)) == "01/03/2027"


def test_partner_fields_are_required_when_partner_exists() -> None:
    raw = valid_request() | {
        k: None for k in ("partner_name", "partner_city", "partner_email", "partner_head_name")
    }
    problems = check_form(REQUEST_FORM, raw).problems
    assert [p.field for p in problems] == [
        "partner_name",
        "partner_city",
        "partner_email",
        "partner_head_name",
    ]
    assert problems[0].message == (
        "« Partenaire : nom de l'établissement » : ce champ est obligatoire lorsqu'un partenaire est déjà identifié."
    )


def test_partner_fields_are_optional_when_no_partner_yet() -> None:
    raw = valid_request() | {"existing_partner": "non"}
    raw |= {k: None for k in ("partner_name", "partner_city", "partner_email", "partner_head_name")}
    check = check_form(REQUEST_FORM, raw)
    assert check.ok
    assert check.warnings == ()


def test_warning_is_given_when_partner_details_filled_but_answer_is_no() -> None:
    check = check_form(REQUEST_FORM, valid_request() | {"existing_partner": "non"})
    assert check.ok
    assert [w.code for w in check.warnings] == ["partner_unexpected"]
    assert check.warnings[0].field == "existing_partner"


def test_partner_email_is_still_checked_when_no_partner_yet() -> None:
    raw = valid_request() | {"existing_partner": "non", "partner_email": "pas une adresse"}
    assert field_problem(raw, "partner_email") is not None


# ------------------------------------------------------------------------------------ field kinds


def test_uai_problem_names_expected_letter_when_letter_wrong() -> None:
    assert field_problem({"uai": "0740003A"}, "uai") == (
        "invalid_uai",
        "« Code UAI (ex-RNE) » : « 0740003A » n'est pas un code UAI valide (la lettre de contrôle devrait être B).",
    )


@pytest.mark.parametrize("raw", ["067008", "ABC", 670080, "0670080YY"])
def test_uai_problem_explains_shape_when_not_seven_digits_and_letter(raw: object) -> None:
    problem = field_problem({"uai": raw}, "uai")
    assert problem is not None
    assert problem[0] == "invalid_uai"
    assert "7 chiffres suivis d'une lettre" in problem[1]


@pytest.mark.parametrize(("raw", "value"), [("0670080y", "0670080Y"), (" 0672134 f ", "0672134F")])
def test_uai_is_normalised_when_valid(raw: str, value: str) -> None:
    assert value_of("uai", raw) == value


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("Ce.0670080Y@AC-Strasbourg.fr", "ce.0670080y@ac-strasbourg.fr"),
        ("  paul.weber@ac-strasbourg.fr ", "paul.weber@ac-strasbourg.fr"),
        ("mailto:paul.weber@ac-strasbourg.fr", "paul.weber@ac-strasbourg.fr"),
        ("Paul Weber <paul.weber@ac-strasbourg.fr>", "paul.weber@ac-strasbourg.fr"),
    ],
)
def test_email_is_normalised_when_valid(raw: str, value: str) -> None:
    assert value_of("school_email", raw) == value


@pytest.mark.parametrize(
    "raw", ["ce.0671236E@ac-strasbourg", "foo@", "@ac-strasbourg.fr", "a b@c.fr", "a@b.fr; c@d.fr", 42]
)
def test_email_is_rejected_when_malformed(raw: object) -> None:
    problem = field_problem({"school_email": raw}, "school_email")
    assert problem is not None and problem[0] == "invalid_email"
    assert problem[1].startswith("« Courriel de l'établissement » : « ")
    assert "n'est pas une adresse électronique valide" in problem[1]


@pytest.mark.parametrize(
    "raw",
    ["03 88 12 34 56", "0388123456", "03.88.12.34.56", "03-88-12-34-56", "+33 3 88 12 34 56", "+33 (0)3 88 12 34 56",
     "0033 3 88 12 34 56", "+33388123456", 388123456, 388123456.0, "Tél. : 03 88 12 34 56"],
)  # fmt: skip
def test_phone_is_formatted_when_french_number(raw: object) -> None:
    assert value_of("phone", raw) == "03 88 12 34 56"


@pytest.mark.parametrize(
    "raw", ["12345", "+49 761 1234567", "03 88 12 34 5", "03 88 12 34 56 78", "0088123456", "numéro"]
)
def test_phone_is_rejected_when_not_french_ten_digits(raw: object) -> None:
    problem = field_problem({"phone": raw}, "phone")
    assert problem is not None and problem[0] == "invalid_phone"
    assert "03 88 12 34 56" in problem[1]


@pytest.mark.parametrize(("raw", "value"), [("67000", "67000"), (67000, "67000"), ("68 100", "68100"),
                                            (67000.0, "67000"), (1000, "01000"), ("75015", "75015"), ("97400", "97400")])  # fmt: skip
def test_postal_code_is_normalised_when_five_digits(raw: object, value: str) -> None:
    assert value_of("postal_code", raw) == value


@pytest.mark.parametrize("raw", ["6700", "670000", "00100", "99000", "67000 Strasbourg", "ABCDE", 67000.5])
def test_postal_code_is_rejected_when_not_a_french_code(raw: object) -> None:
    problem = field_problem({"postal_code": raw}, "postal_code")
    assert problem is not None and problem[0] == "invalid_postal_code"


@pytest.mark.parametrize(("raw", "value"), [(24, 24), (24.0, 24), ("24", 24), ("24 élèves", 24), (" 1 ", 1), (500, 500),
                                            ("24,0", 24)])  # fmt: skip
def test_integer_is_read_when_a_whole_number(raw: object, value: int) -> None:
    assert value_of("pupils_count", raw) == value


@pytest.mark.parametrize("raw", ["beaucoup", "24.5", 24.5, "24-30", True, "1 200", math.inf])
def test_integer_is_rejected_when_not_a_whole_number(raw: object) -> None:
    problem = field_problem({"pupils_count": raw}, "pupils_count")
    assert problem is not None and problem[0] == "invalid_integer"
    assert "entre 1 et 500" in problem[1]


@pytest.mark.parametrize("raw", [0, 501, "600 élèves", -3])
def test_integer_is_out_of_range_when_outside_bounds(raw: object) -> None:
    problem = field_problem({"pupils_count": raw}, "pupils_count")
    assert problem is not None and problem[0] == "out_of_range"
    assert problem[1].startswith("« Nombre d'élèves concernés » : « ")


@pytest.mark.parametrize(
    "raw",
    [date(2026, 11, 12), datetime(2026, 11, 12, 9, 30), "12/11/2026", "12-11-2026", "2026-11-12", "12 novembre 2026",
     "12 Novembre 2026", "jeudi 12 novembre 2026", "12 nov. 2026", "12.11.2026", "12/11/26", "2026-11-12 00:00:00",
     46338],
)  # fmt: skip
def test_date_is_read_when_in_a_common_format(raw: object) -> None:
    assert value_of("signed_on", raw) == date(2026, 11, 12)


def test_date_is_read_when_first_of_month_written_1er() -> None:
    assert value_of("signed_on", "1er décembre 2026") == date(2026, 12, 1)


@pytest.mark.parametrize(
    "raw", ["31/02/2026", "demain", "2026", "12/13/2026", "novembre 2026", 12, time(10, 0)]
)
def test_date_is_rejected_when_not_a_date(raw: object) -> None:
    problem = field_problem({"signed_on": raw}, "signed_on")
    assert problem is not None and problem[0] == "invalid_date"
    assert "jj/mm/aaaa" in problem[1]


@pytest.mark.parametrize(
    ("key", "raw", "value"),
    [
        ("school_type", "college", "collège"),
        ("school_type", "  LYCÉE   Général et Technologique ", "lycée général et technologique"),
        ("school_type", "erea", "EREA"),
        ("school_type", "LPO", "lycée polyvalent"),
        ("school_status", "Privé sous contrat", "privé sous contrat"),
        ("school_status", "PUBLIC", "public"),
        ("mobility_type", "physique et virtuelle", "virtuelle et physique"),
        ("mobility_type", "Virtuelle / Physique", "virtuelle et physique"),
        ("mobility_type", "virtuel", "virtuelle"),
    ],
)
def test_choice_is_canonical_when_matched_ignoring_case_and_accents(key: str, raw: str, value: str) -> None:
    assert value_of(key, raw) == value


def test_choice_problem_lists_accepted_values_when_unknown() -> None:
    assert field_problem({"mobility_type": "présentiel"}, "mobility_type") == (
        "invalid_choice",
        "« Type de mobilité » : « présentiel » ne fait pas partie des valeurs acceptées : "
        "« virtuelle », « physique », « virtuelle et physique ».",
    )
    problem = field_problem({"school_status": "privé hors contrat"}, "school_status")
    assert problem is not None and problem[0] == "invalid_choice"


@pytest.mark.parametrize(
    ("raw", "value"), [("Allemagne", "DE"), ("germany", "DE"), ("DE", "DE"), ("Royaume-Uni", "GB")]
)
def test_country_is_alpha2_when_known(raw: str, value: str) -> None:
    assert value_of("target_country", raw) == value


@pytest.mark.parametrize("raw", ["Atlantide", 12, True])
def test_country_is_unknown_when_not_in_table(raw: object) -> None:
    problem = field_problem({"target_country": raw}, "target_country")
    assert problem is not None and problem[0] == "unknown_country"
    assert "ex. Allemagne" in problem[1]


@pytest.mark.parametrize(
    ("raw", "value"),
    [("oui", True), ("OUI", True), ("yes", True), ("x", True), ("X", True), ("true", True), ("1", True), (1, True),
     (1.0, True), (True, True), ("Oui, depuis 2024", True), ("✓", True), ("non", False), ("No", False), ("false", False),
     ("0", False), (0, False), (False, False)],
)  # fmt: skip
def test_yesno_is_boolean_when_recognised(raw: object, value: bool) -> None:
    assert value_of("existing_partner", raw) is value


@pytest.mark.parametrize("raw", ["peut-être", "bientôt", 2, "en cours"])
def test_yesno_is_rejected_when_not_yes_or_no(raw: object) -> None:
    problem = field_problem({"existing_partner": raw}, "existing_partner")
    assert problem is not None and problem[0] == "invalid_yesno"


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("allemand, anglais", ("allemand", "anglais")),
        ("allemand; anglais / espagnol et italien", ("allemand", "anglais", "espagnol", "italien")),
        ("Allemand, allemand , ", ("Allemand",)),
        ("allemand\nanglais", ("allemand", "anglais")),
        (["allemand", " anglais ", ""], ("allemand", "anglais")),
        ("lettres", ("lettres",)),
    ],
)
def test_list_is_split_when_separated(raw: object, value: tuple[str, ...]) -> None:
    assert value_of("languages_taught", raw) == value


def test_text_is_trimmed_when_it_has_extra_spaces() -> None:
    assert value_of("school_name", "  Lycée   Kléber \r\n  Strasbourg ") == "Lycée Kléber\nStrasbourg"
    assert value_of("school_name", 42.0) == "42"


def test_partner_sheet_is_ok_when_embassy_fills_it() -> None:
    raw = {
        "partner_name": "Goethe-Gymnasium Freiburg",
        "partner_school_type": "Gymnasium",
        "partner_city": "Freiburg im Breisgau",
        "partner_country": "Deutschland",
        "partner_head_name": "Dr. Andrea Vogel",
        "partner_email": "Sekretariat@Goethe-Gymnasium.de",
        "partner_languages": "Französisch, Englisch",
        "guarantees_checked": "yes",
    }
    check = check_form(PARTNER_SHEET, raw)
    assert check.ok, check.problems
    assert check.values["partner_country"] == "DE"
    assert check.values["partner_email"] == "sekretariat@goethe-gymnasium.de"
    assert check.values["guarantees_checked"] is True


# ------------------------------------------------------------------------------------ robustness


STRANGE = [object(), b"\x00\xff", time(12, 0), timedelta(days=2), math.nan, math.inf, -math.inf, 10**40,
           Decimal("1.5"), [{"a": 1}], {"k": "v"}, "\x00\x07", "é" * 10_000, -1, 1e308, set()]  # fmt: skip


@pytest.mark.parametrize("value", STRANGE, ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("spec", [REQUEST_FORM, PARTNER_SHEET], ids=lambda s: s.form_id)
def test_check_never_raises_when_cells_hold_strange_values(spec: FormSpec, value: object) -> None:
    check = check_form(spec, {field.key: value for field in spec.fields})
    for problem in check.problems:
        assert problem.message.startswith(f"« {problem.label} » : ")
        assert len(problem.message) < 400


# ------------------------------------------------------------------------------------------- JSON


def test_json_round_trip_keeps_values_when_stored_and_read() -> None:
    values = check_form(REQUEST_FORM, valid_request()).values
    data = values_to_json(values)
    assert data["signed_on"] == "2026-11-12"
    assert data["languages_taught"] == ["allemand", "anglais", "espagnol"]
    assert data["existing_partner"] is True
    assert data["pupils_count"] == 24
    assert values_from_json(data, REQUEST_FORM) == values


def test_normalised_values_are_stable_when_checked_again() -> None:
    values = check_form(REQUEST_FORM, valid_request()).values
    again = check_form(REQUEST_FORM, values_to_json(values))
    assert again.ok
    assert again.values == values


def test_values_from_json_skips_bad_entries_when_data_is_odd() -> None:
    data = {"signed_on": "not a date", "pupils_count": "12", "uai": "0670080Y", "unknown": 1}
    assert values_from_json(data, REQUEST_FORM) == {"pupils_count": 12, "uai": "0670080Y"}
