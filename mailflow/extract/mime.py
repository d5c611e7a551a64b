"""Raw RFC 5322 bytes -> InboundMessage: decoded headers, the readable text, safe attachments.

Attachments include the files inside Outlook's ``winmail.dat`` (TNEF, which they replace) and files
uuencoded inside a text part (cut out of the text); forwarded messages stay one ``.eml`` attachment.

Never raises on malformed mail (problems become ``defects``); raises ExtractError only for input that
is not an Internet message at all (an Outlook .msg file, a zip, a PDF, nothing).
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.feedparser import BytesFeedParser
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parsedate_to_datetime

from mailflow.domain.errors import ExtractError
from mailflow.domain.message import Attachment, InboundMessage
from mailflow.extract import parts as P
from mailflow.extract.charsets import decode_bytes, decode_words, fix_surrogates, one_line, repair_words
from mailflow.extract.html2text import html_to_text
from mailflow.extract.setaside import find_runs, pieces, settle
from mailflow.extract.tnef import is_tnef, unpack_tnef

MAX_DEPTH = 20
MAX_DEFECTS = 50
MAX_ATTACHMENTS = 1000
MAX_TEXT_CHARS = 2_000_000


class _Registry(HeaderRegistry):
    """The stdlib's header registry, faster: it builds a new class at every lookup (~10 µs), and the
    message API parses Content-Type again at each question about a part (a dozen times a mail).

    Classes are built once; short values are parsed once (header objects are immutable strings).
    """

    CACHED_VALUE_CHARS = 500
    CACHED_VALUES = 2048

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type[BaseHeader]] = {}
        self._parsed: dict[tuple[str, str], BaseHeader] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        found = self._classes.get(key)
        if found is None:
            found = self._classes[key] = super().__getitem__(name)
        return found

    def __call__(self, name: str, value: str) -> BaseHeader:
        if len(value) > self.CACHED_VALUE_CHARS:
            return super().__call__(name, value)
        key = (name, value)
        found = self._parsed.get(key)
        if found is None:
            if len(self._parsed) >= self.CACHED_VALUES:
                self._parsed.clear()
            found = self._parsed[key] = super().__call__(name, value)
        return found


_POLICY = policy.default.clone(header_factory=_Registry())
# Headers whose text the policy rewrites even when there is nothing to decode (dates are re-formatted,
# MIME parameters re-quoted): parsed. Any other ASCII value without encoded words reads as itself, the
# addresses included (they are parsed on their own, from the raw header, by _addresses).
_PARSED = frozenset(
    {
        "date",
        "resent-date",
        "content-type",
        "content-disposition",
        "content-transfer-encoding",
        "mime-version",
    }
)
_NOT_MAIL = {
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": "an Outlook .msg file (OLE compound document), not an Internet message",
    b"PK\x03\x04": "a zip archive (docx/xlsx/zip), not an Internet message",
    b"%PDF-": "a PDF file, not an Internet message",
}
_TYPES = mimetypes.MimeTypes()  # the built-in table only: the same answer on every machine
for _ext, _type in {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".msg": "application/vnd.ms-outlook",
}.items():
    _TYPES.add_type(_type, _ext)
_MSG_ID = re.compile(r"<[^<>\s]+>")
# Bounce/receipt parts the classifier reads although they are text/* or message/* without a name.
_REPORT_PARTS = frozenset(
    {"text/rfc822-headers", "message/delivery-status", "message/disposition-notification"}
)


@dataclass
class _Walk:
    max_bytes: int
    max_total: int
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    other_text: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    total: int = 0

    def defect(self, text: str) -> None:
        if text not in self.defects and len(self.defects) < MAX_DEFECTS:
            self.defects.append(text)

    def attach(self, part: Message, ctype: str, data: bytes) -> None:
        self.add(P.raw_filename(part), ctype, data)

    def add(self, raw_name: str | None, ctype: str, data: bytes) -> None:
        """Keep one attachment under a safe name, within the per-file, total and count limits."""
        index = len(self.attachments) + 1
        name = P.safe_filename(raw_name, index, ".eml" if ctype == "message/rfc822" else "")
        if len(data) > self.max_bytes:
            self.defect(f"attachment {name!r} dropped: {len(data)} bytes is over the {self.max_bytes} limit")
        elif self.total + len(data) > self.max_total:
            self.defect(f"attachment {name!r} dropped: the attachments exceed {self.max_total} bytes in all")
        elif len(self.attachments) >= MAX_ATTACHMENTS:
            self.defect(f"attachments after the first {MAX_ATTACHMENTS} dropped")
        else:
            self.total += len(data)
            self.attachments.append(Attachment(filename=name, content_type=ctype, data=data))


FEED_CHUNK = 64 * 1024


def _parse_in_chunks(raw: bytes) -> Message:
    """The same tree as email.message_from_bytes, fed in chunks: that one first turns the whole message
    into one str read through StringIO (4 bytes per character: ~240 MB at the peak for a 27 MB mail).
    Very large base64 bodies are set aside and decoded from ``raw`` later (see setaside)."""
    parser = BytesFeedParser(policy=_POLICY)
    runs = find_runs(raw)
    for piece in pieces(raw, runs):
        for start in range(0, len(piece), FEED_CHUNK):
            parser.feed(bytes(piece[start : start + FEED_CHUNK]))
    msg = parser.close()
    settle(msg, runs)
    return msg


def parse_message(
    raw: bytes, *, max_attachment_bytes: int = 25_000_000, max_total_bytes: int = 100_000_000
) -> InboundMessage:
    """Parse one raw message; see the module docstring for what may raise.

    Attachments over ``max_attachment_bytes`` each, or past ``max_total_bytes`` in all, or past
    MAX_ATTACHMENTS in number, are dropped with a defect; text parts are cut at MAX_TEXT_CHARS.
    """
    _reject_non_message(raw)
    walk = _Walk(max_bytes=max_attachment_bytes, max_total=max_total_bytes)
    try:
        msg = _parse_in_chunks(raw)
    except Exception as exc:  # RecursionError and friends: keep the headers at least
        walk.defect(f"body unreadable ({type(exc).__name__}); headers only")
        msg = BytesHeaderParser(policy=_POLICY).parsebytes(raw)
    headers = _headers(msg)
    _walk_part(msg, 0, walk)
    text = "\n".join(walk.plain) if walk.plain else ""
    if not text.strip() and walk.html:
        text = "\n\n".join(html_to_text(h) for h in walk.html)
    if not text.strip() and walk.other_text:
        text = "\n".join(walk.other_text)
    sender = (_addresses(msg, "from") or [("", "")])[0]
    return InboundMessage(
        message_id=_first_id(_first(headers, "message-id")),
        subject=one_line(_first(headers, "subject") or ""),
        from_addr=sender[1],
        from_name=sender[0],
        to_addrs=tuple(a for _, a in _addresses(msg, "to")),
        cc_addrs=tuple(a for _, a in _addresses(msg, "cc")),
        date=_date(_first(headers, "date")),
        in_reply_to=_id_list(_first(headers, "in-reply-to")),
        references=_id_list(" ".join(v for k, v in headers if k.lower() == "references")),
        thread_index=(_first(headers, "thread-index") or "").strip() or None,
        headers=tuple(headers),
        text=text.strip("\n"),
        content_type=P.content_type(msg),
        attachments=tuple(walk.attachments),
        defects=tuple(walk.defects),
    )


def _reject_non_message(raw: bytes) -> None:
    if not raw.strip():
        raise ExtractError("empty input: not an Internet message")
    for magic, what in _NOT_MAIL.items():
        if raw.startswith(magic):
            raise ExtractError(f"this file is {what}; save the mail as .eml (RFC 5322) instead")


# --- headers ---------------------------------------------------------------------------------


def _headers(msg: Message) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, value in msg.raw_items():
        out.append((one_line(fix_surrogates(str(name))), _header_text(str(name), value)))
    return out


def _header_text(name: str, value: object) -> str:
    """A header value decoded by the default policy; the compat32 way when that policy cannot parse it.

    An ASCII value without encoded words has nothing to decode: it is read as it is, unfolded (the
    policy's parser would only re-render it), except for the headers in _PARSED.
    """
    text = str(value)
    lowered = name.lower()
    if text.isascii() and "=?" not in text and lowered not in _PARSED:
        return one_line("".join(text.splitlines()))
    raw = repair_words(fix_surrogates(text))
    try:
        text = str(_POLICY.header_fetch_parse(name, raw))
    except Exception:
        text = decode_words(raw)
    return one_line(text)


def _first(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name), None)


def _addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    """(display name, lowercase address) pairs, decoded leniently (names may hold encoded words)."""
    values = [fix_surrogates(str(v)) for k, v in msg.raw_items() if k.lower() == name]
    if not values:
        return []
    try:
        pairs = getaddresses(values)
    except Exception:
        return []
    out: list[tuple[str, str]] = []
    for display, addr in pairs:
        addr = one_line(decode_words(addr)).strip("<> ").lower()
        if addr and not re.search(r"\s", addr):
            out.append((one_line(decode_words(display)).strip("\"' "), addr))
    return out


def _first_id(value: str | None) -> str | None:
    ids = _id_list(value)
    return ids[0] if ids else None


def _id_list(value: str | None) -> tuple[str, ...]:
    """``<id>`` tokens, whether separated by spaces, commas or folding; bare ``a@b`` tokens get brackets."""
    if not value:
        return ()
    found = _MSG_ID.findall(value)
    if not found:
        found = [f"<{tok}>" for tok in re.split(r"[\s,]+", value) if "@" in tok and "<" not in tok]
    seen: dict[str, None] = {}
    for tok in found:
        seen.setdefault(tok, None)
    return tuple(seen)


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except Exception:
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


# --- body and attachments ---------------------------------------------------------------------


def _walk_part(part: Message, depth: int, walk: _Walk) -> None:
    for name in P.defect_names(part):
        walk.defect(name)
    if depth > MAX_DEPTH:
        walk.defect(f"MIME nesting deeper than {MAX_DEPTH} levels: the deeper parts were skipped")
        return
    ctype = P.content_type(part)
    try:
        if ctype == "message/external-body":
            walk.defect("message/external-body reference ignored (the content is not in the mail)")
        elif ctype.startswith("message/") and part.is_multipart():
            walk.attach(part, ctype, P.message_bytes(part))  # a forwarded message: one attachment
        elif part.is_multipart():
            for sub in part.get_payload():
                if isinstance(sub, Message):
                    _walk_part(sub, depth + 1, walk)
        else:
            _leaf(part, ctype, walk)
    except Exception as exc:  # one unreadable part must not lose the rest of the message
        walk.defect(f"{ctype} part unreadable: {type(exc).__name__}: {exc}"[:200])


def _leaf(part: Message, ctype: str, walk: _Walk) -> None:
    maintype = ctype.split("/", 1)[0]
    if maintype == "multipart":  # boundary never found: the parser kept the raw text
        walk.defect(f"{ctype} without readable parts: kept as text")
        walk.other_text.append(_text(walk, decode_bytes(P.leaf_bytes(part))))
        return
    raw_name = P.raw_filename(part)
    if (
        raw_name is not None
        or P.disposition(part) == "attachment"
        or maintype != "text"
        or ctype in _REPORT_PARTS
    ):
        data = P.leaf_bytes(part)
        if not (is_tnef(ctype, raw_name, data) and _unpack_tnef(data, walk)):
            walk.attach(part, ctype, data)
        return
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    text = _text(walk, decode_bytes(P.leaf_bytes(part), charset))
    if ctype == "text/plain":
        text, files = P.split_uuencoded(text)
        for name, data in files:
            walk.add(name, _guess_type(name), data)
        walk.plain.append(text)
    elif ctype == "text/html":
        walk.html.append(text)
    else:
        walk.other_text.append(text)


def _text(walk: _Walk, text: str) -> str:
    if len(text) > MAX_TEXT_CHARS:
        walk.defect(f"text part cut at {MAX_TEXT_CHARS} characters")
        text = text[:MAX_TEXT_CHARS]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _unpack_tnef(data: bytes, walk: _Walk) -> bool:
    """Replace winmail.dat by the files it carries; False (keep it whole) when it carries none."""
    content = unpack_tnef(data)
    if content is None:
        walk.defect("winmail.dat (TNEF) could not be unpacked: kept as it is")
        return False
    if content.html:
        walk.html.append(content.html)
    if content.body:
        walk.other_text.append(content.body)
    for item in content.files:
        walk.add(item.name or None, _guess_type(item.name), item.data)
    return bool(content.files)


def _guess_type(name: str) -> str:
    return _TYPES.guess_type(name, strict=False)[0] or "application/octet-stream"
