"""Staff commands by mail (MAIL.md §5): accepted from authenticated staff, refused clearly otherwise."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mailflow.domain.case import InboundStatus
from mailflow.domain.states import CaseState
from mailflow.domain.tokens import ActionToken, make_token
from mailflow.runtime import demo_mails as mails
from mailflow.services.manual_actions import attach, case_action
from mailflow.services.poll import poll_once
from tests.service.helpers import (
    STAFF,
    TRUSTED,
    case,
    deliver,
    last_mail,
    mail,
    open_case,
    staff_command,
    to_partner_proposal,
)


def _answer(deps):
    reply = deps.transport.sent[-1]
    assert reply.to_addrs == (STAFF,)
    return reply


def test_note_and_relancer_are_applied_and_confirmed_when_staff_is_authenticated(deps):
    c = open_case(deps)
    deliver(
        deps,
        staff_command("/note Appel de l'attaché ce matin\n/relancer", reply_to=last_mail(deps, "ack_school")),
    )
    reply = _answer(deps)
    assert "✔ /note Appel de l'attaché ce matin" in reply.text and "✔ /relancer" in reply.text
    assert "Commande prise en compte" in reply.subject
    with deps.store.transaction() as tx:
        kinds = [e.kind for e in tx.events(c.id)]
        reminders = [r for r in tx.outbox(c.id) if r.template == "reminder_embassy"]
    assert "note" in kinds and "remind" in kinds and len(reminders) == 1


def test_commands_are_refused_and_nothing_changes_when_message_is_not_authenticated(deps):
    c = open_case(deps)
    deliver(deps, staff_command("/clore doublon", reply_to=last_mail(deps, "ack_school"), auth=None))
    assert case(deps, c.ref).state is CaseState.AT_EMBASSY
    assert "✘ /clore doublon" in _answer(deps).text and "non authentifié" in _answer(deps).text


def test_forged_authentication_from_another_server_is_refused_when_command_is_sent(deps):
    c = open_case(deps)
    forged = "evil.example; dkim=pass header.d=ac-strasbourg.fr; dmarc=pass"
    deliver(deps, staff_command("/clore", reply_to=last_mail(deps, "ack_school"), auth=forged))
    assert case(deps, c.ref).state is CaseState.AT_EMBASSY


def test_school_cannot_use_commands_when_it_writes_them(deps):
    to_partner_proposal(deps)
    deliver(
        deps,
        mail(
            mails.SCHOOL, "/valider\nOui", reply_to=last_mail(deps, "partner_proposal_school"), auth=TRUSTED
        ),
    )
    c = case(deps, "APP-2026-0001")
    assert c.state is CaseState.AWAITING_SCHOOL  # an ordinary (unclear) reply, not a command
    assert not any("Commande" in e.subject for e in deps.transport.sent)


def test_partner_then_proposer_moves_case_when_staff_records_a_plain_embassy_answer(deps):
    c = open_case(deps)
    request = last_mail(deps, "ack_school")
    deliver(
        deps,
        staff_command(
            "/partenaire Schiller-Gymnasium ; Offenburg ; info@schiller.example ; M. Braun", reply_to=request
        ),
    )
    assert case(deps, c.ref).state is CaseState.PARTNER_PROPOSED
    deliver(deps, staff_command("/proposer", reply_to=request))
    after = case(deps, c.ref)
    assert after.state is CaseState.AWAITING_SCHOOL and after.partner["partner_name"] == "Schiller-Gymnasium"
    assert "Schiller-Gymnasium" in last_mail(deps, "partner_proposal_school").text


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("/partenaire seulement un nom", "/partenaire attend"),
        ("/valider", "impossible dans l'état actuel"),
        ("/inconnue", "commande inconnue"),
        ("/ca demain", "/ca attend la date"),
    ],
)
def test_wrong_commands_get_a_clear_refusal_when_they_cannot_apply(deps, command, message):
    open_case(deps)
    deliver(deps, staff_command(command, reply_to=last_mail(deps, "ack_school")))
    assert message in _answer(deps).text


def test_action_token_authenticates_once_and_never_again_when_reused(deps):
    c = open_case(deps)
    token = make_token(deps.secret, ActionToken(c.ref, "clore", deps.clock.now() + timedelta(days=2), "n1"))
    body = f"/clore traité par téléphone\n\n(jeton : {token})"
    deliver(deps, staff_command(body, subject=f"[{c.ref}] action", auth=None))
    assert case(deps, c.ref).state is CaseState.CLOSED
    other = open_case(deps, mails.request_values(deps.clock.now().date()) | {"uai": "0672134F"})
    replay = body.replace(c.ref, other.ref)
    deliver(deps, staff_command(replay, subject=f"[{other.ref}] action", auth=None))
    assert case(deps, other.ref).state is CaseState.AT_EMBASSY  # token bound to its case, and already used


def test_action_token_is_refused_when_expired_or_tampered(deps):
    c = open_case(deps)
    expired = make_token(
        deps.secret, ActionToken(c.ref, "clore", deps.clock.now() - timedelta(minutes=1), "n2")
    )
    good = make_token(deps.secret, ActionToken(c.ref, "clore", deps.clock.now() + timedelta(days=1), "n3"))
    tampered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    for token in (expired, tampered):
        deliver(deps, staff_command(f"/clore\n(jeton : {token})", subject=f"[{c.ref}] action", auth=None))
        assert case(deps, c.ref).state is CaseState.AT_EMBASSY


def test_contact_command_adds_a_country_and_unblocks_waiting_cases_when_staff_sends_it(deps):
    c = open_case(
        deps,
        mails.request_values(deps.clock.now().date()) | {"target_country": "Portugal", "target_region": ""},
    )
    assert c.state is CaseState.UNDER_REVIEW and c.embassy_address is None
    deliver(deps, staff_command("/contact Portugal scac@ambafrance-pt.example pt"))
    assert "✔ /contact Portugal scac@ambafrance-pt.example pt" in _answer(deps).text
    assert case(deps, c.ref).embassy_address == "scac@ambafrance-pt.example"
    deliver(deps, staff_command("/transmettre", subject=f"[{c.ref}] transmission"))
    assert case(deps, c.ref).state is CaseState.AT_EMBASSY
    assert deps.transport.sent[-2].to_addrs == ("scac@ambafrance-pt.example",)


def test_weak_match_waits_to_be_attached_and_attach_processes_it_when_staff_decides(deps):
    c = open_case(deps)
    stranger = mail(
        "secretariat@lycee-kleber.example",
        "Suite à votre message, voici nos disponibilités.",
        subject=f"Question [{c.ref}]",
    )
    report = deliver(deps, stranger)
    assert report.statuses == {"unmatched": 1} and len(deps.mailbox.inbox) == 1
    with deps.store.transaction() as tx:
        [record_id] = tx.inbound_with_status("INBOX", InboundStatus.UNMATCHED)
        assert c.ref in tx.inbound(record_id).reason
    result = attach(deps, f"#{record_id}", c.ref)
    assert result.ok, result.message
    with deps.store.transaction() as tx:
        assert any(e.kind == "message_received" for e in tx.events(c.id))


def test_rattacher_command_attaches_a_message_by_number_when_staff_names_it(deps):
    c = open_case(deps)
    deliver(deps, mail("inconnu@example.org", "Bonjour", subject=f"Re: {c.ref}"))
    with deps.store.transaction() as tx:
        [record_id] = tx.inbound_with_status("INBOX", InboundStatus.UNMATCHED)
    deliver(deps, staff_command(f"/rattacher {c.ref} #{record_id}"))
    assert "✔" in _answer(deps).text
    poll_once(deps)  # the next poll processes the attached message
    with deps.store.transaction() as tx:
        assert tx.inbound(record_id).case_id == c.id and tx.inbound(record_id).status is InboundStatus.CLAIMED


def test_cli_case_action_applies_the_same_command_when_operator_runs_it(deps):
    c = open_case(deps)
    result = case_action(deps, c.ref, "clore", "demande retirée au téléphone", "agent")
    assert result.ok and case(deps, c.ref).state is CaseState.CLOSED
    assert not case_action(deps, c.ref, "valider", "", "agent").ok
