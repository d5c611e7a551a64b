"""The daily digest from a realistic day: every section, one-click tokens, once a day, escaping."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from mailflow.adapters.reports import DigestWriter
from mailflow.config import PROJECT_ROOT
from mailflow.domain.case import InboundStatus
from mailflow.domain.incidents import Incident, IncidentKind
from mailflow.domain.states import CaseState
from mailflow.domain.uai import check_letter
from mailflow.runtime import demo_mails as mails
from mailflow.services.digest import build_view, digest_due, preview_digest, send_digest
from mailflow.services.outbox import drain_once
from mailflow.services.reminders import run_due_reminders
from mailflow.services.workflow import local_today
from tests.service.helpers import DAREIC, STAFF, case, deliver, last_mail, mail, open_case, staff_command

HOSTILE = "<script>alert(1)</script>"
OUTLOOK_MSG = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600  # not a mail: quarantined


def writer() -> DigestWriter:
    return DigestWriter(PROJECT_ROOT / "templates")


def school(deps, number: str, name: str, country: str, region: str = "", **extra):
    """A valid request from another school (its own UAI), to ``country``."""
    digits = f"067{number:0>4}"
    values = mails.request_values(local_today(deps)) | {
        "uai": digits + check_letter(digits),
        "school_name": name,
        "target_country": country,
        "target_region": region,
        **extra,
    }
    return open_case(deps, values)


def bounce(original, recipient: str) -> bytes:
    """A permanent failure (DSN) about one of our mails."""
    return f"""From: MAILER-DAEMON@mx.example (Mail Delivery System)
To: {DAREIC}
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce-{recipient}@mx.example>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain; charset=us-ascii

Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example

Final-Recipient: rfc822; {recipient}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--B
Content-Type: text/rfc822-headers

Message-ID: {original.message_id}
From: {DAREIC}
Subject: request

--B--
""".encode()


def realistic_day(deps) -> dict[str, str]:
    """A month-old request nobody answered, then one morning's mail: requests, replies, a bounce, strays.

    Returns the references by role: late, replied, review, bounced.
    """
    late = school(deps, "1001", "Lycée Fustel de Coulanges", "Italie")
    deps.clock.advance(timedelta(days=25))
    run_due_reminders(deps, local_today(deps))  # the first reminder goes; the next one is never sent
    drain_once(deps)
    deps.clock.advance(timedelta(days=31, hours=-3))  # a Monday morning, 18 January 2027
    replied = school(deps, "1002", "Lycée Kléber", "Allemagne", "Bade-Wurtemberg (Freiburg)")
    deliver(
        deps,
        mail(
            mails.EMBASSY_BW,
            "Merci pour votre demande. Pouvez-vous préciser l'âge des élèves ?",
            reply_to=last_mail(deps, "embassy_request"),
        ),
    )
    review = school(deps, "1003", HOSTILE, "Portugal")  # no contact for Portugal: staff must look
    bounced = school(deps, "1004", "Collège Jean Monnet", "Espagne", "Valence")
    deliver(deps, bounce(last_mail(deps, "embassy_request"), "scac.madrid@ambafrance-es.example"))
    deliver(
        deps, mail("secretariat@lycee.example", "Voici nos disponibilités.", subject=f"Re: {replied.ref}")
    )
    deliver(deps, OUTLOOK_MSG)
    deliver(deps, mails.newsletter(deps.clock.now(), DAREIC))
    deps.clock.advance(timedelta(hours=2))
    return {"late": late.ref, "replied": replied.ref, "review": review.ref, "bounced": bounced.ref}


def test_digest_shows_every_section_with_the_right_items_when_the_day_was_busy(deps):
    refs = realistic_day(deps)
    view = build_view(deps)
    handle = {line.ref: line for line in view.to_handle}
    assert set(handle) == {refs["replied"], refs["review"], refs["bounced"]}
    assert "lecture suggérée : question" in handle[refs["replied"]].detail
    assert [a.command for a in handle[refs["replied"]].actions] == ["aucunpartenaire", "relancer", "clore"]
    assert [a.command for a in handle[refs["review"]].actions] == ["clore"]  # no contact: nothing to send to
    assert "relancer" not in [a.command for a in handle[refs["bounced"]].actions]  # its address bounces
    assert {n.ref for n in view.new_requests} == {refs["replied"], refs["review"], refs["bounced"]}
    assert any("lecture suggérée" in r.detail for r in view.replies if r.ref == refs["replied"])
    [late] = view.overdue
    assert late.ref == refs["late"] and late.reminders == 1 and late.waiting_for == "l'ambassade"
    [bad] = view.bad_addresses
    assert bad.address == "scac.madrid@ambafrance-es.example" and bad.cases == (refs["bounced"],)
    [stray] = view.to_attach
    assert stray.candidates == (refs["replied"],) and stray.from_addr == "secretariat@lycee.example"
    [broken] = view.quarantine
    assert broken.reason.startswith("parse:")
    b = view.balance
    assert (b.fetched, b.attached, b.new_cases, b.ignored, b.not_ours, b.quarantined) == (8, 1, 3, 1, 2, 1)
    assert b.balanced
    html = preview_digest(deps, writer())[1].html
    for title in ("À traiter", "Nouvelles demandes", "Réponses reçues", "En retard", "Adresses en erreur",
                  "À rattacher", "Quarantaine", "Dossiers ouverts par état"):  # fmt: skip
        assert title in html
    assert f"#{stray.id}" in html and "Bilan déséquilibré" not in html
    assert "Incidents techniques" not in html and view.incidents == ()  # none: the section is left out


def test_balance_says_so_loudly_when_a_message_is_left_unprocessed(deps):
    realistic_day(deps)
    with deps.store.transaction() as tx:
        [record_id] = tx.inbound_with_status("INBOX", InboundStatus.QUARANTINED)
        tx.update_inbound(record_id, status=InboundStatus.NEW)  # stuck between fetch and ingest
    view, rendered = preview_digest(deps, writer())
    assert not view.balance.balanced and view.balance.uncounted == 1
    assert "Bilan déséquilibré : 1 message(s) non comptés" in rendered.html
    assert "BILAN DÉSÉQUILIBRÉ" in rendered.subject


def _command_of(action) -> tuple[str, str]:
    """What a mail client composes from a mailto: link: (subject, body)."""
    query = parse_qs(urlsplit(action.mailto).query)
    assert urlsplit(action.mailto).path == DAREIC
    return query["subject"][0], query["body"][0]


def _action(view, ref: str, command: str):
    [line] = [line for line in view.to_handle if line.ref == ref]
    return next(a for a in line.actions if a.command == command)


def test_action_links_are_accepted_once_and_refused_when_replayed_tampered_or_expired(deps):
    refs = realistic_day(deps)
    view = build_view(deps)
    subject, body = _command_of(_action(view, refs["replied"], "relancer"))
    assert (
        subject.startswith(f"[{refs['replied']}]")
        and body.startswith("/relancer")
        and "(jeton : mf1." in body
    )

    case_id = case(deps, refs["replied"]).id

    def reminders() -> int:
        with deps.store.transaction() as tx:
            return sum(1 for e in tx.events(case_id) if e.kind == "remind")

    deliver(deps, staff_command(body, subject=subject, auth=None))
    assert reminders() == 1 and "✔ /relancer" in deps.transport.sent[-1].text
    deliver(deps, staff_command(body, subject=subject, auth=None))  # the same link clicked again
    assert reminders() == 1 and "non authentifié" in deps.transport.sent[-1].text

    subject, body = _command_of(_action(view, refs["replied"], "clore"))
    token = body.split("(jeton : ")[1].split(")")[0]
    forged = body.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    deliver(deps, staff_command(forged, subject=subject, auth=None))
    assert case(deps, refs["replied"]).state is CaseState.AT_EMBASSY
    deps.clock.advance(timedelta(days=8))  # the link has expired
    deliver(deps, staff_command(body, subject=subject, auth=None))
    assert case(deps, refs["replied"]).state is CaseState.AT_EMBASSY
    assert "non authentifié" in deps.transport.sent[-1].text


def test_attach_link_attaches_the_stray_message_when_staff_clicks_it(deps):
    refs = realistic_day(deps)
    [stray] = build_view(deps).to_attach
    subject, body = _command_of(stray.actions[0])
    assert body.startswith(f"/rattacher {refs['replied']} #{stray.id}")
    deliver(deps, staff_command(body, subject=subject, auth=None))
    assert "✔" in deps.transport.sent[-1].text and deps.transport.sent[-1].to_addrs == (STAFF,)


def test_digest_is_queued_once_per_day_with_its_workbook_when_sent(deps):
    realistic_day(deps)
    assert digest_due(deps) or local_today(deps).weekday() >= 5
    first = send_digest(deps, writer())
    assert first.queued
    drain_once(deps)
    sent = deps.transport.sent[-1]
    assert sent.message_id == first.message_id and deps.signer.is_ours(sent.message_id)
    assert set(sent.to_addrs) == set(deps.identity.staff) and sent.from_addr == DAREIC
    headers = dict(sent.extra_headers)
    assert headers["Auto-Submitted"] == "auto-generated" and headers["X-Mailflow-Loop"] == DAREIC
    [xlsx] = sent.attachments
    assert xlsx.filename.endswith(".xlsx") and xlsx.data[:2] == b"PK"
    assert sent.text.startswith("RÉCAPITULATIF") and sent.html and "<table" in sent.html
    deps.clock.advance(timedelta(hours=3))
    again = send_digest(deps, writer())
    assert not again.queued and "already" in again.reason and not digest_due(deps)
    deps.clock.advance(timedelta(days=1))
    following = send_digest(deps, writer())
    assert following.queued and following.view is not None
    assert not following.view.new_requests and following.view.balance.fetched == 0  # since the last one


def test_outside_text_is_escaped_in_the_html_when_a_school_name_is_hostile(deps):
    realistic_day(deps)
    rendered = preview_digest(deps, writer())[1]
    assert HOSTILE not in rendered.html and "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert HOSTILE in rendered.text  # plain text is not HTML


def test_incidents_are_told_once_when_the_next_digest_comes(deps):
    realistic_day(deps)
    now = deps.clock.now()
    with deps.store.transaction() as tx:
        began = now - timedelta(minutes=30)
        tx.add_incident(Incident(IncidentKind.MAILBOX, began, "connection refused"))
        tx.add_incident(Incident(IncidentKind.RECOVERED, now - timedelta(minutes=20), count=1, since=began))
    first = send_digest(deps, writer())
    assert first.queued and first.view is not None and first.rendered is not None
    assert [line.kind for line in first.view.incidents] == ["mailbox_unavailable"]
    assert "INCIDENTS TECHNIQUES (1)" in first.rendered.text and "connection refused" in first.rendered.text
    deps.clock.advance(timedelta(days=1))
    following = send_digest(deps, writer())
    assert following.queued and following.view is not None and following.view.incidents == ()
