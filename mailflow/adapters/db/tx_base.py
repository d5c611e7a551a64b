"""TxBase: the open connection and the INSERT/UPDATE helpers shared by every SqlTx method group."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import ClauseElement, Connection, Executable, Table, bindparam, update
from sqlalchemy.dialects import postgresql, sqlite


class TxBase:
    """One transaction's connection, with the statement helpers the Tx mixins build on."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        """An INSERT that supports ON CONFLICT (both dialects spell it the same way)."""
        if self.conn.dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    def _add(self, table: Table, values: Mapping[str, object]) -> int:
        # Values as parameters of one statement per table: SQLAlchemy compiles it once per column set
        # instead of building and hashing a new statement (a bound value per column) at every call.
        return int(self.conn.execute(_statements(table).insert, dict(values)).scalar_one())

    def _update(self, table: Table, row_id: int, **values: object) -> int:
        if any(isinstance(v, ClauseElement) for v in values.values()):  # e.g. attempts = attempts + 1
            return self.conn.execute(update(table).where(table.c.id == row_id).values(**values)).rowcount
        return self.conn.execute(_statements(table).update, {ROW_ID: row_id, **values}).rowcount


ROW_ID = "row_id_"  # the bound parameter naming the row an UPDATE changes (no column has that name)


@dataclass(frozen=True, slots=True)
class _Statements:
    insert: Executable
    update: Executable


@functools.cache
def _statements(table: Table) -> _Statements:
    return _Statements(
        insert=table.insert().returning(table.c.id),
        update=update(table).where(table.c.id == bindparam(ROW_ID)),
    )
