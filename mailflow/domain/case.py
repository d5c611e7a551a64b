"""The case aggregate and the records kept around it (events, inbound and outgoing mail, reminders)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mailflow.domain.effects import Party
from mailflow.domain.ids import MailboxKey
from mailflow.domain.message import OutboundEmail
from mailflow.domain.states import CaseState

JSONDict = dict[str, Any]


class Case(BaseModel):
    """One appariement request, from the school's first mail to the end of the procedure.

    ``form`` holds the latest validated form values in JSON form (dates ISO, countries alpha-2);
    ``partner`` the proposed partner school. ``version`` guards against concurrent updates.
    """

    model_config = ConfigDict(validate_assignment=True)

    id: int | None = None
    ref: str
    state: CaseState = CaseState.RECEIVED
    version: int = 0
    opened_at: datetime
    updated_at: datetime
    school_address: str
    school_uai: str | None = None
    school_name: str = ""
    target_country: str | None = None
    target_region: str | None = None
    embassy_address: str | None = None
    embassy_language: str = "fr"
    mobility_type: str | None = None
    form: JSONDict = Field(default_factory=dict)
    form_version: int = 0
    partner: JSONDict | None = None
    waiting_for: Party | None = None
    due_on: date | None = None
    review_reason: str | None = None
    deliberation_on: date | None = None
    thread_topic: str = ""


class CaseEvent(BaseModel):
    """One line of a case's timeline: what happened, who or what caused it."""

    model_config = ConfigDict(frozen=True)

    id: int | None = None
    case_id: int
    at: datetime
    kind: str
    actor: str  # an address, "system", or "cli:<user>"
    source_state: CaseState | None = None
    target_state: CaseState | None = None
    inbound_id: int | None = None
    detail: str = ""


class InboundStatus(StrEnum):
    NEW = "new"  # stored, not yet examined
    CLAIMED = "claimed"  # ours: attached to a case (or opened one); moved to the processed folder
    IGNORED = "ignored"  # ours but machine-made (auto-reply, bounce about our mail): recorded, moved
    NOT_OURS = "not_ours"  # left untouched in the inbox; remembered so it is not re-examined
    UNMATCHED = "unmatched"  # "à rattacher": points at a case without proof; raw kept, left in the inbox
    DUPLICATE = "duplicate"  # same Message-ID as a message already handled
    QUARANTINED = "quarantined"  # a step raised: kept raw with its reason, moved to quarantine


class InboundRecord(BaseModel):
    """A fetched message as stored: raw bytes first, then what the pipeline decided."""

    id: int | None = None
    key: MailboxKey
    message_id: str | None
    fetched_at: datetime
    raw: bytes | None = Field(default=None, repr=False)
    status: InboundStatus = InboundStatus.NEW
    kind: str | None = None  # classification: human, autoreply, bounce, receipt, list
    reason: str = ""
    case_id: int | None = None
    moved: bool = False
    from_addr: str = ""
    subject: str = ""
    attempts: int = 0


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxRecord(BaseModel):
    """An outgoing mail, written in the same transaction as the state change that caused it."""

    id: int | None = None
    case_id: int | None
    template: str
    party: Party | None
    email: OutboundEmail
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime
    last_error: str = ""
    sent_at: datetime | None = None
    sent_copied: bool = False  # its copy is in the Sent folder (a crash may come between the two)


class ReminderStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    CANCELLED = "cancelled"


class ReminderRecord(BaseModel):
    """A reminder to ``party`` due on a working day; ``sequence`` counts reminders already sent."""

    id: int | None = None
    case_id: int
    party: Party
    due_on: date
    sequence: int = 0
    status: ReminderStatus = ReminderStatus.PENDING
