"""Signed, expiring action tokens: the digest's one-click mailto links carry one (MAIL.md §5).

A token says "this action on this case, until then", signed with the installation's secret. It
authenticates a staff command when the mail itself is not (no DKIM result from our server). Single use
is enforced by the services (a used token is remembered), since this module keeps no state.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

TOKEN_PATTERN = re.compile(r"\bmf1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}\b")


@dataclass(frozen=True, slots=True)
class ActionToken:
    ref: str  # the case (or "*" for a digest-wide action)
    action: str  # the command name, e.g. "valider"
    expires: datetime
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, body: str) -> str:
    return _b64(hmac.new(secret, b"action-token:" + body.encode(), hashlib.sha256).digest()[:16])


def make_token(secret: bytes, token: ActionToken) -> str:
    payload = {"r": token.ref, "a": token.action, "e": int(token.expires.timestamp()), "n": token.nonce}
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"mf1.{body}.{_sign(secret, body)}"


def read_token(secret: bytes, text: str, now: datetime) -> ActionToken | None:
    """The token in ``text`` when its signature is valid and it has not expired; None otherwise."""
    m = TOKEN_PATTERN.search(text)
    if m is None:
        return None
    _, body, sig = m.group(0).split(".")
    if not hmac.compare_digest(_sign(secret, body), sig):
        return None
    try:
        data = json.loads(_unb64(body))
        token = ActionToken(
            str(data["r"]), str(data["a"]), datetime.fromtimestamp(int(data["e"]), UTC), str(data["n"])
        )
    except (ValueError, KeyError, TypeError):
        return None
    return token if now < token.expires else None
