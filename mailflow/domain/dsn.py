"""Reading delivery reports from bytes: RFC 3464 delivery-status fields, the returned message's id.

Pure (stdlib only): the classifier hands it the bytes of the report parts it found in a message.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32

_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9-]*)\s*:\s*(.*)$")
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_ADDRESS = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}"
)
_MESSAGE_ID_LINE = re.compile(r"^[ \t>]*Message-ID:[ \t]*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
_MAX_REPORT = 1_000_000
_BASE64_RUN = re.compile(r"(?:^[A-Za-z0-9+/=]{16,}[ \t]*\n){2,}", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class RecipientStatus:
    """One per-recipient block of a delivery-status report."""

    recipient: str
    action: str
    status: str
    diagnostic: str


def text_of(data: bytes) -> str:
    """Report parts are ASCII by the RFC; be lenient with anything else."""
    data = data[:_MAX_REPORT]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _blocks(text: str) -> list[dict[str, str]]:
    """Header-like blocks separated by blank lines, folded lines joined, names lowercased."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last = ""
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
            if current:
                blocks.append(current)
            current, last = {}, ""
        elif line[0] in " \t" and last:
            current[last] += " " + line.strip()
        elif m := _FIELD.match(line):
            last = m.group(1).lower()
            current.setdefault(last, m.group(2).strip())
    if current:
        blocks.append(current)
    return blocks


def _address(value: str) -> str:
    """``rfc822; <a@b>`` -> ``a@b`` (lowercase)."""
    value = value.split(";", 1)[1] if ";" in value else value
    return value.strip().strip("<>").strip().lower()


def parse_delivery_status(data: bytes) -> list[RecipientStatus]:
    """Per-recipient results of a message/delivery-status part (blank-line quirks tolerated,
    and per-recipient blocks that a broken relay base64-encoded inside the part)."""
    text = text_of(data)
    found = _statuses(text)
    if not found and (m := _BASE64_RUN.search(text)):
        try:
            found = _statuses(text_of(base64.b64decode("".join(m.group(0).split()), validate=False)))
        except (ValueError, binascii.Error):
            found = []
    return found


def _statuses(text: str) -> list[RecipientStatus]:
    out: list[RecipientStatus] = []
    for block in _blocks(text):
        final, original = block.get("final-recipient", ""), block.get("original-recipient", "")
        rcpt = final if "@" in final or not original else original
        action = block.get("action", "").split("(")[0].strip().lower()
        status_match = _STATUS.search(block.get("status", ""))
        status = status_match.group(0) if status_match else ""
        if not (rcpt or "action" in block or status):
            continue  # the per-message block (Reporting-MTA, Arrival-Date ...)
        if not action and status:
            action = {"2": "delivered", "4": "delayed", "5": "failed"}[status[0]]
        out.append(RecipientStatus(_address(rcpt), action, status, block.get("diagnostic-code", "")))
    return out


def returned_message_id(data: bytes) -> str | None:
    """The Message-ID of a returned message (message/rfc822) or its headers (text/rfc822-headers)."""
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(data[:_MAX_REPORT])
        value = headers.get("Message-ID")
    except Exception:
        value = None
    if value:
        m = re.search(r"<[^<>\s]+>", str(value))
        if m:
            return m.group(0)
    return message_id_in_text(text_of(data))


def message_id_in_text(text: str) -> str | None:
    """A ``Message-ID: <...>`` line quoted inside a bounce's text (non-standard bounces)."""
    m = _MESSAGE_ID_LINE.search(text)
    return m.group(1) if m else None


def returned_recipient(data: bytes | str) -> str | None:
    """The single recipient (To, no Cc) of a returned message or its headers; None if several or none:
    the last resort of a bounce that names nobody ("421 example.com: Deferred" then the unsent mail)."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    block = _header_block(text[:_MAX_REPORT])
    to, cc = block.get("to", ""), block.get("cc", "")
    found = addresses_in(to)
    return found[0] if len(found) == 1 and not addresses_in(cc) else None


def _header_block(text: str) -> dict[str, str]:
    """The first header-like block of a text that has a To or Message-ID field."""
    for block in _blocks(text):
        if "to" in block or "message-id" in block:
            return block
    return {}


_LISTED = re.compile(
    r"following (?:recipients?|addresses?)[^\n]*:[ \t]*\n((?:[ \t]*[A-Za-z0-9._+-]{1,64}[ \t]*(?:\n|$))+)",
    re.IGNORECASE,
)


def listed_local_parts(text: str) -> list[str]:
    """Bare user names listed under "the following recipients …:" (AOL names no domain)."""
    m = _LISTED.search(text)
    if not m:
        return []
    return [line.strip().lower() for line in m.group(1).splitlines() if line.strip()][:10]


_RETURNED_MARKER = re.compile(
    r"^(?:[ \t]*-{2,}[^\n]*?(?:original|returned|copy|header|below|unsent|forwarded|message|d'origine"
    r"|ursprüngliche)"
    r"|[^\n]*?\b(?:en-t[êe]tes? (?:du |de )?message d'origine|original message headers"
    r"|kopfzeilen der ursprünglichen nachricht)"
    r"|[ \t]*(?:received|return-path|message-id|x-original-to|delivered-to):"
    r"|[^\n]*?\boriginal message (?:follows|headers)\b"
    r"|[ \t]*bounced e-?mail\s*:"
    r"|From \S+@\S+ +\w{3} \w{3} +\d)",  # an mbox separator before the returned mail
    re.IGNORECASE,
)
_HEAD_LIMIT = 20_000


def bounce_text_head(text: str) -> str:
    """A non-standard bounce's own explanation: its text before the returned message (bounded)."""
    offset = 0
    for line in text[:_HEAD_LIMIT].splitlines(keepends=True):
        if len(line) <= 300 and _RETURNED_MARKER.match(line):
            return text[:offset]
        offset += len(line)
    return text[:_HEAD_LIMIT]


def first_status(text: str) -> str:
    """The first RFC 3463 status code (4.x.x / 5.x.x) in a bounce's text, or ""."""
    for m in _STATUS.finditer(text):
        if m.group(1) in "45":
            return m.group(0)
    return ""


def addresses_in(text: str) -> list[str]:
    """Every address in a text, lowercase, in order, without repeats."""
    seen: dict[str, None] = {}
    for m in _ADDRESS.finditer(text):
        seen.setdefault(m.group(0).lower().strip("."), None)
    return list(seen)
