"""Waiting for new mail on the selected IMAP folder: IDLE (RFC 2177) within a deadline.

Used by mailflow.adapters.imap, which handles reconnection. Dovecot reports a delivery ~0.5 s
after it happens (a fixed NOTIFY_DELAY_MSECS), so callers must allow more than that.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from imapclient import IMAPClient

IDLE_RENEW = 25 * 60.0  # re-issue IDLE before the server's 30-minute inactivity logout (RFC 2177)
_NEW_MAIL = (b"EXISTS", b"RECENT")


class ConnectionLost(Exception):
    """The server said BYE (or closed the connection) while we were waiting."""


def new_mail(responses: Iterable[Any]) -> bool:
    """Untagged responses that announce mail: ``(n, b'EXISTS')``, ``(n, b'RECENT')``."""
    return any(isinstance(r, tuple) and len(r) > 1 and r[1] in _NEW_MAIL for r in responses)


def _check_bye(responses: Iterable[Any]) -> None:
    if any(isinstance(r, tuple) and r and r[0] == b"BYE" for r in responses):
        raise ConnectionLost("the server said BYE")


def idle_until(client: IMAPClient, deadline: float) -> bool:
    """IDLE on the selected folder until new mail (True) or ``deadline`` (time.monotonic(), False).

    Raises ConnectionLost, OSError or an imapclient error when the connection breaks.
    """
    while True:
        client.idle()
        changed = False
        renew = time.monotonic() + IDLE_RENEW
        while not changed:
            wait = min(deadline, renew) - time.monotonic()
            if wait <= 0:
                break
            started = time.monotonic()
            responses = client.idle_check(timeout=wait)
            _check_bye(responses)
            changed = new_mail(responses)
            if not responses and time.monotonic() - started < wait * 0.9:
                # Woke up early with nothing: idle_check() swallows EOF, so let idle_done() tell.
                break
        _, responses = client.idle_done()
        _check_bye(responses)
        if changed or new_mail(responses):
            return True
        if time.monotonic() >= deadline:
            return False
