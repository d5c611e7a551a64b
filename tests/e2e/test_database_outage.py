"""The database goes away under a running daemon (issue 8): nothing is lost, it recovers by itself, and
the digest tells the outage and its end. Real servers: Dovecot, aiosmtpd and a PostgreSQL cluster of the
test's own, stopped and started again on the same port.
"""

from __future__ import annotations

import signal
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from mailflow.extract.mime import parse_message
from mailflow.runtime import demo_mails as mails
from tests.e2e.daemons import CLI, eventually, real_servers_env

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def test_daemon_survives_a_database_outage_and_the_digest_tells_it(
    tmp_path: Path, dovecot, smtp_server, own_pg
):
    user, password = dovecot.new_user()
    env = real_servers_env(
        tmp_path, imap_port=dovecot.port, user=user, password=password, smtp_port=smtp_server.port,
        secret="outage", mailbox="poll_seconds = 2", MAILFLOW_DATABASE_URL=own_pg.url,
    )  # fmt: skip
    cli = CLI
    log = tmp_path / "daemon.log"
    with log.open("w") as out:
        daemon = subprocess.Popen(
            [*cli, "-v", "run"], env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT
        )

    def answered() -> list[str]:
        return [mid for r in smtp_server.delivered for mid in parse_message(r.content).in_reply_to]

    def request(i: int) -> str:
        mid, raw = mails.numbered_request(i, datetime.now().astimezone())
        dovecot.deliver(user, raw)
        return mid

    try:
        first = request(0)
        assert eventually(lambda: first in answered())

        own_pg.stop()
        during = request(1)  # arrives while the database is down
        assert eventually(lambda: "database unavailable" in log.read_text()), log.read_text()
        assert during not in answered()
        own_pg.start()
        assert eventually(lambda: during in answered()), log.read_text()
        after = request(2)
        assert eventually(lambda: after in answered())

        preview = tmp_path / "digest.html"
        subprocess.run([*cli, "digest", "--preview", str(preview)], env=env, cwd=tmp_path, check=True,
                       capture_output=True)  # fmt: skip
        text = preview.with_suffix(".txt").read_text(encoding="utf-8")
        section = text.split("== INCIDENTS TECHNIQUES")[1].split("\n== ")[0]
        assert "* Base de données indisponible :" in section, section
        assert "Service rétabli le " in section and "Toujours en cours" not in section
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=30)
    assert daemon.returncode == 0, log.read_text()
    acknowledgements = answered()
    assert sorted({first, during, after}) == sorted(set(acknowledgements))
    assert len(acknowledgements) == len(set(acknowledgements)), log.read_text()  # acknowledged once each
    copies = [parse_message(r.content).message_id for r in smtp_server.delivered]
    assert len(copies) == len(set(copies))  # nothing sent twice
    assert dovecot.status(user, "mailflow/traites")["messages"] == 3  # every request moved, once
