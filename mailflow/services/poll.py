"""Fetch new mail, store it raw (one commit with the watermark), run the ingest steps, then move it.

Order matters for "nothing lost, nothing done twice": the raw message and the watermark are committed
before anything acts on it; the MOVE comes only after the ingest commits, and a crash in between is
finished by the next poll (inbound rows not yet moved).

Speed: one fetch, one store commit and one MOVE per folder for a whole batch of messages; each message
is ingested from the bytes just fetched (not read back) in its own transaction. A batch holds at most
FETCH_BYTES of raw mail (past its first message), so a few huge mails never sit in memory together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from mailflow.domain.case import InboundRecord, InboundStatus
from mailflow.extract.headers import quick_message_id, quick_sender_subject
from mailflow.ports import Mailbox
from mailflow.services.deps import Deps
from mailflow.services.ingest import INGEST_STEPS
from mailflow.services.ingest_context import IngestContext
from mailflow.services.pipeline import Shunt, run_steps

log = structlog.get_logger("mailflow.poll")
FETCH_BYTES = 16 * 1024 * 1024  # raw mail fetched at once, past a batch's first message
MOVE_CHUNK = 200  # messages per MOVE command and transaction
_MOVED = {InboundStatus.CLAIMED, InboundStatus.IGNORED, InboundStatus.DUPLICATE}


@dataclass(slots=True)
class PollReport:
    fetched: int = 0
    statuses: dict[str, int] = field(default_factory=dict)

    def count(self, status: InboundStatus) -> None:
        self.statuses[status.value] = self.statuses.get(status.value, 0) + 1


class _Quarantine(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def poll_once(deps: Deps, batch: int = 100, should_stop: Callable[[], bool] = lambda: False) -> PollReport:
    """One pass over the inbox: finish interrupted work, then fetch, ingest and move new mail.

    ``should_stop`` is asked between messages: a stopping daemon finishes the message in hand only
    (what was fetched but not ingested is stored and resumed by the next start).
    """
    mailbox = deps.mailbox
    assert mailbox is not None, "poll needs a mailbox"
    report = PollReport()
    _finish_interrupted(deps, mailbox, report)
    while not should_stop():
        fetched = _fetch_and_store(deps, mailbox, batch)
        if not fetched:
            break
        report.fetched += len(fetched)
        decided: list[int] = []
        fetched.reverse()  # popped from the end: each raw message is released once ingested
        while fetched and not should_stop():
            inbound_id, raw = fetched.pop()
            status = ingest_one(deps, inbound_id, raw)
            del raw
            deps.probe("ingested")
            report.count(status)
            decided.append(inbound_id)
        _move(deps, mailbox, decided)
    return report


def _fetch_and_store(deps: Deps, mailbox: Mailbox, batch: int) -> list[tuple[int, bytes | None]]:
    """The next batch, stored with the watermark in one commit: (inbound id, raw bytes) in UID order."""
    uidvalidity = mailbox.uidvalidity()
    with deps.store.transaction() as tx:
        last = tx.watermark(mailbox.name, uidvalidity)
    messages = mailbox.fetch_after(last, limit=batch, max_bytes=FETCH_BYTES)
    stored: list[tuple[int, bytes | None]] = []
    with deps.store.transaction() as tx:
        for fetched in messages:
            mid = quick_message_id(fetched.raw)
            sender, subject = quick_sender_subject(fetched.raw)
            record = InboundRecord(
                key=fetched.key,
                message_id=mid,
                fetched_at=deps.clock.now(),
                raw=fetched.raw,
                from_addr=sender,
                subject=subject,
            )
            previous = tx.inbound_by_message_id(mailbox.name, mid) if mid else None
            if previous is not None:
                record = record.model_copy(update={"message_id": None, **_seen_before(previous)})
            inbound_id = tx.add_inbound(record)
            if inbound_id is not None:
                stored.append((inbound_id, record.raw))
            last = max(last, fetched.key.uid)
        tx.set_watermark(mailbox.name, uidvalidity, last)
    del messages
    if stored:
        deps.probe("stored")
    return stored


def _seen_before(previous: InboundRecord) -> dict[str, object]:
    """A message seen again (a second copy, or the folder renumbered after a UIDVALIDITY change).

    What was not ours stays not ours and untouched in the inbox; anything else is a duplicate, moved
    out of the inbox like the first copy.
    """
    if previous.status is InboundStatus.NOT_OURS:
        return {
            "status": InboundStatus.NOT_OURS,
            "raw": None,
            "reason": f"already examined as inbound #{previous.id}",
        }
    return {"status": InboundStatus.DUPLICATE, "reason": f"duplicate of inbound #{previous.id}"}


def ingest_one(deps: Deps, inbound_id: int, raw: bytes | None = None) -> InboundStatus:
    """Run the ingest steps on one stored message in one transaction; quarantine it if a step fails.

    ``raw`` is the message as just fetched and stored (saves reading it back); None reads it back.
    """
    bound = log.bind(inbound_id=inbound_id)
    try:
        with deps.store.transaction() as tx:
            record = tx.claim_inbound(inbound_id, with_raw=raw is None)
            if record is None:  # decided already: at fetch time (seen before), or by another worker
                return tx.inbound(inbound_id).status
            if raw is not None:
                record = record.model_copy(update={"raw": raw})
            ctx = IngestContext(deps=deps, tx=tx, record=record)
            result = run_steps(
                INGEST_STEPS,
                ctx,
                lambda name, outcome: bound.debug("step", step=name, outcome=type(outcome).__name__),
            )
            if isinstance(result.outcome, Shunt):
                raise _Quarantine(result.outcome.reason)
            kind = ctx.classification.kind.value if ctx.classification else None
            case_id = ctx.case.id if ctx.case and ctx.status is not InboundStatus.NOT_OURS else None
            tx.update_inbound(
                inbound_id,
                status=ctx.status,
                kind=kind,
                reason=ctx.reason,
                case_id=case_id,
                drop_raw=ctx.status is InboundStatus.NOT_OURS,
            )
            bound.info(
                "ingested",
                status=ctx.status.value,
                case=ctx.case.ref if ctx.case else None,
                message_id=record.message_id,
            )
            return ctx.status
    except _Quarantine as exc:
        reason = exc.reason
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
    with deps.store.transaction() as tx:
        tx.bump_inbound_attempts(inbound_id)
        tx.update_inbound(inbound_id, status=InboundStatus.QUARANTINED, reason=reason[:2000])
    bound.warning("quarantined", reason=reason[:300])
    return InboundStatus.QUARANTINED


def _move(deps: Deps, mailbox: Mailbox, inbound_ids: list[int]) -> None:
    """MOVE decided messages out of the inbox (one command per folder), the rows locked meanwhile
    (never moved twice).

    A crash after the MOVE but before the commit leaves them unmarked: the next MOVE of a UID that is
    gone is a no-op, and the mark follows.
    """
    if inbound_ids:
        deps.store.make_durable()  # what was decided is on disk before the mail leaves the inbox
    for start in range(0, len(inbound_ids), MOVE_CHUNK):
        with deps.store.transaction() as tx:
            records = tx.claim_moves(inbound_ids[start : start + MOVE_CHUNK])
            processed = [r for r in records if r.status in _MOVED]
            quarantined = [r for r in records if r.status is InboundStatus.QUARANTINED]
            if processed:
                mailbox.move_to_processed([r.key for r in processed])
            if quarantined:
                mailbox.move_to_quarantine([r.key for r in quarantined])
            if processed or quarantined:
                deps.probe("moved")
                tx.mark_moved([r.id for r in (*processed, *quarantined) if r.id is not None])


def _finish_interrupted(deps: Deps, mailbox: Mailbox, report: PollReport) -> None:
    """After a crash: ingest what was stored but not examined, move what was decided but not moved."""
    with deps.store.transaction() as tx:
        pending = tx.inbound_with_status(mailbox.name, InboundStatus.NEW)
    for inbound_id in pending:
        report.count(ingest_one(deps, inbound_id))
    with deps.store.transaction() as tx:
        unmoved = [r.id for r in tx.inbound_unmoved(mailbox.name) if r.id is not None]
    _move(deps, mailbox, unmoved)
