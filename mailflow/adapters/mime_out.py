"""OutboundEmail -> RFC 5322 bytes (CRLF, UTF-8, quoted-printable/base64): the same bytes go to SMTP,
the Sent folder and .eml files. Deterministic: serialising the same mail twice gives the same bytes."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from mailflow.domain.message import OutboundEmail

# 7bit transport encoding: bodies become quoted-printable or base64, headers RFC 2047 / RFC 2231.
SMTP_POLICY = policy.SMTP.clone(cte_type="7bit")
_CORE = frozenset(
    {"message-id", "date", "from", "to", "cc", "subject", "in-reply-to", "references", "mime-version"}
)
_BAD_NAME_CHARS = re.compile(r"[^!-9;-~]")  # a header name is printable ASCII without ':' or spaces


def clean(value: str) -> str:
    """Header-injection guard: no CR/LF (nor other line breaks) survive in a header value."""
    # Every character str.splitlines() breaks on: the email package refuses them in a header.
    return re.sub(r"[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+", " ", value).replace("\x00", "")


def _address(addr: str, name: str = "") -> Address:
    return Address(display_name=clean(name).strip(), addr_spec=clean(addr).strip())


def _split_type(content_type: str) -> tuple[str, str]:
    main, _, sub = clean(content_type).strip().lower().partition("/")
    if not main or not sub or not re.fullmatch(r"[a-z0-9.+-]+", main + sub):
        return "application", "octet-stream"
    return main, sub


def serialize(email: OutboundEmail) -> bytes:
    """The full message: multipart/mixed(multipart/alternative(text, html), attachments...), or simpler."""
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["Message-ID"] = clean(email.message_id).strip()
    date = email.date if email.date.tzinfo else email.date.replace(tzinfo=UTC)
    msg["Date"] = format_datetime(date)
    msg["From"] = _address(email.from_addr, email.from_name)
    if email.to_addrs:
        msg["To"] = [_address(a) for a in email.to_addrs]
    if email.cc_addrs:
        msg["Cc"] = [_address(a) for a in email.cc_addrs]
    msg["Subject"] = clean(email.subject).strip()
    if email.in_reply_to:
        msg["In-Reply-To"] = clean(email.in_reply_to).strip()
    if email.references:
        msg["References"] = " ".join(clean(r).strip() for r in email.references)
    msg["MIME-Version"] = "1.0"
    for name, value in email.extra_headers:
        name = _BAD_NAME_CHARS.sub("", name)
        if name and name.lower() not in _CORE:
            msg[name] = clean(value)

    msg.set_content(_crlf_safe(email.text), charset="utf-8")
    if email.html is not None:
        msg.add_alternative(_crlf_safe(email.html), subtype="html", charset="utf-8")
    for att in email.attachments:
        main, sub = _split_type(att.content_type)
        msg.add_attachment(
            att.data, maintype=main, subtype=sub, filename=clean(att.filename).strip() or "piece-jointe"
        )
    for part in msg.walk():
        if part is not msg:
            del part["MIME-Version"]  # the stdlib adds it to every part it creates; only the top needs it
    _stable_boundaries(msg, email.message_id)
    return msg.as_bytes(policy=SMTP_POLICY)


def _crlf_safe(text: str) -> str:
    """Body text with plain \\n line ends (the generator writes CRLF); never a lone CR."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _stable_boundaries(msg: EmailMessage, seed: str) -> None:
    """Boundaries derived from the Message-ID so that the same mail always gives the same bytes."""
    digest = hashlib.sha256(seed.encode("utf-8", "replace")).hexdigest()[:24]
    for index, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"=_mailflow_{digest}_{index}")


class SerializeOnce:
    """``serialize`` remembering its last few results: the transport and the Sent copy of one mail
    share one serialisation (the header refolding costs ~4 ms a mail).

    Keyed by the mail object itself (held, so its identity is never reused while remembered): the
    outbox drain hands the same object to the transport and then to the Sent copy.
    """

    def __init__(self, keep: int = 64, serializer: Callable[[OutboundEmail], bytes] | None = None) -> None:
        self._keep = keep
        self._serialize = serializer or serialize
        self._recent: dict[int, tuple[OutboundEmail, bytes]] = {}

    def __call__(self, email: OutboundEmail) -> bytes:
        found = self._recent.get(id(email))
        if found is not None and found[0] is email:
            return found[1]
        raw = self._serialize(email)
        if len(self._recent) >= self._keep:
            del self._recent[next(iter(self._recent))]  # the oldest (dicts keep insertion order)
        self._recent[id(email)] = (email, raw)
        return raw
