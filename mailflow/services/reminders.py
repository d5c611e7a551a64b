"""Due reminders become REMIND events; past the policy's maximum the case is escalated to staff instead."""

from __future__ import annotations

from datetime import date

import structlog

from mailflow.domain.calendar import french_date
from mailflow.domain.errors import IllegalTransition
from mailflow.domain.states import EventKind
from mailflow.services.cause import Cause
from mailflow.services.deps import Deps
from mailflow.services.workflow import apply_event

log = structlog.get_logger("mailflow.reminders")


def run_due_reminders(deps: Deps, today: date) -> int:
    """Send every reminder due on or before ``today``; returns how many were sent."""
    with deps.store.transaction() as tx:
        due = tx.reminders_due(today)
    sent = 0
    for reminder in due:
        assert reminder.id is not None
        with deps.store.transaction() as tx:
            tx.complete_reminder(reminder.id)
            case = tx.case(reminder.case_id)
            if reminder.sequence >= deps.policy.max_reminders:
                case.review_reason = f"{reminder.sequence} relances sans réponse : à traiter"
                tx.save_case(case)
                continue
            first = [r for r in tx.outbox(case.id) if r.party == reminder.party]
            extras: dict[str, object] = {
                "reminder": {
                    "sequence": reminder.sequence + 1,
                    "first_sent_on": french_date(first[-1].email.date.date()) if first else None,
                },
                "reminder_sequence": reminder.sequence + 1,
            }
            try:
                apply_event(
                    deps,
                    tx,
                    case,
                    EventKind.REMIND,
                    Cause("system", detail=f"relance n° {reminder.sequence + 1}", extras=extras),
                )
                sent += 1
            except IllegalTransition:
                log.info("reminder_obsolete", case=case.ref, state=case.state.value)
    return sent
