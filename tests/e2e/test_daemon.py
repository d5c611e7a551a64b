"""`mailflow run` as a separate process: picks up a request dropped in the Maildir, stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import pytest

from mailflow.adapters.formbuild import build_request_form, fill_form
from mailflow.adapters.maildir import MaildirMailbox
from mailflow.runtime import demo_mails as mails

pytestmark = pytest.mark.e2e
POLL_INTERVAL = 0.05  # how often a bounded wait re-checks its condition


def _wait_for(condition, timeout: float) -> bool:
    """Bounded wait on a condition (never a fixed sleep)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(POLL_INTERVAL)
    return condition()


def test_daemon_answers_new_request_and_stops_cleanly_when_sigterm(tmp_path: Path):
    config = tmp_path / "mailflow.toml"
    config.write_text("[mailbox]\npoll_seconds = 30\n", encoding="utf-8")
    mailbox = MaildirMailbox(tmp_path / "var" / "maildir")
    outbox = tmp_path / "var" / "outbox"
    env = {**os.environ, "MAILFLOW_CONFIG": str(config)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailflow.cli", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert _wait_for(lambda: (tmp_path / "var" / "mailflow.db").exists(), 30), "daemon did not start"
        form = fill_form(build_request_form(), mails.request_values(date.today()))
        mailbox.deliver(mails.school_request(form, datetime.now().astimezone(), "ce.dareic@ac-strasbourg.fr"))
        # The Maildir watch wakes the loop long before the 30 s poll interval.
        assert _wait_for(lambda: len(list(outbox.glob("*.eml"))) >= 2, 15), "no acknowledgement sent"
        assert _wait_for(lambda: not mailbox.folder_keys("INBOX"), 5)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "mailflow stopped" in out
    names = " ".join(p.name for p in outbox.glob("*.eml"))
    assert "ce.0670080y@ac-strasbourg.fr" in names and "partnerschaften@km-bw.example" in names
