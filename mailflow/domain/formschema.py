"""The form schema: field kinds and specs, and the two forms (request form, fiche partenaire) as data.

The blank forms in ``forms/`` are generated from it and the extractors read cells by its keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import TypeAlias

from pydantic import BaseModel, ConfigDict

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
PHYSICAL = "physique"  # a mobility type containing this includes travel
MOBILITY_KEY = "mobility_type"
PARTNER_FLAG_KEY = "existing_partner"


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
           help="choisir dans la liste, ex. Allemagne"),
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
        _f("partner_country", "Pays", _K.COUNTRY, _R.REQUIRED, _PS, label_en="Country",
           help="choisir dans la liste / choose from the list"),
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

CONDITIONS: Mapping[Requirement, str] = {
    Requirement.IF_PHYSICAL: "obligatoire pour une mobilité physique",
    Requirement.IF_PARTNER: "obligatoire si un partenaire est déjà identifié",
}


def field_help(field: FieldSpec) -> str:
    """The help printed beside an input on the blank forms (the readers skip it when it is no answer)."""
    parts = [field.help] if field.help else []
    condition = CONDITIONS.get(field.requirement)
    if condition and condition not in field.help:
        parts.append(condition)
    if field.kind in (FieldKind.CHOICE, FieldKind.COUNTRY) and not field.help:
        parts.append("choisir dans la liste")
    return " ; ".join(parts)


FORM_SPECS: Mapping[str, FormSpec] = {spec.form_id: spec for spec in (REQUEST_FORM, PARTNER_SHEET)}
ALL_FIELD_KEYS: frozenset[str] = frozenset(key for spec in FORM_SPECS.values() for key in spec.keys)
