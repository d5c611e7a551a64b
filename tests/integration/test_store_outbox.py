"""Sent copies in SqlStore (SQLite and PostgreSQL): recorded, and listed while missing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mailflow.adapters.db import SqlStore
from mailflow.domain.case import OutboxRecord, OutboxStatus
from mailflow.domain.message import OutboundEmail

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def _mail(n: int) -> OutboxRecord:
    email = OutboundEmail(
        message_id=f"<out{n}@dareic>",
        from_addr="ce.dareic@ac-strasbourg.fr",
        from_name="Dareic",
        to_addrs=("ecole@ac-strasbourg.fr",),
        subject=f"mail {n}",
        text="Bonjour",
        date=T0,
    )
    return OutboxRecord(case_id=None, template="t", party=None, email=email, next_attempt_at=T0)


def test_sent_mails_without_their_copy_are_listed_until_marked_copied(store: SqlStore) -> None:
    with store.transaction() as tx:
        ids = [tx.add_outbox(_mail(n)) for n in range(4)]
        tx.mark_sent(ids[0], T0 - timedelta(days=10))  # too old to be made good
        tx.mark_sent(ids[1], T0)
        tx.mark_sent(ids[2], T0 + timedelta(minutes=1))  # ids[3] stays pending: not sent, no copy due
    with store.transaction() as tx:
        missing = tx.outbox_uncopied(T0 - timedelta(days=7), limit=10)
        assert [r.id for r in missing] == [ids[1], ids[2]]
        assert all(r.status is OutboxStatus.SENT and not r.sent_copied for r in missing)
        assert [r.id for r in tx.outbox_uncopied(T0 - timedelta(days=7), limit=1)] == [ids[1]]
        tx.mark_copied(ids[1])
    with store.transaction() as tx:
        assert [r.id for r in tx.outbox_uncopied(T0 - timedelta(days=7), limit=10)] == [ids[2]]
        assert [r.sent_copied for r in tx.outbox()] == [False, True, False, False]
