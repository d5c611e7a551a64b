"""The dialogue with the school about its form: versions, changes, warnings, limits, unreadable files."""

from __future__ import annotations

from email.message import EmailMessage

from mailflow.adapters.formbuild import build_request_form, fill_form
from mailflow.domain.states import CaseState
from mailflow.runtime import demo_mails as mails
from mailflow.services.outbox import drain_once
from mailflow.services.poll import poll_once
from mailflow.services.workflow import local_today

DAREIC = "ce.dareic@ac-strasbourg.fr"


def _mail(deps, values, *, sender=mails.SCHOOL, subject="Demande d'appariement", reply_to=None, n=1) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"] = sender, DAREIC
    msg["Subject"] = f"RE: {reply_to.subject}" if reply_to is not None else subject
    msg["Message-ID"] = f"<form-{n}@ac-strasbourg.fr>"
    if reply_to is not None:
        msg["In-Reply-To"] = reply_to.message_id
    msg.set_content("Veuillez trouver notre formulaire ci-joint.")
    msg.add_attachment(fill_form(build_request_form(), values), *mails.XLSX, filename=f"demande-{n}.xlsx")
    return bytes(msg)


def _send(deps, raw):
    deps.mailbox.deliver(raw)
    poll_once(deps)
    drain_once(deps)


def _case_and_events(deps):
    with deps.store.transaction() as tx:
        [case] = tx.cases()
        return case, tx.events(case.id)


def _last(deps, template):
    with deps.store.transaction() as tx:
        return [r.email for r in tx.outbox() if r.template == template][-1]


def test_new_mail_for_same_school_and_country_is_a_new_version_when_sent_again(deps):
    values = mails.request_values(local_today(deps))
    _send(deps, _mail(deps, values | {"postal_code": "12"}))
    _send(deps, _mail(deps, values | {"city": "Strasbourg Cedex"}, n=2))  # a new mail, not a reply
    case, events = _case_and_events(deps)
    assert case.form_version == 2 and case.state is CaseState.AT_EMBASSY
    [change] = [e.detail for e in events if e.kind == "form_version"]
    assert change == "version 2 : Code postal, Commune"


def test_sender_box_of_another_school_is_a_warning_not_a_rejection_when_uai_differs(deps):
    values = mails.request_values(local_today(deps))
    _send(deps, _mail(deps, values, sender="ce.0672134f@ac-strasbourg.fr"))
    case, events = _case_and_events(deps)
    assert case.state is CaseState.AT_EMBASSY
    [warning] = [e.detail for e in events if e.kind == "warning"]
    assert "0672134F" in warning and "0670080Y" in warning


def test_repeated_invalid_forms_go_to_staff_when_attempts_are_exhausted(deps):
    bad = mails.request_values(local_today(deps)) | {"phone": "12"}
    _send(deps, _mail(deps, bad))
    for n in range(2, 5):
        _send(deps, _mail(deps, bad, reply_to=_last(deps, "incomplete_school"), n=n))
    case, events = _case_and_events(deps)
    replies = [e for e in events if e.kind == "form_invalid"]
    assert len(replies) == deps.policy.max_form_attempts == 3  # no fourth automatic reply
    assert case.state is CaseState.INCOMPLETE and "4 envois" in case.review_reason
    assert any(e.kind == "form_attempts_exceeded" for e in events)


def test_unreadable_form_gets_a_clear_answer_when_request_is_a_scanned_pdf(deps):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = mails.SCHOOL, DAREIC, "Demande d'appariement"
    msg["Message-ID"] = "<scan-1@ac-strasbourg.fr>"
    msg.set_content("Ci-joint notre demande scannée.")
    msg.add_attachment(b"%PDF-1.4\n%scanned\n", "application", "pdf", filename="demande-scannee.pdf")
    _send(deps, bytes(msg))
    case, _ = _case_and_events(deps)
    assert case.state is CaseState.INCOMPLETE
    reply = _last(deps, "incomplete_school")
    assert "demande-scannee.pdf" in reply.text and "Excel" in reply.text
