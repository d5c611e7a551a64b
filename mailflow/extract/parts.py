"""Reading one MIME part robustly: content type, filename (decoded, then neutralised), payload bytes."""

from __future__ import annotations

import binascii
import re
import unicodedata
from email import policy
from email.message import Message

from mailflow.extract.charsets import decode_words, one_line
from mailflow.extract.setaside import set_aside_bytes

MAX_FILENAME = 150
_GEN_POLICY = policy.default.clone(refold_source="none")
_GEN_COMPAT = policy.compat32.clone(max_line_length=0)
# C0/C1 controls, zero-width and bidirectional overrides (a name must not disguise its extension).
_UNSAFE_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_RAW_NAME = re.compile(r"""(?:^|[;\s])(?:file)?name\s*=\s*(?:"([^"]*)"|([^;"]+))""", re.IGNORECASE)


def content_type(part: Message) -> str:
    try:
        return part.get_content_type().lower()
    except Exception:
        return "application/octet-stream"


def raw_filename(part: Message) -> str | None:
    """The declared filename (Content-Disposition, else Content-Type name), RFC 2231/2047 decoded.

    Also reads what the stdlib misses: ``filename==?utf-8?B?...?=`` and unquoted names with spaces.
    """
    try:
        name = part.get_filename()
    except Exception:
        name = None
    loose = _loose_name(part)
    if loose and (not name or (loose.startswith(str(name)) and len(loose) > len(str(name)))):
        name = loose
    if not name:
        return None
    return one_line(decode_words(str(name)))


def _loose_name(part: Message) -> str | None:
    for header in ("content-disposition", "content-type"):
        for key, value in part.raw_items():
            if key.lower() == header and (m := _RAW_NAME.search(str(value))):
                found = (m.group(1) if m.group(1) is not None else m.group(2)).strip()
                if found:
                    return found
    return None


def disposition(part: Message) -> str | None:
    try:
        return part.get_content_disposition()
    except Exception:
        return None


def safe_filename(name: str | None, index: int, extension: str = "") -> str:
    """A name that is safe to show and to store: basename only, no "..", no controls, ≤ 150 chars."""
    if name:
        name = unicodedata.normalize("NFC", name)
        name = _UNSAFE_CHARS.sub("", name)
        name = name.replace("\\", "/").rsplit("/", 1)[-1]
        name = re.sub(r"\.{2,}", ".", name).strip(" .\t")
        if len(name) > MAX_FILENAME:
            stem, dot, ext = name.rpartition(".")
            if dot and 0 < len(ext) <= 10 and stem:
                name = stem[: MAX_FILENAME - len(ext) - 1].rstrip(" .") + "." + ext
            else:
                name = name[:MAX_FILENAME].rstrip(" .")
    return name or f"piece-jointe-{index}{extension}"


def leaf_bytes(part: Message) -> bytes:
    """The decoded payload of a leaf part (base64 / quoted-printable / uuencode undone, leniently)."""
    set_aside = set_aside_bytes(part)
    if set_aside is not None:
        return set_aside
    if str(part.get("Content-Transfer-Encoding", "")).strip().lower() == "base64":
        # binascii straight from the payload: get_payload(decode=True) makes several whole copies on the
        # way (~6x a 20 MB attachment at the peak). Padding defects fall back to the stdlib's leniency.
        payload = part.get_payload()
        if isinstance(payload, str):
            try:
                return binascii.a2b_base64(payload.encode("ascii", "surrogateescape"))
            except (binascii.Error, ValueError):
                pass
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, str):
        return payload.encode("utf-8", errors="surrogateescape")
    return b""


def message_bytes(part: Message) -> bytes:
    """The bytes of a message/* part that the parser opened (message/rfc822, delivery-status blocks)."""
    payload = part.get_payload()
    if not isinstance(payload, list):
        return leaf_bytes(part)
    chunks: list[bytes] = []
    for sub in payload:
        if not isinstance(sub, Message):
            continue
        for pol in (_GEN_POLICY, _GEN_COMPAT):
            try:
                chunks.append(sub.as_bytes(policy=pol))
                break
            except Exception:  # RecursionError included
                continue
    return b"".join(chunks)


def defect_names(part: Message) -> list[str]:
    return [type(d).__name__ for d in getattr(part, "defects", ())]


# --- uuencoded files inside a text part ("begin 644 name" ... "end") --------------------------------

_UU_BEGIN = re.compile(r"^begin(?:-base64)? +[0-7]{3,4} +(\S[^\n]*?)[ \t]*$", re.MULTILINE)
_UU_END = re.compile(r"^end[ \t]*$", re.MULTILINE)
MAX_UU_FILES = 50


def split_uuencoded(text: str) -> tuple[str, list[tuple[str, bytes]]]:
    """The text without its uuencoded blocks, and the (name, bytes) of each block (decoded leniently:
    a bad line is decoded as far as it goes, as uudecode does). Text without ``begin`` is returned as is."""
    if "begin " not in text:
        return text, []
    files: list[tuple[str, bytes]] = []
    kept: list[str] = []
    pos = 0
    for begin in _UU_BEGIN.finditer(text):
        if begin.start() < pos or len(files) >= MAX_UU_FILES:
            continue
        end = _UU_END.search(text, begin.end())
        if end is None:
            break
        data = _uudecode(text[begin.end() : end.start()])
        if data is None:
            continue
        kept.append(text[pos : begin.start()])
        files.append((begin.group(1).strip(), data))
        pos = end.end() + (1 if text[end.end() : end.end() + 1] == "\n" else 0)
    kept.append(text[pos:])
    return "".join(kept), files


def _uudecode(block: str) -> bytes | None:
    """Decode the lines between ``begin`` and ``end``; None if they do not look uuencoded at all."""
    out: list[bytes] = []
    lines = [line.rstrip("\r") for line in block.strip("\n").split("\n")]
    if not lines or not all(line == "" or 32 <= ord(line[0]) <= 96 for line in lines):
        return None
    for line in lines:
        if not line or line in {"`", " "}:
            continue
        try:
            out.append(binascii.a2b_uu(line))
        except binascii.Error:
            size = (((ord(line[0]) - 32) & 63) * 4 + 5) // 3  # what uudecode does with trailing junk
            try:
                out.append(binascii.a2b_uu(line[:size]))
            except binascii.Error:
                return b"".join(out) if out else None
    return b"".join(out)
