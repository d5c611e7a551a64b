"""SqlStore against real databases: every test runs on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from mailflow.adapters.db import SqlStore
from mailflow.adapters.db.tables import metadata
from mailflow.domain.case import (
    Case,
    CaseEvent,
    InboundRecord,
    InboundStatus,
    OutboxRecord,
    OutboxStatus,
    ReminderRecord,
)
from mailflow.domain.effects import Party
from mailflow.domain.ids import CaseRef, MailboxKey
from mailflow.domain.message import Attachment, OutboundEmail
from mailflow.domain.states import CaseState
from mailflow.ports import ConcurrentUpdate, Store

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PARIS = timezone(timedelta(hours=1))


def make_case(ref: str = "APP-2026-0001", **changes: object) -> Case:
    values: dict[str, object] = {
        "ref": ref,
        "opened_at": T0,
        "updated_at": T0,
        "school_address": "Ce.0670001A@ac-strasbourg.fr",
        "school_uai": "0670001A",
        "target_country": "DE",
    }
    return Case.model_validate(values | changes)


def make_inbound(
    uid: int, message_id: str | None, mailbox: str = "INBOX", **changes: object
) -> InboundRecord:
    values: dict[str, object] = {
        "key": MailboxKey(mailbox, 7, uid),
        "message_id": message_id,
        "fetched_at": T0,
        "raw": b"Subject: hi\r\n\r\nbody",
        "subject": f"message {uid}",
    }
    return InboundRecord.model_validate(values | changes)


def make_outbox(
    message_id: str, case_id: int | None, *, due: datetime = T0, to: tuple[str, ...] = ("ambassade@example.de",),
    date_: datetime = T0, attachments: tuple[Attachment, ...] = (),
) -> OutboxRecord:  # fmt: skip
    email = OutboundEmail(
        message_id=message_id,
        from_addr="ce.dareic@ac-strasbourg.fr",
        from_name="Dareic",
        to_addrs=to,
        cc_addrs=("Staff@AC-Strasbourg.fr",),
        subject="Demande d'appariement",
        text="Bonjour",
        html="<p>Bonjour</p>",
        date=date_,
        in_reply_to="<parent@example.org>",
        references=("<root@example.org>", "<parent@example.org>"),
        extra_headers=(("X-Mailflow-Case", "APP-2026-0001"), ("Auto-Submitted", "auto-generated")),
        attachments=attachments,
    )
    return OutboxRecord(case_id=case_id, template="embassy_request", party=Party.EMBASSY, email=email,
                        next_attempt_at=due)  # fmt: skip


def add_case(store: SqlStore, ref: str = "APP-2026-0001", **changes: object) -> Case:
    with store.transaction() as tx:
        return tx.add_case(make_case(ref, **changes))


# --- schema ---


def test_upgrade_creates_every_table_when_database_is_empty(store: SqlStore, db_url: str) -> None:
    as_port: Store = store  # SqlStore satisfies the port (checked by mypy)
    assert as_port.transaction is not None
    assert store.current_revision() == "0006"
    assert set(inspect(store.engine).get_table_names()) == set(metadata.tables) | {"alembic_version"}
    store.upgrade()  # a second run is a no-op
    assert store.current_revision() == "0006"
    if db_url.startswith("sqlite"):
        assert Path(store.url.database or "").is_file()


def test_migration_matches_tables_when_compared_to_metadata(store: SqlStore) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []


def test_foreign_keys_are_enforced_when_event_names_unknown_case(store: SqlStore) -> None:
    with pytest.raises(IntegrityError), store.transaction() as tx:
        tx.add_event(CaseEvent(case_id=999, at=T0, kind="x", actor="system"))


# --- watermarks and inbound ---


def test_watermark_is_zero_when_never_set(store: SqlStore) -> None:
    with store.transaction() as tx:
        assert tx.watermark("INBOX", 7) == 0


def test_watermark_returns_last_uid_when_set_twice(store: SqlStore) -> None:
    with store.transaction() as tx:
        tx.set_watermark("INBOX", 7, 10)
        tx.set_watermark("INBOX", 8, 3)
    with store.transaction() as tx:
        tx.set_watermark("INBOX", 7, 42)
    with store.transaction() as tx:
        assert (tx.watermark("INBOX", 7), tx.watermark("INBOX", 8), tx.watermark("Other", 7)) == (42, 3, 0)


def test_add_inbound_returns_none_when_mailbox_key_already_stored(store: SqlStore) -> None:
    with store.transaction() as tx:
        first = tx.add_inbound(make_inbound(1, "<a@x>"))
    with store.transaction() as tx:
        again = tx.add_inbound(make_inbound(1, "<other@x>", subject="changed"))
        # the surrounding transaction is still usable (no aborted PostgreSQL transaction)
        later = tx.add_inbound(make_inbound(2, "<b@x>"))
    with store.transaction() as tx:
        assert first is not None and again is None and later is not None
        assert tx.inbound(first).subject == "message 1"
        assert tx.count("inbound") == 2


def test_add_inbound_raises_integrity_error_when_message_id_repeats_in_mailbox(store: SqlStore) -> None:
    with store.transaction() as tx:
        tx.add_inbound(make_inbound(1, "<same@x>"))
        with pytest.raises(IntegrityError):
            tx.add_inbound(make_inbound(2, "<same@x>"))
        # the rest of the transaction survives, and duplicates are stored without a Message-ID
        assert tx.add_inbound(make_inbound(3, None, status=InboundStatus.DUPLICATE)) is not None
        assert tx.add_inbound(make_inbound(4, None)) is not None
        assert tx.add_inbound(make_inbound(1, "<same@x>", mailbox="Other")) is not None
    with store.transaction() as tx:
        assert tx.count("inbound") == 4
        found = tx.inbound_by_message_id("INBOX", "<same@x>")
        assert found is not None and found.key == MailboxKey("INBOX", 7, 1)


def test_inbound_round_trips_every_field_when_read_back(store: SqlStore) -> None:
    case = add_case(store)
    record = make_inbound(
        4_000_000_000, "<big@x>", status=InboundStatus.CLAIMED, kind="human", reason="ok", case_id=case.id,
        moved=True, from_addr="a@b.fr", attempts=2, fetched_at=T0.astimezone(PARIS),
    )  # fmt: skip
    with store.transaction() as tx:
        inbound_id = tx.add_inbound(record)
    assert inbound_id is not None
    with store.transaction() as tx:
        assert tx.inbound(inbound_id) == record.model_copy(update={"id": inbound_id, "fetched_at": T0})


def test_update_inbound_drops_raw_and_keeps_case_when_asked(store: SqlStore) -> None:
    case = add_case(store)
    with store.transaction() as tx:
        inbound_id = tx.add_inbound(make_inbound(1, "<a@x>"))
        assert inbound_id is not None
        tx.update_inbound(inbound_id, status=InboundStatus.CLAIMED, kind="human", case_id=case.id)
        tx.update_inbound(inbound_id, status=InboundStatus.IGNORED, reason="auto-reply", drop_raw=True)
        assert (tx.bump_inbound_attempts(inbound_id), tx.bump_inbound_attempts(inbound_id)) == (1, 2)
    with store.transaction() as tx:
        got = tx.inbound(inbound_id)
    assert (got.raw, got.status, got.kind, got.case_id, got.reason) == (
        None, InboundStatus.IGNORED, "human", case.id, "auto-reply",
    )  # fmt: skip


def test_inbound_unmoved_lists_acted_on_messages_when_not_yet_moved(store: SqlStore) -> None:
    statuses = [InboundStatus.NEW, InboundStatus.CLAIMED, InboundStatus.NOT_OURS, InboundStatus.IGNORED,
                InboundStatus.QUARANTINED, InboundStatus.DUPLICATE, InboundStatus.CLAIMED]  # fmt: skip
    with store.transaction() as tx:
        ids = [tx.add_inbound(make_inbound(uid, None, status=s)) for uid, s in enumerate(statuses, 1)]
        tx.add_inbound(make_inbound(1, None, mailbox="Other", status=InboundStatus.CLAIMED))
        assert ids[6] is not None
        tx.mark_moved([ids[6]])
    with store.transaction() as tx:
        assert [r.id for r in tx.inbound_unmoved("INBOX")] == [ids[1], ids[3], ids[4], ids[5]]
        assert tx.inbound_with_status("INBOX", InboundStatus.CLAIMED) == [ids[1], ids[6]]


def test_claim_moves_returns_the_unmoved_records_in_id_order_without_raw_when_asked_for_a_batch(
    store: SqlStore,
) -> None:
    with store.transaction() as tx:
        added = [tx.add_inbound(make_inbound(uid, None, status=InboundStatus.CLAIMED)) for uid in (3, 1, 2)]
        ids = [i for i in added if i is not None]
        tx.mark_moved([ids[1]])
    with store.transaction() as tx:
        claimed = tx.claim_moves([ids[2], ids[0], ids[1]])
        assert [r.id for r in claimed] == sorted([ids[0], ids[2]])
        assert all(r.raw is None for r in claimed)
        tx.mark_moved([r.id for r in claimed if r.id is not None])
    with store.transaction() as tx:
        assert tx.claim_moves(ids) == []
        assert tx.claim_moves([]) == []


def test_claim_inbound_leaves_the_raw_bytes_out_when_asked(store: SqlStore) -> None:
    with store.transaction() as tx:
        inbound_id = tx.add_inbound(make_inbound(1, "<a@b>"))
    assert inbound_id is not None
    with store.transaction() as tx:
        without = tx.claim_inbound(inbound_id, with_raw=False)
        with_raw = tx.claim_inbound(inbound_id)
    assert without is not None and without.raw is None
    assert with_raw is not None and with_raw.raw


# --- cases ---


def test_next_case_ref_counts_from_one_when_prefix_and_year_are_new(store: SqlStore) -> None:
    with store.transaction() as tx:
        refs = [tx.next_case_ref("APP", 2026), tx.next_case_ref("APP", 2026), tx.next_case_ref("APP", 2027)]
    with store.transaction() as tx:
        refs.append(tx.next_case_ref("APP", 2026))
    assert refs == [CaseRef("APP", 2026, 1), CaseRef("APP", 2026, 2), CaseRef("APP", 2027, 1),
                    CaseRef("APP", 2026, 3)]  # fmt: skip


def test_next_case_ref_gives_distinct_numbers_when_threads_increment_concurrently(store: SqlStore) -> None:
    threads, per_thread = 4, 10
    start = threading.Barrier(threads)
    numbers: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            start.wait()
            for _ in range(per_thread):
                with store.transaction() as tx:
                    ref = tx.next_case_ref("APP", 2026)
                    tx.case_by_ref(str(ref))  # keep the transaction open a little longer
                numbers.append(ref.number)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert errors == []
    assert sorted(numbers) == list(range(1, threads * per_thread + 1))


def test_add_case_round_trips_every_field_when_all_are_set(store: SqlStore) -> None:
    case = make_case(
        state=CaseState.AT_EMBASSY, school_name="Lycée Kléber", target_region="Bade-Wurtemberg",
        embassy_address="info@ambassade.de", embassy_language="de", mobility_type="physical",
        form={"pupils": 24, "start": "2026-05-04", "nested": {"a": [1, 2]}}, form_version=2,
        partner={"name": "Gymnasium Freiburg"}, waiting_for=Party.EMBASSY, due_on=date(2026, 3, 16),
        review_reason="contact inconnu", deliberation_on=date(2026, 2, 1), thread_topic="Appariement",
        opened_at=T0.astimezone(PARIS),
    )  # fmt: skip
    with store.transaction() as tx:
        added = tx.add_case(case)
    with store.transaction() as tx:
        got = tx.case(added.id or 0)
        assert tx.case_by_ref("APP-2026-0001") == got
        assert tx.case_by_ref("APP-2026-0999") is None
    assert added.id is not None and added.version == 0
    assert got == case.model_copy(update={"id": added.id, "opened_at": T0})


def test_save_case_bumps_version_when_version_matches(store: SqlStore) -> None:
    case = add_case(store)
    with store.transaction() as tx:
        saved = tx.save_case(case.model_copy(update={"state": CaseState.UNDER_REVIEW}))
    with store.transaction() as tx:
        got = tx.case(case.id or 0)
    assert (saved.version, got.version, got.state) == (1, 1, CaseState.UNDER_REVIEW)


def test_save_case_raises_concurrent_update_when_version_is_stale(store: SqlStore) -> None:
    case = add_case(store)
    with store.transaction() as tx:
        tx.save_case(case.model_copy(update={"school_name": "first writer"}))
    with pytest.raises(ConcurrentUpdate), store.transaction() as tx:
        tx.save_case(case.model_copy(update={"school_name": "second writer"}))
    with store.transaction() as tx:
        assert tx.case(case.id or 0).school_name == "first writer"


def test_transaction_rolls_back_when_block_raises(store: SqlStore) -> None:
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.add_case(make_case())
        tx.set_watermark("INBOX", 7, 5)
        raise RuntimeError("boom")
    with store.transaction() as tx:
        assert tx.cases() == [] and tx.watermark("INBOX", 7) == 0


def test_open_case_for_returns_latest_open_case_when_older_ones_are_finished(store: SqlStore) -> None:
    add_case(store, "APP-2026-0001", state=CaseState.CLOSED)
    wanted = add_case(store, "APP-2026-0002", state=CaseState.AT_EMBASSY, opened_at=T0 + timedelta(days=1))
    add_case(store, "APP-2026-0003", state=CaseState.RECEIVED, opened_at=T0 - timedelta(days=1))
    add_case(store, "APP-2026-0004", state=CaseState.VALIDATED, opened_at=T0 + timedelta(days=2))
    add_case(store, "APP-2026-0005", target_country="IT", opened_at=T0 + timedelta(days=3))
    with store.transaction() as tx:
        found = tx.open_case_for("0670001A", "DE")
        assert tx.open_case_for("0670002B", "DE") is None
        assert [c.ref for c in tx.cases(CaseState.RECEIVED)] == ["APP-2026-0003", "APP-2026-0005"]
    assert found is not None and found.id == wanted.id


def test_case_for_message_id_finds_case_when_mail_was_sent_from_outbox(store: SqlStore) -> None:
    case = add_case(store)
    with store.transaction() as tx:
        tx.add_outbox(make_outbox("<APP-2026-0001.1.abc@ac-strasbourg.fr>", case.id))
        tx.add_outbox(make_outbox("<digest@ac-strasbourg.fr>", None))
    with store.transaction() as tx:
        assert tx.case_for_message_id("<APP-2026-0001.1.abc@ac-strasbourg.fr>") == case.id
        assert tx.case_for_message_id("APP-2026-0001.1.abc@ac-strasbourg.fr") is None  # exact match only
        assert tx.case_for_message_id("<digest@ac-strasbourg.fr>") is None


def test_case_for_message_id_finds_case_when_inbound_message_is_attached(store: SqlStore) -> None:
    case = add_case(store)
    with store.transaction() as tx:
        tx.add_inbound(make_inbound(1, "<school@lycee.fr>", case_id=case.id))
        tx.add_inbound(make_inbound(2, "<stray@lycee.fr>"))
    with store.transaction() as tx:
        assert tx.case_for_message_id("<school@lycee.fr>") == case.id
        assert tx.case_for_message_id("<stray@lycee.fr>") is None


def test_case_parties_lists_lowercase_addresses_when_case_has_outbox_mail(store: SqlStore) -> None:
    case = add_case(store, embassy_address="Info@Ambassade.DE")
    with store.transaction() as tx:
        tx.add_outbox(make_outbox("<1@x>", case.id, to=("Rector@AC-Strasbourg.fr",)))
        tx.add_outbox(make_outbox("<2@x>", None, to=("unrelated@x.fr",)))
        parties = tx.case_parties(case.id or 0)
    assert parties == {"ce.0670001a@ac-strasbourg.fr", "info@ambassade.de", "rector@ac-strasbourg.fr",
                       "staff@ac-strasbourg.fr"}  # fmt: skip


# --- timeline and form versions ---


def test_events_come_back_in_time_order_when_added_out_of_order(store: SqlStore) -> None:
    case = add_case(store)
    later = CaseEvent(case_id=case.id or 0, at=T0 + timedelta(hours=1), kind="forward_to_embassy", actor="system",
                      source_state=CaseState.RECEIVED, target_state=CaseState.AT_EMBASSY)  # fmt: skip
    first = CaseEvent(case_id=case.id or 0, at=T0, kind="received", actor="ce.0670001a@ac-strasbourg.fr")
    with store.transaction() as tx:
        tx.add_event(later)
        tx.add_event(first)
    with store.transaction() as tx:
        events = tx.events(case.id or 0)
    assert [e.model_copy(update={"id": None}) for e in events] == [first, later]


def test_latest_form_attachment_returns_newest_file_when_several_versions_exist(store: SqlStore) -> None:
    case = add_case(store)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    v1 = Attachment(filename="demande.xlsx", content_type=xlsx, data=b"\x00v1\xff")
    v2 = Attachment(filename="demande-corrigée.xlsx", content_type=xlsx, data=b"\x00v2\xff" * 1000)
    with store.transaction() as tx:
        assert tx.latest_form_attachment(case.id or 0) is None
        tx.add_form_version(case.id or 0, 1, {"a": 1}, v1, None, T0)
        tx.add_form_version(case.id or 0, 2, {"a": 2}, v2, None, T0)
        tx.add_form_version(case.id or 0, 3, {"a": 3}, None, None, T0)  # a correction by command: no file
    with store.transaction() as tx:
        assert tx.latest_form_attachment(case.id or 0) == v2
        assert tx.count("form_versions") == 3


# --- outbox ---


def test_outbox_round_trips_every_field_when_mail_has_attachments(store: SqlStore) -> None:
    case = add_case(store)
    files = (Attachment(filename="a.pdf", content_type="application/pdf", data=b"%PDF\x00"),
             Attachment(filename="b.xlsx", content_type="application/zip", data=b"PK\x03\x04"))  # fmt: skip
    record = make_outbox("<1@x>", case.id, date_=T0.astimezone(PARIS), attachments=files)
    with store.transaction() as tx:
        outbox_id = tx.add_outbox(record)
    with store.transaction() as tx:
        (got,) = tx.outbox(case.id)
        assert tx.outbox(case_id=12345) == []
    expected_email = record.email.model_copy(update={"date": T0})
    assert got == record.model_copy(update={"id": outbox_id, "email": expected_email})


def test_outbox_message_id_is_unique_when_added_twice(store: SqlStore) -> None:
    with pytest.raises(IntegrityError), store.transaction() as tx:
        tx.add_outbox(make_outbox("<1@x>", None))
        tx.add_outbox(make_outbox("<1@x>", None))


def test_outbox_due_returns_oldest_pending_first_when_several_are_due(store: SqlStore) -> None:
    with store.transaction() as tx:
        late = tx.add_outbox(make_outbox("<late@x>", None, due=T0 - timedelta(minutes=1)))
        early = tx.add_outbox(make_outbox("<early@x>", None, due=T0 - timedelta(hours=1)))
        tx.add_outbox(make_outbox("<future@x>", None, due=T0 + timedelta(seconds=1)))
        exact = tx.add_outbox(make_outbox("<exact@x>", None, due=T0.astimezone(PARIS)))
    with store.transaction() as tx:
        assert [r.id for r in tx.outbox_due(T0, limit=10)] == [early, late, exact]
        assert [r.id for r in tx.outbox_due(T0, limit=2)] == [early, late]


def test_outbox_due_skips_sent_failed_and_postponed_when_attempts_recorded(store: SqlStore) -> None:
    with store.transaction() as tx:
        sent, failed, retried = (tx.add_outbox(make_outbox(f"<{n}@x>", None)) for n in range(3))
        tx.mark_sent(sent, T0)
        tx.mark_failed(failed, "550 no such user")
        tx.mark_retry(retried, T0 + timedelta(minutes=5), "421 try later")
    with store.transaction() as tx:
        assert tx.outbox_due(T0, limit=10) == []
        (again,) = tx.outbox_due(T0 + timedelta(minutes=5), limit=10)
        by_id = {r.id: r for r in tx.outbox()}
    assert (again.id, again.attempts, again.last_error) == (retried, 1, "421 try later")
    assert (by_id[sent].status, by_id[sent].sent_at, by_id[sent].attempts) == (OutboxStatus.SENT, T0, 1)
    assert (by_id[failed].status, by_id[failed].last_error) == (OutboxStatus.FAILED, "550 no such user")


def test_auto_mails_since_counts_mails_to_address_when_dated_after_since(store: SqlStore) -> None:
    case, other = add_case(store), add_case(store, "APP-2026-0002")
    with store.transaction() as tx:
        tx.add_outbox(make_outbox("<1@x>", case.id, date_=T0 - timedelta(days=2)))
        tx.add_outbox(make_outbox("<2@x>", case.id, date_=T0))
        tx.add_outbox(make_outbox("<3@x>", case.id, date_=T0 + timedelta(hours=3)))
        tx.add_outbox(make_outbox("<4@x>", case.id, date_=T0, to=("someone@else.fr",)))
        tx.add_outbox(make_outbox("<5@x>", other.id, date_=T0))
    with store.transaction() as tx:
        assert tx.auto_mails_since(case.id or 0, "Ambassade@example.de", T0) == 2


# --- reminders ---


def test_reminders_due_lists_pending_until_today_when_some_are_done_or_later(store: SqlStore) -> None:
    case = add_case(store)
    today = date(2026, 3, 10)
    with store.transaction() as tx:
        ids = [
            tx.add_reminder(ReminderRecord(case_id=case.id or 0, party=Party.EMBASSY, due_on=due))
            for due in (
                today,
                today - timedelta(days=3),
                today + timedelta(days=1),
                today - timedelta(days=1),
            )
        ]
        tx.complete_reminder(ids[3])
    with store.transaction() as tx:
        due = tx.reminders_due(today)
    assert [r.id for r in due] == [ids[1], ids[0]]
    assert due[0].party is Party.EMBASSY and due[0].due_on == today - timedelta(days=3)


def test_cancel_reminders_returns_count_when_case_has_pending_ones(store: SqlStore) -> None:
    case, other = add_case(store), add_case(store, "APP-2026-0002")
    today = date(2026, 3, 10)
    with store.transaction() as tx:
        done = tx.add_reminder(ReminderRecord(case_id=case.id or 0, party=Party.SCHOOL, due_on=today))
        tx.complete_reminder(done)
        for n in range(2):
            tx.add_reminder(
                ReminderRecord(case_id=case.id or 0, party=Party.SCHOOL, due_on=today, sequence=n)
            )
        kept = tx.add_reminder(ReminderRecord(case_id=other.id or 0, party=Party.RECTOR, due_on=today))
    with store.transaction() as tx:
        assert tx.cancel_reminders(case.id or 0) == 2
        assert tx.cancel_reminders(case.id or 0) == 0
    with store.transaction() as tx:
        assert tx.pending_reminders(case.id or 0) == []
        assert [r.id for r in tx.reminders_due(today)] == [kept]


# --- time ---


def test_datetimes_come_back_aware_utc_when_stored_with_another_offset(store: SqlStore) -> None:
    local = datetime(2026, 6, 1, 23, 30, 15, 123456, tzinfo=PARIS)
    with store.transaction() as tx:
        case = tx.add_case(make_case(opened_at=local, updated_at=local))
    with store.transaction() as tx:
        got = tx.case(case.id or 0)
    assert got.opened_at.utcoffset() == timedelta(0)
    assert got.opened_at.tzinfo is not None
    assert got.opened_at == local and got.opened_at.hour == 22


def test_naive_datetime_is_refused_when_stored(store: SqlStore) -> None:
    case = add_case(store)
    with pytest.raises(Exception, match="naive datetime"), store.transaction() as tx:
        tx.add_event(CaseEvent(case_id=case.id or 0, at=datetime(2026, 1, 1), kind="x", actor="system"))


def test_status_heartbeat_is_overwritten_when_set_twice(store: SqlStore) -> None:
    first = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    with store.transaction() as tx:
        tx.set_status("poll", {"fetched": 1}, first)
        tx.set_status("poll", {"fetched": 3}, first + timedelta(minutes=1))
    with store.transaction() as tx:
        value, at = tx.statuses()["poll"]
        assert value == {"fetched": 3} and at == first + timedelta(minutes=1)
        assert tx.count_by_status("outbox") == {}
