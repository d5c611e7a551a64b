"""`mailflow status`: what the daemon did last, what waits, what failed (plain data for the CLI); and the
daemon's incident journal, which the digest tells."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from mailflow.domain.case import InboundStatus, OutboxStatus
from mailflow.domain.incidents import Incident
from mailflow.services.deps import Deps

RECENT = timedelta(days=1)  # how far back `mailflow status` lists the incident journal


def record(deps: Deps, name: str, value: dict[str, object]) -> None:
    """The daemon's heartbeat: one row per activity (poll, drain, error), overwritten each time."""
    with deps.store.transaction() as tx:
        tx.set_status(name, value, deps.clock.now())


def add_incidents(deps: Deps, incidents: Sequence[Incident]) -> None:
    """Append to the incident journal, all or none (TransientError when the database is down)."""
    with deps.store.transaction() as tx:
        for incident in incidents:
            tx.add_incident(incident)


def recent_incidents(deps: Deps, since: datetime | None) -> list[Incident]:
    """The journal since ``since`` (everything when None), oldest first."""
    with deps.store.transaction() as tx:
        return tx.incidents_since(since)


def status_report(deps: Deps) -> dict[str, object]:
    with deps.store.transaction() as tx:
        beats = tx.statuses()
        inbound = tx.count_by_status("inbound")
        outbox = tx.count_by_status("outbox")
        quarantined = [
            tx.inbound(i)
            for i in tx.inbound_with_status(
                deps.mailbox.name if deps.mailbox else "INBOX", InboundStatus.QUARANTINED
            )
        ][-5:]
        failed = [r for r in tx.outbox() if r.status is OutboxStatus.FAILED][-5:]
        incidents = tx.incidents_since(deps.clock.now() - RECENT)[-10:]

    def when(name: str) -> datetime | None:
        return beats[name][1] if name in beats else None

    return {
        "last_poll": when("poll"),
        "last_poll_result": beats["poll"][0] if "poll" in beats else None,
        "last_drain": when("drain"),
        "backlog": inbound.get(InboundStatus.NEW.value, 0),
        "outbox_pending": outbox.get(OutboxStatus.PENDING.value, 0),
        "outbox_failed": outbox.get(OutboxStatus.FAILED.value, 0),
        "outbox_sent": outbox.get(OutboxStatus.SENT.value, 0),
        "last_error": {"at": when("error"), **beats["error"][0]} if "error" in beats else None,
        "recent_quarantine": [
            {"id": r.id, "from": r.from_addr, "subject": r.subject, "reason": r.reason[:200]}
            for r in quarantined
        ],
        "recent_failed_mail": [
            {"to": list(r.email.to_addrs), "subject": r.email.subject, "error": r.last_error[:200]}
            for r in failed
        ],
        "recent_incidents": [
            {"at": i.at, "kind": i.kind.value, "count": i.count, "message": i.message[:200]}
            for i in incidents
        ],
    }
