"""IngestContext: what the ingest steps learn about one message, filled in step order."""

from __future__ import annotations

from dataclasses import dataclass, field

from mailflow.domain.case import Case, InboundRecord, InboundStatus
from mailflow.domain.classify import Classification
from mailflow.domain.commands import Command, Role
from mailflow.domain.forms import FormCheck
from mailflow.domain.message import Attachment, InboundMessage
from mailflow.domain.states import EventKind
from mailflow.domain.threading import Match
from mailflow.extract.forms import FoundForm
from mailflow.ports import Tx
from mailflow.services.deps import Deps


@dataclass(slots=True)
class Planned:
    """An event decided for a case, with what the templates need."""

    event: EventKind
    detail: str = ""
    extras: dict[str, object] = field(default_factory=dict)
    partner: dict[str, object] | None = None  # the partner school a returned fiche partenaire proposes


@dataclass(slots=True)
class IngestContext:
    """Everything the steps learn about one message; the steps fill it in order."""

    deps: Deps
    tx: Tx
    record: InboundRecord
    message: InboundMessage | None = None
    classification: Classification | None = None
    role: Role = Role.STRANGER
    authenticated: bool = False
    match: Match | None = None
    case: Case | None = None
    visible: str = ""
    commands: list[Command] = field(default_factory=list)
    requests: list[tuple[FoundForm, FormCheck, Attachment]] = field(default_factory=list)
    partner_sheets: list[tuple[FoundForm, FormCheck]] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    plan: list[Planned] = field(default_factory=list)
    staff_commands: bool = False  # commands from staff or the rector's office, checked in apply
    form_received: bool = False  # a request form (readable or not): open a case or add a version
    note: str | None = None  # a timeline line without transition (auto-reply seen, message attached)
    status: InboundStatus = InboundStatus.NOT_OURS
    reason: str = ""
