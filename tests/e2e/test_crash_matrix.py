"""Crash matrix (issue 8): `mailflow run` SIGKILLed at every step boundary over a backlog, then restarted.

Afterwards every message gave exactly one inbound record and one effect on its case, and every outgoing
mail reached the SMTP server. The one window where SMTP cannot be made exactly-once (the server accepted
a mail, the daemon died before recording it) is measured: at most the mail in flight is sent twice.
"""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from mailflow.adapters.db.store import SqlStore
from mailflow.domain.case import OutboxStatus
from mailflow.extract.headers import quick_message_id
from mailflow.extract.mime import parse_message
from mailflow.runtime import demo_mails as mails
from tests.e2e.daemons import CLI, eventually, real_servers_env

pytestmark = pytest.mark.e2e
REQUESTS = 5
POINTS = ["stored", "ingested", "moved", "leased", "accepted", "marked"]


@pytest.mark.parametrize("point", POINTS)
def test_nothing_is_lost_or_done_twice_when_daemon_is_killed_at_each_step(
    point, tmp_path: Path, dovecot, smtp_server
):
    user, password = dovecot.new_user()
    env = real_servers_env(
        tmp_path, imap_port=dovecot.port, user=user, password=password, smtp_port=smtp_server.port,
        secret="crash", mailbox="poll_seconds = 2", smtp="lease_seconds = 1\nretry_base_seconds = 1",
    )  # fmt: skip
    requests = [mails.numbered_request(i, datetime.now().astimezone()) for i in range(REQUESTS)]
    for _, raw in requests:
        dovecot.deliver(user, raw)
    dovecot.deliver(user, mails.newsletter(datetime.now().astimezone(), "ce.dareic@ac-strasbourg.fr"))
    run = [*CLI, "run"]

    # The backlog is fetched, stored and moved as one batch (and leased as one): crash at that step; the
    # steps taken per message (ingested, accepted, marked): crash at the 2nd message.
    nth = 1 if point in ("stored", "moved", "leased") else 2
    crashed = subprocess.run(
        run,
        env={**env, "MAILFLOW_CRASH_AT": f"{point}:{nth}"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stdout + crashed.stderr

    daemon = subprocess.Popen(
        run, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:

        def acknowledged() -> set[str]:
            return {
                parse_message(r.content).in_reply_to[0]
                for r in smtp_server.delivered
                if parse_message(r.content).in_reply_to
            }

        assert eventually(lambda: acknowledged() >= {mid for mid, _ in requests}), acknowledged()
        assert eventually(lambda: dovecot.status(user, "INBOX")["messages"] == 1)  # the newsletter stays
        store = SqlStore(f"sqlite:///{tmp_path / 'var' / 'mailflow.db'}")
        assert eventually(lambda: _all_sent(store))
        # A copy missed by the crash (after the send, before the APPEND) is made by a later drain.
        assert eventually(lambda: len(_sent_copies(dovecot, user, password)) == 2 * REQUESTS)
    finally:
        daemon.send_signal(signal.SIGTERM)
        out, _ = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, out

    with store.transaction() as tx:
        keys = Counter(tx.inbound(i).key for i in range(1, 100) if _exists(tx, i))
        cases = tx.cases()
        outbox = tx.outbox()
        forwards = [sum(1 for e in tx.events(c.id) if e.kind == "forward_to_embassy") for c in cases]
    assert all(n == 1 for n in keys.values())  # one inbound record per message
    assert len(cases) == REQUESTS and forwards == [1] * REQUESTS  # one effect per message on its case
    assert len(outbox) == 2 * REQUESTS and all(r.status is OutboxStatus.SENT for r in outbox)
    copies = Counter(parse_message(r.content).message_id for r in smtp_server.delivered)
    assert set(copies) == {r.email.message_id for r in outbox}  # every mail reached the server
    duplicates = sum(n - 1 for n in copies.values())
    # Only a crash between the server's acceptance and our record of it may repeat a mail: the one in flight.
    assert duplicates == (1 if point == "accepted" else 0), copies
    assert dovecot.status(user, "mailflow/traites")["messages"] == REQUESTS
    copies_in_sent = Counter(_sent_copies(dovecot, user, password))
    assert set(copies_in_sent) == {r.email.message_id for r in outbox}  # one copy of each mail in Sent
    assert set(copies_in_sent.values()) == {1}, copies_in_sent


def _sent_copies(dovecot, user: str, password: str) -> list[str | None]:
    """The Message-ID of every message in the Sent folder (one entry per copy)."""
    with dovecot.client(user, password) as client:
        if not client.folder_exists("Sent"):
            return []
        client.select_folder("Sent", readonly=True)
        uids = client.search(["ALL"])
        data = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]) if uids else {}
    return [quick_message_id(d[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"]) for d in data.values()]


def _all_sent(store: SqlStore) -> bool:
    with store.transaction() as tx:
        rows = tx.outbox()
    return len(rows) == 2 * REQUESTS and all(r.status is OutboxStatus.SENT for r in rows)


def _exists(tx, inbound_id: int) -> bool:
    try:
        tx.inbound(inbound_id)
    except KeyError:
        return False
    return True
