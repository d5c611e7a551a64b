"""Cheap header reads on raw bytes, for work done before full parsing (dedupe at fetch time)."""

from __future__ import annotations

from email.parser import BytesHeaderParser
from email.policy import compat32


def quick_message_id(raw: bytes) -> str | None:
    """The Message-ID of a raw message, ``<...>`` form, or None; never raises."""
    try:
        head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        value = BytesHeaderParser(policy=compat32).parsebytes(head + b"\n\n").get("Message-ID")
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
        head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        headers = BytesHeaderParser(policy=compat32).parsebytes(head + b"\n\n")
        sender = parseaddr(str(headers.get("From", "")))[1].lower()
        subject = " ".join(str(make_header(decode_header(str(headers.get("Subject", ""))))).split())
    except Exception:
        return "", ""
    return sender[:320], subject[:300]
