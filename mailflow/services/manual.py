"""Messages pushed by hand (`mailflow ingest-file`): stored like fetched mail, then ingested."""

from __future__ import annotations

from mailflow.domain.case import InboundRecord, InboundStatus
from mailflow.domain.ids import MailboxKey
from mailflow.extract.headers import quick_message_id
from mailflow.services.deps import Deps
from mailflow.services.poll import ingest_one

MANUAL_MAILBOX = "ingest-file"


def ingest_raw(deps: Deps, raw: bytes) -> tuple[InboundStatus, str | None]:
    """Store and ingest one raw message; returns its status and the case reference, if any."""
    with deps.store.transaction() as tx:
        uid = tx.watermark(MANUAL_MAILBOX, 1) + 1
        tx.set_watermark(MANUAL_MAILBOX, 1, uid)
        mid = quick_message_id(raw)
        record = InboundRecord(
            key=MailboxKey(MANUAL_MAILBOX, 1, uid), message_id=mid, fetched_at=deps.clock.now(), raw=raw
        )
        if mid and tx.inbound_by_message_id(MANUAL_MAILBOX, mid) is not None:
            record = record.model_copy(
                update={"message_id": None, "status": InboundStatus.DUPLICATE, "reason": "already ingested"}
            )
        inbound_id = tx.add_inbound(record)
    assert inbound_id is not None
    status = ingest_one(deps, inbound_id)
    with deps.store.transaction() as tx:
        rec = tx.inbound(inbound_id)
        ref = tx.case(rec.case_id).ref if rec.case_id else None
    return status, ref
