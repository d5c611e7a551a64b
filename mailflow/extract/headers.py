"""Cheap header reads on raw bytes, for work done before full parsing (dedupe at fetch time)."""

from __future__ import annotations

from email.parser import BytesHeaderParser
from email.policy import compat32


def _head(raw: bytes) -> bytes:
    """The header block, up to the first blank line; sliced, never split (the body may be 30 MB)."""
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    return raw[: min(ends)] if ends else raw


def quick_message_id(raw: bytes) -> str | None:
    """The Message-ID of a raw message, ``<...>`` form, or None; never raises."""
    try:
        value = BytesHeaderParser(policy=compat32).parsebytes(_head(raw) + b"\n\n").get("Message-ID")
    except Exception:
        return None
    if not value:
        return None
    text = " ".join(str(value).split())
    start, end = text.find("<"), text.find(">")
    if 0 <= start < end:
        return text[start : end + 1]
    return f"<{text}>" if text and " " not in text else None


def quick_sender_subject(raw: bytes) -> tuple[str, str]:
    """The sender's address and the decoded subject, for lists (status, digest); never raises."""
    from email.header import decode_header, make_header
    from email.utils import parseaddr

    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(_head(raw) + b"\n\n")
        sender = parseaddr(str(headers.get("From", "")))[1].lower()
        subject = " ".join(str(make_header(decode_header(str(headers.get("Subject", ""))))).split())
    except Exception:
        return "", ""
    return sender[:320], subject[:300]
