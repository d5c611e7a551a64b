"""Form validation: raw cell values -> FormCheck, values normalised and problems explained in French.

Messages name the label as printed on the form. Also the public face of the form schema (formschema.py)
and the value parsers (fieldparse.py), re-exported here. Pure: stdlib and pydantic only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from pydantic import BaseModel, ConfigDict

from mailflow.domain.fieldparse import INVALID_CODE, Reject, echo, is_empty, parse, parse_value
from mailflow.domain.formschema import (
    ALL_FIELD_KEYS,
    FORM_SPECS,
    MOBILITY_KEY,
    MOBILITY_TYPES,
    PARTNER_FLAG_KEY,
    PARTNER_SHEET,
    PHYSICAL,
    REQUEST_FORM,
    SCHOOL_STATUSES,
    SCHOOL_TYPES,
    FieldKind,
    FieldSpec,
    FieldValue,
    FormSpec,
    Requirement,
)

__all__ = [
    "ALL_FIELD_KEYS",
    "FORM_SPECS",
    "MOBILITY_TYPES",
    "PARTNER_SHEET",
    "REQUEST_FORM",
    "SCHOOL_STATUSES",
    "SCHOOL_TYPES",
    "FieldKind",
    "FieldSpec",
    "FieldValue",
    "FormCheck",
    "FormSpec",
    "Problem",
    "Requirement",
    "check_form",
    "parse_value",
    "values_from_json",
    "values_to_json",
]


class Problem(BaseModel):
    """One thing wrong with a form; ``message`` is French and names the label as printed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str | None
    label: str
    code: str
    message: str


class FormCheck(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    form_id: str
    values: dict[str, FieldValue]
    problems: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


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
        if is_empty(value):
            continue
        try:
            parsed = parse(field, value)
        except Reject as reject:
            code, reason = reject.code, reject.reason
        except Exception:  # never let a strange cell value crash the pipeline
            code, reason = INVALID_CODE.get(field.kind, "invalid_value"), "n'est pas une valeur valide"
        else:
            if parsed != ():
                values[field.key] = parsed
            continue
        invalid[field.key] = Problem(
            field=field.key,
            label=field.label,
            code=code,
            message=f"« {field.label} » : « {echo(value)} » {reason}.",
        )

    mobility = values.get(MOBILITY_KEY)
    physical = isinstance(mobility, str) and PHYSICAL in mobility
    partner = values.get(PARTNER_FLAG_KEY) is True
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
    if values.get(PARTNER_FLAG_KEY) is False and any(f.key in values for f in partner_fields):
        flag = spec.field(PARTNER_FLAG_KEY)
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
        if is_empty(value):
            continue
        try:
            parsed = parse(field, value)
        except Exception:
            continue
        if parsed != ():
            result[field.key] = parsed
    return result
