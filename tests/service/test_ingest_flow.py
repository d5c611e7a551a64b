"""The procedure through the services: poll -> ingest steps -> workflow -> outbox, over fake mail ports."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import create_engine

from mailflow.adapters.formbuild import build_partner_sheet, build_request_form, fill_form
from mailflow.domain.case import InboundStatus, OutboxStatus
from mailflow.domain.errors import TransientError
from mailflow.domain.states import CaseState
from mailflow.extract.mime import parse_message
from mailflow.runtime import demo_mails as mails
from mailflow.services.outbox import drain_once
from mailflow.services.poll import poll_once
from mailflow.services.reminders import run_due_reminders
from mailflow.services.workflow import local_today

DAREIC = "ce.dareic@ac-strasbourg.fr"
UAIS = ("0670001M", "0670002N", "0670003P")  # three more schools (valid check letters)


def _request(deps, values=None) -> bytes:
    today = local_today(deps)
    form = fill_form(build_request_form(), values or mails.request_values(today))
    return mails.school_request(form, deps.clock.now(), DAREIC)


def _cycle(deps, raw: bytes):
    deps.mailbox.deliver(raw)
    report = poll_once(deps)
    drain_once(deps)
    return report


def _case(deps):
    with deps.store.transaction() as tx:
        cases = tx.cases()
    assert len(cases) == 1
    return cases[0]


def _last(deps, template):
    with deps.store.transaction() as tx:
        return [r for r in tx.outbox() if r.template == template][-1].email


def test_valid_request_opens_case_and_forwards_when_form_is_complete(deps):
    report = _cycle(deps, _request(deps))
    assert report.statuses == {"claimed": 1}
    case = _case(deps)
    assert case.ref == "APP-2026-0001" and case.state is CaseState.AT_EMBASSY
    assert case.school_uai == "0670080Y" and case.target_country == "DE"
    assert case.embassy_address == "partnerschaften@km-bw.example"  # regional route: Baden-Württemberg
    sent = deps.transport.sent
    assert [e.to_addrs for e in sent] == [(mails.SCHOOL,), ("partnerschaften@km-bw.example",)]
    ack, request = sent
    assert "[APP-2026-0001]" in ack.subject and ack.in_reply_to  # answers the school's own mail
    assert {a.filename for a in request.attachments} == {
        "Demande appariement.xlsx",
        "fiche-partenaire.xlsx",
    }
    assert dict(ack.extra_headers)["Auto-Submitted"] == "auto-replied"
    assert dict(ack.extra_headers)["X-Auto-Response-Suppress"] == "OOF, AutoReply"
    assert "X-Auto-Response-Suppress" not in dict(request.extra_headers)  # we want embassies' absences
    assert case.due_on is not None and case.waiting_for.value == "embassy"
    assert len(deps.mailbox.processed) == 1 and not deps.mailbox.inbox and len(deps.mailbox.sent) == 2


def test_incomplete_form_gets_every_problem_when_fields_are_invalid(deps):
    today = local_today(deps)
    _cycle(
        deps,
        mails.incomplete_request(
            fill_form(build_request_form(), mails.incomplete_values(today)), deps.clock.now(), DAREIC
        ),
    )
    case = _case(deps)
    assert case.state is CaseState.INCOMPLETE
    reply = deps.transport.sent[0]
    assert reply.to_addrs == (mails.SECOND_SCHOOL,)
    for label in ("Code UAI", "Code postal", "Professeur référent", "Nombre d'élèves", "Période envisagée"):
        assert label in reply.text, label
    assert "« Code UAI (ex-RNE) » :" not in reply.text  # the label is printed once, beside its problem
    assert "- Code UAI (ex-RNE) : « 0740003A » n'est pas un code UAI valide" in reply.text
    assert "- Professeur référent : ce champ est obligatoire." in reply.text
    assert any(a.filename == "demande-appariement.xlsx" for a in reply.attachments)


def test_corrected_form_in_thread_moves_case_forward_when_school_fixes_it(deps):
    today = local_today(deps)
    bad = mails.request_values(today) | {"postal_code": "123"}
    _cycle(deps, _request(deps, bad))
    assert _case(deps).state is CaseState.INCOMPLETE
    incomplete = _last(deps, "incomplete_school")
    msg = EmailMessage()
    msg["From"], msg["To"] = mails.SCHOOL, DAREIC
    msg["Subject"], msg["Message-ID"] = f"RE: {incomplete.subject}", "<fix-1@ac-strasbourg.fr>"
    msg["In-Reply-To"] = incomplete.message_id
    msg.set_content("Voici le formulaire corrigé.")
    msg.add_attachment(
        fill_form(build_request_form(), mails.request_values(today)), *mails.XLSX, filename="v2.xlsx"
    )
    _cycle(deps, bytes(msg))
    case = _case(deps)
    assert case.state is CaseState.AT_EMBASSY and case.form_version == 2


def test_mail_that_is_not_ours_stays_in_inbox_when_nothing_matches(deps):
    report = _cycle(deps, mails.newsletter(deps.clock.now(), DAREIC))
    assert report.statuses == {"not_ours": 1}
    assert len(deps.mailbox.inbox) == 1 and deps.mailbox.moves == 0
    assert poll_once(deps).fetched == 0  # remembered: not re-examined
    with deps.store.transaction() as tx:
        assert tx.cases() == []


def test_out_of_office_changes_nothing_when_embassy_is_away(deps):
    _cycle(deps, _request(deps))
    before = len(deps.transport.sent)
    report = _cycle(deps, mails.embassy_out_of_office(_last(deps, "embassy_request"), deps.clock.now()))
    assert report.statuses == {"ignored": 1}
    assert _case(deps).state is CaseState.AT_EMBASSY and len(deps.transport.sent) == before


def test_full_story_reaches_validated_when_every_party_answers(deps):
    _cycle(deps, _request(deps))
    sheet = fill_form(build_partner_sheet(), mails.partner_values())
    _cycle(deps, mails.embassy_partner(_last(deps, "embassy_request"), sheet, deps.clock.now()))
    case = _case(deps)
    assert case.state is CaseState.AWAITING_SCHOOL and case.partner["partner_country"] == "DE"
    proposal = _last(deps, "partner_proposal_school").text
    assert "Goethe-Gymnasium" in proposal
    assert (
        "notre correspondant (Kultusministerium Baden-Württemberg) nous propose" in proposal
    )  # not "l'ambassade"
    _cycle(deps, mails.school_accepts(_last(deps, "partner_proposal_school"), deps.clock.now()))
    assert _case(deps).state is CaseState.AWAITING_RECTOR
    _cycle(deps, mails.rector_validates(_last(deps, "rector_request"), deps.clock.now()))
    assert _case(deps).state is CaseState.VALIDATED
    notification = _last(deps, "notification_school")
    assert notification.to_addrs == (mails.SCHOOL,) and "Goethe-Gymnasium" in notification.text


def test_rector_command_is_ignored_when_message_is_not_authenticated(deps):
    _cycle(deps, _request(deps))
    sheet = fill_form(build_partner_sheet(), mails.partner_values())
    _cycle(deps, mails.embassy_partner(_last(deps, "embassy_request"), sheet, deps.clock.now()))
    _cycle(deps, mails.school_accepts(_last(deps, "partner_proposal_school"), deps.clock.now()))
    raw = mails.rector_validates(_last(deps, "rector_request"), deps.clock.now())
    forged = raw.replace(
        b"Authentication-Results: mx.ac-strasbourg.fr", b"Authentication-Results: evil.example"
    )
    _cycle(deps, forged)
    case = _case(deps)
    assert case.state is CaseState.AWAITING_RECTOR and "message non authentifié" in (case.review_reason or "")
    answer = deps.transport.sent[-1]
    assert answer.to_addrs == (mails.RECTOR,) and "Commande non appliquée" in answer.subject
    assert "✘ /valider" in answer.text and "message non authentifié" in answer.text


def test_duplicate_message_is_handled_once_when_delivered_twice(deps):
    raw = _request(deps)
    deps.mailbox.deliver(raw)
    deps.mailbox.deliver(raw)
    report = poll_once(deps)
    assert report.statuses == {"claimed": 1, "duplicate": 1}
    assert len(deps.mailbox.processed) == 2
    with deps.store.transaction() as tx:
        assert len(tx.cases()) == 1 and len(tx.outbox()) == 2


def test_broken_message_is_quarantined_when_a_step_fails(deps):
    report = _cycle(deps, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)  # an Outlook .msg, not a mail
    assert report.statuses == {"quarantined": 1}
    assert len(deps.mailbox.quarantine) == 1
    with deps.store.transaction() as tx:
        [record_id] = tx.inbound_with_status("INBOX", InboundStatus.QUARANTINED)
        record = tx.inbound(record_id)
    assert record.raw and record.reason.startswith("parse:")


def test_interrupted_poll_is_finished_when_crash_came_before_move(deps):
    deps.mailbox.deliver(_request(deps))
    original = deps.mailbox.move_to_processed

    def crash(keys):
        raise OSError("crash before MOVE")

    deps.mailbox.move_to_processed = crash
    with pytest.raises(OSError):
        poll_once(deps)
    deps.mailbox.move_to_processed = original
    assert len(deps.mailbox.inbox) == 1
    poll_once(deps)
    assert not deps.mailbox.inbox and len(deps.mailbox.processed) == 1
    with deps.store.transaction() as tx:
        assert len(tx.cases()) == 1 and len(tx.outbox()) == 2  # nothing done twice


def test_a_fetched_batch_is_moved_with_one_command_per_folder_when_polled(deps):
    deps.mailbox.deliver(_request(deps))
    deps.mailbox.deliver(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)  # not a mail: quarantined
    for n in range(3):
        deps.mailbox.deliver(_request(deps, mails.request_values(local_today(deps)) | {"uai": UAIS[n]}))
    report = poll_once(deps)
    assert report.fetched == 5 and report.statuses == {"claimed": 4, "quarantined": 1}
    assert deps.mailbox.move_calls == 2  # one for the processed folder, one for the quarantine
    assert (len(deps.mailbox.processed), len(deps.mailbox.quarantine), deps.mailbox.inbox) == (4, 1, {})
    with deps.store.transaction() as tx:
        assert tx.inbound_unmoved("INBOX") == []


def test_decisions_are_made_durable_before_the_mail_is_moved_and_before_anything_is_sent(deps):
    events: list[str] = []
    real_durable, real_move, real_send = (
        deps.store.make_durable,
        deps.mailbox.move_to_processed,
        deps.transport.send,
    )

    def durable() -> None:
        events.append("durable")
        real_durable()

    def move(keys):
        events.append("move")
        real_move(keys)

    def send(emails, on_result=None):
        events.append("send")
        return real_send(emails, on_result)

    deps.store.make_durable, deps.mailbox.move_to_processed, deps.transport.send = durable, move, send
    deps.mailbox.deliver(_request(deps))
    poll_once(deps)
    drain_once(deps)
    assert events[:4] == ["durable", "move", "durable", "send"]  # then one more per mail recorded sent
    assert events[4:] == ["durable", "durable"]


def test_a_stop_requested_mid_batch_moves_what_was_decided_and_resumes_the_rest_when_restarted(deps):
    for n in range(3):
        deps.mailbox.deliver(_request(deps, mails.request_values(local_today(deps)) | {"uai": UAIS[n]}))
    asked = iter([False, False, True])  # the loop asks before the batch, then before each message
    report = poll_once(deps, should_stop=lambda: next(asked, True))
    assert report.fetched == 3 and report.statuses == {"claimed": 1}
    assert len(deps.mailbox.processed) == 1 and len(deps.mailbox.inbox) == 2
    report = poll_once(deps)  # the next start ingests what was stored but not examined
    assert report.statuses == {"claimed": 2} and report.fetched == 0
    assert len(deps.mailbox.processed) == 3 and not deps.mailbox.inbox
    with deps.store.transaction() as tx:
        assert len(tx.cases()) == 3


def test_embassy_is_reminded_after_working_days_when_silent(deps):
    _cycle(deps, _request(deps))
    due = _case(deps).due_on
    deps.clock.advance(timedelta(days=1))
    assert run_due_reminders(deps, local_today(deps)) == 0
    assert run_due_reminders(deps, due) == 1
    drain_once(deps)
    reminder = deps.transport.sent[-1]
    assert reminder.to_addrs == ("partnerschaften@km-bw.example",) and "[APP-2026-0001]" in reminder.subject
    assert reminder.in_reply_to == _last(deps, "embassy_request").message_id  # same thread
    assert _case(deps).due_on > due


def test_outbox_retries_transient_and_fails_permanent_when_server_refuses(deps):
    deps.transport.script = ["4xx", "5xx"]
    _cycle(deps, _request(deps))
    with deps.store.transaction() as tx:
        statuses = [r.status for r in tx.outbox()]
    assert statuses == [OutboxStatus.PENDING, OutboxStatus.FAILED]
    assert "courriel non remis à partnerschaften@km-bw.example : 550" in _case(deps).review_reason
    deps.clock.advance(timedelta(minutes=2))
    assert drain_once(deps).sent == 1


def test_a_missed_sent_copy_is_made_once_by_a_later_drain_when_the_sent_folder_lacks_it(deps):
    real_append = deps.mailbox.append_sent

    def down(raw: bytes) -> None:
        raise OSError("IMAP server unreachable")

    deps.mailbox.append_sent = down  # the mails go out, their copies cannot be made
    _cycle(deps, _request(deps))
    assert len(deps.transport.sent) == 2 and deps.mailbox.sent == []
    with deps.store.transaction() as tx:
        assert [(r.status, r.sent_copied) for r in tx.outbox()] == [(OutboxStatus.SENT, False)] * 2
    deps.mailbox.append_sent = real_append
    # One copy was made just before a crash, but not recorded: it must not be made twice.
    first = _last(deps, "ack_school")
    deps.mailbox.append_sent(deps.serializer(first))
    drain_once(deps)
    ids = [parse_message(raw).message_id for raw in deps.mailbox.sent]
    assert sorted(ids) == sorted(e.message_id for e in deps.transport.sent)  # each copy once
    with deps.store.transaction() as tx:
        assert all(r.sent_copied for r in tx.outbox())
    assert len(deps.transport.sent) == 2  # nothing was sent again


def test_a_sent_copy_the_folder_keeps_refusing_does_not_hold_up_the_other_missing_copies(deps):
    real_append = deps.mailbox.append_sent

    def down(raw: bytes) -> None:
        raise OSError("IMAP server unreachable")

    deps.mailbox.append_sent = down
    _cycle(deps, _request(deps))  # two mails sent, neither copied
    ack = _last(deps, "ack_school")

    def refuses_the_ack(raw: bytes) -> None:
        if ack.message_id.encode() in raw:
            raise OSError("message too large for the Sent folder")
        real_append(raw)

    deps.mailbox.append_sent = refuses_the_ack
    drain_once(deps)
    assert [parse_message(raw).message_id for raw in deps.mailbox.sent] == [
        _last(deps, "embassy_request").message_id
    ]  # the embassy's copy was made although the acknowledgement's, listed first, failed again


def test_mails_accepted_while_the_database_is_down_are_recorded_later_and_never_sent_twice(deps):
    deps.mailbox.deliver(_request(deps))
    poll_once(deps)
    working = deps.store.engine
    real_send = deps.transport.send

    def send_as_the_database_goes(emails, on_result=None):
        # The server accepts the mails; the database goes away before the first is recorded.
        deps.store.engine = create_engine("sqlite:////nonexistent-folder/mailflow.db")
        return real_send(emails, on_result)

    deps.transport.send = send_as_the_database_goes
    try:
        with pytest.raises(TransientError):
            drain_once(deps)  # both accepted, neither recorded; the next lease fails: the drain stops
    finally:
        deps.store.engine.dispose()
        deps.store.engine = working
        deps.transport.send = real_send
    assert len(deps.transport.sent) == 2 and len(deps.sent_unrecorded) == 2
    deps.clock.advance(deps.outbox_lease + timedelta(minutes=1))  # their lease is long over
    report = drain_once(deps)
    assert report.sent == 2 and deps.sent_unrecorded == {}
    assert len(deps.transport.sent) == 2  # recorded before anything was leased again: not resent
    with deps.store.transaction() as tx:
        assert [(r.status, r.sent_copied) for r in tx.outbox()] == [(OutboxStatus.SENT, True)] * 2
    assert len(deps.mailbox.sent) == 2


def test_uidvalidity_change_reprocesses_nothing_and_leaves_foreign_mail_when_folder_renumbered(deps):
    deps.mailbox.deliver(mails.newsletter(deps.clock.now(), DAREIC))
    _cycle(deps, _request(deps))
    assert len(deps.mailbox.inbox) == 1  # the newsletter stays
    # The server renumbers the folder: everything still there gets new UIDs under a new UIDVALIDITY,
    # and a copy of the already-handled request reappears.
    leftover = list(deps.mailbox.inbox.values())
    deps.mailbox.inbox.clear()
    deps.mailbox.validity += 1
    deps.mailbox.next_uid = 1
    for raw in leftover:
        deps.mailbox.deliver(raw)
    deps.mailbox.deliver(deps.mailbox.processed[0])
    report = poll_once(deps)
    assert report.statuses == {"not_ours": 1, "duplicate": 1}
    assert len(deps.mailbox.inbox) == 1 and b"List-Id" in next(iter(deps.mailbox.inbox.values()))
    with deps.store.transaction() as tx:
        assert len(tx.cases()) == 1 and len(tx.outbox()) == 2
