"""MailTx: the Tx methods for mail: IMAP watermarks, inbound messages and the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from mailflow.adapters.db import tables as t
from mailflow.adapters.db.rows import (
    inbound_from_row,
    inbound_values,
    lowered,
    outbox_from_row,
    outbox_values,
)
from mailflow.adapters.db.tx_base import TxBase
from mailflow.domain.case import InboundRecord, InboundStatus, OutboxRecord, OutboxStatus
from mailflow.domain.ids import MailboxKey
from mailflow.domain.message import Attachment

BLOB_PIECE = 1 << 20  # bytes written at a time into a big raw message's SQLite blob
# Inbound messages mailflow acted on, which must leave the inbox (processed or quarantine folder).
TO_MOVE = (InboundStatus.CLAIMED, InboundStatus.IGNORED, InboundStatus.QUARANTINED, InboundStatus.DUPLICATE)


def _select_inbound(with_raw: bool) -> Select[Any]:
    """The inbound rows, with their raw bytes (kept apart, in inbound_raw) only when asked for."""
    if not with_raw:
        return select(t.inbound)
    return select(t.inbound, t.inbound_raw.c.raw).select_from(
        t.inbound.outerjoin(t.inbound_raw, t.inbound_raw.c.inbound_id == t.inbound.c.id)
    )


class MailTx(TxBase):
    """Watermarks, inbound and outbox methods of SqlTx."""

    # --- inbound mail and watermarks ---

    def watermark(self, mailbox: str, uidvalidity: int) -> int:
        w = t.watermarks.c
        last = self.conn.execute(
            select(w.last_uid).where(w.mailbox == mailbox, w.uidvalidity == uidvalidity)
        ).scalar_one_or_none()
        return int(last or 0)

    def set_watermark(self, mailbox: str, uidvalidity: int, uid: int) -> None:
        stmt = self._insert(t.watermarks).values(mailbox=mailbox, uidvalidity=uidvalidity, last_uid=uid)
        stmt = stmt.on_conflict_do_update(index_elements=["mailbox", "uidvalidity"], set_={"last_uid": uid})
        self.conn.execute(stmt)

    def add_inbound(self, record: InboundRecord) -> int | None:
        values = inbound_values(record)
        try:
            # A savepoint: a failed INSERT must not abort the caller's PostgreSQL transaction.
            with self.conn.begin_nested():
                inbound_id = self._add(t.inbound, values)
                if record.raw is not None:
                    self._add_raw(inbound_id, record.raw)
                return inbound_id
        except IntegrityError:
            if self._inbound_key_exists(record.key):
                return None
            raise  # the same Message-ID in this mailbox: the caller should have stored it as a duplicate

    def _add_raw(self, inbound_id: int, raw: bytes) -> None:
        """Store the raw bytes; into SQLite, a big message is written in pieces into a reserved blob,
        because binding it whole makes SQLite copy it twice (~55 MB of memory for a 27 MB mail)."""
        if self.conn.dialect.name != "sqlite" or len(raw) <= BLOB_PIECE:
            self.conn.execute(t.inbound_raw.insert(), {"inbound_id": inbound_id, "raw": raw})
            return
        reserve = t.inbound_raw.insert().values(inbound_id=inbound_id, raw=func.zeroblob(len(raw)))
        self.conn.execute(reserve)
        sqlite = self.conn.connection.driver_connection
        assert sqlite is not None  # an open transaction's connection
        view = memoryview(raw)
        with sqlite.blobopen("inbound_raw", "raw", inbound_id) as blob:  # inbound_id is the rowid
            for start in range(0, len(raw), BLOB_PIECE):
                blob.write(view[start : start + BLOB_PIECE])

    def _inbound_key_exists(self, key: MailboxKey) -> bool:
        c = t.inbound.c
        found = self.conn.execute(
            select(c.id).where(c.mailbox == key.mailbox, c.uidvalidity == key.uidvalidity, c.uid == key.uid)
        ).first()
        return found is not None

    def inbound(self, inbound_id: int) -> InboundRecord:
        row = self.conn.execute(_select_inbound(True).where(t.inbound.c.id == inbound_id)).first()
        if row is None:
            raise KeyError(f"no inbound message {inbound_id}")
        return inbound_from_row(row)

    def claim_inbound(self, inbound_id: int, *, with_raw: bool = True) -> InboundRecord | None:
        """The record, row-locked until the end of the transaction, if it still waits (status new).

        Two workers may both try to ingest a stored message after a crash: the row lock (PostgreSQL)
        or the write lock every SQLite transaction takes first makes the second see it done.
        ``with_raw=False`` leaves the raw bytes out (the caller still holds them from the fetch).
        """
        stmt = _select_inbound(with_raw).where(t.inbound.c.id == inbound_id)
        if self.conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update(of=t.inbound)
        row = self.conn.execute(stmt).first()
        if row is None:
            return None
        record = inbound_from_row(row)
        return record if record.status is InboundStatus.NEW else None

    def claim_moves(self, inbound_ids: Sequence[int]) -> list[InboundRecord]:
        """The records not marked moved yet (without their raw bytes), row-locked until the end of
        the transaction, in id order.

        Held across the IMAP MOVE and mark_moved: a second worker finishing "interrupted" work waits,
        then sees them moved, so one message is never moved twice (which would copy it twice). Locking
        in id order keeps two workers from deadlocking on overlapping sets.
        """
        if not inbound_ids:
            return []
        c = t.inbound.c
        stmt = select(t.inbound).where(c.id.in_(list(inbound_ids)), c.moved.is_(False)).order_by(c.id)
        if self.conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        return [inbound_from_row(row) for row in self.conn.execute(stmt)]

    def inbound_by_message_id(self, mailbox: str, message_id: str) -> InboundRecord | None:
        c = t.inbound.c
        row = self.conn.execute(
            select(t.inbound).where(c.mailbox == mailbox, c.message_id == message_id)
        ).first()
        return None if row is None else inbound_from_row(row)

    def update_inbound(
        self,
        inbound_id: int,
        *,
        status: InboundStatus,
        kind: str | None = None,
        reason: str = "",
        case_id: int | None = None,
        drop_raw: bool = False,
    ) -> None:
        """Record what the pipeline decided; ``kind`` and ``case_id`` left as None keep their value."""
        values: dict[str, object] = {"status": status.value, "reason": reason}
        if kind is not None:
            values["kind"] = kind
        if case_id is not None:
            values["case_id"] = case_id
        self._update(t.inbound, inbound_id, **values)
        if drop_raw:
            self.conn.execute(delete(t.inbound_raw).where(t.inbound_raw.c.inbound_id == inbound_id))

    def mark_moved(self, inbound_ids: Sequence[int]) -> None:
        if inbound_ids:
            self.conn.execute(
                update(t.inbound).where(t.inbound.c.id.in_(list(inbound_ids))).values(moved=True)
            )

    def bump_inbound_attempts(self, inbound_id: int) -> int:
        c = t.inbound.c
        stmt = (
            update(t.inbound).where(c.id == inbound_id).values(attempts=c.attempts + 1).returning(c.attempts)
        )
        return int(self.conn.execute(stmt).scalar_one())

    def inbound_with_status(self, mailbox: str, status: InboundStatus) -> list[int]:
        c = t.inbound.c
        stmt = select(c.id).where(c.mailbox == mailbox, c.status == status.value).order_by(c.id)
        return [int(i) for i in self.conn.execute(stmt).scalars()]

    def inbound_unmoved(self, mailbox: str) -> list[InboundRecord]:
        c = t.inbound.c
        stmt = (
            select(t.inbound)
            .where(c.mailbox == mailbox, c.status.in_([s.value for s in TO_MOVE]), c.moved.is_(False))
            .order_by(c.id)
        )
        return [inbound_from_row(row) for row in self.conn.execute(stmt)]

    # --- outbox ---

    def add_outbox(self, record: OutboxRecord) -> int:
        outbox_id = self._add(t.outbox, outbox_values(record))
        for position, att in enumerate(record.email.attachments):
            self._add(
                t.outbox_attachments,
                {
                    "outbox_id": outbox_id,
                    "position": position,
                    "filename": att.filename,
                    "content_type": att.content_type,
                    "data": att.data,
                },
            )
        return outbox_id

    def outbox_due(self, now: datetime, limit: int) -> list[OutboxRecord]:
        o = t.outbox.c
        stmt = (
            select(t.outbox)
            .where(o.status == OutboxStatus.PENDING.value, o.next_attempt_at <= now)
            .order_by(o.next_attempt_at, o.id)
            .limit(limit)
        )
        return self._outbox_records(self.conn.execute(stmt).all())

    def lease_outbox_due(self, now: datetime, limit: int, until: datetime) -> list[OutboxRecord]:
        """Due mails taken for sending until ``until``: another worker does not see them meanwhile.

        PostgreSQL skips rows another worker holds (SKIP LOCKED); SQLite transactions are serialised.
        A worker that dies while sending leaves a lease that simply expires: the mail is retried.
        """
        o = t.outbox.c
        stmt = (
            select(t.outbox)
            .where(o.status == OutboxStatus.PENDING.value, o.next_attempt_at <= now)
            .order_by(o.next_attempt_at, o.id)
            .limit(limit)
        )
        if self.conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        records = self._outbox_records(self.conn.execute(stmt).all())
        if records:
            ids = [r.id for r in records]
            self.conn.execute(update(t.outbox).where(o.id.in_(ids)).values(next_attempt_at=until))
        return records

    def outbox(self, case_id: int | None = None) -> list[OutboxRecord]:
        stmt = select(t.outbox).order_by(t.outbox.c.id)
        if case_id is not None:
            stmt = stmt.where(t.outbox.c.case_id == case_id)
        return self._outbox_records(self.conn.execute(stmt).all())

    def _outbox_records(self, rows: Sequence[Row[Any]]) -> list[OutboxRecord]:
        a = t.outbox_attachments.c
        by_outbox: dict[int, list[Attachment]] = {}
        if rows:
            ids = [row.id for row in rows]
            stmt = select(t.outbox_attachments).where(a.outbox_id.in_(ids)).order_by(a.outbox_id, a.position)
            for att in self.conn.execute(stmt):
                by_outbox.setdefault(att.outbox_id, []).append(
                    Attachment(filename=att.filename, content_type=att.content_type, data=att.data)
                )
        return [outbox_from_row(row, by_outbox.get(row.id, [])) for row in rows]

    def mark_sent(self, outbox_id: int, at: datetime) -> None:
        self._outbox_attempt(outbox_id, status=OutboxStatus.SENT.value, sent_at=at, last_error="")

    def mark_copied(self, outbox_id: int) -> None:
        self._update(t.outbox, outbox_id, sent_copied=True)

    def outbox_uncopied(self, since: datetime, limit: int) -> list[OutboxRecord]:
        """Mails sent at or after ``since`` whose copy never reached the Sent folder, oldest first."""
        o = t.outbox.c
        stmt = (
            select(t.outbox)
            .where(o.status == OutboxStatus.SENT.value, o.sent_copied.is_(False), o.sent_at >= since)
            .order_by(o.id)
            .limit(limit)
        )
        return self._outbox_records(self.conn.execute(stmt).all())

    def mark_retry(self, outbox_id: int, next_attempt_at: datetime, error: str) -> None:
        self._outbox_attempt(outbox_id, next_attempt_at=next_attempt_at, last_error=error)

    def mark_failed(self, outbox_id: int, error: str) -> None:
        self._outbox_attempt(outbox_id, status=OutboxStatus.FAILED.value, last_error=error)

    def _outbox_attempt(self, outbox_id: int, **values: object) -> None:
        """Every outcome of a send counts one attempt."""
        self._update(t.outbox, outbox_id, attempts=t.outbox.c.attempts + 1, **values)

    def auto_mails_since(self, case_id: int, to_addr: str, since: datetime) -> int:
        o = t.outbox.c
        stmt = select(o.to_addrs).where(o.case_id == case_id, o.date >= since)
        wanted = to_addr.strip().lower()
        return sum(1 for (to_addrs,) in self.conn.execute(stmt) if wanted in lowered(to_addrs))
