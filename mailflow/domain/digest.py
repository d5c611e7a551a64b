"""The daily digest as data: DigestView and its sections, built from plain records (pure, no I/O).

Services gather the records (cases, events, inbound messages, invalid addresses, counts, the daemon's
incident journal) and a function that signs action tokens; build_digest() sorts them into the French
sections, balances the messages fetched since the last digest, tells the technical incidents in French
and draws the open cases by state as bars. Templates only print it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from urllib.parse import quote

from mailflow.domain.case import Case, CaseEvent, InboundRecord, InboundStatus
from mailflow.domain.countries import french_name
from mailflow.domain.effects import Party
from mailflow.domain.ids import REF_PATTERN
from mailflow.domain.incidents import Incident, IncidentLine, incident_lines
from mailflow.domain.states import STATE_LABELS, TERMINAL_STATES, CaseState, EventKind, allowed_events

TokenFor = Callable[[str, str], str]
"""(case reference, command name) -> a signed, expiring action token."""

E = EventKind
# One-click commands, in the order they are offered, with the events that make them legal in a state.
ACTIONS: tuple[tuple[str, str, frozenset[EventKind]], ...] = (
    ("transmettre", "Transmettre", frozenset({E.FORWARD_TO_EMBASSY, E.ASK_EMBASSY_OPINION})),
    ("proposer", "Proposer à l'établissement", frozenset({E.PARTNER_CONFIRMED})),
    ("accepte", "Accord de l'établissement", frozenset({E.SCHOOL_ACCEPTED})),
    ("valider", "Valider", frozenset({E.RECTOR_VALIDATED})),
    ("aucunpartenaire", "Aucun partenaire", frozenset({E.NO_PARTNER})),
    ("autrepartenaire", "Autre partenaire", frozenset({E.PARTNER_REJECTED, E.ASK_ANOTHER_PARTNER})),
    ("relancer", "Relancer", frozenset({E.REMIND})),
    ("clore", "Clore", frozenset({E.CLOSE})),
)
MAX_ACTIONS = 4

# Timeline events that record an answer from outside, and how the digest names them.
REPLY_KINDS: dict[str, str] = {
    "embassy_replied": "Réponse de l'ambassade", "partner_proposed": "Partenaire proposé",
    "no_partner": "Aucun partenaire trouvé", "opinion_favourable": "Avis favorable de l'ambassade",
    "opinion_unfavourable": "Avis défavorable de l'ambassade", "school_accepted": "Accord de l'établissement",
    "school_declined": "Refus de l'établissement", "school_reply_unclear": "Réponse de l'établissement à interpréter",
    "convention_received": "Convention reçue", "withdraw": "Retrait de la demande",
    "rector_validated": "Validation du cabinet du recteur", "rector_refused": "Refus du cabinet du recteur",
    "message_received": "Message reçu", "form_version": "Nouvelle version du formulaire",
    "warning": "Avertissement",
}  # fmt: skip
PARTY_LABELS: dict[Party, str] = {
    Party.SCHOOL: "l'établissement", Party.EMBASSY: "l'ambassade", Party.RECTOR: "le cabinet du recteur",
    Party.STAFF: "la Dareic",
}  # fmt: skip
# Colour groups of the bars: who holds the case.
_STAFF_STATES = {CaseState.RECEIVED, CaseState.UNDER_REVIEW, CaseState.PARTNER_PROPOSED, CaseState.DECLINED}
_DONE_STATES = {CaseState.VALIDATED, CaseState.MOBILITY_AUTHORISED, CaseState.NO_PARTNER_FOUND}


@dataclass(frozen=True, slots=True)
class Action:
    """A one-click command: a mailto: link that composes the command mail with its signed token."""

    command: str
    label: str
    mailto: str


@dataclass(frozen=True, slots=True)
class CaseLine:
    """One case in a section: who, where, its state, what the section says about it, what to do."""

    ref: str
    school: str
    country: str
    state: str
    detail: str = ""
    at: datetime | None = None
    actions: tuple[Action, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Overdue:
    ref: str
    school: str
    waiting_for: str
    due_on: date
    days_late: int
    reminders: int


@dataclass(frozen=True, slots=True)
class BadAddress:
    address: str
    reason: str
    cases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MessageLine:
    """A message to attach or in quarantine: its number (for /rattacher REF #id), sender, subject, why."""

    id: int
    from_addr: str
    subject: str
    reason: str
    fetched_at: datetime
    candidates: tuple[str, ...] = ()
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True, slots=True)
class Balance:
    """Messages fetched since the last digest, and where each went; balanced when none is missing."""

    fetched: int
    attached: int
    new_cases: int
    ignored: int
    not_ours: int
    quarantined: int
    uncounted_by_status: tuple[tuple[str, int], ...] = ()

    @property
    def counted(self) -> int:
        return self.attached + self.new_cases + self.ignored + self.not_ours + self.quarantined

    @property
    def uncounted(self) -> int:
        return self.fetched - self.counted

    @property
    def balanced(self) -> bool:
        return self.uncounted == 0


@dataclass(frozen=True, slots=True)
class Bar:
    state: str
    label: str
    count: int
    percent: int  # width of the bar, relative to the longest one
    tone: str  # "staff" (the Dareic holds it), "waiting" (someone else), "done"


@dataclass(frozen=True, slots=True)
class DigestView:
    today: date
    now: datetime
    since: datetime | None
    open_count: int
    to_handle: tuple[CaseLine, ...] = ()
    new_requests: tuple[CaseLine, ...] = ()
    replies: tuple[CaseLine, ...] = ()
    overdue: tuple[Overdue, ...] = ()
    bad_addresses: tuple[BadAddress, ...] = ()
    to_attach: tuple[MessageLine, ...] = ()
    quarantine: tuple[MessageLine, ...] = ()
    balance: Balance = field(default_factory=lambda: Balance(0, 0, 0, 0, 0, 0))
    bars: tuple[Bar, ...] = ()
    open_cases: tuple[Case, ...] = ()
    incidents: tuple[IncidentLine, ...] = ()

    @property
    def incidents_ongoing(self) -> int:
        return sum(1 for line in self.incidents if line.ongoing)

    @property
    def headline(self) -> str:
        """The subject's summary: what needs a person today."""
        parts = [f"{len(self.to_handle)} à traiter"] if self.to_handle else []
        parts += [f"{len(self.overdue)} en retard"] if self.overdue else []
        parts += [f"{len(self.to_attach)} à rattacher"] if self.to_attach else []
        parts += [f"{len(self.quarantine)} en quarantaine"] if self.quarantine else []
        parts += [f"{len(self.new_requests)} nouvelle(s) demande(s)"] if self.new_requests else []
        ongoing = self.incidents_ongoing
        parts += [f"{ongoing} incident(s) technique(s) en cours"] if ongoing else []
        return ", ".join(parts) or "rien à traiter"


@dataclass(frozen=True, slots=True)
class DigestData:
    """The records the digest is built from (the services read them in one transaction)."""

    now: datetime
    today: date
    since: datetime | None
    open_cases: Sequence[Case]
    new_cases: Sequence[Case] = ()
    events: Sequence[CaseEvent] = ()  # REPLY_KINDS events since the last digest
    cases_by_id: Mapping[int, Case] = field(default_factory=dict)
    reminders_sent: Mapping[int, int] = field(default_factory=dict)
    invalid_addresses: Mapping[str, str] = field(default_factory=dict)
    unmatched: Sequence[InboundRecord] = ()
    quarantined: Sequence[InboundRecord] = ()
    inbound_counts: Mapping[str, int] = field(default_factory=dict)  # status -> messages fetched since
    opened_by_mail: int = 0  # claimed messages (fetched since) that opened a case
    staff: frozenset[str] = frozenset()
    incidents: Sequence[Incident] = ()  # the journal since the last digest (or since an outage it ends began)
    timezone: tzinfo = UTC  # local time of the incident sentences


def mailto(address: str, ref: str, line: str, token: str) -> str:
    """A mailto: link (RFC 6068) whose subject carries [REF] and whose body the command and its token."""
    subject = f"[{ref}] {line}"
    body = f"{line}\r\n\r\n(jeton : {token})\r\n"
    return f"mailto:{address}?subject={quote(subject, safe='')}&body={quote(body, safe='')}"


def case_actions(
    case: Case, address: str, token_for: TokenFor, invalid: Collection[str] = ()
) -> tuple[Action, ...]:
    """The sensible one-click commands for the case's state (legal in the transition table).

    Nothing is offered that would write to nobody: no /transmettre without a contact, no /relancer
    nor /transmettre while the counterpart's address bounces.
    """
    legal = set(allowed_events(case.state))
    blocked = _addresses(case) & set(invalid)
    found: list[Action] = []
    for command, label, events in ACTIONS:
        if not legal & events or (command == "transmettre" and not case.embassy_address):
            continue
        if blocked and command in ("relancer", "transmettre"):
            continue
        line = f"/{command}"
        found.append(Action(command, label, mailto(address, case.ref, line, token_for(case.ref, command))))
    if len(found) > MAX_ACTIONS:  # keep the first ones and always the way out
        found = [*found[: MAX_ACTIONS - 1], found[-1]]
    return tuple(found)


def balance_from_counts(counts: Mapping[str, int], opened_by_mail: int) -> Balance:
    """Fetched = attached + new cases + ignored + not ours + quarantined; anything else is uncounted."""
    S = InboundStatus
    claimed = counts.get(S.CLAIMED.value, 0)
    known = {S.CLAIMED, S.IGNORED, S.DUPLICATE, S.NOT_OURS, S.UNMATCHED, S.QUARANTINED}
    uncounted = tuple(
        sorted((status, n) for status, n in counts.items() if status not in {s.value for s in known} and n)
    )
    new_cases = min(opened_by_mail, claimed)
    return Balance(
        fetched=sum(counts.values()),
        attached=claimed - new_cases,
        new_cases=new_cases,
        ignored=counts.get(S.IGNORED.value, 0) + counts.get(S.DUPLICATE.value, 0),
        not_ours=counts.get(S.NOT_OURS.value, 0) + counts.get(S.UNMATCHED.value, 0),
        quarantined=counts.get(S.QUARANTINED.value, 0),
        uncounted_by_status=uncounted,
    )


def state_bars(cases: Sequence[Case]) -> tuple[Bar, ...]:
    """Open cases per state, in lifecycle order; widths relative to the largest state."""
    counts: dict[CaseState, int] = {}
    for case in cases:
        counts[case.state] = counts.get(case.state, 0) + 1
    top = max(counts.values(), default=0)
    return tuple(
        Bar(
            state=state.value,
            label=STATE_LABELS[state],
            count=counts[state],
            percent=max(2, round(100 * counts[state] / top)),
            tone="staff" if state in _STAFF_STATES else "done" if state in _DONE_STATES else "waiting",
        )
        for state in CaseState
        if counts.get(state)
    )


def _addresses(case: Case) -> set[str]:
    """The counterpart addresses a case writes to (lower case)."""
    return {case.school_address.lower(), (case.embassy_address or "").lower()} - {""}


def _line(
    case: Case,
    detail: str = "",
    *,
    at: datetime | None = None,
    actions: tuple[Action, ...] = (),
    notes: tuple[str, ...] = (),
) -> CaseLine:
    country = french_name(case.target_country) if case.target_country else "pays non précisé"
    if case.target_region:
        country = f"{country} – {case.target_region}"
    return CaseLine(
        ref=case.ref,
        school=case.school_name or case.school_address,
        country=country,
        state=STATE_LABELS[case.state],
        detail=detail,
        at=at,
        actions=actions,
        notes=notes,
    )


def _message_line(
    record: InboundRecord, address: str, token_for: TokenFor, *, attachable: bool
) -> MessageLine:
    """An unmatched message offers "Rattacher à REF" for each candidate named in its reason."""
    assert record.id is not None
    found = REF_PATTERN.finditer(record.reason) if attachable else iter(())
    candidates = tuple(dict.fromkeys(m.group(0) for m in found))
    actions = tuple(
        Action(
            "rattacher",
            f"Rattacher à {ref}",
            mailto(address, ref, f"/rattacher {ref} #{record.id}", token_for(ref, "rattacher")),
        )
        for ref in candidates
    )
    return MessageLine(
        id=record.id,
        from_addr=record.from_addr or "(expéditeur inconnu)",
        subject=record.subject or "(sans objet)",
        reason=record.reason,
        fetched_at=record.fetched_at,
        candidates=candidates,
        actions=actions,
    )


def build_digest(data: DigestData, dareic_address: str, token_for: TokenFor) -> DigestView:
    """Sort the records into the digest's sections (each empty one is simply an empty tuple)."""
    open_cases = sorted((c for c in data.open_cases if c.state not in TERMINAL_STATES), key=lambda c: c.ref)
    cases = {c.id: c for c in (*data.open_cases, *data.new_cases) if c.id is not None}
    cases.update({k: v for k, v in data.cases_by_id.items() if k not in cases})
    new_ids = {c.id for c in data.new_cases}
    invalid = {a.lower() for a in data.invalid_addresses}
    warnings: dict[int, list[str]] = {}
    replies: list[CaseLine] = []
    for event in sorted(data.events, key=lambda e: (e.at, e.id or 0)):
        case = cases.get(event.case_id)
        if case is None or event.kind not in REPLY_KINDS or event.actor.lower() in data.staff:
            continue
        if event.kind == "warning" and event.case_id in new_ids:
            warnings.setdefault(event.case_id, []).append(event.detail)
            continue
        if event.inbound_id is None and event.kind != "warning":
            continue  # not caused by a message (a command from the CLI, a reminder)
        detail = f"{REPLY_KINDS[event.kind]} — {event.detail}" if event.detail else REPLY_KINDS[event.kind]
        replies.append(_line(case, detail, at=event.at))
    overdue = [
        Overdue(c.ref, c.school_name or c.school_address, PARTY_LABELS[c.waiting_for] if c.waiting_for else "—",
                c.due_on, (data.today - c.due_on).days, data.reminders_sent.get(c.id or 0, 0))
        for c in open_cases
        if c.due_on is not None and c.due_on < data.today
    ]  # fmt: skip
    bad = [
        BadAddress(address, reason, tuple(c.ref for c in open_cases if address.lower() in _addresses(c)))
        for address, reason in sorted(data.invalid_addresses.items())
    ]
    return DigestView(
        today=data.today,
        now=data.now,
        since=data.since,
        open_count=len(open_cases),
        to_handle=tuple(
            _line(c, c.review_reason or "", actions=case_actions(c, dareic_address, token_for, invalid))
            for c in open_cases
            if c.review_reason
        ),
        new_requests=tuple(
            _line(c, at=c.opened_at, notes=tuple(warnings.get(c.id or 0, ())))
            for c in sorted(data.new_cases, key=lambda c: c.ref)
        ),
        replies=tuple(replies),
        overdue=tuple(sorted(overdue, key=lambda o: (o.due_on, o.ref))),
        bad_addresses=tuple(bad),
        to_attach=tuple(_message_line(r, dareic_address, token_for, attachable=True) for r in data.unmatched),
        quarantine=tuple(
            _message_line(r, dareic_address, token_for, attachable=False) for r in data.quarantined
        ),
        balance=balance_from_counts(data.inbound_counts, data.opened_by_mail),
        bars=state_bars(open_cases),
        open_cases=tuple(open_cases),
        incidents=incident_lines(data.incidents, data.since, data.timezone, data.today),
    )
