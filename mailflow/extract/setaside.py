"""Very large base64 bodies are set aside before parsing and decoded straight from the raw bytes.

The standard parser keeps a part's body as one ``str`` per line (~125 bytes of objects for a 76-char
line), then joins them: a 20 MB attachment costs ~70 MB of short-lived memory before it is decoded.
In a large message, every run of base64 lines longer than SET_ASIDE bytes is handed to the parser as a
single token line instead. After parsing, a part whose whole body is one token, and which says it is
base64, is decoded from the raw bytes with binascii (memory: the decoded file only). A token anywhere
else (a base64 block pasted in a text part, a part inside a forwarded message, a run with a defect)
is put back as it was, so the parse is exactly the one the standard parser would have given.
"""

from __future__ import annotations

import binascii
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message

SET_ASIDE = 1 << 20  # bytes: smaller runs are parsed the usual way
_BASE64_LINES = re.compile(rb"(?:[A-Za-z0-9+/]{4,998}={0,2}\r?\n)++")  # possessive: no backtracking stack
_ATTRIBUTE = "_mailflow_set_aside"


@dataclass(frozen=True, slots=True)
class Run:
    """A run of base64 lines in the raw message, replaced by ``token`` for the parser."""

    raw: bytes
    start: int
    end: int
    token: str

    def decode(self) -> bytes:
        return binascii.a2b_base64(memoryview(self.raw)[self.start : self.end])

    def text(self) -> str:
        return self.raw[self.start : self.end].decode("ascii")


def find_runs(raw: bytes, minimum: int | None = None) -> list[Run]:
    """The base64 runs of at least ``minimum`` bytes (default SET_ASIDE), each made of whole lines."""
    minimum = SET_ASIDE if minimum is None else minimum
    if len(raw) < minimum:
        return []
    nonce = secrets.token_hex(8)  # a token no mail can contain by chance
    runs: list[Run] = []
    pos, size = 0, len(raw)
    while pos < size:
        found = _BASE64_LINES.match(raw, pos)  # anchored at a line start: consumes a whole run at once
        if found is not None and found.end() - pos >= minimum:
            token = f"mailflow-set-aside-{nonce}-{len(runs)}-"  # ends with "-": "-1-" is no part of "-11-"
            runs.append(Run(raw, pos, found.end(), token))
            pos = found.end()
            continue
        if found is not None:
            pos = found.end()
            continue
        newline = raw.find(b"\n", pos)
        pos = size if newline < 0 else newline + 1
    return runs


def pieces(raw: bytes, runs: list[Run]) -> Iterator[memoryview | bytes]:
    """The raw message with each run replaced by its token line, as views (nothing copied)."""
    view = memoryview(raw)
    pos = 0
    for run in runs:
        yield view[pos : run.start]
        newline = b"\r\n" if raw[run.end - 2 : run.end] == b"\r\n" else b"\n"
        yield run.token.encode("ascii") + newline
        pos = run.end
    yield view[pos:]


def settle(msg: Message, runs: list[Run]) -> None:
    """After parsing: mark the parts that are exactly one set-aside run; put every other token back."""
    if runs:
        _settle(msg, {run.token: run for run in runs}, inside_message=False)


def set_aside_bytes(part: Message) -> bytes | None:
    """The decoded body of a part marked by settle(), else None (read the part the usual way)."""
    run: Run | None = getattr(part, _ATTRIBUTE, None)
    if run is None:
        return None
    try:
        return run.decode()
    except (binascii.Error, ValueError):  # the usual, lenient path decides what a bad run gives
        part.set_payload(run.text())
        setattr(part, _ATTRIBUTE, None)
        return None


def _settle(part: Message, runs: dict[str, Run], inside_message: bool) -> None:
    # The stored payload itself: get_payload() would decode undecodable bytes (kept by the parser as
    # surrogates) with the part's charset, and storing that back would change the part.
    payload = getattr(part, "_payload", None)
    if isinstance(payload, list):
        nested = inside_message or part.get_content_maintype() == "message"
        for sub in payload:
            if isinstance(sub, Message):
                _settle(sub, runs, nested)
        return
    if not isinstance(payload, str) or "mailflow-set-aside-" not in payload:
        return
    alone = runs.get(payload.strip())
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if alone is not None and encoding == "base64" and not inside_message:
        setattr(part, _ATTRIBUTE, alone)
        return
    for token, run in runs.items():
        if token in payload:
            text = run.text()
            # A token right before a boundary lost its line end to the boundary, as the run's last line would.
            payload = payload.replace(token + _line_end(run), text).replace(token, text.rstrip("\r\n"))
    part.set_payload(payload)


def _line_end(run: Run) -> str:
    return "\r\n" if run.raw[run.end - 2 : run.end] == b"\r\n" else "\n"
