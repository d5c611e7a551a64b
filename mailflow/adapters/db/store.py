"""SqlStore: the Store port on SQLAlchemy Core (SQLite or PostgreSQL); SqlTx: one transaction of it.

Every Tx method is a few statements over the tables of tables.py; the transaction boundary is the caller's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    Table,
    create_engine,
    event,
    func,
    make_url,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from mailflow.adapters.db import tables as t
from mailflow.domain.case import (
    Case,
    CaseEvent,
    InboundRecord,
    InboundStatus,
    OutboxRecord,
    OutboxStatus,
    ReminderRecord,
    ReminderStatus,
)
from mailflow.domain.ids import CaseRef, MailboxKey
from mailflow.domain.message import Attachment, OutboundEmail
from mailflow.domain.states import CaseState
from mailflow.ports import ConcurrentUpdate

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000

# A case in one of these states is over: a new form from the same school opens a new case.
FINISHED_STATES = frozenset(
    {
        CaseState.WITHDRAWN,
        CaseState.REFUSED,
        CaseState.CLOSED,
        CaseState.VALIDATED,
        CaseState.MOBILITY_AUTHORISED,
        CaseState.NO_PARTNER_FOUND,
        CaseState.DECLINED,
    }
)
# Inbound messages mailflow acted on, which must leave the inbox (processed or quarantine folder).
TO_MOVE = (InboundStatus.CLAIMED, InboundStatus.IGNORED, InboundStatus.QUARANTINED, InboundStatus.DUPLICATE)


class SqlStore:
    """The Store port: an engine, Alembic migrations, and transactions handing out SqlTx."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = make_url(url)
        self.engine: Engine = create_engine(self.url, echo=echo, pool_pre_ping=not self._is_sqlite)
        if self._is_sqlite:
            _tune_sqlite(self.engine)

    @property
    def _is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[SqlTx]:
        """Commit when the block ends normally, roll back when it raises."""
        with self.engine.begin() as conn:
            yield SqlTx(conn)

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema to ``revision`` (default: the latest migration)."""
        self._ensure_sqlite_folder()
        with self.engine.begin() as conn:
            command.upgrade(self._alembic_config(conn), revision)

    def current_revision(self) -> str | None:
        """The migration the database is at (None for an empty database)."""
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def _alembic_config(self, conn: Connection) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn  # env.py migrates on this connection
        return cfg

    def _ensure_sqlite_folder(self) -> None:
        database = self.url.database
        if self._is_sqlite and database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)


def _tune_sqlite(engine: Engine) -> None:
    """Foreign keys, WAL and a busy timeout on every connection; BEGIN IMMEDIATE for every transaction.

    pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINTs; taking the write lock at
    BEGIN serialises writers up front, so a read-then-write transaction never fails with SQLITE_BUSY.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class SqlTx:
    """One transaction: implements every method of the Tx port over an open connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- helpers ---

    def _insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        """An INSERT that supports ON CONFLICT (both dialects spell it the same way)."""
        if self.conn.dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    def _add(self, table: Table, values: Mapping[str, object]) -> int:
        return int(self.conn.execute(table.insert().values(**values).returning(table.c.id)).scalar_one())

    def _update(self, table: Table, row_id: int, **values: object) -> int:
        return self.conn.execute(update(table).where(table.c.id == row_id).values(**values)).rowcount

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
        values = _inbound_values(record)
        try:
            # A savepoint: a failed INSERT must not abort the caller's PostgreSQL transaction.
            with self.conn.begin_nested():
                return self._add(t.inbound, values)
        except IntegrityError:
            if self._inbound_key_exists(record.key):
                return None
            raise  # the same Message-ID in this mailbox: the caller should have stored it as a duplicate

    def _inbound_key_exists(self, key: MailboxKey) -> bool:
        c = t.inbound.c
        found = self.conn.execute(
            select(c.id).where(c.mailbox == key.mailbox, c.uidvalidity == key.uidvalidity, c.uid == key.uid)
        ).first()
        return found is not None

    def inbound(self, inbound_id: int) -> InboundRecord:
        row = self.conn.execute(select(t.inbound).where(t.inbound.c.id == inbound_id)).first()
        if row is None:
            raise KeyError(f"no inbound message {inbound_id}")
        return _inbound_record(row)

    def inbound_by_message_id(self, mailbox: str, message_id: str) -> InboundRecord | None:
        c = t.inbound.c
        row = self.conn.execute(
            select(t.inbound).where(c.mailbox == mailbox, c.message_id == message_id)
        ).first()
        return None if row is None else _inbound_record(row)

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
        if drop_raw:
            values["raw"] = None
        self._update(t.inbound, inbound_id, **values)

    def mark_moved(self, inbound_id: int) -> None:
        self._update(t.inbound, inbound_id, moved=True)

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
        return [_inbound_record(row) for row in self.conn.execute(stmt)]

    # --- cases ---

    def next_case_ref(self, prefix: str, year: int) -> CaseRef:
        # One atomic upsert: PostgreSQL locks the counter row until commit; SQLite serialises writers.
        c = t.case_counters.c
        stmt = (
            self._insert(t.case_counters)
            .values(prefix=prefix, year=year, last_number=1)
            .on_conflict_do_update(index_elements=["prefix", "year"], set_={"last_number": c.last_number + 1})
            .returning(c.last_number)
        )
        return CaseRef(prefix, year, int(self.conn.execute(stmt).scalar_one()))

    def add_case(self, case: Case) -> Case:
        case_id = self._add(t.cases, _case_values(case))
        return case.model_copy(update={"id": case_id})

    def case(self, case_id: int) -> Case:
        row = self.conn.execute(select(t.cases).where(t.cases.c.id == case_id)).first()
        if row is None:
            raise KeyError(f"no case {case_id}")
        return _case(row)

    def case_by_ref(self, ref: str) -> Case | None:
        row = self.conn.execute(select(t.cases).where(t.cases.c.ref == ref)).first()
        return None if row is None else _case(row)

    def save_case(self, case: Case) -> Case:
        if case.id is None:
            raise ValueError("save_case needs a stored case (use add_case first)")
        c = t.cases.c
        values = _case_values(case) | {"version": case.version + 1}
        stmt = update(t.cases).where(c.id == case.id, c.version == case.version).values(**values)
        if self.conn.execute(stmt).rowcount != 1:
            raise ConcurrentUpdate(f"case {case.ref} changed since version {case.version}")
        return case.model_copy(update={"version": case.version + 1})

    def cases(self, state: CaseState | None = None) -> list[Case]:
        stmt = select(t.cases).order_by(t.cases.c.id)
        if state is not None:
            stmt = stmt.where(t.cases.c.state == state.value)
        return [_case(row) for row in self.conn.execute(stmt)]

    def open_case_for(self, uai: str, country: str) -> Case | None:
        c = t.cases.c
        stmt = (
            select(t.cases)
            .where(
                c.school_uai == uai,
                c.target_country == country,
                c.state.not_in([s.value for s in FINISHED_STATES]),
            )
            .order_by(c.opened_at.desc(), c.id.desc())
            .limit(1)
        )
        row = self.conn.execute(stmt).first()
        return None if row is None else _case(row)

    def case_for_message_id(self, message_id: str) -> int | None:
        o, i = t.outbox.c, t.inbound.c
        sent = select(o.case_id).where(o.message_id == message_id, o.case_id.is_not(None)).limit(1)
        found = self.conn.execute(sent).scalar_one_or_none()
        if found is None:
            received = (
                select(i.case_id)
                .where(i.message_id == message_id, i.case_id.is_not(None))
                .order_by(i.id.desc())
                .limit(1)
            )
            found = self.conn.execute(received).scalar_one_or_none()
        return None if found is None else int(found)

    def case_parties(self, case_id: int) -> set[str]:
        case = self.case(case_id)
        addresses: list[str] = [case.school_address, case.embassy_address or ""]
        o = t.outbox.c
        for to_addrs, cc_addrs in self.conn.execute(
            select(o.to_addrs, o.cc_addrs).where(o.case_id == case_id)
        ):
            addresses.extend(to_addrs)
            addresses.extend(cc_addrs)
        return {a.strip().lower() for a in addresses if a and a.strip()}

    # --- timeline and form versions ---

    def add_event(self, event: CaseEvent) -> None:
        values = event.model_dump(exclude={"id"})
        values["source_state"] = _value(event.source_state)
        values["target_state"] = _value(event.target_state)
        self._add(t.case_events, values)

    def events(self, case_id: int) -> list[CaseEvent]:
        c = t.case_events.c
        rows = self.conn.execute(select(t.case_events).where(c.case_id == case_id).order_by(c.at, c.id))
        return [CaseEvent.model_validate(dict(row._mapping)) for row in rows]

    def add_form_version(
        self,
        case_id: int,
        version: int,
        values: Mapping[str, object],
        attachment: Attachment | None,
        inbound_id: int | None,
        at: datetime,
    ) -> None:
        self._add(
            t.form_versions,
            {
                "case_id": case_id,
                "version": version,
                "form_values": dict(values),
                "attachment_filename": attachment.filename if attachment else None,
                "attachment_content_type": attachment.content_type if attachment else None,
                "attachment_data": attachment.data if attachment else None,
                "inbound_id": inbound_id,
                "at": at,
            },
        )

    def latest_form_attachment(self, case_id: int) -> Attachment | None:
        """The file of the newest form version that came with one."""
        f = t.form_versions.c
        stmt = (
            select(f.attachment_filename, f.attachment_content_type, f.attachment_data)
            .where(f.case_id == case_id, f.attachment_data.is_not(None))
            .order_by(f.version.desc(), f.id.desc())
            .limit(1)
        )
        row = self.conn.execute(stmt).first()
        if row is None:
            return None
        return Attachment(
            filename=row[0] or "", content_type=row[1] or "application/octet-stream", data=row[2]
        )

    # --- outbox ---

    def add_outbox(self, record: OutboxRecord) -> int:
        outbox_id = self._add(t.outbox, _outbox_values(record))
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
        return [_outbox_record(row, by_outbox.get(row.id, [])) for row in rows]

    def mark_sent(self, outbox_id: int, at: datetime) -> None:
        self._outbox_attempt(outbox_id, status=OutboxStatus.SENT.value, sent_at=at, last_error="")

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
        return sum(1 for (to_addrs,) in self.conn.execute(stmt) if wanted in _lower(to_addrs))

    # --- reminders ---

    def add_reminder(self, reminder: ReminderRecord) -> int:
        values = reminder.model_dump(exclude={"id"})
        values["party"] = reminder.party.value
        values["status"] = reminder.status.value
        return self._add(t.reminders, values)

    def cancel_reminders(self, case_id: int) -> int:
        r = t.reminders.c
        stmt = (
            update(t.reminders)
            .where(r.case_id == case_id, r.status == ReminderStatus.PENDING.value)
            .values(status=ReminderStatus.CANCELLED.value)
        )
        return self.conn.execute(stmt).rowcount

    def reminders_due(self, today: date) -> list[ReminderRecord]:
        return self._pending_reminders(t.reminders.c.due_on <= today)

    def complete_reminder(self, reminder_id: int) -> None:
        self._update(t.reminders, reminder_id, status=ReminderStatus.DONE.value)

    def pending_reminders(self, case_id: int) -> list[ReminderRecord]:
        return self._pending_reminders(t.reminders.c.case_id == case_id)

    def _pending_reminders(self, condition: ColumnElement[bool]) -> list[ReminderRecord]:
        r = t.reminders.c
        stmt = (
            select(t.reminders)
            .where(r.status == ReminderStatus.PENDING.value, condition)
            .order_by(r.due_on, r.id)
        )
        return [ReminderRecord.model_validate(dict(row._mapping)) for row in self.conn.execute(stmt)]

    def count(self, table: str) -> int:
        """Rows in a table (diagnostics, tests)."""
        return int(self.conn.execute(select(func.count()).select_from(t.metadata.tables[table])).scalar_one())


# --- records <-> rows ---


def _value(enum: Any) -> str | None:
    return None if enum is None else str(enum.value)


def _lower(addresses: Iterable[str]) -> set[str]:
    return {a.strip().lower() for a in addresses}


def _case_values(case: Case) -> dict[str, object]:
    values = case.model_dump(exclude={"id"})
    values["state"] = case.state.value
    values["waiting_for"] = _value(case.waiting_for)
    return values


def _case(row: Row[Any]) -> Case:
    return Case.model_validate(dict(row._mapping))


def _inbound_values(record: InboundRecord) -> dict[str, object]:
    values = record.model_dump(exclude={"id", "key"})
    values["status"] = record.status.value
    values.update(mailbox=record.key.mailbox, uidvalidity=record.key.uidvalidity, uid=record.key.uid)
    return values


def _inbound_record(row: Row[Any]) -> InboundRecord:
    data = dict(row._mapping)
    key = MailboxKey(data.pop("mailbox"), int(data.pop("uidvalidity")), int(data.pop("uid")))
    return InboundRecord.model_validate(data | {"key": key})


_EMAIL_COLUMNS = (
    "message_id", "from_addr", "from_name", "to_addrs", "cc_addrs", "subject", "text", "html",
    "date", "in_reply_to", "references", "extra_headers",
)  # fmt: skip


def _outbox_values(record: OutboxRecord) -> dict[str, object]:
    email = record.email
    values = record.model_dump(exclude={"id", "email"})
    values["party"] = _value(record.party)
    values["status"] = record.status.value
    values.update({name: getattr(email, name) for name in _EMAIL_COLUMNS})
    # JSON columns: tuples become lists.
    values.update(
        to_addrs=list(email.to_addrs),
        cc_addrs=list(email.cc_addrs),
        references=list(email.references),
        extra_headers=[list(pair) for pair in email.extra_headers],
    )
    return values


def _outbox_record(row: Row[Any], attachments: list[Attachment]) -> OutboxRecord:
    data = dict(row._mapping)
    email = OutboundEmail(
        **{name: data.pop(name) for name in _EMAIL_COLUMNS if name != "extra_headers"},
        extra_headers=tuple((str(k), str(v)) for k, v in data.pop("extra_headers")),
        attachments=tuple(attachments),
    )
    return OutboxRecord.model_validate(data | {"email": email})
