"""The transition table is the spec: every row is exercised, every other (state, event) pair raises."""

from __future__ import annotations

import itertools

import pytest

from mailflow.domain.effects import CancelReminders, Party, ScheduleReminder, SendEmail
from mailflow.domain.errors import IllegalTransition
from mailflow.domain.states import (
    TERMINAL_STATES,
    TRANSITIONS,
    CaseState,
    EventKind,
    allowed_events,
    is_waiting,
    mermaid,
    transition,
)

ROWS = {(t.source, t.event): t for t in TRANSITIONS}
ILLEGAL = [(s, e) for s, e in itertools.product(CaseState, EventKind) if (s, e) not in ROWS]


@pytest.mark.parametrize("row", TRANSITIONS, ids=lambda t: f"{t.source.value}-{t.event.value}")
def test_transition_returns_row_target_and_effects_when_pair_is_in_table(row):
    decision = transition(row.source, row.event)
    assert decision.target is row.target
    assert decision.effects == row.effects
    assert decision.source is row.source


@pytest.mark.parametrize("pair", ILLEGAL, ids=lambda p: f"{p[0].value}-{p[1].value}")
def test_transition_raises_when_pair_is_not_in_table(pair):
    state, event = pair
    with pytest.raises(IllegalTransition) as info:
        transition(state, event)
    assert info.value.state == state.value and info.value.event == event.value


def test_table_has_no_duplicate_pairs_when_built():
    assert len(ROWS) == len(TRANSITIONS)


def test_terminal_states_accept_no_event_when_case_is_over():
    for state in TERMINAL_STATES:
        assert allowed_events(state) == []


def test_every_state_is_reachable_from_received_when_following_the_table():
    seen, frontier = {CaseState.RECEIVED}, [CaseState.RECEIVED]
    while frontier:
        state = frontier.pop()
        for row in TRANSITIONS:
            if row.source is state and row.target not in seen:
                seen.add(row.target)
                frontier.append(row.target)
    assert seen == set(CaseState)


def test_happy_path_reaches_validated_when_school_accepts_and_rector_validates():
    state = CaseState.RECEIVED
    for event in (
        EventKind.FORWARD_TO_EMBASSY,
        EventKind.PARTNER_PROPOSED,
        EventKind.PARTNER_CONFIRMED,
        EventKind.SCHOOL_ACCEPTED,
        EventKind.RECTOR_VALIDATED,
    ):
        state = transition(state, event).target
    assert state is CaseState.VALIDATED


def test_existing_partner_branch_goes_through_embassy_opinion_when_opinion_is_asked():
    state = transition(CaseState.RECEIVED, EventKind.ASK_EMBASSY_OPINION).target
    assert state is CaseState.EMBASSY_OPINION
    assert transition(state, EventKind.OPINION_FAVOURABLE).target is CaseState.AWAITING_RECTOR
    assert transition(state, EventKind.OPINION_UNFAVOURABLE).target is CaseState.UNDER_REVIEW


def test_physical_mobility_ends_authorised_when_ca_deliberation_recorded():
    state = transition(CaseState.VALIDATED, EventKind.CONVENTION_EXPECTED).target
    assert state is CaseState.CONVENTION
    assert transition(state, EventKind.CA_DELIBERATION_RECORDED).target is CaseState.MOBILITY_AUTHORISED


def test_forwarding_acknowledges_school_and_attaches_form_when_request_is_first_valid():
    effects = transition(CaseState.RECEIVED, EventKind.FORWARD_TO_EMBASSY).effects
    mails = [e for e in effects if isinstance(e, SendEmail)]
    assert [(m.template, m.to) for m in mails] == [
        ("ack_school", Party.SCHOOL),
        ("embassy_request", Party.EMBASSY),
    ]
    assert mails[1].attach_form and mails[1].attach_partner_sheet
    assert ScheduleReminder(party=Party.EMBASSY) in effects


def test_forwarding_from_review_does_not_acknowledge_twice_when_staff_forwards():
    templates = [
        e.template
        for e in transition(CaseState.UNDER_REVIEW, EventKind.FORWARD_TO_EMBASSY).effects
        if isinstance(e, SendEmail)
    ]
    assert templates == ["embassy_request"]


def test_every_waiting_state_schedules_a_reminder_when_entered():
    for row in TRANSITIONS:
        if (
            row.target is not row.source
            and is_waiting(row.target)
            and row.target is not CaseState.UNDER_REVIEW
        ):
            has_schedule = any(isinstance(e, ScheduleReminder) for e in row.effects)
            assert has_schedule, f"{row.source} -> {row.target} on {row.event} sets no reminder"


def test_leaving_a_waiting_state_cancels_its_reminders_when_answer_arrives():
    for row in TRANSITIONS:
        if row.target in TERMINAL_STATES and row.source not in TERMINAL_STATES and is_waiting(row.source):
            assert CancelReminders() in row.effects, f"{row.source} -> {row.target} leaves reminders behind"


def test_mermaid_draws_every_row_when_asked():
    text = mermaid()
    assert text.startswith("stateDiagram-v2")
    for row in TRANSITIONS:
        assert f"{row.source.value} --> {row.target.value} : {row.event.value}" in text
