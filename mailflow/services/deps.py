"""What the services need, bundled: the ports and the values from configuration (no adapter named here)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from mailflow.domain.directory import Directory
from mailflow.domain.ids import MessageIdSigner, ThreadIndexer
from mailflow.domain.policy import Policy
from mailflow.ports import (
    Clock,
    HolidayCalendar,
    LetterRenderer,
    Mailbox,
    MailSerializer,
    Renderer,
    Store,
    Transport,
)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who we are and who the fixed counterparts are."""

    academie_name: str
    dareic_name: str
    dareic_address: str
    rector_address: str
    staff: frozenset[str]
    school_domain: str
    case_prefix: str
    signatory_name: str
    signatory_title: str
    trusted_authserv_id: str
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Paris"))


@dataclass(slots=True)
class Deps:
    store: Store
    transport: Transport
    renderer: Renderer
    serializer: MailSerializer
    clock: Clock
    holidays: HolidayCalendar
    identity: Identity
    policy: Policy
    directory: Directory
    signer: MessageIdSigner
    threads: ThreadIndexer
    secret: bytes  # signs action tokens
    mailbox: Mailbox | None = None
    partner_sheet: bytes | None = None  # the blank fiche partenaire sent to embassies
    request_form: bytes | None = None  # the blank official request form (sent with "incomplete" replies)
    letters: LetterRenderer | None = None  # the rector's notification and the dossier summary, as PDF
    outbox_lease: timedelta = timedelta(minutes=10)  # how long a worker holds due mail while sending it
    retry_base: timedelta = timedelta(minutes=1)  # first retry after a transient failure; then x5, x15, x60
    # Called with the name of each step boundary (stored, ingested, moved, leased, accepted, marked):
    # a no-op in production, a crash injector in the crash-matrix tests.
    probe: Callable[[str], None] = field(default=lambda point: None)
    # Mails the SMTP server accepted while the database could not record it (outbox id -> when): the
    # next drain records them before leasing anything, so they are never sent twice.
    sent_unrecorded: dict[int, datetime] = field(default_factory=dict)
