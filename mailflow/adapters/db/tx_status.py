"""StatusTx: the daemon's heartbeat and the counts `mailflow status` shows."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import func, select

from mailflow.adapters.db import tables as t
from mailflow.adapters.db.tx_base import TxBase


class StatusTx(TxBase):
    def set_status(self, name: str, value: dict[str, object], at: datetime) -> None:
        stmt = self._insert(t.daemon_status).values(
            name=name, value=json.dumps(value, default=str), updated_at=at
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["name"],
            set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        )
        self.conn.execute(stmt)

    def statuses(self) -> dict[str, tuple[dict[str, object], datetime]]:
        rows = self.conn.execute(select(t.daemon_status)).all()
        return {r.name: (json.loads(r.value), r.updated_at) for r in rows}

    def count_by_status(self, table: str) -> dict[str, int]:
        """Rows per status of ``inbound`` or ``outbox``."""
        tab = {"inbound": t.inbound, "outbox": t.outbox}[table]
        rows = self.conn.execute(select(tab.c.status, func.count()).group_by(tab.c.status)).all()
        return {str(status): int(n) for status, n in rows}
