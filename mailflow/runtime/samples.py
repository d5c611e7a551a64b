"""A realistic sample case (the demo's lycée Kléber), for rendering every template in check-config and previews."""

from __future__ import annotations

from datetime import UTC, date, datetime

from mailflow.domain.case import Case
from mailflow.domain.effects import Party
from mailflow.domain.forms import PARTNER_SHEET, REQUEST_FORM, check_form, values_to_json
from mailflow.domain.states import CaseState
from mailflow.runtime import demo_mails
from mailflow.services.deps import Identity
from mailflow.services.mailcontext import build_context

_PARTIES = {"school": Party.SCHOOL, "embassy": Party.EMBASSY, "rector": Party.RECTOR}


def sample_case(today: date) -> Case:
    form = values_to_json(check_form(REQUEST_FORM, demo_mails.request_values(today)).values)
    partner = values_to_json(check_form(PARTNER_SHEET, demo_mails.partner_values()).values)
    at = datetime.combine(today, datetime.min.time(), UTC)
    return Case(
        ref=f"APP-{today.year}-0001",
        state=CaseState.AWAITING_SCHOOL,
        opened_at=at,
        updated_at=at,
        school_address=demo_mails.SCHOOL,
        school_uai="0670080Y",
        school_name="Lycée Kléber",
        target_country="DE",
        target_region=str(form.get("target_region")),
        form=form,
        form_version=1,
        partner=partner,
        embassy_address=demo_mails.EMBASSY_BW,
        due_on=today,
    )


def sample_context(identity: Identity, template: str, today: date) -> dict[str, object]:
    """The context a real mail named ``template`` would get (party from the name's suffix)."""
    party = _PARTIES.get(template.rsplit("_", 1)[-1], Party.EMBASSY)
    extras: dict[str, object] = {
        "problems": [{"label": "Code UAI (ex-RNE)", "message": "« 0740003A » n'est pas un code UAI valide"}],
        "reason": "Le projet doit préciser les modalités d'accueil des élèves.",
        "reminder": {"sequence": 1, "first_sent_on": "2 novembre 2026"},
        "deliberation_on": today.isoformat(),
    }
    context = build_context(
        identity,
        today,
        sample_case(today),
        party,
        "destinataire@example.org",
        extras,
        ["demande-appariement.xlsx"],
    )
    # The reply to a staff command lists what became of each command line.
    context["results"] = [
        {"line": "/note Appel du chef d'établissement", "ok": True, "message": "note ajoutée au dossier"},
        {"line": "/valider", "ok": False, "message": "impossible dans l'état actuel du dossier"},
    ]
    return context
