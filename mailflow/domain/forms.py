"""The form schema (request form, fiche partenaire) and its validation: raw cell values -> FormCheck.

One schema drives everything: the blank forms in ``forms/`` are generated from it, the extractors read
cells by its keys, and ``check_form`` normalises each value and explains every problem in French,
naming the label as printed on the form. Pure: stdlib and pydantic only (e-mail syntax through
pydantic's email-validator binding).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TypeAlias

from pydantic import BaseModel, ConfigDict
from pydantic.networks import validate_email

from mailflow.domain.countries import country_code, fold
from mailflow.domain.uai import expected_letter, parse_uai

FieldValue: TypeAlias = str | int | bool | date | tuple[str, ...]


class FieldKind(StrEnum):
    TEXT = "text"
    UAI = "uai"
    EMAIL = "email"
    PHONE = "phone"
    POSTAL_CODE = "postal_code"
    INTEGER = "integer"
    DATE = "date"
    CHOICE = "choice"
    COUNTRY = "country"
    YESNO = "yesno"
    LIST = "list"


class Requirement(StrEnum):
    REQUIRED = "required"
    OPTIONAL = "optional"
    IF_PHYSICAL = "if_physical"  # required when the mobility type includes physical mobility
    IF_PARTNER = "if_partner"  # required when a partner is already identified


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FieldSpec(_Frozen):
    """One input of a form. ``aliases`` maps other spellings (folded) to a canonical choice."""

    key: str
    label: str
    kind: FieldKind
    requirement: Requirement
    choices: tuple[str, ...] = ()
    help: str = ""
    min_value: int | None = None
    max_value: int | None = None
    section: str = ""
    label_en: str = ""
    aliases: tuple[tuple[str, str], ...] = ()


class FormSpec(_Frozen):
    form_id: str
    version: str
    title: str
    fields: tuple[FieldSpec, ...]

    def field(self, key: str) -> FieldSpec:
        for spec in self.fields:
            if spec.key == key:
                return spec
        raise KeyError(f"{self.form_id} has no field {key!r}")

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(spec.key for spec in self.fields)


class Problem(_Frozen):
    """One thing wrong with a form; ``message`` is French and names the label as printed."""

    field: str | None
    label: str
    code: str
    message: str


class FormCheck(_Frozen):
    form_id: str
    values: dict[str, FieldValue]
    problems: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


# ---------------------------------------------------------------------------------------------- schema

_K, _R = FieldKind, Requirement
SCHOOL_TYPES = (
    "école",
    "collège",
    "lycée général et technologique",
    "lycée professionnel",
    "lycée polyvalent",
    "EREA",
    "autre",
)
SCHOOL_STATUSES = ("public", "privé sous contrat")
MOBILITY_TYPES = ("virtuelle", "physique", "virtuelle et physique")
_PHYSICAL = "physique"
_MOBILITY_KEY = "mobility_type"
_PARTNER_FLAG_KEY = "existing_partner"


def _f(key: str, label: str, kind: FieldKind, req: Requirement, section: str, **extra: object) -> FieldSpec:
    return FieldSpec.model_validate(
        {"key": key, "label": label, "kind": kind, "requirement": req, "section": section, **extra}
    )


_SCHOOL_TYPE_ALIASES = (
    ("ecole primaire", "école"),
    ("ecole elementaire", "école"),
    ("ecole maternelle", "école"),
    ("clg", "collège"),
    ("lgt", "lycée général et technologique"),
    ("lycee general", "lycée général et technologique"),
    ("lycee technologique", "lycée général et technologique"),
    ("lycee general technologique", "lycée général et technologique"),
    ("lp", "lycée professionnel"),
    ("lpo", "lycée polyvalent"),
)
_SCHOOL_STATUS_ALIASES = (
    ("publique", "public"),
    ("etablissement public", "public"),
    ("prive sous contrat d association", "privé sous contrat"),
)
_MOBILITY_ALIASES = (
    ("virtuel", "virtuelle"),
    ("mobilite virtuelle", "virtuelle"),
    ("mobilite physique", "physique"),
    ("virtuelle physique", "virtuelle et physique"),
    ("physique et virtuelle", "virtuelle et physique"),
    ("physique virtuelle", "virtuelle et physique"),
    ("hybride", "virtuelle et physique"),
    ("les deux", "virtuelle et physique"),
)
_E, _C, _P, _A, _D, _S = "Établissement", "Contact", "Projet", "Partenaire", "Dispositifs", "Signature"
_YN = "oui / non"

# fmt: off
REQUEST_FORM = FormSpec(
    form_id="demande-appariement",
    version="2026.1",
    title="Demande d'appariement",
    fields=(
        _f("school_name", "Nom de l'établissement", _K.TEXT, _R.REQUIRED, _E),
        _f("uai", "Code UAI (ex-RNE)", _K.UAI, _R.REQUIRED, _E, help="7 chiffres et une lettre, ex. 0670080Y"),
        _f("school_type", "Type d'établissement", _K.CHOICE, _R.REQUIRED, _E,
           choices=SCHOOL_TYPES, aliases=_SCHOOL_TYPE_ALIASES),
        _f("school_status", "Statut", _K.CHOICE, _R.REQUIRED, _E,
           choices=SCHOOL_STATUSES, aliases=_SCHOOL_STATUS_ALIASES),
        _f("address", "Adresse", _K.TEXT, _R.REQUIRED, _E),
        _f("postal_code", "Code postal", _K.POSTAL_CODE, _R.REQUIRED, _E, help="5 chiffres, ex. 67000"),
        _f("city", "Commune", _K.TEXT, _R.REQUIRED, _E),
        _f("school_email", "Courriel de l'établissement", _K.EMAIL, _R.REQUIRED, _E),
        _f("phone", "Téléphone", _K.PHONE, _R.REQUIRED, _E, help="ex. 03 88 12 34 56"),
        _f("head_name", "Nom du chef d'établissement", _K.TEXT, _R.REQUIRED, _E),
        _f("teacher_name", "Professeur référent", _K.TEXT, _R.REQUIRED, _C),
        _f("teacher_email", "Courriel du professeur référent", _K.EMAIL, _R.REQUIRED, _C),
        _f("teacher_subject", "Discipline du professeur référent", _K.TEXT, _R.OPTIONAL, _C),
        _f("languages_taught", "Langues vivantes enseignées", _K.LIST, _R.REQUIRED, _P,
           help="séparées par des virgules, ex. allemand, anglais"),
        _f("target_country", "Pays souhaité", _K.COUNTRY, _R.REQUIRED, _P,
           help="nom du pays en toutes lettres, ex. Allemagne"),
        _f("target_region", "Région / ville souhaitée", _K.TEXT, _R.OPTIONAL, _P),
        _f("partner_school_type", "Type d'établissement partenaire recherché", _K.TEXT, _R.REQUIRED, _P),
        _f("pupils_level", "Niveau / classes concernés", _K.TEXT, _R.REQUIRED, _P, help="ex. 4e, 3e"),
        _f("pupils_count", "Nombre d'élèves concernés", _K.INTEGER, _R.REQUIRED, _P,
           min_value=1, max_value=500, help="nombre entier entre 1 et 500"),
        _f("project_theme", "Projet pédagogique (thème, objectifs)", _K.TEXT, _R.REQUIRED, _P),
        _f("working_languages", "Langue(s) de travail", _K.LIST, _R.OPTIONAL, _P),
        _f("mobility_type", "Type de mobilité", _K.CHOICE, _R.REQUIRED, _P,
           choices=MOBILITY_TYPES, aliases=_MOBILITY_ALIASES),
        _f("mobility_period", "Période envisagée", _K.TEXT, _R.IF_PHYSICAL, _P,
           help="obligatoire pour une mobilité physique, ex. mars 2027"),
        _f("existing_partner", "Partenaire déjà identifié ?", _K.YESNO, _R.REQUIRED, _A, help=_YN),
        _f("partner_name", "Partenaire : nom de l'établissement", _K.TEXT, _R.IF_PARTNER, _A),
        _f("partner_city", "Partenaire : ville", _K.TEXT, _R.IF_PARTNER, _A),
        _f("partner_email", "Partenaire : courriel", _K.EMAIL, _R.IF_PARTNER, _A),
        _f("partner_head_name", "Partenaire : chef d'établissement", _K.TEXT, _R.IF_PARTNER, _A),
        _f("etwinning_registered", "Inscrit sur eTwinning", _K.YESNO, _R.OPTIONAL, _D, help=_YN),
        _f("etwinning_school_label", "Label eTwinning School", _K.YESNO, _R.OPTIONAL, _D, help=_YN),
        _f("erasmus_accreditation", "Accréditation Erasmus+", _K.YESNO, _R.OPTIONAL, _D, help=_YN),
        _f("other_framework", "Autre dispositif (OFAJ, Euroscol, accord bilatéral…)", _K.TEXT, _R.OPTIONAL, _D),
        _f("signed_on", "Date", _K.DATE, _R.REQUIRED, _S, help="jj/mm/aaaa"),
        _f("signatory", "Nom et qualité du signataire", _K.TEXT, _R.REQUIRED, _S),
    ),
)

_PS, _OP = "Partenaire", "Avis"
PARTNER_SHEET = FormSpec(
    form_id="fiche-partenaire",
    version="2026.1",
    title="Fiche partenaire",
    fields=(
        _f("partner_name", "Nom de l'établissement partenaire", _K.TEXT, _R.REQUIRED, _PS,
           label_en="Name of the partner school"),
        _f("partner_school_type", "Type d'établissement", _K.TEXT, _R.REQUIRED, _PS, label_en="Type of school"),
        _f("partner_address", "Adresse", _K.TEXT, _R.OPTIONAL, _PS, label_en="Address"),
        _f("partner_city", "Ville", _K.TEXT, _R.REQUIRED, _PS, label_en="City"),
        _f("partner_country", "Pays", _K.COUNTRY, _R.REQUIRED, _PS, label_en="Country"),
        _f("partner_head_name", "Chef d'établissement", _K.TEXT, _R.REQUIRED, _PS, label_en="Head of school"),
        _f("partner_email", "Courriel de contact", _K.EMAIL, _R.REQUIRED, _PS, label_en="Contact e-mail"),
        _f("partner_languages", "Langues enseignées", _K.LIST, _R.REQUIRED, _PS,
           label_en="Languages taught", help="ex. français, anglais"),
        _f("guarantees_checked", "Garanties vérifiées", _K.YESNO, _R.REQUIRED, _OP,
           label_en="Guarantees checked", help="oui / non (yes / no)"),
        _f("remarks", "Remarques", _K.TEXT, _R.OPTIONAL, _OP, label_en="Remarks"),
    ),
)
# fmt: on

FORM_SPECS: Mapping[str, FormSpec] = {spec.form_id: spec for spec in (REQUEST_FORM, PARTNER_SHEET)}
ALL_FIELD_KEYS: frozenset[str] = frozenset(key for spec in FORM_SPECS.values() for key in spec.keys)


# ------------------------------------------------------------------------------------------ parsing


class _Reject(Exception):
    """A value that cannot be accepted: the problem code and the French reason after the echo."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(code)
        self.code = code
        self.reason = reason


_INVALID_CODE = {
    FieldKind.UAI: "invalid_uai",
    FieldKind.EMAIL: "invalid_email",
    FieldKind.PHONE: "invalid_phone",
    FieldKind.POSTAL_CODE: "invalid_postal_code",
    FieldKind.INTEGER: "invalid_integer",
    FieldKind.DATE: "invalid_date",
    FieldKind.CHOICE: "invalid_choice",
    FieldKind.COUNTRY: "unknown_country",
    FieldKind.YESNO: "invalid_yesno",
}
_WS = re.compile(r"[^\S\n]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_ECHO_MAX = 60
_PLACEHOLDER = " \t\r\n\u00a0\u202f-–—_/\\.,;:…*?"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _clean_text(value: str) -> str:
    """Trimmed text: control characters removed, runs of spaces collapsed, lines kept."""
    text = _CONTROL.sub(" ", value.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [_WS.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(lines).strip("\n ")


def _as_text(value: object) -> str:
    """Any cell value as the text a person would read in the cell."""
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, list | tuple):
        return ", ".join(t for t in (_as_text(v) for v in value) if t)
    return _clean_text(str(value))


def _is_empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, list | tuple):
        return all(_is_empty(v) for v in value)
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str):
        return not value.strip(_PLACEHOLDER)  # "", "  ", "-", "/", "…" (but "✓" is an answer)
    return False


def _echo(value: object) -> str:
    text = " ".join(_as_text(value).split())
    return text if len(text) <= _ECHO_MAX else text[: _ECHO_MAX - 1] + "…"


def _quoted(items: tuple[str, ...]) -> str:
    return ", ".join(f"« {item} »" for item in items)


def _parse_uai(value: object) -> str:
    text = _as_text(value)
    uai = parse_uai(text)
    if uai is not None:
        return uai
    letter = expected_letter(text)
    if letter is not None:
        raise _Reject(
            "invalid_uai", f"n'est pas un code UAI valide (la lettre de contrôle devrait être {letter})"
        )
    raise _Reject(
        "invalid_uai", "n'est pas un code UAI valide (7 chiffres suivis d'une lettre, ex. 0670080Y)"
    )


def _parse_email(value: object) -> str:
    text = _as_text(value)
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :]
    try:
        _, normalised = validate_email(text.strip())
    except ValueError as exc:
        raise _Reject(
            "invalid_email", "n'est pas une adresse électronique valide (ex. prenom.nom@ac-strasbourg.fr)"
        ) from exc
    return normalised.lower()


_PHONE_REASON = "n'est pas un numéro de téléphone français valide (10 chiffres, ex. 03 88 12 34 56)"


def _parse_phone(value: object) -> str:
    if _is_number(value):
        text = _as_text(value)
        digits = text if text.isdigit() else ""
    else:
        text = _as_text(value).replace("(0)", "")
        digits = re.sub(r"[^\d+]", "", text)
    if digits.startswith("+33"):
        digits = "0" + digits[3:].removeprefix("0")
    elif digits.startswith("0033"):
        digits = "0" + digits[4:].removeprefix("0")
    elif digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    elif len(digits) == 9 and digits.isdigit() and digits[0] != "0":
        digits = "0" + digits  # a spreadsheet dropped the leading zero
    if not re.fullmatch(r"0[1-9]\d{8}", digits):
        raise _Reject("invalid_phone", _PHONE_REASON)
    return " ".join(digits[i : i + 2] for i in range(0, 10, 2))


def _parse_postal_code(value: object) -> str:
    if _is_number(value):
        text = _as_text(value)
        if text.isdigit() and len(text) == 4:
            text = "0" + text  # 01000 stored as a number
    else:
        text = re.sub(r"\s+", "", _as_text(value)).upper().removeprefix("F-").removeprefix("F")
    prefix = text[:2]
    if not (re.fullmatch(r"\d{5}", text) and ("01" <= prefix <= "95" or prefix in ("97", "98"))):
        raise _Reject("invalid_postal_code", "n'est pas un code postal valide (5 chiffres, ex. 67000)")
    return text


def _bounds(spec: FieldSpec) -> str:
    if spec.min_value is not None and spec.max_value is not None:
        return f"un nombre entier entre {spec.min_value} et {spec.max_value} est attendu"
    if spec.min_value is not None:
        return f"un nombre entier d'au moins {spec.min_value} est attendu"
    if spec.max_value is not None:
        return f"un nombre entier d'au plus {spec.max_value} est attendu"
    return "un nombre entier est attendu, ex. 24"


_INTEGER_TEXT = re.compile(r"[^\d\-]*?(-?)\s*(\d+)(?:[.,]0+)?(?![\d.,]*\d)\D*")


def _parse_integer(spec: FieldSpec, value: object) -> int:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        match = _INTEGER_TEXT.fullmatch(_as_text(value))
        if match and len(match.group(2)) <= 9:
            number = int(match.group(1) + match.group(2))
    if number is None:
        raise _Reject("invalid_integer", f"n'est pas un nombre entier ({_bounds(spec)})")
    if (spec.min_value is not None and number < spec.min_value) or (
        spec.max_value is not None and number > spec.max_value
    ):
        raise _Reject("out_of_range", f"est hors limites ({_bounds(spec)})")
    return number


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("janvier", "janv", "jan", "january"),
            ("fevrier", "fevr", "fev", "february", "feb"),
            ("mars", "mar", "march"),
            ("avril", "avr", "april", "apr"),
            ("mai", "may"),
            ("juin", "june", "jun"),
            ("juillet", "juil", "july", "jul"),
            ("aout", "august", "aug"),
            ("septembre", "sept", "sep", "september"),
            ("octobre", "oct", "october"),
            ("novembre", "nov", "november"),
            ("decembre", "dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_WEEKDAYS = r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|le)\s+"
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_YMD_DATE = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})")
_DMY_DATE = re.compile(r"(\d{1,2})\s*([/.\-])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})")
_TEXT_DATE = re.compile(r"(\d{1,2})(?:er|e)?\s+([a-z]+)\.?\s+(\d{4})")
_EXCEL_EPOCH = date(1899, 12, 30)
_DATE_REASON = "n'est pas une date valide (format attendu : jj/mm/aaaa, ex. 12/11/2026)"


def _parse_date(value: object) -> date:
    try:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if _is_number(value) and isinstance(value, int | float) and 20000 <= value <= 80000:
            return _EXCEL_EPOCH + timedelta(days=int(value))  # an Excel serial number
        if isinstance(value, str):
            text = value.strip().lower()
            if match := _ISO_DATE.fullmatch(text):
                return date(int(match[1]), int(match[2]), int(match[3]))
            if match := _YMD_DATE.fullmatch(text):
                return date(int(match[1]), int(match[2]), int(match[3]))
            if match := _DMY_DATE.fullmatch(text):
                year = int(match[4]) + (2000 if len(match[4]) == 2 else 0)
                return date(year, int(match[3]), int(match[1]))
            words = re.sub(r"^(?:" + _WEEKDAYS + r")+", "", " ".join(_plain(text).split()) + " ").strip()
            if (match := _TEXT_DATE.fullmatch(words)) and match[2] in _MONTHS:
                return date(int(match[3]), _MONTHS[match[2]], int(match[1]))
    except (ValueError, OverflowError) as exc:
        raise _Reject("invalid_date", _DATE_REASON) from exc
    raise _Reject("invalid_date", _DATE_REASON)


def _plain(text: str) -> str:
    """Lower case without accents, punctuation kept (dates need their dots and slashes)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn").casefold()


def _parse_choice(spec: FieldSpec, value: object) -> str:
    key = fold(_as_text(value))
    for choice in spec.choices:
        if fold(choice) == key:
            return choice
    for alias, choice in spec.aliases:
        if fold(alias) == key:
            return choice
    raise _Reject("invalid_choice", f"ne fait pas partie des valeurs acceptées : {_quoted(spec.choices)}")


_YES = frozenset({"oui", "yes", "y", "o", "x", "true", "vrai", "1", "ja", "si", "✓", "✔", "☑"})
_NO = frozenset({"non", "no", "n", "false", "faux", "0", "nein"})


def _parse_yesno(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if _is_number(value) and value in (0, 1):
        return value == 1
    if isinstance(value, str):
        text = value.strip().casefold()
        key = fold(text)
        first = key.split(" ", 1)[0] if key else ""
        if text in _YES or key in _YES or first in ("oui", "yes"):
            return True
        if key in _NO or first in ("non", "no"):
            return False
    raise _Reject("invalid_yesno", "n'est pas une réponse valide (« oui » ou « non » attendu)")


_LIST_SPLIT = re.compile(r"\s*(?:[,;/\n+&]|\s(?:et|and|und)\s)\s*", re.IGNORECASE)


def _parse_list(value: object) -> tuple[str, ...]:
    parts: list[str] = []
    if isinstance(value, list | tuple):
        parts = [_as_text(v) for v in value]
    else:
        parts = _LIST_SPLIT.split(_as_text(value))
    seen: set[str] = set()
    items: list[str] = []
    for part in parts:
        item = part.strip(" \t-•*·.").strip()
        if item and any(ch.isalnum() for ch in item) and fold(item) not in seen:
            seen.add(fold(item))
            items.append(item)
    return tuple(items)


def _parse_country(value: object) -> str:
    code = country_code(_as_text(value)) if isinstance(value, str) else None
    if code is None:
        raise _Reject(
            "unknown_country",
            "n'est pas un pays reconnu (indiquez le nom du pays en toutes lettres, ex. Allemagne, "
            "ou son code ISO, ex. DE)",
        )
    return code


def parse_value(spec: FieldSpec, value: object) -> FieldValue:
    """One non-empty raw value, normalised for its field; raises ValueError with a French reason."""
    try:
        return _parse(spec, value)
    except _Reject as reject:
        raise ValueError(reject.reason) from reject


def _parse(spec: FieldSpec, value: object) -> FieldValue:
    kind = spec.kind
    if kind is FieldKind.UAI:
        return _parse_uai(value)
    if kind is FieldKind.EMAIL:
        return _parse_email(value)
    if kind is FieldKind.PHONE:
        return _parse_phone(value)
    if kind is FieldKind.POSTAL_CODE:
        return _parse_postal_code(value)
    if kind is FieldKind.INTEGER:
        return _parse_integer(spec, value)
    if kind is FieldKind.DATE:
        return _parse_date(value)
    if kind is FieldKind.CHOICE:
        return _parse_choice(spec, value)
    if kind is FieldKind.COUNTRY:
        return _parse_country(value)
    if kind is FieldKind.YESNO:
        return _parse_yesno(value)
    if kind is FieldKind.LIST:
        return _parse_list(value)
    return _as_text(value)


# ----------------------------------------------------------------------------------------- checking


def _missing(spec: FieldSpec, condition: str = "") -> Problem:
    return Problem(
        field=spec.key,
        label=spec.label,
        code="missing",
        message=f"« {spec.label} » : ce champ est obligatoire{condition}.",
    )


def _required_now(spec: FieldSpec, physical: bool, partner: bool) -> str | None:
    """None if the field may stay empty; otherwise the condition to add to the message."""
    if spec.requirement is Requirement.REQUIRED:
        return ""
    if spec.requirement is Requirement.IF_PHYSICAL and physical:
        return " pour une mobilité physique"
    if spec.requirement is Requirement.IF_PARTNER and partner:
        return " lorsqu'un partenaire est déjà identifié"
    return None


def check_form(spec: FormSpec, raw: Mapping[str, object]) -> FormCheck:
    """Validate raw cell values (by field key) against ``spec``: normalised values, problems, warnings.

    Problems come in the order of the form. Invalid values are problems even in optional fields (the
    school wrote something we cannot use). Keys unknown to ``spec`` are ignored.
    """
    values: dict[str, FieldValue] = {}
    invalid: dict[str, Problem] = {}
    for field in spec.fields:
        value = raw.get(field.key)
        if _is_empty(value):
            continue
        try:
            parsed = _parse(field, value)
        except _Reject as reject:
            code, reason = reject.code, reject.reason
        except Exception:  # never let a strange cell value crash the pipeline
            code, reason = _INVALID_CODE.get(field.kind, "invalid_value"), "n'est pas une valeur valide"
        else:
            if parsed != ():
                values[field.key] = parsed
            continue
        invalid[field.key] = Problem(
            field=field.key,
            label=field.label,
            code=code,
            message=f"« {field.label} » : « {_echo(value)} » {reason}.",
        )

    mobility = values.get(_MOBILITY_KEY)
    physical = isinstance(mobility, str) and _PHYSICAL in mobility
    partner = values.get(_PARTNER_FLAG_KEY) is True
    problems: list[Problem] = []
    for field in spec.fields:
        if field.key in invalid:
            problems.append(invalid[field.key])
        elif field.key not in values:
            condition = _required_now(field, physical, partner)
            if condition is not None:
                problems.append(_missing(field, condition))

    warnings: list[Problem] = []
    partner_fields = [f for f in spec.fields if f.requirement is Requirement.IF_PARTNER]
    if values.get(_PARTNER_FLAG_KEY) is False and any(f.key in values for f in partner_fields):
        flag = spec.field(_PARTNER_FLAG_KEY)
        warnings.append(
            Problem(
                field=flag.key,
                label=flag.label,
                code="partner_unexpected",
                message=f"« {flag.label} » : la réponse est « non » mais des informations sur un "
                "partenaire sont remplies ; merci de vérifier.",
            )
        )
    return FormCheck(form_id=spec.form_id, values=values, problems=tuple(problems), warnings=tuple(warnings))


def values_to_json(values: Mapping[str, FieldValue]) -> dict[str, object]:
    """JSON-ready values: dates ISO, lists for tuples; the rest (str, int, bool) unchanged."""
    result: dict[str, object] = {}
    for key, value in values.items():
        if isinstance(value, date):
            result[key] = value.isoformat()
        elif isinstance(value, tuple):
            result[key] = list(value)
        else:
            result[key] = value
    return result


def values_from_json(data: Mapping[str, object], spec: FormSpec) -> dict[str, FieldValue]:
    """Back from ``values_to_json``: each key of ``spec`` present in ``data`` re-read with its kind.

    Values that are empty or no longer valid are left out rather than raising (stored data is read by
    the digest and the letters, which must not fail on one odd value).
    """
    result: dict[str, FieldValue] = {}
    for field in spec.fields:
        value = data.get(field.key)
        if _is_empty(value):
            continue
        try:
            parsed = _parse(field, value)
        except Exception:
            continue
        if parsed != ():
            result[field.key] = parsed
    return result
