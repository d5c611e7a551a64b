"""classify: bounces, auto-replies, receipts, lists and human mail (MAIL.md §3)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from mailflow.domain.classify import BounceInfo, MailKind, classify
from mailflow.domain.message import Attachment, InboundMessage
from mailflow.extract.mime import parse_message

DATA = Path(__file__).resolve().parents[1] / "data" / "mail"


def _msg(
    headers: tuple[tuple[str, str], ...] = (),
    subject: str = "Re: [APP-2026-0042] Proposition",
    from_addr: str = "contact@ambassade.example",
    from_name: str = "",
    text: str = "Bonjour,\nOUI.\n",
    content_type: str = "text/plain",
    attachments: tuple[Attachment, ...] = (),
) -> InboundMessage:
    all_headers = (("From", from_addr), ("Subject", subject), *headers)
    return InboundMessage(
        subject=subject,
        from_addr=from_addr,
        from_name=from_name,
        headers=all_headers,
        text=text,
        content_type=content_type,
        attachments=attachments,
    )


def _dsn(action: str, status: str, rcpt: str = "Gone@Example.org", extra: str = "") -> Attachment:
    data = (
        "Reporting-MTA: dns; mx.example.org\nArrival-Date: Mon, 2 Mar 2026 10:00:00 +0100\n\n"
        f"Final-Recipient: rfc822; {rcpt}\nAction: {action}\nStatus: {status}\n{extra}\n"
    ).encode()
    return Attachment(filename="piece-jointe-1", content_type="message/delivery-status", data=data)


RETURNED = Attachment(
    filename="piece-jointe-2.eml",
    content_type="message/rfc822",
    data=b"Message-ID: <APP-2026-0042.n1.abc@dareic.test>\nSubject: x\n\nbody\n",
)
REPORT = (("Content-Type", 'multipart/report; report-type=delivery-status; boundary="x"'),)


def test_plain_reply_is_human_when_no_machine_signal() -> None:
    result = classify(_msg())
    assert result.kind is MailKind.HUMAN
    assert result.bounce is None


def test_dsn_failure_is_a_bounce_with_details_when_action_failed() -> None:
    result = classify(
        _msg(REPORT, subject="Undelivered Mail", attachments=(_dsn("failed", "5.1.1"), RETURNED))
    )
    assert result.kind is MailKind.BOUNCE
    assert result.bounce == BounceInfo(
        action="failed",
        status="5.1.1",
        recipients=("gone@example.org",),
        original_message_id="<APP-2026-0042.n1.abc@dareic.test>",
    )
    assert "Action failed" in result.reasons[0]


def test_dsn_delay_is_a_delayed_bounce_when_action_delayed() -> None:
    result = classify(_msg(REPORT, attachments=(_dsn("delayed", "4.4.7"),)))
    assert result.kind is MailKind.BOUNCE
    assert result.bounce is not None and result.bounce.action == "delayed"


def test_positive_dsn_is_a_receipt_not_a_bounce_when_action_delivered() -> None:
    result = classify(
        _msg(REPORT, from_addr="mailer-daemon@mx.example.org", attachments=(_dsn("delivered", "2.0.0"),))
    )
    assert result.kind is MailKind.RECEIPT


def test_original_id_is_found_when_only_rfc822_headers_are_returned() -> None:
    headers = Attachment(
        filename="piece-jointe-2",
        content_type="text/rfc822-headers",
        data=b"Message-ID: <orig@dareic.test>\n\n",
    )
    result = classify(_msg(REPORT, attachments=(_dsn("failed", "5.2.2"), headers)))
    assert result.bounce is not None and result.bounce.original_message_id == "<orig@dareic.test>"


def test_read_receipt_is_a_receipt_when_report_type_is_disposition_notification() -> None:
    hdr = (("Content-Type", "multipart/report; report-type=disposition-notification; boundary=b"),)
    assert classify(_msg(hdr, subject="Lu : Proposition")).kind is MailKind.RECEIPT


def test_exim_bounce_is_detected_when_x_failed_recipients_is_set() -> None:
    result = classify(
        _msg(
            (("X-Failed-Recipients", "old@example.org"), ("Auto-Submitted", "auto-replied")),
            subject="Mail delivery failed: returning message to sender",
            from_addr="mailer-daemon@mx.example.org",
            text="A message that you sent could not be delivered.\n  old@example.org\n    550 5.1.1 unknown user\n",
        )
    )
    assert result.kind is MailKind.BOUNCE
    assert result.bounce is not None
    assert result.bounce.recipients == ("old@example.org",)
    assert result.bounce.status == "5.1.1"
    assert result.bounce.action == "failed"


@pytest.mark.parametrize(
    "subject",
    ["Non remis : Proposition", "Unzustellbar: Vorschlag", "Undeliverable: Proposal",
     "Delivery Status Notification (Failure)", "Returned mail: see transcript for details"],
)  # fmt: skip
def test_localised_bounce_subject_is_a_bounce_when_return_path_is_null(subject: str) -> None:
    result = classify(_msg((("Return-Path", "<>"),), subject=subject, from_addr="postmaster@example.org"))
    assert result.kind is MailKind.BOUNCE


def test_delay_subject_gives_delayed_action_when_the_bounce_is_non_standard() -> None:
    result = classify(
        _msg(subject="Delivery Status Notification (Delay)", from_addr="mailer-daemon@googlemail.com")
    )
    assert result.bounce is not None and result.bounce.action == "delayed"


def test_auto_submitted_is_an_autoreply_when_not_no() -> None:
    result = classify(_msg((("Auto-Submitted", "auto-replied"),)))
    assert result.kind is MailKind.AUTOREPLY
    assert result.reasons[0] == "Auto-Submitted: auto-replied"


def test_auto_submitted_no_is_human_when_nothing_else_says_otherwise() -> None:
    assert classify(_msg((("Auto-Submitted", "no"),))).kind is MailKind.HUMAN


@pytest.mark.parametrize(
    "header",
    [("X-Autoreply", "yes"), ("X-Autorespond", "Out of office"), ("X-AutoReply-From", "a@b"),
     ("X-Mail-Autoreply", "1"), ("X-Autogenerated", "Reply"), ("Precedence", "auto_reply")],
)  # fmt: skip
def test_autoreply_header_is_detected_when_present(header: tuple[str, str]) -> None:
    assert classify(_msg((header,))).kind is MailKind.AUTOREPLY


def test_exchange_oof_is_an_autoreply_when_rules_loop_comes_with_suppress() -> None:
    hdr = (("X-MS-Exchange-Inbox-Rules-Loop", "x@example.org"), ("X-Auto-Response-Suppress", "All"))
    assert classify(_msg(hdr, subject="Proposition")).kind is MailKind.AUTOREPLY


def test_auto_response_suppress_alone_is_human_when_nothing_else_is_set() -> None:
    result = classify(_msg((("X-Auto-Response-Suppress", "OOF, AutoReply"),)))
    assert result.kind is MailKind.HUMAN


@pytest.mark.parametrize(
    "subject",
    ["Réponse automatique : Proposition", "Absence du bureau", "RE: Message d'absence", "Automatic reply: x",
     "Out of Office: x", "AUTO: Jane is out of the office", "Automatische Antwort: Vorschlag",
     "Abwesenheitsnotiz: x", "Respuesta automática: x", "Risposta automatica: x", "Automatisch antwoord: x",
     "Autosvar: x", "[Automatyczna odpowiedź] test", "Re: blah (Automatic Response)"],
)  # fmt: skip
def test_localised_autoreply_subject_is_an_autoreply_when_no_header_says_so(subject: str) -> None:
    assert classify(_msg(subject=subject)).kind is MailKind.AUTOREPLY


def test_ordinary_subject_mentioning_absence_is_human_when_written_by_a_person() -> None:
    assert classify(_msg(subject="Absence de M. Durand au rendez-vous")).kind is MailKind.HUMAN


def test_return_date_is_read_when_the_autoreply_states_it_numerically() -> None:
    result = classify(
        _msg(subject="Réponse automatique : x", text="Je suis absent, de retour le 12/09/2026.\nCordialement")
    )
    assert result.ooo_until == date(2026, 9, 12)
    assert result.ooo_substitute is None


def test_challenge_response_dsn_is_an_autoreply_when_it_asks_to_be_whitelisted() -> None:
    result = classify(
        _msg(
            REPORT,
            text="Your message was waitlisted. Please add yourself to my Guest List so your messages go through.",
            attachments=(_dsn("failed", "4.7.0", extra="Diagnostic-Code: X-Boxbe; Sender not pre-approved"),),
        )
    )
    assert result.kind is MailKind.AUTOREPLY


@pytest.mark.parametrize(
    "header",
    [("List-Id", "<news.example.org>"), ("List-Unsubscribe", "<mailto:u@x>"), ("Precedence", "bulk")],
)
def test_list_mail_is_list_when_list_headers_are_present(header: tuple[str, str]) -> None:
    result = classify(_msg((header,), subject="Lettre d'information"))
    assert result.kind is MailKind.LIST


def test_autoreply_wins_over_list_when_an_ooo_comes_through_a_list() -> None:
    hdr = (("List-Id", "<team.example.org>"), ("Auto-Submitted", "auto-generated"))
    assert classify(_msg(hdr)).kind is MailKind.AUTOREPLY


def test_base64_recipient_block_is_read_when_a_relay_encoded_the_dsn_body() -> None:
    import base64

    inner = base64.encodebytes(
        b"Final-Recipient: rfc822; x@example.org\nAction: failed\nStatus: 5.1.1\n"
    ).decode()
    data = f"Reporting-MTA: dns; mx\nContent-Transfer-Encoding: base64\n\n{inner}\n".encode()
    att = Attachment(filename="d", content_type="message/delivery-status", data=data)
    result = classify(_msg(REPORT, attachments=(att,)))
    assert result.bounce is not None and result.bounce.recipients == ("x@example.org",)


@pytest.mark.parametrize(
    ("action", "status", "permanent"),
    [("failed", "5.1.1", True), ("failed", "", True), ("delayed", "4.4.7", False), ("delayed", "5.0.0", False),
     ("relayed", "5.1.1", True), ("relayed", "4.0.0", False)],
)  # fmt: skip
def test_permanent_is_true_when_the_action_failed_or_the_status_is_5xx(
    action: str, status: str, permanent: bool
) -> None:
    assert BounceInfo(action=action, status=status, recipients=()).permanent is permanent


def test_original_id_comes_from_in_reply_to_when_nothing_is_returned() -> None:
    msg = _msg(
        (("Return-Path", "<>"),),
        subject="Undelivered Mail Returned to Sender",
        from_addr="mailer-daemon@mx.example.org",
        text="<gone@example.org>: host said: 550 5.1.1 unknown user\n",
    ).model_copy(update={"in_reply_to": ("<APP-2026-0042.n1.x@dareic.test>",)})
    result = classify(msg)
    assert result.bounce is not None
    assert result.bounce.original_message_id == "<APP-2026-0042.n1.x@dareic.test>"
    assert result.bounce.recipients == ("gone@example.org",)


def test_original_id_comes_from_the_last_reference_when_there_is_no_in_reply_to() -> None:
    msg = _msg(subject="Undeliverable: x", from_addr="postmaster@example.org").model_copy(
        update={"references": ("<first@dareic.test>", "<last@dareic.test>")}
    )
    result = classify(msg)
    assert result.bounce is not None and result.bounce.original_message_id == "<last@dareic.test>"


def test_original_subject_saying_retard_is_not_a_delay_when_the_bounce_is_a_failure() -> None:
    result = classify(
        _msg(
            (("Return-Path", "<>"),),
            subject="Non remis : Relance, retard du dossier",
            from_addr="postmaster@x.fr",
        )
    )
    assert result.bounce is not None and result.bounce.action == "failed"


def test_bare_user_name_gets_the_daemon_domain_when_aol_lists_no_domain() -> None:
    result = classify(
        _msg(
            subject="Mail Delivery Problem",
            from_addr="mailer-daemon@aol.example",
            text="Your mail to the following recipients could not be delivered:\n\tsomeuser\n",
        )
    )
    assert result.bounce is not None and result.bounce.recipients == ("someuser@aol.example",)


def test_sole_recipient_of_the_returned_mail_is_the_failed_one_when_the_text_names_nobody() -> None:
    text = (
        "   ----- Transcript of session follows -----\n421 example.com (smtp)... Deferred\n\n"
        "   ----- Unsent message follows -----\nFrom: ce.dareic@dareic.test\nTo: old@example.com\n"
        "Subject: x\n\nbody\n"
    )
    result = classify(
        _msg(
            subject="Returned mail: Cannot send message for 4 days",
            from_addr="mailer-daemon@x.org",
            text=text,
        )
    )
    assert result.bounce is not None and result.bounce.recipients == ("old@example.com",)


@pytest.mark.parametrize(
    ("name", "action", "status", "recipients", "original"),
    [
        ("bounce_fr_exchange_ndr.eml", "failed", "5.1.10", ("ecole.fermee@ac-strasbourg.fr",),
         "<APP-2026-0042.n3.k3j9x0@dareic.ac-strasbourg.fr>"),
        ("bounce_fr_delay.eml", "delayed", "4.4.7", ("direction@lycee.example.pl",),
         "<APP-2026-0043.n5.w2e3r4@dareic.ac-strasbourg.fr>"),
        ("bounce_fr_nonstandard_quoted_id.eml", "failed", "5.1.1", ("ancien.directeur@wanadoo.example.fr",),
         "<APP-2026-0044.n1.t5y6u7@dareic.ac-strasbourg.fr>"),
        ("bounce_en_inreplyto_only.eml", "failed", "5.2.2", ("office@school.example.org",),
         "<APP-2026-0061.n2.o9i8u7@dareic.ac-strasbourg.fr>"),
    ],
)  # fmt: skip
def test_composed_bounce_tells_which_mail_failed_when_classified(
    name: str, action: str, status: str, recipients: tuple[str, ...], original: str
) -> None:
    result = classify(parse_message((DATA / name).read_bytes()))
    assert result.kind is MailKind.BOUNCE
    assert result.bounce == BounceInfo(
        action=action, status=status, recipients=recipients, original_message_id=original
    )
    assert result.bounce.permanent is (action == "failed")


@pytest.mark.parametrize(
    ("name", "kind"),
    [("receipt_fr_outlook.eml", MailKind.RECEIPT), ("list_newsletter.eml", MailKind.LIST),
     ("reply_fr_outlook.eml", MailKind.HUMAN), ("reply_fr_lotus_notes.eml", MailKind.HUMAN),
     ("reply_de_outlook.eml", MailKind.HUMAN)],
)  # fmt: skip
def test_composed_message_gets_its_kind_when_classified(name: str, kind: MailKind) -> None:
    assert classify(parse_message((DATA / name).read_bytes())).kind is kind
