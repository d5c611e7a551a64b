"""CaseTx: the Tx methods for cases: references, cases, the timeline, form versions and reminders."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import ColumnElement, bindparam, literal, select, union_all, update

from mailflow.adapters.db import tables as t
from mailflow.adapters.db.rows import case_from_row, case_values, enum_value
from mailflow.adapters.db.tx_base import TxBase
from mailflow.domain.case import Case, CaseEvent, ReminderRecord, ReminderStatus
from mailflow.domain.ids import CaseRef
from mailflow.domain.message import Attachment
from mailflow.domain.states import CaseState
from mailflow.ports import ConcurrentUpdate

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


# Optimistic update: only if nobody saved the case since it was read (values as parameters).
_SAVE_CASE = update(t.cases).where(
    t.cases.c.id == bindparam("id_"), t.cases.c.version == bindparam("version_")
)


class CaseTx(TxBase):
    """Case, timeline, form-version and reminder methods of SqlTx."""

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
        case_id = self._add(t.cases, case_values(case))
        return case.model_copy(update={"id": case_id})

    def case(self, case_id: int) -> Case:
        row = self.conn.execute(select(t.cases).where(t.cases.c.id == case_id)).first()
        if row is None:
            raise KeyError(f"no case {case_id}")
        return case_from_row(row)

    def case_by_ref(self, ref: str) -> Case | None:
        row = self.conn.execute(select(t.cases).where(t.cases.c.ref == ref)).first()
        return None if row is None else case_from_row(row)

    def save_case(self, case: Case) -> Case:
        if case.id is None:
            raise ValueError("save_case needs a stored case (use add_case first)")
        values = case_values(case) | {"version": case.version + 1, "id_": case.id, "version_": case.version}
        if self.conn.execute(_SAVE_CASE, values).rowcount != 1:
            raise ConcurrentUpdate(f"case {case.ref} changed since version {case.version}")
        return case.model_copy(update={"version": case.version + 1})

    def cases(self, state: CaseState | None = None) -> list[Case]:
        stmt = select(t.cases).order_by(t.cases.c.id)
        if state is not None:
            stmt = stmt.where(t.cases.c.state == state.value)
        return [case_from_row(row) for row in self.conn.execute(stmt)]

    def open_case_for(self, uai: str, country: str, opened_since: datetime | None = None) -> Case | None:
        c = t.cases.c
        conditions = [
            c.school_uai == uai,
            c.target_country == country,
            c.state.not_in([s.value for s in FINISHED_STATES]),
        ]
        if opened_since is not None:
            conditions.append(c.opened_at >= opened_since)
        stmt = select(t.cases).where(*conditions).order_by(c.opened_at.desc(), c.id.desc()).limit(1)
        row = self.conn.execute(stmt).first()
        return None if row is None else case_from_row(row)

    def case_for_message_id(self, message_id: str) -> int | None:
        """The case of a mail we sent, else of the latest mail we received, with this Message-ID."""
        o, i = t.outbox.c, t.inbound.c
        sent = select(o.case_id, literal(0).label("rank"), o.id.label("row")).where(
            o.message_id == message_id, o.case_id.is_not(None)
        )
        received = select(i.case_id, literal(1).label("rank"), i.id.label("row")).where(
            i.message_id == message_id, i.case_id.is_not(None)
        )
        both = union_all(sent, received).subquery()  # one round trip instead of two
        stmt = select(both.c.case_id).order_by(both.c.rank, both.c.row.desc()).limit(1)
        found = self.conn.execute(stmt).scalar_one_or_none()
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
        values["source_state"] = enum_value(event.source_state)
        values["target_state"] = enum_value(event.target_state)
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
