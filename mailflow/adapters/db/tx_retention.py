"""RetentionTx: the Tx methods `mailflow purge` needs: when cases ended, what personal data is still kept,
and the statements that drop it.

Listing never loads a document's content (raw mail, files, bodies): only ids, dates and names. Rows
are never deleted (the inbound rows carry the Message-ID deduplication, the outbox rows the register
of what was sent, the events the timeline): their personal content is set to NULL or erased.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select, update

from mailflow.adapters.db import tables as t
from mailflow.adapters.db.tx_base import TxBase
from mailflow.domain.case import InboundStatus, OutboxStatus
from mailflow.domain.retention import (
    ENDED_STATES,
    NOTIFICATION_TEMPLATES,
    PERSONAL_FIELDS,
    DocumentKind,
    EndedCase,
    Kept,
)
from mailflow.domain.states import EventKind

_CHUNK = 500  # ids per IN (...) list: far below SQLite's and PostgreSQL's parameter limits


def _chunks(ids: Collection[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


def _personal(values: Mapping[str, Any] | None) -> list[str]:
    """The personal fields present (non-empty) in one JSON form or partner value."""
    if not values:
        return []
    return sorted(k for k in PERSONAL_FIELDS if values.get(k) not in (None, "", [], ()))


def _without(values: Mapping[str, Any] | None, keys: Collection[str]) -> dict[str, Any] | None:
    if values is None:
        return None
    return {k: v for k, v in values.items() if k not in keys}


class RetentionTx(TxBase):
    """Retention methods of SqlTx (see mailflow.services.retention)."""

    def ended_cases(self) -> list[EndedCase]:
        """Cases at rest, with the last time they entered their current state (else their last update)."""
        c, e = t.cases.c, t.case_events.c
        joined = t.cases.outerjoin(t.case_events, and_(e.case_id == c.id, e.target_state == c.state))
        stmt = (
            select(c.id, c.ref, c.updated_at, func.max(e.at))
            .select_from(joined)
            .where(c.state.in_([s.value for s in ENDED_STATES]))
            .group_by(c.id, c.ref, c.updated_at)
            .order_by(c.id)
        )
        return [
            EndedCase(case_id=int(row[0]), ref=row[1], ended_at=row[3] or row[2])
            for row in self.conn.execute(stmt)
        ]

    def kept_documents(self) -> list[Kept]:
        """Every stored document that still holds personal data (contacts: of ended cases only)."""
        return [
            *self._kept_inbound(),
            *self._kept_form_files(),
            *self._kept_outgoing(),
            *self._kept_contacts(),
        ]

    def _kept_inbound(self) -> Iterator[Kept]:
        i, e = t.inbound.c, t.case_events.c
        conventions = set(
            self.conn.execute(
                select(e.inbound_id).where(
                    e.kind == EventKind.CONVENTION_RECEIVED.value, e.inbound_id.is_not(None)
                )
            ).scalars()
        )
        stmt = (
            select(i.id, i.case_id, i.fetched_at, i.message_id, i.status)
            .join(t.inbound_raw, t.inbound_raw.c.inbound_id == i.id)
            .where(i.status != InboundStatus.NEW.value)
            .order_by(i.id)
        )
        for row in self.conn.execute(stmt):
            if row.id in conventions:
                kind = DocumentKind.CONVENTION
            elif row.case_id is not None:
                kind = DocumentKind.INBOUND_MAIL
            else:
                kind = DocumentKind.UNATTACHED_MAIL
            what = f"message n° {row.id} ({row.status}) {row.message_id or ''}".strip()
            yield Kept(kind, int(row.id), row.case_id, row.fetched_at, what)

    def _kept_form_files(self) -> Iterator[Kept]:
        f = t.form_versions.c
        stmt = (
            select(f.id, f.case_id, f.at, f.version, f.attachment_filename)
            .where(f.attachment_data.is_not(None))
            .order_by(f.id)
        )
        for row in self.conn.execute(stmt):
            what = f"version {row.version} : {row.attachment_filename or 'fichier'}"
            yield Kept(DocumentKind.FORM_FILE, int(row.id), row.case_id, row.at, what)

    def _kept_outgoing(self) -> Iterator[Kept]:
        o, a = t.outbox.c, t.outbox_attachments.c
        has_files = exists().where(a.outbox_id == o.id)
        stmt = (
            select(o.id, o.case_id, o.date, o.sent_at, o.template, o.subject)
            .where(o.status != OutboxStatus.PENDING.value, or_(o.text != "", o.html.is_not(None), has_files))
            .order_by(o.id)
        )
        for row in self.conn.execute(stmt):
            kind = (
                DocumentKind.NOTIFICATION
                if row.template in NOTIFICATION_TEMPLATES
                else DocumentKind.OUTGOING_MAIL
            )
            what = f"envoi n° {row.id} ({row.template}) « {row.subject[:80]} »"
            yield Kept(kind, int(row.id), row.case_id, row.sent_at or row.date, what)

    def _kept_contacts(self) -> Iterator[Kept]:
        c, f = t.cases.c, t.form_versions.c
        rows = self.conn.execute(
            select(c.id, c.updated_at, c.form, c.partner).where(c.state.in_([s.value for s in ENDED_STATES]))
        ).all()
        if not rows:
            return
        in_versions: dict[int, set[str]] = {}
        for case_ids in _chunks([int(r.id) for r in rows]):
            for case_id, values in self.conn.execute(
                select(f.case_id, f.form_values).where(f.case_id.in_(case_ids))
            ):
                in_versions.setdefault(int(case_id), set()).update(_personal(values))
        for row in rows:
            fields = set(_personal(row.form)) | set(_personal(row.partner)) | in_versions.get(row.id, set())
            if fields:
                yield Kept(
                    DocumentKind.CONTACTS, int(row.id), int(row.id), row.updated_at, ", ".join(sorted(fields))
                )

    # --- removing ---

    def drop_inbound_raw(self, inbound_ids: Collection[int]) -> int:
        """Forget the raw bytes of these received messages (the row, its Message-ID and verdict stay)."""
        done = 0
        for ids in _chunks(inbound_ids):
            stmt = delete(t.inbound_raw).where(t.inbound_raw.c.inbound_id.in_(ids))
            done += self.conn.execute(stmt).rowcount
        return done

    def drop_form_files(self, version_ids: Collection[int]) -> int:
        """Forget the files of these form versions (the values read from them stay)."""
        f = t.form_versions.c
        done = 0
        for ids in _chunks(version_ids):
            stmt = (
                update(t.form_versions)
                .where(f.id.in_(ids), f.attachment_data.is_not(None))
                .values(attachment_data=None)
            )
            done += self.conn.execute(stmt).rowcount
        return done

    def drop_outgoing_bodies(self, outbox_ids: Collection[int]) -> int:
        """Forget the text, HTML and attachments of these sent (or failed) mails; never a pending one."""
        o, a = t.outbox.c, t.outbox_attachments.c
        done = 0
        for ids in _chunks(outbox_ids):
            settled = select(o.id).where(o.id.in_(ids), o.status != OutboxStatus.PENDING.value)
            settled_ids = [int(x) for x in self.conn.execute(settled).scalars()]
            if not settled_ids:
                continue
            self.conn.execute(delete(t.outbox_attachments).where(a.outbox_id.in_(settled_ids)))
            stmt = update(t.outbox).where(o.id.in_(settled_ids)).values(text="", html=None)
            done += self.conn.execute(stmt).rowcount
        return done

    def erase_personal_fields(self, case_id: int) -> list[str]:
        """Erase the personal fields from a case's form, partner and form versions; the fields erased."""
        c, f = t.cases.c, t.form_versions.c
        row = self.conn.execute(select(c.form, c.partner).where(c.id == case_id)).first()
        if row is None:
            return []
        erased = set(_personal(row.form)) | set(_personal(row.partner))
        if erased:
            self.conn.execute(
                update(t.cases)
                .where(c.id == case_id)
                .values(
                    form=_without(row.form, PERSONAL_FIELDS),
                    partner=_without(row.partner, PERSONAL_FIELDS),
                    version=c.version
                    + 1,  # a concurrent reader's save_case now fails instead of restoring them
                )
            )
        for version_id, values in self.conn.execute(
            select(f.id, f.form_values).where(f.case_id == case_id)
        ).all():
            found = _personal(values)
            if found:
                erased.update(found)
                self.conn.execute(
                    update(t.form_versions)
                    .where(f.id == version_id)
                    .values(form_values=_without(values, PERSONAL_FIELDS))
                )
        return sorted(erased)
