"""What the end-to-end tests share: waiting on a condition, and `mailflow` configured for the private
Dovecot and SMTP sink on loopback, to run as a separate process."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

POLL_INTERVAL = 0.1  # how often a bounded wait re-checks its condition
CLI = [sys.executable, "-m", "mailflow.cli"]


def eventually(condition: Callable[[], object], timeout: float = 60.0) -> bool:
    """True as soon as ``condition()`` is; False if it still is not after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(POLL_INTERVAL)
    return bool(condition())


def real_servers_env(
    folder: Path,
    *,
    imap_port: int,
    user: str,
    password: str,
    smtp_port: int,
    secret: str,
    mailbox: str = "",
    smtp: str = "",
    **environ: str,
) -> dict[str, str]:
    """Write ``folder/mailflow.toml`` for IMAP (no TLS) and SMTP on loopback, plus extra lines for the
    [mailbox] and [smtp] sections; return the environment a `mailflow` process needs to use it."""
    config = folder / "mailflow.toml"
    config.write_text(
        f'[mailbox]\nkind = "imap"\nhost = "127.0.0.1"\nport = {imap_port}\nsecurity = "none"\n'
        f'username = "{user}"\n{mailbox}\n'
        f'[smtp]\nkind = "smtp"\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n{smtp}\n',
        encoding="utf-8",
    )
    return {
        **os.environ,
        "MAILFLOW_CONFIG": str(config),
        "MAILFLOW_MAILBOX_PASSWORD": password,
        "MAILFLOW_SECRET": secret,
        **environ,
    }
