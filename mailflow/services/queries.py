"""Read-only views for operators: case lists and a case's timeline, as plain data (JSON-ready)."""

from __future__ import annotations

from mailflow.domain.case import Case
from mailflow.domain.states import STATE_LABELS, CaseState
from mailflow.services.deps import Deps


def case_summary(case: Case) -> dict[str, object]:
    return {
        "ref": case.ref,
        "state": case.state.value,
        "state_label": STATE_LABELS[case.state],
        "school": case.school_name,
        "uai": case.school_uai,
        "country": case.target_country,
        "region": case.target_region,
        "embassy": case.embassy_address,
        "waiting_for": case.waiting_for.value if case.waiting_for else None,
        "due_on": case.due_on.isoformat() if case.due_on else None,
        "review": case.review_reason,
        "opened_at": case.opened_at.isoformat(),
        "updated_at": case.updated_at.isoformat(),
        "form_version": case.form_version,
    }


def list_cases(deps: Deps, state: CaseState | None = None) -> list[dict[str, object]]:
    with deps.store.transaction() as tx:
        return [case_summary(c) for c in tx.cases(state)]


def case_timeline(deps: Deps, ref: str) -> dict[str, object] | None:
    """The case with its events and its outgoing mail, oldest first; None when unknown."""
    with deps.store.transaction() as tx:
        case = tx.case_by_ref(ref.upper())
        if case is None or case.id is None:
            return None
        events = [
            {
                "at": e.at.isoformat(),
                "kind": e.kind,
                "actor": e.actor,
                "from": e.source_state.value if e.source_state else None,
                "to": e.target_state.value if e.target_state else None,
                "detail": e.detail,
                "inbound_id": e.inbound_id,
            }
            for e in tx.events(case.id)
        ]
        mails = [
            {
                "at": r.email.date.isoformat(),
                "template": r.template,
                "to": list(r.email.to_addrs),
                "subject": r.email.subject,
                "status": r.status.value,
                "message_id": r.email.message_id,
            }
            for r in tx.outbox(case.id)
        ]
        return {
            **case_summary(case),
            "form": case.form,
            "partner": case.partner,
            "events": events,
            "mails": mails,
        }
