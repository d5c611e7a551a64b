"""Two daemons on one mailbox and one PostgreSQL database: every message processed once, every mail sent once."""

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
REQUESTS = 24


def test_two_daemons_process_each_message_once_when_they_share_mailbox_and_database(
    tmp_path: Path, dovecot, smtp_server, pg_url
):
    user, password = dovecot.new_user()
    env = real_servers_env(
        tmp_path, imap_port=dovecot.port, user=user, password=password, smtp_port=smtp_server.port,
        secret="two-daemons", mailbox="idle = true\npoll_seconds = 5", MAILFLOW_DATABASE_URL=pg_url,
    )  # fmt: skip
    cli = CLI
    subprocess.run([*cli, "db", "upgrade"], env=env, cwd=tmp_path, check=True, capture_output=True)
    daemons = [
        subprocess.Popen(
            [*cli, "run"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    try:
        requests = [mails.numbered_request(i, datetime.now().astimezone()) for i in range(REQUESTS)]
        for _, raw in requests:
            dovecot.deliver(user, raw)
        assert eventually(lambda: len(smtp_server.delivered) >= 2 * REQUESTS), len(smtp_server.delivered)
        assert eventually(lambda: dovecot.status(user, "INBOX")["messages"] == 0)
        assert eventually(lambda: dovecot.status(user, "Sent")["messages"] >= 2 * REQUESTS)
    finally:
        for daemon in daemons:
            daemon.send_signal(signal.SIGTERM)
        outputs = [daemon.communicate(timeout=30)[0] for daemon in daemons]
    assert [d.returncode for d in daemons] == [0, 0], outputs
    delivered = [parse_message(r.content) for r in smtp_server.delivered]
    assert len(delivered) == 2 * REQUESTS  # an acknowledgement and an embassy request each, nothing twice
    assert len({m.message_id for m in delivered}) == 2 * REQUESTS
    answered = sorted(m.in_reply_to[0] for m in delivered if m.in_reply_to)
    assert answered == sorted(mid for mid, _ in requests)  # every request acknowledged exactly once
    assert dovecot.status(user, "mailflow/traites")["messages"] == REQUESTS
    both_worked = all("mailflow stopped" in out for out in outputs)
    assert both_worked, outputs
