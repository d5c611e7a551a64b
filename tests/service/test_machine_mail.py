"""Threading by Outlook's Thread-Index; bounces that mark addresses invalid; absences that move reminders."""

from __future__ import annotations

import base64
from datetime import timedelta
from email.message import EmailMessage

from mailflow.domain.states import CaseState
from mailflow.runtime import demo_mails as mails
from mailflow.services.compose import thread_index
from tests.service.helpers import DAREIC, case, deliver, last_mail, mail, open_case


def test_outlook_reply_without_references_is_matched_by_thread_index_when_sender_is_a_party(deps):
    c = open_case(deps)
    reply_index = base64.b64decode(thread_index(deps, c)) + b"\x01\x02\x03\x04\x05"  # Outlook adds 5 bytes
    raw = mail(
        mails.EMBASSY_BW,
        "Nous cherchons un établissement.",
        subject="AW: Anfrage",
        headers={"Thread-Index": base64.b64encode(reply_index).decode()},
    )
    report = deliver(deps, raw)
    assert report.statuses == {"claimed": 1}
    with deps.store.transaction() as tx:
        assert any(e.kind == "embassy_replied" for e in tx.events(c.id))


def test_forged_thread_index_matches_nothing_when_signature_is_wrong(deps):
    c = open_case(deps)
    genuine = thread_index(deps, c)
    forged = genuine[:-4] + ("AAAA" if not genuine.endswith("AAAA") else "BBBB")
    report = deliver(
        deps, mail(mails.EMBASSY_BW, "Bonjour", subject="AW: Anfrage", headers={"Thread-Index": forged})
    )
    assert report.statuses == {"not_ours": 1}


def _bounce(original, action: str, status: str) -> bytes:
    """A Postfix DSN about one of our mails, as it arrives (multipart/report, delivery-status)."""
    return f"""From: MAILER-DAEMON@mx.km-bw.example (Mail Delivery System)
To: {DAREIC}
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce-{action}@mx.km-bw.example>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"

--BOUNDARY
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.km-bw.example.
Your message could not be delivered to one or more recipients.

--BOUNDARY
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.km-bw.example

Final-Recipient: rfc822; {mails.EMBASSY_BW}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--BOUNDARY
Content-Type: text/rfc822-headers

Message-ID: {original.message_id}
From: {DAREIC}
Subject: request

--BOUNDARY--
""".encode()


def test_permanent_bounce_marks_address_invalid_and_flags_case_when_embassy_address_is_dead(deps):
    c = open_case(deps)
    sent_before = len(deps.transport.sent)
    report = deliver(deps, _bounce(last_mail(deps, "embassy_request"), "failed", "5.1.1"))
    assert report.statuses == {"ignored": 1}
    flagged = case(deps, c.ref)
    assert flagged.state is CaseState.AT_EMBASSY and mails.EMBASSY_BW in flagged.review_reason
    with deps.store.transaction() as tx:
        assert mails.EMBASSY_BW in tx.invalid_addresses()
    assert len(deps.transport.sent) == sent_before  # a bounce is never answered


def test_delay_warning_marks_nothing_when_delivery_is_only_late(deps):
    c = open_case(deps)
    deliver(deps, _bounce(last_mail(deps, "embassy_request"), "delayed", "4.4.1"))
    assert case(deps, c.ref).review_reason is None
    with deps.store.transaction() as tx:
        assert tx.invalid_addresses() == {}


def test_out_of_office_moves_embassy_reminder_after_return_when_absence_is_long(deps):
    c = open_case(deps)
    back = (deps.clock.now() + timedelta(days=40)).date()
    msg = EmailMessage()
    msg["From"], msg["To"] = mails.EMBASSY_BW, DAREIC
    request = last_mail(deps, "embassy_request")
    msg["Subject"] = f"Réponse automatique : {request.subject}"
    msg["Message-ID"], msg["In-Reply-To"] = "<ooo-1@km-bw.example>", request.message_id
    msg["Auto-Submitted"] = "auto-replied"
    msg.set_content(
        f"Je suis absente et serai de retour le {back:%d/%m/%Y}. En cas d'urgence, contactez "
        "remplacement@km-bw.example."
    )
    report = deliver(deps, bytes(msg))
    assert report.statuses == {"ignored": 1}
    moved = case(deps, c.ref)
    assert moved.state is CaseState.AT_EMBASSY and moved.due_on > back
    with deps.store.transaction() as tx:
        [reminder] = tx.pending_reminders(c.id)
        detail = next(e.detail for e in tx.events(c.id) if e.kind == "autoreply_received")
    assert reminder.due_on == moved.due_on and "absent jusqu'au" in detail
    assert "remplacement@km-bw.example" in detail
