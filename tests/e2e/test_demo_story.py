"""The demo story end to end, through the installed `mailflow` command (a separate process)."""

from __future__ import annotations

import email
import json
import re
import subprocess
import sys
from email import policy
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def _mailflow(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailflow.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("demo")
    result = _mailflow("demo", "--dir", str(work / "out"), cwd=work)
    assert result.returncode == 0, result.stdout + result.stderr
    return work


def test_demo_exits_zero_and_reports_every_check_when_story_completes(story):
    config = story / "out" / "mailflow.toml"
    assert config.exists()
    result = _mailflow("--config", str(config), "cases", "--json", cwd=story)
    assert result.returncode == 0, result.stderr
    states = sorted(c["state"] for c in json.loads(result.stdout))
    assert states == ["AT_EMBASSY", "REFUSED", "VALIDATED"]
    assert sorted(p.name for p in (story / "out" / "lettres").glob("*.pdf"))[-1].startswith("notification-")


def test_case_timeline_lists_each_step_when_asked_as_json(story):
    config = story / "out" / "mailflow.toml"
    cases = json.loads(_mailflow("--config", str(config), "cases", "--json", cwd=story).stdout)
    [ref] = [c["ref"] for c in cases if c["state"] == "VALIDATED"]
    data = json.loads(_mailflow("--config", str(config), "case", ref, "--json", cwd=story).stdout)
    kinds = [e["kind"] for e in data["events"]]
    assert kinds[:2] == ["case_opened", "forward_to_embassy"]
    for kind in (
        "autoreply_received",
        "partner_proposed",
        "partner_confirmed",
        "school_accepted",
        "rector_validated",
    ):
        assert kind in kinds
    assert data["state"] == "VALIDATED" and all(m["status"] == "sent" for m in data["mails"])


def test_sent_mails_are_real_eml_files_in_french_when_opened(story):
    files = sorted((story / "out" / "var" / "outbox").glob("*.eml"))
    assert len(files) >= 7
    subjects = []
    for path in files:
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert msg["Message-ID"].endswith("@ac-strasbourg.fr>")
        assert msg.get_body(("plain",)) is not None and msg.get_body(("html",)) is not None
        subjects.append(str(msg["Subject"]))
    assert all(re.search(r"\[APP-\d{4}-\d{4}\]", s) for s in subjects)
    joined = " ".join(subjects)
    assert "Accusé de réception" in joined


def test_newsletter_is_left_unread_in_inbox_when_not_ours(story):
    inbox_new = list((story / "out" / "var" / "maildir" / "new").iterdir())
    assert len(inbox_new) == 1
    assert b"List-Id" in inbox_new[0].read_bytes()
