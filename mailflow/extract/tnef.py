"""Outlook's TNEF (``winmail.dat``, ``application/ms-tnef``): the files and the body packed inside.

Outlook sends "rich text" mail as one opaque ``winmail.dat`` part; the attachments people meant to send
are inside it. ``unpack_tnef`` returns them (decoded names, bytes) and the message body it carries, or
None when the payload is not TNEF, is truncated beyond use, or the tnefparse library is missing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from mailflow.extract.charsets import decode_bytes

TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
_SIGNATURE = b"\x78\x9f\x3e\x22"  # 0x223E9F78, little-endian
MAX_FILES = 500


@dataclass(frozen=True)
class TnefFile:
    """One file packed in a TNEF payload (name as Outlook gave it: not yet made safe)."""

    name: str
    data: bytes


@dataclass(frozen=True)
class TnefContent:
    files: list[TnefFile] = field(default_factory=list)
    body: str | None = None
    html: str | None = None


def is_tnef(content_type: str, filename: str | None, data: bytes) -> bool:
    """A TNEF part: declared as such, or named winmail.dat, and starting with the TNEF signature."""
    named = (filename or "").strip().lower() in {"winmail.dat", "win.dat"}
    return (content_type in TNEF_TYPES or named) and data.startswith(_SIGNATURE)


def unpack_tnef(data: bytes) -> TnefContent | None:
    """The files and body inside a TNEF payload; None if it cannot be read at all."""
    try:
        from tnefparse.tnef import TNEF  # the dependency is optional: without it winmail.dat stays whole
    except ImportError:
        return None
    logging.getLogger("tnefparse").setLevel(logging.CRITICAL)  # it logs every odd property
    try:
        tnef = TNEF(data, do_checksum=False)
    except Exception:  # truncated or corrupt: the caller keeps winmail.dat as it is
        return None
    files: list[TnefFile] = []
    for att in list(getattr(tnef, "attachments", []))[:MAX_FILES]:
        payload = getattr(att, "data", b"")
        if not isinstance(payload, bytes):
            continue
        files.append(TnefFile(name=_name(att), data=payload))
    return TnefContent(
        files=files, body=_text(getattr(tnef, "body", None)), html=_text(getattr(tnef, "htmlbody", None))
    )


def _name(att: object) -> str:
    """The long file name, else the 8.3 one; raw bytes decoded leniently (tnefparse assumes UTF-8)."""
    for getter in ("long_filename", "name"):
        try:
            value = getattr(att, getter)
            value = value() if callable(value) else value
        except Exception:  # a cp1252 title that tnefparse could not decode: read the raw bytes below
            continue
        if isinstance(value, bytes):
            value = decode_bytes(value)
        if isinstance(value, str) and value.strip("\x00 "):
            return value.strip("\x00 ")
    raw = getattr(att, "_name", b"")
    return decode_bytes(raw).strip("\x00 ") if isinstance(raw, bytes) else ""


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = decode_bytes(value.rstrip(b"\x00"))
    if isinstance(value, str) and value.strip("\x00 \r\n"):
        return value.strip("\x00").replace("\r\n", "\n").replace("\r", "\n")
    return None
