"""The template context of DESIGN's renderer contract, built from a case (values stay raw; templates escape)."""

from __future__ import annotations

from datetime import date, timedelta

from mailflow.domain.calendar import french_date
from mailflow.domain.case import Case
from mailflow.domain.countries import french_name
from mailflow.domain.effects import Party
from mailflow.domain.states import STATE_LABELS
from mailflow.services.deps import Identity

EMBASSY_SERVICE = "le service de coopération et d'action culturelle de l'ambassade de France"


def counterpart_phrase(service: str | None) -> str:
    """Who searches or vouches for the partner, as the subject of a French sentence (lower case)."""
    if not service or "ambassade" in service.lower():
        return EMBASSY_SERVICE
    return f"notre correspondant ({service})"


_NEXT_STEP = {
    "AT_EMBASSY": "embassy",
    "UNDER_REVIEW": "review",
    "EMBASSY_OPINION": "opinion",
    "AWAITING_RECTOR": "rector",
}


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _date(value: object) -> str | None:
    if isinstance(value, date):
        return french_date(value)
    if isinstance(value, str) and value:
        try:
            return french_date(date.fromisoformat(value))
        except ValueError:
            return value
    return None


def partner_view(partner: dict[str, object] | None) -> dict[str, object] | None:
    if not partner:
        return None
    country = partner.get("partner_country")
    return {
        "name": _text(partner.get("partner_name")),
        "school_type": _text(partner.get("partner_school_type")),
        "address": _text(partner.get("partner_address")),
        "city": _text(partner.get("partner_city")),
        "country_name": french_name(str(country)) if country else "",
        "head_name": _text(partner.get("partner_head_name")),
        "email": _text(partner.get("partner_email")),
        "languages": _text(partner.get("partner_languages")),
        "guarantees_checked": partner.get("guarantees_checked")
        if isinstance(partner.get("guarantees_checked"), bool)
        else None,
        "remarks": _text(partner.get("remarks")),
    }


def case_view(case: Case) -> dict[str, object]:
    form = case.form
    mobility = _text(form.get("mobility_type")) or "virtuelle"
    count = form.get("pupils_count")
    partner = case.partner
    if partner is None and form.get("existing_partner") is True:
        partner = {
            k: form.get(k) for k in ("partner_name", "partner_city", "partner_email", "partner_head_name")
        }
        partner["partner_country"] = case.target_country
    return {
        "ref": case.ref,
        "state": case.state.value,
        "state_label": STATE_LABELS[case.state],
        "school_name": case.school_name or _text(form.get("school_name")),
        "uai": case.school_uai or "",
        "school_type": _text(form.get("school_type")),
        "city": _text(form.get("city")),
        "address": _text(form.get("address")),
        "postal_code": _text(form.get("postal_code")),
        "head_name": _text(form.get("head_name")),
        "teacher_name": _text(form.get("teacher_name")),
        "teacher_email": _text(form.get("teacher_email")),
        "country_name": french_name(case.target_country) if case.target_country else "",
        "region": _text(form.get("target_region")) or None,
        "mobility_type": mobility,
        "physical": "physique" in mobility,
        "mobility_period": _text(form.get("mobility_period")) or None,
        "project_theme": _text(form.get("project_theme")),
        "pupils_level": _text(form.get("pupils_level")),
        "pupils_count": count if isinstance(count, int) else None,
        "languages_taught": _text(form.get("languages_taught")),
        "existing_partner": form.get("existing_partner") is True,
        "form_version": case.form_version,
        "opened_on": french_date(case.opened_at.date()),
        "due_on": french_date(case.due_on, weekday=True) if case.due_on else None,
        "partner": partner_view(partner),
        "counterpart": EMBASSY_SERVICE,
    }


def build_context(
    ident: Identity,
    today: date,
    case: Case,
    party: Party,
    address: str,
    extras: dict[str, object],
    attachments: list[str],
    service: str | None = None,
) -> dict[str, object]:
    """The renderer's context for one mail about ``case`` to ``party`` (see templates/mail)."""
    deliberation = extras.get("deliberation_on") or (
        case.deliberation_on.isoformat() if case.deliberation_on else None
    )
    authorised = None
    if deliberation:
        authorised = french_date(date.fromisoformat(str(deliberation)) + timedelta(days=15))
    language = case.embassy_language if party is Party.EMBASSY else "fr"
    return {
        "case": {**case_view(case), "counterpart": counterpart_phrase(service)},
        "academie": {
            "name": ident.academie_name,
            "dareic_name": ident.dareic_name,
            "dareic_address": ident.dareic_address,
            "signatory_name": ident.signatory_name,
            "signatory_title": ident.signatory_title,
        },
        "recipient": {
            "party": party.value,
            "address": address,
            "language": language,
            "service": service if party is Party.EMBASSY else None,
        },
        "today": french_date(today),
        "next_step": _NEXT_STEP.get(case.state.value),
        "problems": list(extras.get("problems", []) or []),  # type: ignore[call-overload]
        "reason": extras.get("reason"),
        "reminder": extras.get("reminder"),
        "deliberation_on": _date(deliberation),
        "authorised_from": authorised,
        "attachments": attachments,
    }
