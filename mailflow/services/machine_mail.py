"""Machine-made mail about our own mail: bounces mark addresses invalid, absences move reminders.

Never answered and never a transition (MAIL.md §3): a permanent failure flags every case the address
blocks; an out-of-office moves that party's reminders after its return date.
"""

from __future__ import annotations

from datetime import date

from mailflow.domain.calendar import add_working_days, french_date
from mailflow.domain.case import Case, ReminderRecord
from mailflow.domain.classify import MailKind
from mailflow.domain.states import TERMINAL_STATES
from mailflow.services.cause import Cause
from mailflow.services.ingest_context import IngestContext


def handle_machine_mail(ctx: IngestContext, case: Case, cause: Cause) -> Case:
    classification = ctx.classification
    assert classification is not None
    bounce = classification.bounce
    if (
        classification.kind is MailKind.BOUNCE
        and bounce
        and (bounce.action == "failed" or bounce.status[:1] == "5")
    ):
        return _bounce(ctx, case, bounce.recipients, bounce.status)
    if classification.kind is MailKind.AUTOREPLY and classification.ooo_until:
        return _absence(ctx, case, classification.ooo_until, classification.ooo_substitute)
    return case


def _bounce(ctx: IngestContext, case: Case, recipients: tuple[str, ...], status: str) -> Case:
    tx, now = ctx.tx, ctx.deps.clock.now()
    for address in recipients:
        tx.mark_invalid(address, f"{status} : courriel non distribuable", now)
        for other in tx.cases():
            blocked = address.lower() in (other.school_address.lower(), (other.embassy_address or "").lower())
            if blocked and other.state not in TERMINAL_STATES:
                other.review_reason = f"adresse en erreur : {address} ({status}) — corrigez le contact"
                saved = tx.save_case(other)
                if saved.id == case.id:
                    case = saved
    ctx.reason = f"bounce {status}: {', '.join(recipients)}"
    return case


def _absence(ctx: IngestContext, case: Case, until: date, substitute: str | None) -> Case:
    """The absent party's reminders fall after its return (the next working day), never before."""
    assert case.id is not None
    tx, deps = ctx.tx, ctx.deps
    holidays = deps.holidays.holidays_between(until, until.replace(year=until.year + 1))
    back = add_working_days(until, 1, holidays)
    for reminder in tx.pending_reminders(case.id):
        if reminder.due_on < back:
            tx.cancel_reminders(case.id)
            tx.add_reminder(
                ReminderRecord(case_id=case.id, party=reminder.party, due_on=back, sequence=reminder.sequence)
            )
            case.due_on = back
    ctx.reason = f"absent jusqu'au {french_date(until)}" + (
        f" ; remplaçant : {substitute}" if substitute else ""
    )
    return tx.save_case(case)
