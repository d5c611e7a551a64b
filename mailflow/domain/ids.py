"""Identifiers: case references (APP-2026-0042), mailbox keys, signed Message-IDs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from mailflow.domain.errors import InvalidReference

_REF_BODY = r"(?P<prefix>[A-Z]{2,8})-(?P<year>\d{4})-(?P<number>\d{4,6})"
REF_PATTERN = re.compile(rf"\b{_REF_BODY}\b")


@dataclass(frozen=True, order=True, slots=True)
class CaseRef:
    """A case reference such as ``APP-2026-0042`` (prefix from config, year, sequence number)."""

    prefix: str
    year: int
    number: int

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year:04d}-{self.number:04d}"

    @classmethod
    def parse(cls, text: str) -> CaseRef:
        m = re.fullmatch(_REF_BODY, text.strip().upper())
        if not m:
            raise InvalidReference(f"not a case reference: {text!r}")
        return cls(m["prefix"], int(m["year"]), int(m["number"]))


def find_refs(text: str, prefix: str) -> list[CaseRef]:
    """Every reference with our prefix in a text, in order of appearance, without repeats."""
    found: list[CaseRef] = []
    for m in REF_PATTERN.finditer(text.upper()):
        ref = CaseRef(m["prefix"], int(m["year"]), int(m["number"]))
        if ref.prefix == prefix.upper() and ref not in found:
            found.append(ref)
    return found


@dataclass(frozen=True, order=True, slots=True)
class MailboxKey:
    """Where a message was fetched from: folder, UIDVALIDITY and UID (IMAP semantics)."""

    mailbox: str
    uidvalidity: int
    uid: int


class MessageIdSigner:
    """Makes and checks mailflow's own Message-IDs: ``<APP-2026-0042.n3.k3j9x2@domain>``.

    The signature (HMAC-SHA256, truncated) proves that a reply answers a mail we sent for that
    case, even when the subject was rewritten.
    """

    _ID = re.compile(
        r"<?(?P<ref>[A-Z]{2,8}-\d{4}-\d{4,6})\.(?P<nonce>[a-z0-9]+)\.(?P<sig>[a-z2-7]{16})@(?P<domain>[^>\s]+)>?"
    )

    def __init__(self, secret: bytes, domain: str) -> None:
        if not secret:
            raise ValueError("the Message-ID secret must not be empty")
        self._secret = secret
        self._domain = domain

    def _sign(self, ref: str, nonce: str) -> str:
        mac = hmac.new(self._secret, f"{ref}.{nonce}".encode(), hashlib.sha256).digest()
        return base64.b32encode(mac[:10]).decode().lower()

    def make(self, ref: CaseRef | None, nonce: str) -> str:
        """A new Message-ID for a mail about ``ref`` (``nonce`` makes it unique: outbox id, counter)."""
        nonce = re.sub(r"[^a-z0-9]", "", nonce.lower()) or "0"
        ref_text = str(ref) if ref else "MF-0000-0000"
        return f"<{ref_text}.{nonce}.{self._sign(ref_text, nonce)}@{self._domain}>"

    def is_ours(self, message_id: str) -> bool:
        """True when the Message-ID was made (and signed) by us, with or without a case."""
        m = self._ID.fullmatch(message_id.strip())
        return bool(
            m
            and m["domain"] == self._domain
            and hmac.compare_digest(self._sign(m["ref"], m["nonce"]), m["sig"])
        )

    def verify(self, message_id: str) -> CaseRef | None:
        """The case a Message-ID of ours is about, or None when it is not ours or the signature fails."""
        m = self._ID.fullmatch(message_id.strip())
        if not m or m["domain"] != self._domain:
            return None
        if not hmac.compare_digest(self._sign(m["ref"], m["nonce"]), m["sig"]):
            return None
        if m["ref"].startswith("MF-"):
            return None
        return CaseRef.parse(m["ref"])


class ThreadIndexer:
    """A stable Outlook Thread-Index per case, readable back to the case (MAIL.md §2.5).

    Outlook threads by the first 22 bytes (1 reserved, 5 of FILETIME, 16 of GUID) and appends 5 bytes
    per reply. Our GUID carries the case's year and number plus an HMAC, so an Outlook reply whose
    References were dropped still names its case, and a forged one does not.
    """

    def __init__(self, secret: bytes, prefix: str) -> None:
        self._secret = secret
        self._prefix = prefix.upper()

    def _guid(self, year: int, number: int) -> bytes:
        head = b"MF" + year.to_bytes(2, "big") + number.to_bytes(4, "big")
        mac = hmac.new(self._secret, b"thread-index:" + self._prefix.encode() + head, hashlib.sha256).digest()
        return head + mac[:8]

    def make(self, ref: CaseRef, opened_at_filetime: int) -> str:
        head = b"\x01" + opened_at_filetime.to_bytes(8, "big")[1:6]
        return base64.b64encode(head + self._guid(ref.year, ref.number)).decode()

    def read(self, value: str) -> CaseRef | None:
        try:
            raw = base64.b64decode("".join(value.split()), validate=True)
        except (ValueError, TypeError):
            return None
        if len(raw) < 22 or raw[6:8] != b"MF":
            return None
        year, number = int.from_bytes(raw[8:10], "big"), int.from_bytes(raw[10:14], "big")
        if not hmac.compare_digest(raw[6:22], self._guid(year, number)):
            return None
        return CaseRef(self._prefix, year, number)
