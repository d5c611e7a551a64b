"""A story harness over the real embedded adapters (Maildir, .eml transport, SQLite) and a moving clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from mailflow.adapters.clock import FixedClock
from mailflow.adapters.formbuild import build_partner_sheet, build_request_form, fill_form
from mailflow.config import Settings
from mailflow.domain.case import Case, OutboxStatus
from mailflow.domain.message import OutboundEmail
from mailflow.runtime import demo_mails as mails
from mailflow.runtime.wiring import build_deps
from mailflow.services.outbox import drain_once
from mailflow.services.poll import poll_once
from mailflow.services.reminders import run_due_reminders
from mailflow.services.workflow import local_today

PARIS = ZoneInfo("Europe/Paris")
DAREIC = "ce.dareic@ac-strasbourg.fr"


class Story:
    def __init__(self, tmp_path: Path, start: datetime = datetime(2026, 11, 23, 9, 0, tzinfo=PARIS)) -> None:
        self.clock = FixedClock(start)
        self.deps = build_deps(Settings(base_dir=tmp_path), clock=self.clock)
        self.mailbox = self.deps.mailbox

    # --- what the parties do -------------------------------------------------------------------------
    def arrive(self, raw: bytes) -> dict[str, int]:
        self.mailbox.deliver(raw)  # type: ignore[union-attr]
        report = poll_once(self.deps)
        drain_once(self.deps)
        return report.statuses

    def request(self, **changes: object) -> Case:
        values = mails.request_values(local_today(self.deps)) | changes
        form = fill_form(build_request_form(), values)
        self.arrive(mails.school_request(form, self.clock.now(), DAREIC))
        with self.deps.store.transaction() as tx:
            return tx.cases()[-1]

    def partner_sheet(self, **changes: object) -> bytes:
        return fill_form(build_partner_sheet(), mails.partner_values() | changes)

    def later(self, days: int) -> int:
        """Days pass; the reminders due by then are sent."""
        self.clock.advance(timedelta(days=days))
        sent = run_due_reminders(self.deps, local_today(self.deps))
        drain_once(self.deps)
        return sent

    # --- what we look at ---------------------------------------------------------------------------
    def case(self, ref: str) -> Case:
        with self.deps.store.transaction() as tx:
            case = tx.case_by_ref(ref)
        assert case is not None
        return case

    def sent(self, ref: str | None = None) -> list[tuple[str, OutboundEmail]]:
        """(template, mail) of every mail sent, in order (for one case when ``ref`` is given)."""
        with self.deps.store.transaction() as tx:
            case_id = tx.case_by_ref(ref).id if ref else None  # type: ignore[union-attr]
            rows = tx.outbox(case_id)
        assert all(r.status is OutboxStatus.SENT for r in rows), [r.last_error for r in rows]
        return [(r.template, r.email) for r in rows]

    def received_by(self, address: str, ref: str | None = None) -> list[str]:
        return [template for template, email in self.sent(ref) if address in email.to_addrs]

    def last(self, template: str) -> OutboundEmail:
        return [email for name, email in self.sent() if name == template][-1]

    def events(self, ref: str) -> list[str]:
        case_id = self.case(ref).id
        assert case_id is not None
        with self.deps.store.transaction() as tx:
            return [e.kind for e in tx.events(case_id)]
