"""SqlStore: the Store port on SQLAlchemy Core (SQLite or PostgreSQL); SqlTx: one transaction of it.

Every Tx method is a few statements over the tables of tables.py; the transaction boundary is the caller's.
SqlTx composes the method groups of tx_mail.py and tx_cases.py; rows.py converts records and rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, event, func, make_url, select
from sqlalchemy.exc import InterfaceError, OperationalError

from mailflow.adapters.db import tables as t
from mailflow.adapters.db.tx_cases import FINISHED_STATES, CaseTx
from mailflow.adapters.db.tx_contacts import ContactTx
from mailflow.adapters.db.tx_digest import DigestTx
from mailflow.adapters.db.tx_mail import TO_MOVE, MailTx
from mailflow.adapters.db.tx_retention import RetentionTx
from mailflow.adapters.db.tx_status import StatusTx
from mailflow.domain.errors import TransientError

__all__ = ["FINISHED_STATES", "MIGRATIONS", "SQLITE_BUSY_TIMEOUT_MS", "TO_MOVE", "SqlStore", "SqlTx"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000


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
        """Commit when the block ends normally, roll back when it raises.

        A database that cannot be reached (server down, connection cut, SQLite locked too long) raises
        TransientError: the daemon backs off and retries; nothing half-done was committed.
        """
        try:
            with self.engine.begin() as conn:
                yield SqlTx(conn)
        except (OperationalError, InterfaceError) as exc:
            raise TransientError(f"database unavailable: {str(exc).splitlines()[0][:300]}") from exc

    def make_durable(self) -> None:
        """Every commit so far survives a power cut from now on.

        SQLite runs with synchronous=NORMAL: a commit is in the write-ahead log, not yet on the disk. A
        one-page write committed with synchronous=FULL syncs the log, hence every commit before it
        (~0.2 ms, once per batch instead of once per message). PostgreSQL commits are durable already.
        """
        if not self._is_sqlite:
            return
        try:
            raw = self.engine.raw_connection()
        except (OperationalError, InterfaceError) as exc:
            raise TransientError(f"database unavailable: {str(exc).splitlines()[0][:300]}") from exc
        try:
            sqlite = raw.driver_connection
            assert sqlite is not None
            sqlite.execute("PRAGMA synchronous=FULL")
            try:
                (version,) = sqlite.execute("PRAGMA user_version").fetchone()
                sqlite.execute(f"PRAGMA user_version={(int(version) + 1) % 2**31}")  # the one-page write
            finally:
                sqlite.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            raise TransientError(f"database unavailable: {exc}") from exc
        finally:
            raw.close()

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
        # Commits reach the OS at once (a killed process loses nothing) and the disk at make_durable(),
        # which the services call before every effect outside the database (a MOVE, a send).
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class SqlTx(MailTx, CaseTx, StatusTx, ContactTx, DigestTx, RetentionTx):
    """One transaction: implements every method of the Tx port over an open connection."""

    def count(self, table: str) -> int:
        """Rows in a table (diagnostics, tests)."""
        return int(self.conn.execute(select(func.count()).select_from(t.metadata.tables[table])).scalar_one())
