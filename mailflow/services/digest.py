"""The daily digest: gather the day's records, build the view, render it, and queue one mail to the staff.

"Since the last digest" is the time the last one was queued (remembered as the status row "digest"),
or the last 24 hours before the first one. A digest is queued at most once per local day: the status
row is checked and written in the same transaction as the outbox row, and the Message-ID is derived from
the day, so even two racing workers cannot queue two (the outbox's UNIQUE Message-ID refuses the second).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.parser import BytesHeaderParser
from email.policy import default
from email.utils import parseaddr
from typing import Protocol

from mailflow.domain.calendar import is_working_day
from mailflow.domain.case import Case, InboundRecord, InboundStatus, OutboxRecord
from mailflow.domain.digest import REPLY_KINDS, DigestData, DigestView, TokenFor, build_digest
from mailflow.domain.effects import Party
from mailflow.domain.message import Attachment, OutboundEmail
from mailflow.domain.tokens import ActionToken, make_token
from mailflow.ports import RenderedMail, Tx
from mailflow.services.compose import LOOP_HEADER, XLSX
from mailflow.services.deps import Deps
from mailflow.services.workflow import local_today

STATUS_NAME = "digest"
TEMPLATE = "digest"
TOKEN_LIFETIME = timedelta(days=7)
LIST_LIMIT = 500  # messages listed per section (à rattacher, quarantaine); the HTML shows fewer
SHOWN = 60  # lines per section in the mail; the rest is in the attachment


class DigestOutput(Protocol):
    """What the digest is rendered with (an adapter: templates/digest/ and openpyxl)."""

    def render(self, context: dict[str, object]) -> RenderedMail: ...

    def workbook(self, view: DigestView) -> bytes: ...


@dataclass(frozen=True, slots=True)
class DigestResult:
    """What `digest --send` did: queued (with its Message-ID), or why not."""

    queued: bool
    reason: str
    view: DigestView | None = None
    rendered: RenderedMail | None = None
    message_id: str | None = None


def last_digest(tx: Tx) -> tuple[datetime, str] | None:
    """When the last digest was queued, and for which local day (ISO)."""
    found = tx.statuses().get(STATUS_NAME)
    if found is None:
        return None
    value, at = found
    return at, str(value.get("day", ""))


def _since(deps: Deps, tx: Tx) -> datetime:
    last = last_digest(tx)
    return last[0] if last else deps.clock.now() - timedelta(days=1)


def build_view(deps: Deps, since: datetime | None = None) -> DigestView:
    """The digest as of now: everything read in one transaction, sorted by the pure builder."""
    now = deps.clock.now()
    with deps.store.transaction() as tx:
        since = since or _since(deps, tx)
        open_cases = tx.open_cases()
        new_cases = tx.cases_opened_since(since)
        events = tx.events_since(REPLY_KINDS, since)
        known = {c.id for c in (*open_cases, *new_cases)}
        others: dict[int, Case] = {i: tx.case(i) for i in {e.case_id for e in events} - known}
        incidents = tx.incidents_since(since)
        began = min((i.since for i in incidents if i.since is not None), default=since)
        if began < since:  # a recovery ends an outage that began earlier: tell the whole of it
            incidents = tx.incidents_since(began)
        data = DigestData(
            now=now,
            today=local_today(deps),
            since=since,
            open_cases=open_cases,
            new_cases=new_cases,
            events=events,
            cases_by_id=others,
            reminders_sent=tx.event_counts("remind"),
            invalid_addresses=tx.invalid_addresses(),
            unmatched=_described(tx, tx.inbound_records(InboundStatus.UNMATCHED, limit=LIST_LIMIT)),
            quarantined=_described(tx, tx.inbound_records(InboundStatus.QUARANTINED, limit=LIST_LIMIT)),
            inbound_counts=tx.inbound_counts_since(since),
            opened_by_mail=tx.inbound_opening_cases_since(since),
            staff=deps.identity.staff,
            incidents=incidents,
            timezone=deps.identity.timezone,
        )
    return build_digest(data, deps.identity.dareic_address, _token_maker(deps, now))


def _described(tx: Tx, records: list[InboundRecord]) -> list[InboundRecord]:
    """Records with their sender and subject, read from the kept raw message when the row lacks them."""
    described = []
    for record in records:
        if not (record.from_addr and record.subject) and record.id is not None:
            raw = tx.inbound(record.id).raw
            sender, subject = _sender_and_subject(raw or b"")
            record = record.model_copy(
                update={"from_addr": record.from_addr or sender, "subject": record.subject or subject}
            )
        described.append(record)
    return described


def _sender_and_subject(raw: bytes) -> tuple[str, str]:
    """The From address and the decoded Subject of a raw message; empty strings when unreadable."""
    try:
        head = BytesHeaderParser(policy=default).parsebytes(raw[:65536], headersonly=True)
        sender = parseaddr(str(head.get("From", "")))[1]
        return sender, " ".join(str(head.get("Subject", "")).split())
    except Exception:
        return "", ""


def _token_maker(deps: Deps, now: datetime) -> TokenFor:
    """Signs one single-use token per link (its own nonce), valid TOKEN_LIFETIME from now."""
    expires = now + TOKEN_LIFETIME

    def token_for(ref: str, action: str) -> str:
        return make_token(deps.secret, ActionToken(ref, action, expires, secrets.token_hex(8)))

    return token_for


def attachment_name(view: DigestView) -> str:
    return f"dossiers-ouverts-{view.today.isoformat()}.xlsx"


def digest_context(deps: Deps, view: DigestView) -> dict[str, object]:
    identity = deps.identity
    return {
        "digest": view,
        "academie": {
            "name": identity.academie_name,
            "dareic_name": identity.dareic_name,
            "dareic_address": identity.dareic_address,
        },
        "attachment": attachment_name(view),
        "token_days": TOKEN_LIFETIME.days,
        "shown": SHOWN,
    }


def preview_digest(deps: Deps, output: DigestOutput) -> tuple[DigestView, RenderedMail]:
    """The digest as it would be sent now, without sending nor remembering anything."""
    view = build_view(deps)
    return view, output.render(digest_context(deps, view))


def digest_due(deps: Deps) -> bool:
    """True on a working day (Alsace calendar) when no digest was queued today (the scheduler asks this)."""
    today = local_today(deps)
    if not is_working_day(today, deps.holidays.holidays_between(today, today)):
        return False
    with deps.store.transaction() as tx:
        last = last_digest(tx)
    return last is None or last[1] != today.isoformat()


def send_digest(deps: Deps, output: DigestOutput) -> DigestResult:
    """Queue today's digest to the staff list, with the open cases as .xlsx; never twice the same day."""
    today = local_today(deps)
    with deps.store.transaction() as tx:
        last = last_digest(tx)
    if last is not None and last[1] == today.isoformat():
        return DigestResult(False, f"a digest was already queued today ({today.isoformat()})")
    if not deps.identity.staff:
        return DigestResult(False, "no staff address configured (academie.staff)")
    view = build_view(deps)
    rendered = output.render(digest_context(deps, view))
    now = deps.clock.now()
    email = OutboundEmail(
        message_id=deps.signer.make(None, f"digest{today:%Y%m%d}"),
        from_addr=deps.identity.dareic_address,
        from_name=f"Dareic – {deps.identity.academie_name}",
        to_addrs=tuple(sorted(deps.identity.staff)),
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        date=now,
        extra_headers=(
            ("Auto-Submitted", "auto-generated"),
            (LOOP_HEADER, deps.identity.dareic_address),
            ("X-Mailflow-Digest", today.isoformat()),
        ),
        attachments=(
            Attachment(filename=attachment_name(view), content_type=XLSX, data=output.workbook(view)),
        ),
    )
    with deps.store.transaction() as tx:
        again = last_digest(tx)
        if again is not None and again[1] == today.isoformat():
            return DigestResult(False, f"a digest was already queued today ({today.isoformat()})")
        tx.add_outbox(
            OutboxRecord(case_id=None, template=TEMPLATE, party=Party.STAFF, email=email, next_attempt_at=now)
        )
        tx.set_status(
            STATUS_NAME,
            {"day": today.isoformat(), "message_id": email.message_id, "open": view.open_count},
            now,
        )
    return DigestResult(True, "queued", view, rendered, email.message_id)


def all_cases(deps: Deps) -> list[Case]:
    """Every case, for `mailflow export` and `mailflow report`."""
    with deps.store.transaction() as tx:
        return tx.cases()
