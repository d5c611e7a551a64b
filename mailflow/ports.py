"""The boundaries of mailflow, one typing.Protocol each; adapters implement them, services use them."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from mailflow.domain.case import (
    Case,
    CaseEvent,
    InboundRecord,
    InboundStatus,
    OutboxRecord,
    ReminderRecord,
)
from mailflow.domain.directory import Contact
from mailflow.domain.ids import CaseRef, MailboxKey
from mailflow.domain.incidents import Incident
from mailflow.domain.message import Attachment, OutboundEmail
from mailflow.domain.retention import EndedCase, Kept
from mailflow.domain.states import CaseState


class Clock(Protocol):
    """The only source of time: aware UTC datetimes."""

    def now(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class FetchedMessage:
    key: MailboxKey
    raw: bytes


class Mailbox(Protocol):
    """The Dareic's mailbox: an inbox we read, a processed and a quarantine folder, a Sent folder.

    UIDs are IMAP-like: increasing within a UIDVALIDITY. Reading never marks a message as seen.
    """

    name: str  # the inbox folder name, part of every MailboxKey

    def uidvalidity(self) -> int: ...

    def fetch_after(self, uid: int, limit: int = 100, max_bytes: int | None = None) -> list[FetchedMessage]:
        """Messages of the inbox with a UID greater than ``uid``, oldest first: at most ``limit``, and
        beyond the first, at most ``max_bytes`` in all (a few big mails are fetched one by one)."""
        ...

    def move_to_processed(self, keys: Sequence[MailboxKey]) -> None:
        """Move these messages out of the inbox (one command for all); a key already gone is a no-op."""
        ...

    def move_to_quarantine(self, keys: Sequence[MailboxKey]) -> None: ...

    def append_sent(self, raw: bytes) -> None:
        """Keep a copy of a sent mail in the Sent folder."""
        ...

    def sent_contains(self, message_id: str) -> bool:
        """Whether the Sent folder holds a message with this Message-ID (before copying one again)."""
        ...

    def wait_for_change(self, timeout: float) -> bool:
        """Block until new mail may have arrived (IMAP IDLE, a directory watch) or ``timeout`` passes."""
        ...

    def close(self) -> None: ...


class Transport(Protocol):
    """Sends mail. Raises TransientError (retry later) or PermanentError (give up)."""

    def send(
        self, emails: list[OutboundEmail], on_result: Callable[[int, Exception | None], None] | None = None
    ) -> list[Exception | None]:
        """Send a batch over one connection; one result per mail (None = accepted).

        ``on_result(index, None)`` is called as soon as each mail is accepted, before the next is sent.
        """
        ...


@dataclass(frozen=True, slots=True)
class RenderedMail:
    subject: str
    text: str
    html: str


class Renderer(Protocol):
    """Turns a template name and a context into a subject, a text and an HTML body (French)."""

    def render(self, template: str, context: Mapping[str, object]) -> RenderedMail: ...

    def templates(self) -> list[str]: ...


class LetterRenderer(Protocol):
    """The official letters as PDF, from the same context as the mail templates."""

    def notification(self, context: Mapping[str, object]) -> bytes: ...

    def dossier(self, context: Mapping[str, object]) -> bytes: ...


class MailSerializer(Protocol):
    """OutboundEmail -> RFC 5322 bytes (the same bytes go to SMTP, the Sent folder and .eml files)."""

    def __call__(self, email: OutboundEmail) -> bytes: ...


class ConcurrentUpdate(Exception):
    """A case was saved by someone else since it was read (version mismatch)."""


class Tx(Protocol):
    """One database transaction; every method works inside it. Commit happens when the block ends."""

    # --- inbound mail and watermarks ---
    def watermark(self, mailbox: str, uidvalidity: int) -> int: ...
    def set_watermark(self, mailbox: str, uidvalidity: int, uid: int) -> None: ...
    def add_inbound(self, record: InboundRecord) -> int | None:
        """Store a fetched message; None when its MailboxKey is already known (nothing is written)."""
        ...

    def inbound(self, inbound_id: int) -> InboundRecord: ...
    def claim_inbound(self, inbound_id: int, *, with_raw: bool = True) -> InboundRecord | None:
        """The record, locked for this transaction, if it still waits to be ingested (else None);
        ``with_raw=False`` leaves out the raw bytes (the caller holds them from the fetch)."""
        ...

    def claim_moves(self, inbound_ids: Sequence[int]) -> list[InboundRecord]:
        """Those records not moved yet (without raw bytes), locked for this transaction, in id order."""
        ...

    def inbound_by_message_id(self, mailbox: str, message_id: str) -> InboundRecord | None:
        """The message stored under this Message-ID, without its raw bytes (use inbound() for them)."""
        ...

    def update_inbound(
        self,
        inbound_id: int,
        *,
        status: InboundStatus,
        kind: str | None = None,
        reason: str = "",
        case_id: int | None = None,
        drop_raw: bool = False,
    ) -> None: ...
    def mark_moved(self, inbound_ids: Sequence[int]) -> None: ...
    def bump_inbound_attempts(self, inbound_id: int) -> int: ...
    def inbound_with_status(self, mailbox: str, status: InboundStatus) -> list[int]: ...
    def inbound_unmoved(self, mailbox: str) -> list[InboundRecord]:
        """Claimed, ignored or quarantined messages still in the inbox (a crash came before MOVE);
        without their raw bytes."""
        ...

    # --- cases ---
    def next_case_ref(self, prefix: str, year: int) -> CaseRef: ...
    def add_case(self, case: Case) -> Case: ...
    def case(self, case_id: int) -> Case: ...
    def case_by_ref(self, ref: str) -> Case | None: ...
    def save_case(self, case: Case) -> Case:
        """Write the case if its version is unchanged since read; raise ConcurrentUpdate otherwise."""
        ...

    def cases(self, state: CaseState | None = None) -> list[Case]: ...
    def open_case_for(self, uai: str, country: str, opened_since: datetime | None = None) -> Case | None:
        """The open case of a school for a country, opened since a date (a re-sent form is a new version of it)."""
        ...

    def case_for_message_id(self, message_id: str) -> int | None:
        """The case a Message-ID belongs to: one we sent, or one we received and attached."""
        ...

    def case_parties(self, case_id: int) -> set[str]: ...

    # --- timeline and form versions ---
    def add_event(self, event: CaseEvent) -> None: ...
    def events(self, case_id: int) -> list[CaseEvent]: ...
    def add_form_version(
        self,
        case_id: int,
        version: int,
        values: Mapping[str, object],
        attachment: Attachment | None,
        inbound_id: int | None,
        at: datetime,
    ) -> None: ...
    def latest_form_attachment(self, case_id: int) -> Attachment | None: ...

    # --- outbox ---
    def add_outbox(self, record: OutboxRecord) -> int: ...
    def outbox_due(self, now: datetime, limit: int) -> list[OutboxRecord]: ...
    def lease_outbox_due(self, now: datetime, limit: int, until: datetime) -> list[OutboxRecord]:
        """Due mails, taken for sending until ``until`` (no other worker sees them meanwhile)."""
        ...

    def outbox(self, case_id: int | None = None) -> list[OutboxRecord]: ...
    def mark_sent(self, outbox_id: int, at: datetime) -> None: ...
    def mark_copied(self, outbox_id: int) -> None: ...
    def outbox_uncopied(self, since: datetime, limit: int) -> list[OutboxRecord]:
        """Mails sent at or after ``since`` whose copy never reached the Sent folder, oldest first."""
        ...

    def mark_retry(self, outbox_id: int, next_attempt_at: datetime, error: str) -> None: ...
    def mark_failed(self, outbox_id: int, error: str) -> None: ...
    def auto_mails_since(self, case_id: int, to_addr: str, since: datetime) -> int: ...

    # --- daemon heartbeat and counts (for `mailflow status`) ---
    def set_status(self, name: str, value: dict[str, object], at: datetime) -> None: ...
    def statuses(self) -> dict[str, tuple[dict[str, object], datetime]]: ...
    def count_by_status(self, table: str) -> dict[str, int]: ...

    # --- the daemon's incident journal (append-only; only the purge deletes) ---
    def add_incident(self, incident: Incident) -> int: ...
    def incidents_since(self, since: datetime | None) -> list[Incident]:
        """Journal lines at or after ``since`` (all when None), oldest first."""
        ...

    # --- contacts and action tokens ---
    def add_contact(self, contact: Contact, added_by: str, at: datetime) -> None: ...
    def added_contacts(self) -> list[Contact]: ...
    def mark_invalid(self, address: str, reason: str, at: datetime) -> None: ...
    def invalid_addresses(self) -> dict[str, str]: ...
    def clear_invalid(self, address: str, at: datetime) -> None: ...
    def use_token(self, nonce: str, used_by: str, at: datetime) -> bool:
        """True the first time a token is used, False ever after."""
        ...

    # --- reminders ---
    def add_reminder(self, reminder: ReminderRecord) -> int: ...
    def cancel_reminders(self, case_id: int) -> int: ...
    def reminders_due(self, today: date) -> list[ReminderRecord]: ...
    def complete_reminder(self, reminder_id: int) -> None: ...
    def pending_reminders(self, case_id: int) -> list[ReminderRecord]: ...

    # --- retention ---
    def ended_cases(self) -> list[EndedCase]:
        """Cases at rest (validated, closed, refused…) with the time they entered that state."""
        ...

    def kept_documents(self) -> list[Kept]:
        """Every stored document still holding personal data (ids and dates only, no content)."""
        ...

    def drop_inbound_raw(self, inbound_ids: Collection[int]) -> int: ...
    def drop_form_files(self, version_ids: Collection[int]) -> int: ...
    def drop_outgoing_bodies(self, outbox_ids: Collection[int]) -> int:
        """Text, HTML and attachments of sent or failed mails (never a pending one)."""
        ...

    def erase_personal_fields(self, case_id: int) -> list[str]:
        """Names, emails, phones out of a case, its partner and its form versions; the fields erased."""
        ...

    def kept_incidents(self) -> list[Kept]:
        """Every line of the incident journal (ids and dates only)."""
        ...

    def drop_incidents(self, incident_ids: Collection[int]) -> int: ...

    # --- digest ---
    def open_cases(self) -> list[Case]:
        """Cases not in a terminal state, by reference."""
        ...

    def cases_opened_since(self, since: datetime | None) -> list[Case]: ...
    def events_since(self, kinds: Collection[str], since: datetime | None) -> list[CaseEvent]: ...
    def event_counts(self, kind: str) -> dict[int, int]:
        """Per case id, how many events of ``kind`` its timeline holds."""
        ...

    def inbound_counts_since(self, since: datetime | None) -> dict[str, int]: ...
    def inbound_opening_cases_since(self, since: datetime | None) -> int:
        """Claimed messages fetched since ``since`` that opened a case."""
        ...

    def inbound_records(
        self, status: InboundStatus, since: datetime | None = None, limit: int | None = None
    ) -> list[InboundRecord]:
        """Messages in ``status``, oldest first, without their raw bytes."""
        ...


class Store(Protocol):
    """The database: hands out transactions."""

    def transaction(self) -> AbstractContextManager[Tx]: ...

    def make_durable(self) -> None:
        """Every commit so far survives a power cut (called before every effect outside the database)."""
        ...

    def upgrade(self) -> None:
        """Bring the schema to the latest migration."""
        ...


class HolidayCalendar(Protocol):
    def holidays_between(
        self, start: date, end: date, country: str = "FR", subdiv: str | None = None
    ) -> frozenset[date]: ...


__all__ = [
    "Clock",
    "ConcurrentUpdate",
    "FetchedMessage",
    "HolidayCalendar",
    "MailSerializer",
    "Mailbox",
    "RenderedMail",
    "Renderer",
    "Store",
    "Transport",
    "Tx",
]
