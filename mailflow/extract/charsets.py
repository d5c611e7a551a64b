"""Turning mail bytes and RFC 2047 words into str without ever raising (declared charset, utf-8, cp1252)."""

from __future__ import annotations

import codecs
import re
from email.header import decode_header

# Charsets mail clients declare that are better read with a superset codec (as browsers do).
_SUPERSETS = {
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso_8859-1": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "windows-874": "cp874",
    "tis-620": "cp874",
    "x-user-defined": "cp1252",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
}

_UTF8_NAMES = frozenset({"utf-8", "utf8", "utf_8"})
_LATIN = frozenset({"cp1252", "iso8859-15", "latin-1", "iso8859-1", "ascii"})


def codec_for(charset: str | None) -> str | None:
    """The Python codec for a declared charset, or None when it is unknown or not a text encoding."""
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower()
    name = _SUPERSETS.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Decode with the declared charset, else utf-8, else cp1252 (with replacement); never raises.

    Text declared as ASCII or Latin-1 that is valid UTF-8 is read as UTF-8: real Latin-1 text is
    almost never valid UTF-8, while mislabelled UTF-8 is common.
    """
    codec = codec_for(charset)
    if codec in _LATIN:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if codec:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError, ValueError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if codec and codec.replace("_", "-") in _UTF8_NAMES:
        return data.decode("utf-8", errors="replace")
    if codec and codec != "cp1252":
        try:
            return data.decode(codec, errors="replace")
        except (LookupError, ValueError):
            pass
    return data.decode("cp1252", errors="replace")


_SURROGATES = re.compile("[\udc80-\udcff]")


def fix_surrogates(text: str) -> str:
    """Raw 8-bit bytes in a header arrive as surrogate escapes: read them as utf-8 (RFC 6532), else cp1252."""
    if not _SURROGATES.search(text):
        return text
    raw = text.encode("utf-8", errors="surrogateescape")
    return decode_bytes(raw, "utf-8")


_DANGLING_Q = re.compile(r"(=\?[^?\s]+\?[qQ]\?[^?\s]*?)=+(\?=)")


def repair_words(text: str) -> str:
    """Drop a dangling ``=`` at the end of a Q-encoded word (``=?utf-8?Q?hello=F0=?=``), as MUAs do."""
    return _DANGLING_Q.sub(r"\1\2", text) if "=?" in text else text


def decode_words(text: str) -> str:
    """Decode RFC 2047 encoded words (adjacent words joined, as the RFC says); never raises."""
    text = repair_words(fix_surrogates(text))
    if "=?" not in text:
        return text
    try:
        pieces = decode_header(text)
    except Exception:
        return text
    out: list[str] = []
    for chunk, charset in pieces:
        if isinstance(chunk, str):
            out.append(chunk)
        elif charset is None:  # the unencoded text between words, as decode_header hands it back
            out.append(chunk.decode("raw-unicode-escape", errors="replace"))
        else:
            out.append(decode_bytes(chunk, charset))
    return "".join(out)


def one_line(text: str) -> str:
    """Unfold: CR/LF (and the folding whitespace after them) become one space; other spacing is kept."""
    return re.sub(r"[\r\n]+[ \t]?", " ", text).replace("\x00", "").strip()
