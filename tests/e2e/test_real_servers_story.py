"""The demo's story through real servers: Dovecot (IMAP, IDLE) and aiosmtpd, `mailflow run` as a process.

Each party answers the mail it really received on the SMTP server, as a person would in a mail client.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from mailflow.adapters.formbuild import build_partner_sheet, build_request_form, fill_form
from mailflow.domain.message import OutboundEmail
from mailflow.extract.mime import parse_message
from mailflow.runtime import demo_mails as mails
from tests.e2e.daemons import eventually, real_servers_env

pytestmark = pytest.mark.e2e
DAREIC = "ce.dareic@ac-strasbourg.fr"


def as_sent(raw: bytes) -> OutboundEmail:
    """A mail received by the SMTP sink, seen as the mail its reader answers."""
    m = parse_message(raw)
    assert m.message_id and m.date
    return OutboundEmail(
        message_id=m.message_id,
        from_addr=m.from_addr,
        from_name=m.from_name,
        to_addrs=m.to_addrs,
        subject=m.subject,
        text=m.text,
        date=m.date,
        references=m.references,
    )


@pytest.fixture
def daemon(tmp_path: Path, dovecot, smtp_server):
    user, password = dovecot.new_user()
    env = real_servers_env(
        tmp_path, imap_port=dovecot.port, user=user, password=password, smtp_port=smtp_server.port,
        secret="e2e-secret", mailbox="idle = true\npoll_seconds = 30",
    )  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailflow.cli", "--log-json", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield user, proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)


def _sent_to(smtp_server, count: int, timeout: float = 20.0) -> list[OutboundEmail]:
    ok = smtp_server.wait_for(lambda s: len(s.delivered) >= count, timeout)
    assert ok, f"expected {count} mails at the SMTP server, got {len(smtp_server.delivered)}"
    return [as_sent(r.content) for r in smtp_server.delivered]


def test_story_reaches_notification_through_imap_and_smtp_when_daemon_runs(daemon, dovecot, smtp_server):
    user, proc = daemon
    now = datetime.now().astimezone()
    form = fill_form(build_request_form(), mails.request_values(date.today()))
    dovecot.deliver(user, mails.school_request(form, now, DAREIC))
    ack, request = _sent_to(smtp_server, 2)
    assert ack.to_addrs == (mails.SCHOOL,) and "Accusé de réception" in ack.subject
    assert request.to_addrs == (mails.EMBASSY_BW,)

    dovecot.deliver(user, mails.embassy_out_of_office(request, now))  # changes nothing, answers nothing
    sheet = fill_form(build_partner_sheet(), mails.partner_values())
    dovecot.deliver(user, mails.embassy_partner(request, sheet, now))
    proposal = _sent_to(smtp_server, 3)[2]
    assert proposal.to_addrs == (mails.SCHOOL,) and "Goethe-Gymnasium" in proposal.text

    dovecot.deliver(user, mails.school_accepts(proposal, now))
    rector_request = next(m for m in _sent_to(smtp_server, 5)[3:] if m.to_addrs == (mails.RECTOR,))

    dovecot.deliver(user, mails.rector_validates(rector_request, now))
    answered = _sent_to(smtp_server, 7)[5:]  # the notification, and the confirmation of /valider
    notification = next(m for m in answered if m.to_addrs == (mails.SCHOOL,))
    assert "Notification" in notification.subject
    assert any(m.to_addrs == (mails.RECTOR,) and "Commande prise en compte" in m.subject for m in answered)

    # Every sent mail has its copy in Sent; the parties' mails left the inbox for the processed folder.
    assert eventually(lambda: dovecot.status(user, "Sent")["messages"] == 7)
    assert eventually(lambda: dovecot.status(user, "INBOX")["messages"] == 0)
    assert dovecot.status(user, "mailflow/traites")["messages"] == 5
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert len({m.message_id for m in _sent_to(smtp_server, 7)}) == 7  # nothing sent twice
