"""The lifecycle of a case: one explicit transition table, and transition() over it.

The table is the specification (DOMAIN.md §2). Each row says, for a (state, event) pair, the next
state and the effects, as data. A pair without a row is illegal and raises IllegalTransition.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from mailflow.domain.effects import (
    CancelReminders,
    Effect,
    FlagForReview,
    Party,
    ScheduleReminder,
    SendEmail,
)
from mailflow.domain.errors import IllegalTransition


class CaseState(StrEnum):
    RECEIVED = "RECEIVED"
    INCOMPLETE = "INCOMPLETE"
    UNDER_REVIEW = "UNDER_REVIEW"
    AT_EMBASSY = "AT_EMBASSY"
    EMBASSY_OPINION = "EMBASSY_OPINION"
    PARTNER_PROPOSED = "PARTNER_PROPOSED"
    AWAITING_SCHOOL = "AWAITING_SCHOOL"
    AWAITING_RECTOR = "AWAITING_RECTOR"
    VALIDATED = "VALIDATED"
    CONVENTION = "CONVENTION"
    MOBILITY_AUTHORISED = "MOBILITY_AUTHORISED"
    DECLINED = "DECLINED"
    NO_PARTNER_FOUND = "NO_PARTNER_FOUND"
    WITHDRAWN = "WITHDRAWN"
    REFUSED = "REFUSED"
    CLOSED = "CLOSED"


STATE_LABELS: dict[CaseState, str] = {
    CaseState.RECEIVED: "Reçue",
    CaseState.INCOMPLETE: "Incomplète (en attente de l'établissement)",
    CaseState.UNDER_REVIEW: "À examiner par la Dareic",
    CaseState.AT_EMBASSY: "Transmise à l'ambassade",
    CaseState.EMBASSY_OPINION: "Avis de l'ambassade demandé",
    CaseState.PARTNER_PROPOSED: "Partenaire proposé",
    CaseState.AWAITING_SCHOOL: "En attente de l'accord de l'établissement",
    CaseState.AWAITING_RECTOR: "En attente de la décision du recteur",
    CaseState.VALIDATED: "Validée par le recteur",
    CaseState.CONVENTION: "Convention en cours",
    CaseState.MOBILITY_AUTHORISED: "Mobilité autorisée",
    CaseState.DECLINED: "Partenaire décliné par l'établissement",
    CaseState.NO_PARTNER_FOUND: "Aucun partenaire trouvé",
    CaseState.WITHDRAWN: "Retirée par l'établissement",
    CaseState.REFUSED: "Refusée par le recteur",
    CaseState.CLOSED: "Close",
}


class EventKind(StrEnum):
    FORM_INVALID = "form_invalid"  # the form lacks fields or has invalid ones
    FORWARD_TO_EMBASSY = "forward_to_embassy"  # valid request, no partner yet: ask the embassy
    ASK_EMBASSY_OPINION = "ask_embassy_opinion"  # partner already known: ask the embassy's opinion
    ASK_RECTOR = "ask_rector"  # partner known, no opinion needed: straight to the rector
    NEEDS_REVIEW = "needs_review"  # valid, but a person must look (unknown contact, policy, doubt)
    PARTNER_PROPOSED = "partner_proposed"  # the embassy proposed a partner (sheet or command)
    PARTNER_CONFIRMED = "partner_confirmed"  # staff (or policy for a structured sheet) confirms it
    PARTNER_REJECTED = "partner_rejected"  # staff asks the embassy for another partner
    EMBASSY_REPLIED = "embassy_replied"  # a plain embassy answer staff must read
    NO_PARTNER = "no_partner"  # the embassy found no partner
    OPINION_FAVOURABLE = "opinion_favourable"
    OPINION_UNFAVOURABLE = "opinion_unfavourable"
    SCHOOL_ACCEPTED = "school_accepted"
    SCHOOL_DECLINED = "school_declined"
    SCHOOL_REPLY_UNCLEAR = "school_reply_unclear"
    ASK_ANOTHER_PARTNER = "ask_another_partner"
    RECTOR_VALIDATED = "rector_validated"
    RECTOR_REFUSED = "rector_refused"
    CONVENTION_EXPECTED = "convention_expected"  # physical mobility after validation
    CONVENTION_RECEIVED = "convention_received"
    CA_DELIBERATION_RECORDED = "ca_deliberation_recorded"
    REMIND = "remind"  # a reminder fell due
    WITHDRAW = "withdraw"  # the school withdraws its request
    CLOSE = "close"  # staff closes the case


TERMINAL_STATES = frozenset({CaseState.WITHDRAWN, CaseState.REFUSED, CaseState.CLOSED})


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of the table."""

    source: CaseState
    event: EventKind
    target: CaseState
    effects: tuple[Effect, ...] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    """What transition() decided: the next state and the effects to carry out."""

    source: CaseState
    event: EventKind
    target: CaseState
    effects: tuple[Effect, ...]


S, E, P = CaseState, EventKind, Party

_ACK = SendEmail(template="ack_school", to=P.SCHOOL, reply=True)
_TO_EMBASSY = SendEmail(template="embassy_request", to=P.EMBASSY, attach_form=True, attach_partner_sheet=True)
_OPINION = SendEmail(template="embassy_opinion_request", to=P.EMBASSY, attach_form=True)
_TO_RECTOR = SendEmail(template="rector_request", to=P.RECTOR, attach_form=True)
_ANOTHER = SendEmail(template="another_partner_request", to=P.EMBASSY, attach_partner_sheet=True)


def _routes(source: CaseState, *, first: bool) -> list[Transition]:
    """Where a valid request goes; ``first``: the school has not been acknowledged yet."""
    ack: tuple[Effect, ...] = (CancelReminders(), _ACK) if first else (CancelReminders(),)
    return [
        Transition(
            source, E.FORWARD_TO_EMBASSY, S.AT_EMBASSY, (*ack, _TO_EMBASSY, ScheduleReminder(party=P.EMBASSY))
        ),
        Transition(
            source,
            E.ASK_EMBASSY_OPINION,
            S.EMBASSY_OPINION,
            (*ack, _OPINION, ScheduleReminder(party=P.EMBASSY)),
        ),
        Transition(
            source, E.ASK_RECTOR, S.AWAITING_RECTOR, (*ack, _TO_RECTOR, ScheduleReminder(party=P.RECTOR))
        ),
        Transition(
            source, E.NEEDS_REVIEW, S.UNDER_REVIEW, (*ack, FlagForReview(reason="demande à examiner"))
        ),
    ]


def _remind(state: CaseState, party: Party) -> Transition:
    return Transition(
        state,
        E.REMIND,
        state,
        (SendEmail(template=f"reminder_{party.value}", to=party), ScheduleReminder(party=party)),
    )


_EMBASSY_INVOLVED = {S.AT_EMBASSY, S.EMBASSY_OPINION, S.PARTNER_PROPOSED}


def _exits(state: CaseState) -> list[Transition]:
    """Withdrawal by the school (acknowledged; the embassy told if it is searching) and closure by staff."""
    withdraw: tuple[Effect, ...] = (
        CancelReminders(),
        SendEmail(template="withdrawal_ack_school", to=P.SCHOOL, reply=True),
    )
    if state in _EMBASSY_INVOLVED:
        withdraw += (SendEmail(template="withdrawal_notice_embassy", to=P.EMBASSY),)
    return [
        Transition(state, E.WITHDRAW, S.WITHDRAWN, withdraw),
        Transition(state, E.CLOSE, S.CLOSED, (CancelReminders(),)),
    ]


_INCOMPLETE = (
    SendEmail(template="incomplete_school", to=P.SCHOOL, reply=True),
    ScheduleReminder(party=P.SCHOOL),
)

TRANSITIONS: tuple[Transition, ...] = (
    # A form arrived: the automatic checks decide.
    Transition(S.RECEIVED, E.FORM_INVALID, S.INCOMPLETE, _INCOMPLETE),
    *_routes(S.RECEIVED, first=True),
    *_exits(S.RECEIVED),
    # The school was told what to fix.
    Transition(S.INCOMPLETE, E.FORM_INVALID, S.INCOMPLETE, (CancelReminders(), *_INCOMPLETE)),
    *_routes(S.INCOMPLETE, first=True),
    _remind(S.INCOMPLETE, P.SCHOOL),
    *_exits(S.INCOMPLETE),
    # A person must look before anything is sent on.
    *[t for t in _routes(S.UNDER_REVIEW, first=False)],
    Transition(S.UNDER_REVIEW, E.FORM_INVALID, S.INCOMPLETE, _INCOMPLETE),
    *_exits(S.UNDER_REVIEW),
    # The embassy looks for a partner.
    Transition(S.AT_EMBASSY, E.PARTNER_PROPOSED, S.PARTNER_PROPOSED, (CancelReminders(),)),
    Transition(
        S.AT_EMBASSY,
        E.EMBASSY_REPLIED,
        S.AT_EMBASSY,
        (FlagForReview(reason="réponse de l'ambassade à lire"),),
    ),
    Transition(
        S.AT_EMBASSY,
        E.NO_PARTNER,
        S.NO_PARTNER_FOUND,
        (CancelReminders(), SendEmail(template="no_partner_school", to=P.SCHOOL)),
    ),
    _remind(S.AT_EMBASSY, P.EMBASSY),
    *_exits(S.AT_EMBASSY),
    # Existing partner: the embassy gives its opinion on the partner's guarantees.
    Transition(
        S.EMBASSY_OPINION,
        E.OPINION_FAVOURABLE,
        S.AWAITING_RECTOR,
        (CancelReminders(), _TO_RECTOR, ScheduleReminder(party=P.RECTOR)),
    ),
    Transition(
        S.EMBASSY_OPINION,
        E.OPINION_UNFAVOURABLE,
        S.UNDER_REVIEW,
        (CancelReminders(), FlagForReview(reason="avis défavorable de l'ambassade")),
    ),
    Transition(
        S.EMBASSY_OPINION,
        E.EMBASSY_REPLIED,
        S.EMBASSY_OPINION,
        (FlagForReview(reason="réponse de l'ambassade à lire"),),
    ),
    _remind(S.EMBASSY_OPINION, P.EMBASSY),
    *_exits(S.EMBASSY_OPINION),
    # A partner was proposed: confirm it (staff, or policy for a returned fiche partenaire).
    Transition(
        S.PARTNER_PROPOSED,
        E.PARTNER_CONFIRMED,
        S.AWAITING_SCHOOL,
        (SendEmail(template="partner_proposal_school", to=P.SCHOOL), ScheduleReminder(party=P.SCHOOL)),
    ),
    Transition(S.PARTNER_PROPOSED, E.PARTNER_PROPOSED, S.PARTNER_PROPOSED, ()),
    Transition(
        S.PARTNER_PROPOSED, E.PARTNER_REJECTED, S.AT_EMBASSY, (_ANOTHER, ScheduleReminder(party=P.EMBASSY))
    ),
    *_exits(S.PARTNER_PROPOSED),
    # The school accepts or declines the partner.
    Transition(
        S.AWAITING_SCHOOL,
        E.SCHOOL_ACCEPTED,
        S.AWAITING_RECTOR,
        (
            CancelReminders(),
            SendEmail(template="acceptance_ack_school", to=P.SCHOOL, reply=True),
            _TO_RECTOR,
            ScheduleReminder(party=P.RECTOR),
        ),
    ),
    Transition(
        S.AWAITING_SCHOOL,
        E.SCHOOL_DECLINED,
        S.DECLINED,
        (CancelReminders(), FlagForReview(reason="l'établissement a décliné le partenaire proposé")),
    ),
    Transition(
        S.AWAITING_SCHOOL,
        E.SCHOOL_REPLY_UNCLEAR,
        S.AWAITING_SCHOOL,
        (FlagForReview(reason="réponse de l'établissement à interpréter"),),
    ),
    _remind(S.AWAITING_SCHOOL, P.SCHOOL),
    *_exits(S.AWAITING_SCHOOL),
    # Declined or nothing found: search again, or close.
    Transition(
        S.DECLINED, E.ASK_ANOTHER_PARTNER, S.AT_EMBASSY, (_ANOTHER, ScheduleReminder(party=P.EMBASSY))
    ),
    Transition(S.DECLINED, E.CLOSE, S.CLOSED, ()),
    Transition(
        S.NO_PARTNER_FOUND, E.ASK_ANOTHER_PARTNER, S.AT_EMBASSY, (_ANOTHER, ScheduleReminder(party=P.EMBASSY))
    ),
    Transition(S.NO_PARTNER_FOUND, E.CLOSE, S.CLOSED, ()),
    # The rector's office decides.
    Transition(
        S.AWAITING_RECTOR,
        E.RECTOR_VALIDATED,
        S.VALIDATED,
        (CancelReminders(), SendEmail(template="notification_school", to=P.SCHOOL)),
    ),
    Transition(
        S.AWAITING_RECTOR,
        E.RECTOR_REFUSED,
        S.REFUSED,
        (CancelReminders(), SendEmail(template="refusal_school", to=P.SCHOOL)),
    ),
    _remind(S.AWAITING_RECTOR, P.RECTOR),
    *_exits(S.AWAITING_RECTOR),
    # Physical mobility: the convention and the conseil d'administration's deliberation.
    Transition(
        S.VALIDATED,
        E.CONVENTION_EXPECTED,
        S.CONVENTION,
        (SendEmail(template="convention_request_school", to=P.SCHOOL), ScheduleReminder(party=P.SCHOOL)),
    ),
    Transition(S.VALIDATED, E.CLOSE, S.CLOSED, ()),
    Transition(
        S.CONVENTION,
        E.CONVENTION_RECEIVED,
        S.CONVENTION,
        (
            CancelReminders(),
            FlagForReview(reason="convention reçue : date de délibération du CA à enregistrer"),
        ),
    ),
    Transition(
        S.CONVENTION,
        E.CA_DELIBERATION_RECORDED,
        S.MOBILITY_AUTHORISED,
        (CancelReminders(), SendEmail(template="mobility_authorised_school", to=P.SCHOOL)),
    ),
    _remind(S.CONVENTION, P.SCHOOL),
    Transition(S.CONVENTION, E.CLOSE, S.CLOSED, (CancelReminders(),)),
    Transition(S.MOBILITY_AUTHORISED, E.CLOSE, S.CLOSED, ()),
)

_INDEX: dict[tuple[CaseState, EventKind], Transition] = {}
for _row in TRANSITIONS:
    if (_row.source, _row.event) in _INDEX:  # pragma: no cover - guards the table itself
        raise RuntimeError(f"duplicate transition row {_row.source} + {_row.event}")
    _INDEX[(_row.source, _row.event)] = _row


def transition(state: CaseState, event: EventKind) -> Decision:
    """The next state and effects for ``event`` in ``state``; raises IllegalTransition when not allowed."""
    row = _INDEX.get((state, event))
    if row is None:
        raise IllegalTransition(state.value, event.value)
    return Decision(source=state, event=event, target=row.target, effects=row.effects)


def allowed_events(state: CaseState) -> list[EventKind]:
    """The events the table accepts in ``state``, in table order."""
    return [row.event for row in TRANSITIONS if row.source == state]


def is_waiting(state: CaseState) -> bool:
    """True for states with someone expected to answer (they get a due date)."""
    return any(row.event == E.REMIND for row in TRANSITIONS if row.source == state)


def mermaid() -> str:
    """The table drawn as a Mermaid state diagram."""
    lines = ["stateDiagram-v2", "    [*] --> RECEIVED"]
    for row in TRANSITIONS:
        lines.append(f"    {row.source.value} --> {row.target.value} : {row.event.value}")
    for state in sorted(TERMINAL_STATES):
        lines.append(f"    {state.value} --> [*]")
    return "\n".join(lines) + "\n"
