"""DigestTx: the read queries of the daily digest and the reports (counts since a date, open cases...).

Each is one statement, indexed where it matters, so a digest over 10,000 cases stays well under a second.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Result, and_, func, select

from mailflow.adapters.db import tables as t
from mailflow.adapters.db.rows import inbound_from_row
from mailflow.adapters.db.tx_base import TxBase
from mailflow.domain.case import Case, CaseEvent, InboundRecord, InboundStatus
from mailflow.domain.states import TERMINAL_STATES


def _cases(result: Result[Any]) -> list[Case]:
    """Rows to cases, the column names read once (not per row: that costs a third of 10,000 cases)."""
    keys = list(result.keys())
    return [Case.model_validate(dict(zip(keys, row, strict=True))) for row in result]


# Every inbound column but the raw bytes: the digest lists messages, it never reads them.
_INBOUND_LISTED = [c for c in t.inbound.c if c.name != "raw"]


class DigestTx(TxBase):
    """Digest and report queries of SqlTx (read only)."""

    def open_cases(self) -> list[Case]:
        """Cases not in a terminal state (withdrawn, refused, closed), by reference."""
        c = t.cases.c
        stmt = select(t.cases).where(c.state.not_in([s.value for s in TERMINAL_STATES])).order_by(c.ref)
        return _cases(self.conn.execute(stmt))

    def cases_opened_since(self, since: datetime | None) -> list[Case]:
        c = t.cases.c
        stmt = select(t.cases).order_by(c.ref)
        if since is not None:
            stmt = stmt.where(c.opened_at >= since)
        return _cases(self.conn.execute(stmt))

    def events_since(self, kinds: Collection[str], since: datetime | None) -> list[CaseEvent]:
        """Timeline events of the given kinds at or after ``since`` (all of them when None), oldest first."""
        e = t.case_events.c
        stmt = select(t.case_events).where(e.kind.in_(list(kinds))).order_by(e.at, e.id)
        if since is not None:
            stmt = stmt.where(e.at >= since)
        return [CaseEvent.model_validate(dict(row._mapping)) for row in self.conn.execute(stmt)]

    def event_counts(self, kind: str) -> dict[int, int]:
        """Per case, how many events of ``kind`` its timeline holds (e.g. reminders sent)."""
        e = t.case_events.c
        stmt = select(e.case_id, func.count()).where(e.kind == kind).group_by(e.case_id)
        return {int(case_id): int(n) for case_id, n in self.conn.execute(stmt)}

    def inbound_counts_since(self, since: datetime | None) -> dict[str, int]:
        """Messages fetched at or after ``since`` (all when None), per status."""
        i = t.inbound.c
        stmt = select(i.status, func.count()).group_by(i.status)
        if since is not None:
            stmt = stmt.where(i.fetched_at >= since)
        return {str(status): int(n) for status, n in self.conn.execute(stmt)}

    def inbound_opening_cases_since(self, since: datetime | None) -> int:
        """Claimed messages fetched at or after ``since`` that opened a case (a "case_opened" event)."""
        i, e = t.inbound.c, t.case_events.c
        conditions: list[ColumnElement[bool]] = [i.status == InboundStatus.CLAIMED.value]
        if since is not None:
            conditions.append(i.fetched_at >= since)
        stmt = (
            select(func.count(func.distinct(i.id)))
            .select_from(t.inbound.join(t.case_events, and_(e.inbound_id == i.id, e.kind == "case_opened")))
            .where(*conditions)
        )
        return int(self.conn.execute(stmt).scalar_one())

    def inbound_records(
        self, status: InboundStatus, since: datetime | None = None, limit: int | None = None
    ) -> list[InboundRecord]:
        """Messages in ``status`` (fetched at or after ``since``), oldest first, without their raw bytes."""
        i = t.inbound.c
        stmt = select(*_INBOUND_LISTED).where(i.status == status.value).order_by(i.id)
        if since is not None:
            stmt = stmt.where(i.fetched_at >= since)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [inbound_from_row(row) for row in self.conn.execute(stmt)]
