"""StatusTx: the daemon's heartbeat, the counts `mailflow status` shows, and the incident journal."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, func, select

from mailflow.adapters.db import tables as t
from mailflow.adapters.db.tx_base import TxBase
from mailflow.domain.incidents import Incident, IncidentKind
from mailflow.domain.retention import DocumentKind, Kept

_CHUNK = 500  # ids per IN (...) list


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

    # --- the incident journal (append-only; only the purge deletes) ---

    def add_incident(self, incident: Incident) -> int:
        values = {
            "at": incident.at,
            "kind": incident.kind.value,
            "message": incident.message,
            "count": incident.count,
            "since": incident.since,
        }
        return self._add(t.incidents, values)

    def incidents_since(self, since: datetime | None) -> list[Incident]:
        """Journal lines at or after ``since`` (all when None), oldest first; unknown kinds left out."""
        i = t.incidents.c
        stmt = select(t.incidents).where(i.kind.in_([k.value for k in IncidentKind])).order_by(i.at, i.id)
        if since is not None:
            stmt = stmt.where(i.at >= since)
        return [
            Incident(
                kind=IncidentKind(r["kind"]),
                at=r["at"],
                message=r["message"],
                count=r["count"],  # by key: a Row's .count is tuple.count
                since=r["since"],
                id=r["id"],
            )
            for r in self.conn.execute(stmt).mappings()
        ]

    def kept_incidents(self) -> list[Kept]:
        """Every journal line, as the purge lists documents (ids and dates, no message)."""
        i = t.incidents.c
        rows = self.conn.execute(select(i.id, i.at, i.kind).order_by(i.id))
        return [
            Kept(DocumentKind.INCIDENT, int(r.id), None, r.at, f"incident n° {r.id} ({r.kind})") for r in rows
        ]

    def drop_incidents(self, incident_ids: Collection[int]) -> int:
        ordered = sorted(set(incident_ids))
        done = 0
        for start in range(0, len(ordered), _CHUNK):
            ids = ordered[start : start + _CHUNK]
            done += self.conn.execute(delete(t.incidents).where(t.incidents.c.id.in_(ids))).rowcount
        return done
