"""TxBase: the open connection and the INSERT/UPDATE helpers shared by every SqlTx method group."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, Table, update
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
        return int(self.conn.execute(table.insert().values(**values).returning(table.c.id)).scalar_one())

    def _update(self, table: Table, row_id: int, **values: object) -> int:
        return self.conn.execute(update(table).where(table.c.id == row_id).values(**values)).rowcount
