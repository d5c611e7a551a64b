"""Apply an event to a case: transition, timeline row, and every effect, inside the caller's transaction."""

from __future__ import annotations

from datetime import date

from mailflow.domain.calendar import add_working_days
from mailflow.domain.case import Case, CaseEvent, ReminderRecord
from mailflow.domain.effects import CancelReminders, FlagForReview, Party, ScheduleReminder, SendEmail
from mailflow.domain.states import EventKind, transition
from mailflow.ports import Tx
from mailflow.services.cause import Cause
from mailflow.services.compose import enqueue_mail
from mailflow.services.deps import Deps


def local_today(deps: Deps) -> date:
    return deps.clock.now().astimezone(deps.identity.timezone).date()


def apply_event(deps: Deps, tx: Tx, case: Case, event: EventKind, cause: Cause) -> Case:
    """Transition ``case`` on ``event`` and carry out the effects; raises IllegalTransition when not allowed."""
    decision = transition(case.state, event)
    now = deps.clock.now()
    case.state = decision.target
    case.updated_at = now
    case.review_reason = None
    assert case.id is not None
    tx.add_event(
        CaseEvent(
            case_id=case.id,
            at=now,
            kind=event.value,
            actor=cause.actor,
            source_state=decision.source,
            target_state=decision.target,
            inbound_id=cause.inbound_id,
            detail=cause.detail,
        )
    )
    for effect in decision.effects:
        if isinstance(effect, CancelReminders):
            tx.cancel_reminders(case.id)
            case.waiting_for = None
            case.due_on = None
        elif isinstance(effect, ScheduleReminder):
            schedule_reminder(
                deps, tx, case, effect, sequence=int(str(cause.extras.get("reminder_sequence", 0)))
            )
        elif isinstance(effect, FlagForReview):
            case.review_reason = effect.reason + (f" ({cause.detail})" if cause.detail else "")
        elif isinstance(effect, SendEmail):
            queued = enqueue_mail(deps, tx, case, effect, cause)
            if not queued:
                case.review_reason = (
                    f"courriel « {effect.template} » non envoyé : destinataire inconnu ou limite atteinte"
                )
    return tx.save_case(case)


def schedule_reminder(deps: Deps, tx: Tx, case: Case, effect: ScheduleReminder, sequence: int = 0) -> None:
    """Expect an answer from the party within the policy's working days; the case shows that due date."""
    assert case.id is not None
    today = local_today(deps)
    delay = deps.policy.reminder_days.get(effect.party, 10)
    # The embassy's clock runs on its country's public holidays; everyone else's on Alsace's.
    country = case.target_country if effect.party is Party.EMBASSY and case.target_country else "FR"
    holidays = deps.holidays.holidays_between(today, today.replace(year=today.year + 1), country=country)
    due = add_working_days(today, delay, holidays)
    tx.cancel_reminders(case.id)
    tx.add_reminder(ReminderRecord(case_id=case.id, party=effect.party, due_on=due, sequence=sequence))
    case.waiting_for = effect.party
    case.due_on = due


def note(deps: Deps, tx: Tx, case: Case, kind: str, cause: Cause) -> None:
    """A timeline line that changes nothing (auto-reply seen, message attached, staff note)."""
    assert case.id is not None
    tx.add_event(
        CaseEvent(
            case_id=case.id,
            at=deps.clock.now(),
            kind=kind,
            actor=cause.actor,
            inbound_id=cause.inbound_id,
            detail=cause.detail,
        )
    )
