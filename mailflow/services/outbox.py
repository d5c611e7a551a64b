"""Drain the outbox: send due mails in one batch, keep a copy in Sent, retry transient failures with backoff.

The Sent copy is recorded too: a copy missed (a crash right after the send, the IMAP server down) is
made at a later drain, after checking the Sent folder does not hold it already. A mail the SMTP server
accepted while the database could not record it is remembered (Deps.sent_unrecorded) and recorded first
thing at the next drain, before anything is leased again: a database outage never sends a mail twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from mailflow.domain.case import OutboxRecord
from mailflow.domain.errors import PermanentError, TransientError
from mailflow.ports import Tx
from mailflow.services.deps import Deps

log = structlog.get_logger("mailflow.outbox")
BACKOFF = (1, 5, 15, 60)  # multiples of deps.retry_base (one minute in production)
GIVE_UP_AFTER = timedelta(days=2)
COPY_LOOKBACK = timedelta(days=7)  # missed Sent copies are made good for mails sent this recently
COPIES_PER_DRAIN = 50


@dataclass(slots=True)
class DrainReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def drain_once(deps: Deps, batch: int = 50) -> DrainReport:
    """Send every due mail (in batches over one connection each) until none is due."""
    report = DrainReport()
    _record_accepted_earlier(deps, report)  # raises while the database is still down: nothing is leased
    _copy_missing(deps)
    while True:
        now = deps.clock.now()
        with deps.store.transaction() as tx:
            # Leased, not just read: a second worker draining the same outbox never sends them too.
            due = tx.lease_outbox_due(now, batch, until=now + deps.outbox_lease)
        if not due:
            return report
        deps.store.make_durable()  # the mails and their lease are on disk before anything is sent
        deps.probe("leased")
        marked: set[int] = set()

        def accepted(
            index: int,
            error: Exception | None,
            due: list[OutboxRecord] = due,
            now: datetime = now,
            marked: set[int] = marked,
        ) -> None:
            # Recorded the moment the server accepts it: a crash can repeat only the mail in flight.
            if error is None:
                deps.probe("accepted")
                _record_sent(deps, due[index], now, report)
                marked.add(index)

        results = deps.transport.send([r.email for r in due], on_result=accepted)
        left = [(r, e) for i, (r, e) in enumerate(zip(due, results, strict=True)) if i not in marked]
        for record, error in left:  # the accepted ones first: they must never be lost
            if error is None:
                _record_sent(deps, record, now, report)
        for record, error in left:  # a failure not recorded (database down) is retried when the lease ends
            if error is not None:
                _record(deps, record, error, now, report)


def _record_sent(deps: Deps, record: OutboxRecord, now: datetime, report: DrainReport) -> None:
    """Record an accepted mail; when the database cannot take it, remember it for the next drain."""
    assert record.id is not None
    try:
        _record(deps, record, None, now, report)
    except TransientError as exc:
        deps.sent_unrecorded[record.id] = deps.clock.now()
        log.warning("sent_not_recorded_yet", message_id=record.email.message_id, error=str(exc))


def _record_accepted_earlier(deps: Deps, report: DrainReport) -> None:
    """Record the mails accepted while the database was down (their Sent copies follow in _copy_missing)."""
    for outbox_id, at in list(deps.sent_unrecorded.items()):
        with deps.store.transaction() as tx:
            tx.mark_sent(outbox_id, at)
        del deps.sent_unrecorded[outbox_id]
        report.sent += 1
        log.info("sent_recorded_late", outbox_id=outbox_id)


def _record(
    deps: Deps, record: OutboxRecord, error: Exception | None, now: datetime, report: DrainReport
) -> None:
    """Write what became of one mail: sent (and copied to Sent), retried later with backoff, or failed."""
    assert record.id is not None
    with deps.store.transaction() as tx:
        if error is None:
            tx.mark_sent(record.id, deps.clock.now())
            report.sent += 1
        elif isinstance(error, PermanentError) or now - record.email.date > GIVE_UP_AFTER:
            tx.mark_failed(record.id, str(error))
            _flag_case(tx, record, str(error))
            report.failed += 1
        else:
            delay = deps.retry_base * BACKOFF[min(record.attempts, len(BACKOFF) - 1)]
            tx.mark_retry(record.id, now + delay, str(error))
            report.retried += 1
    if error is None:
        deps.store.make_durable()  # a power cut may repeat the mail in flight, never one recorded sent
    deps.probe("marked")
    if error is None and deps.mailbox is not None:
        _copy_to_sent(deps, record)
    log.info("outbox", message_id=record.email.message_id, ok=error is None, error=str(error or ""))


def _flag_case(tx: Tx, record: OutboxRecord, error: str) -> None:
    """A mail that cannot be delivered blocks its case: show it to staff with the server's answer."""
    if record.case_id is None:
        return
    case = tx.case(record.case_id)
    case.review_reason = f"courriel non remis à {', '.join(record.email.to_addrs)} : {error[:200]}"
    tx.save_case(case)


def _copy_to_sent(deps: Deps, record: OutboxRecord) -> bool:
    """Copy a sent mail to the Sent folder and record it; a failed copy does not unsend the mail: it is
    logged, and made good by a later drain."""
    assert deps.mailbox is not None and record.id is not None
    try:
        deps.mailbox.append_sent(deps.serializer(record.email))
    except Exception as exc:
        log.warning("sent_copy_failed", message_id=record.email.message_id, error=str(exc))
        return False
    try:
        with deps.store.transaction() as tx:
            tx.mark_copied(record.id)
    except TransientError as exc:  # the copy is there; a later drain finds it before copying again
        log.warning("sent_copy_not_recorded", message_id=record.email.message_id, error=str(exc))
    return True


def _copy_missing(deps: Deps) -> None:
    """Make the Sent copies a crash or an IMAP outage left out (unless the folder has them already)."""
    if deps.mailbox is None:
        return
    with deps.store.transaction() as tx:
        missing = tx.outbox_uncopied(deps.clock.now() - COPY_LOOKBACK, COPIES_PER_DRAIN)
    for record in missing:
        assert record.id is not None
        try:
            there = deps.mailbox.sent_contains(record.email.message_id)
        except Exception as exc:  # the server is down: the next drain tries again
            log.warning("sent_copy_check_failed", error=str(exc))
            return
        if there:  # copied just before a crash, not recorded
            with deps.store.transaction() as tx:
                tx.mark_copied(record.id)
        elif not _copy_to_sent(deps, record):
            continue  # the server answered the check: this copy alone failed, it must not hold up the others
        log.info("sent_copy_made_good", message_id=record.email.message_id, already_there=there)
