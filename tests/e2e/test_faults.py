"""Faults against the real servers (issue 8): the daemon recovers by itself and loses nothing.

IMAP restarted during IDLE, IMAP down long enough to fail cycles, IMAP sessions cut without a word, SMTP
answering 451 then recovering, and a permanent 550: every request is still acknowledged, `mailflow status`
tells what happened, and the digest's « Incidents techniques » tells each outage and its recovery.
"""

from __future__ import annotations

import json
import signal
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from mailflow.extract.mime import parse_message
from mailflow.runtime import demo_mails as mails
from tests.e2e.daemons import CLI, eventually, real_servers_env

pytestmark = pytest.mark.e2e


def test_daemon_recovers_from_server_faults_when_they_end(tmp_path: Path, dovecot, smtp_server):
    user, password = dovecot.new_user()
    env = real_servers_env(
        tmp_path, imap_port=dovecot.port, user=user, password=password, smtp_port=smtp_server.port,
        secret="faults", mailbox="poll_seconds = 3", smtp="lease_seconds = 2\nretry_base_seconds = 1",
    )  # fmt: skip
    cli = CLI
    daemon = subprocess.Popen(
        [*cli, "run"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )

    def answered() -> set[str]:
        return {mid for r in smtp_server.delivered for mid in parse_message(r.content).in_reply_to}

    def request(i: int) -> str:
        mid, raw = mails.numbered_request(i, datetime.now().astimezone())
        dovecot.deliver(user, raw)
        return mid

    try:
        first = request(0)
        assert eventually(lambda: first in answered())

        dovecot.restart()  # the server goes away while the daemon waits in IDLE
        second = request(1)
        assert eventually(lambda: second in answered()), "no recovery after an IMAP restart"

        def status() -> dict:
            out = subprocess.run(
                [*cli, "status", "--json"], env=env, cwd=tmp_path, capture_output=True, text=True, check=True
            ).stdout
            return json.loads(out)

        def journalled(kind: str) -> bool:
            return any(i["kind"] == kind for i in status()["recent_incidents"])

        dovecot.stop()  # down long enough for the daemon's cycles to fail
        try:
            assert eventually(lambda: journalled("mailbox_unavailable")), "the IMAP outage was not journalled"
        finally:
            dovecot.start()
        assert eventually(lambda: journalled("recovered")), "the IMAP recovery was not journalled"
        after_outage = request(5)
        assert eventually(lambda: after_outage in answered()), "no recovery after an IMAP outage"

        assert dovecot.kill_imap_sessions() >= 1  # connections cut without a BYE
        third = request(2)
        assert eventually(lambda: third in answered()), "no recovery after a dropped connection"

        smtp_server.script.append("451 4.3.0 Try again later")  # the next DATA is refused, once
        fourth = request(3)
        assert eventually(lambda: fourth in answered()), "a 451 was not retried"

        smtp_server.rcpt_replies[mails.EMBASSY_BW] = "550 5.1.1 No such user"
        fifth = request(4)
        assert eventually(lambda: fifth in answered())  # the school still gets its acknowledgement

        assert eventually(lambda: status()["outbox_failed"] == 1, timeout=30)
        report = status()
        assert report["recent_failed_mail"][0]["to"] == [mails.EMBASSY_BW]
        assert "550" in report["recent_failed_mail"][0]["error"]
        assert report["outbox_pending"] == 0 and report["backlog"] == 0
        assert eventually(lambda: journalled("smtp_recovered"), timeout=30), "the 451 never ended"

        preview = tmp_path / "digest.html"
        subprocess.run([*cli, "digest", "--preview", str(preview)], env=env, cwd=tmp_path, check=True,
                       capture_output=True)  # fmt: skip
        html, text = (
            preview.read_text(encoding="utf-8"),
            preview.with_suffix(".txt").read_text(encoding="utf-8"),
        )
        assert "Incidents techniques" in html and "INCIDENTS TECHNIQUES" in text
        section = text.split("== INCIDENTS TECHNIQUES")[1].split("\n== ")[0]
        assert "* Serveur de messagerie (IMAP) injoignable :" in section
        assert "* Envois différés par le serveur d'envoi (SMTP) :" in section and "451 4.3.0" in section
        assert "Service rétabli le " in section and "Envois repris le " in section
        assert "Toujours en cours" not in section
        assert "tentative" in section and "No such user" not in section  # the refusal: told by its case
    finally:
        daemon.send_signal(signal.SIGTERM)
        out, _ = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, out
    copies = [parse_message(r.content).message_id for r in smtp_server.delivered]
    assert len(copies) == len(set(copies))  # recovering sent nothing twice
