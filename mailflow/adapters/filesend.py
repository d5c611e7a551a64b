"""The embedded transport: each outgoing mail becomes one readable ``.eml`` file in a folder.

Names read well in a file manager: ``20260302-100000-0001-ecole@ac-strasbourg.fr-APP-2026-0042-Proposition.eml``.
Idempotent per Message-ID: a marker in ``.mailflow-ids/`` (written before the file, naming it) means a
second send of the same mail writes nothing new, and a send interrupted by a crash is completed.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC
from pathlib import Path

from mailflow.adapters.mime_out import serialize
from mailflow.domain.errors import PermanentError, TransientError
from mailflow.domain.message import OutboundEmail

MARKERS = ".mailflow-ids"


def _ascii_words(text: str, limit: int) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*", folded)
    out = ""
    for word in words:
        candidate = f"{out}-{word}" if out else word
        if len(candidate) > limit:
            break
        out = candidate
    return out


def _safe_address(addr: str) -> str:
    return re.sub(r"[^a-z0-9@._+-]+", "_", addr.lower()).strip("._")[:60] or "sans-destinataire"


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class FileTransport:
    """Implements the Transport port by writing files; never talks to a server."""

    def __init__(self, directory: Path, serializer: Callable[[OutboundEmail], bytes] = serialize) -> None:
        self.directory = Path(directory)
        self.serializer = serializer
        (self.directory / MARKERS).mkdir(parents=True, exist_ok=True)
        self._written: int | None = None  # .eml files in the folder, counted once then kept up to date

    def send(
        self, emails: list[OutboundEmail], on_result: Callable[[int, Exception | None], None] | None = None
    ) -> list[Exception | None]:
        results: list[Exception | None] = []
        for index, email in enumerate(emails):
            try:
                self._send_one(email)
                results.append(None)
                if on_result is not None:
                    on_result(index, None)
            except OSError as exc:
                results.append(TransientError(f"could not write the mail {email.message_id}: {exc}"))
            except Exception as exc:  # a mail that cannot be serialised will never be sendable
                results.append(PermanentError(f"could not serialise the mail {email.message_id}: {exc}"))
        return results

    def path_for(self, message_id: str) -> Path | None:
        """Where the mail with this Message-ID was written, if it was."""
        marker = self._marker(message_id)
        try:
            name = marker.read_text("utf-8").strip()
        except FileNotFoundError:
            return None
        path = self.directory / name
        return path if path.exists() else None

    def _marker(self, message_id: str) -> Path:
        digest = hashlib.sha256(message_id.strip().encode("utf-8", "replace")).hexdigest()
        return self.directory / MARKERS / digest

    def _send_one(self, email: OutboundEmail) -> None:
        raw = self.serializer(email)  # first: a mail that cannot be serialised leaves no trace
        marker = self._marker(email.message_id)
        try:
            name = marker.read_text("utf-8").strip()
        except FileNotFoundError:
            name = self._new_name(email)
            _write_atomic(marker, name.encode("utf-8"))
        path = self.directory / name
        if not path.exists():
            _write_atomic(path, raw)

    def _new_name(self, email: OutboundEmail) -> str:
        date = email.date if email.date.tzinfo else email.date.replace(tzinfo=UTC)
        stamp = date.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
        recipient = _safe_address(email.to_addrs[0] if email.to_addrs else "")
        subject = _ascii_words(email.subject, 60) or "sans-objet"
        if self._written is None:  # listed once: a glob per mail made a long drain quadratic
            self._written = sum(1 for _ in self.directory.glob("*.eml"))
        for seq in range(self._written + 1, self._written + 10_000):
            name = f"{stamp}-{seq:04d}-{recipient}-{subject}.eml"
            if not (self.directory / name).exists():
                self._written = seq
                return name
        raise OSError("no free file name")  # pragma: no cover - ten thousand collisions
