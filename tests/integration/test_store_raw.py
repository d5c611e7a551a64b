"""Raw received messages live in inbound_raw (SQLite and PostgreSQL): stored, read, dropped, migrated."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from mailflow.adapters.db import SqlStore
from mailflow.domain.case import InboundRecord, InboundStatus
from mailflow.domain.ids import MailboxKey

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
RAW = b"Subject: annexes\r\n\r\n" + bytes(range(256)) * 40


def _record(uid: int, raw: bytes | None = RAW) -> InboundRecord:
    return InboundRecord(key=MailboxKey("INBOX", 7, uid), message_id=f"<m{uid}@x>", fetched_at=T0, raw=raw)


def test_raw_bytes_are_kept_apart_and_read_back_only_when_asked(store: SqlStore) -> None:
    with store.transaction() as tx:
        first = tx.add_inbound(_record(1))
        second = tx.add_inbound(_record(2, raw=None))
    assert first is not None and second is not None
    with store.transaction() as tx:
        assert tx.inbound(first).raw == RAW and tx.inbound(second).raw is None
        assert tx.inbound_by_message_id("INBOX", "<m1@x>").raw is None  # type: ignore[union-attr]
        assert tx.count("inbound_raw") == 1
        tx.update_inbound(first, status=InboundStatus.CLAIMED)  # the row changes, the raw bytes stay
    with store.transaction() as tx:
        assert tx.inbound(first).raw == RAW
        tx.update_inbound(first, status=InboundStatus.NOT_OURS, drop_raw=True)
    with store.transaction() as tx:
        assert tx.inbound(first).raw is None and tx.count("inbound_raw") == 0


def test_upgrade_moves_the_raw_bytes_of_existing_messages_into_their_own_table(db_url: str) -> None:
    old = SqlStore(db_url)
    old.upgrade("0004")
    with old.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO inbound (mailbox, uidvalidity, uid, message_id, fetched_at, raw, status, reason,"
                " moved, from_addr, subject, attempts) VALUES ('INBOX', 7, 1, '<old@x>', :at, :raw, 'claimed',"
                " '', :moved, '', '', 0)"
            ),
            {"at": T0, "raw": RAW, "moved": True},
        )
    old.dispose()
    store = SqlStore(db_url)
    store.upgrade()
    try:
        with store.transaction() as tx:
            found = tx.inbound_by_message_id("INBOX", "<old@x>")
            assert found is not None and found.id is not None
            assert tx.inbound(found.id).raw == RAW and found.status is InboundStatus.CLAIMED
    finally:
        store.dispose()


def test_a_message_of_several_megabytes_is_stored_in_pieces_and_read_back_byte_for_byte(
    store: SqlStore,
) -> None:
    big = b"Subject: scan\r\n\r\n" + bytes(range(256)) * 10_000 + b"end"  # 2.5 MB: three pieces
    with store.transaction() as tx:
        inbound_id = tx.add_inbound(_record(3, raw=big))
    assert inbound_id is not None
    with store.transaction() as tx:
        claimed = tx.claim_inbound(inbound_id)
    assert claimed is not None and claimed.raw == big


def test_commits_are_made_durable_on_demand_when_sqlite_runs_with_synchronous_normal(store: SqlStore) -> None:
    if store.url.get_backend_name() != "sqlite":
        store.make_durable()  # PostgreSQL commits are durable already: nothing to do, nothing fails
        return
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        before = conn.exec_driver_sql("PRAGMA user_version").scalar()
    store.make_durable()  # a one-page write committed with synchronous=FULL: the log is synced
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA user_version").scalar() == (before or 0) + 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # back to NORMAL
