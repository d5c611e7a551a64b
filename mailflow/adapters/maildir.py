"""The embedded mailbox: a Maildir++ tree (Dovecot layout) with IMAP-like UIDs kept in a uid list file.

``root/{cur,new,tmp}`` is INBOX; folder ``a/b`` is ``root/.a.b/``. UIDs are assigned in order of
delivery/discovery, never reused, and persisted atomically in ``root/mailflow-uidlist`` (JSON:
uidvalidity, next uid, Maildir key -> uid), under an flock so that two processes agree.
Reading never changes a message: it stays in new/ with its flags.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import json
import os
import re
import socket
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from mailflow.adapters.clock import SystemClock
from mailflow.domain.ids import MailboxKey
from mailflow.ports import Clock, FetchedMessage

UIDLIST = "mailflow-uidlist"
_POLL_SECONDS = 0.1
HEAD_BYTES = 64 * 1024  # enough for any header block mailflow writes
_counter = itertools.count(1)


@dataclass
class _UidList:
    uidvalidity: int
    next_uid: int
    uids: dict[str, int]  # Maildir key -> UID


def _unique_name() -> str:
    """A Maildir unique name: time.MusecPpidQn.host (host with '/' and ':' escaped)."""
    now = time.time_ns()
    host = socket.gethostname().replace("/", r"\057").replace(":", r"\072") or "localhost"
    return f"{now // 1_000_000_000}.M{(now // 1000) % 1_000_000}P{os.getpid()}Q{next(_counter)}.{host}"


def _key_of(filename: str) -> str:
    """The Maildir key of a file name: its unique part, without the ``:2,FLAGS`` info."""
    return filename.split(":", 1)[0]


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class MaildirMailbox:
    """Implements the Mailbox port on a local Maildir (the default when no IMAP server is configured)."""

    def __init__(
        self,
        root: Path,
        inbox: str = "INBOX",
        processed: str = "mailflow/traites",
        quarantine: str = "mailflow/erreurs",
        sent: str = "Sent",
        clock: Clock | None = None,
    ) -> None:
        self.root = Path(root)
        # The UIDVALIDITY comes from the time (as Dovecot does) so that a re-created list is always newer.
        self._clock = clock or SystemClock()
        self.name = inbox
        self._processed = processed
        self._quarantine = quarantine
        self._sent = sent
        for folder in (inbox, processed, quarantine, sent):
            self._ensure(folder)
        self._seen: frozenset[str] | None = None
        with self._locked():
            self._load()  # creates the uid list (and so the UIDVALIDITY) on first use

    # --- folders ---------------------------------------------------------------------------------

    def _folder_path(self, folder: str) -> Path:
        if folder.upper() == "INBOX":
            return self.root
        parts = [p for p in folder.replace(".", "_").split("/") if p and p not in {".", ".."}]
        if not parts:
            raise ValueError(f"invalid folder name: {folder!r}")
        return self.root / ("." + ".".join(parts))

    def _ensure(self, folder: str) -> Path:
        path = self._folder_path(folder)
        for sub in ("cur", "new", "tmp"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        if path != self.root:
            (path / "maildirfolder").touch(exist_ok=True)
        return path

    def _files(self, folder: str) -> dict[str, Path]:
        """Maildir key -> current file of every message in a folder (new/ and cur/)."""
        path = self._folder_path(folder)
        found: dict[str, Path] = {}
        for sub in ("new", "cur"):
            with contextlib.suppress(FileNotFoundError), os.scandir(path / sub) as entries:
                for entry in entries:
                    if not entry.name.startswith(".") and entry.is_file():
                        found[_key_of(entry.name)] = Path(entry.path)
        return found

    def folder_keys(self, folder: str) -> list[str]:
        return sorted(self._files(folder))

    def read(self, folder: str, key: str) -> bytes:
        path = self._files(folder).get(key)
        if path is None:
            raise KeyError(f"no message {key!r} in {folder!r}")
        return path.read_bytes()

    # --- uid list ------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.root / f"{UIDLIST}.lock", "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def _epoch(self) -> int:
        return int(self._clock.now().timestamp())

    def _load(self) -> _UidList:
        path = self.root / UIDLIST
        try:
            text = path.read_text("utf-8")
        except FileNotFoundError:
            state = _UidList(self._epoch(), 1, {})
            self._save(state)
            return state
        try:
            data = json.loads(text)
            return _UidList(
                int(data["uidvalidity"]),
                int(data["next_uid"]),
                {str(k): int(v) for k, v in data["uids"].items()},
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            # A damaged list: keep it aside and start a *different* UIDVALIDITY, so that readers
            # re-examine the folder (Message-ID deduplication absorbs what was already done).
            old = re.search(r'"uidvalidity"\s*:\s*(\d+)', text)
            os.replace(path, path.with_name(f"{UIDLIST}.damaged"))
            state = _UidList(max(self._epoch(), int(old.group(1)) + 1 if old else 0), 1, {})
            self._save(state)
            return state

    def _save(self, state: _UidList) -> None:
        data = {"uidvalidity": state.uidvalidity, "next_uid": state.next_uid, "uids": state.uids}
        _write_atomic(self.root / UIDLIST, json.dumps(data, indent=0, sort_keys=True).encode())

    def _sync(self) -> tuple[_UidList, dict[str, Path]]:
        """Give a UID to every inbox message that has none (oldest file first); forget vanished ones."""
        state = self._load()
        files = self._files(self.name)
        vanished = [k for k in state.uids if k not in files]
        for key in vanished:
            del state.uids[key]
        newcomers = sorted((k for k in files if k not in state.uids), key=lambda k: (_mtime(files[k]), k))
        for key in newcomers:
            state.uids[key] = state.next_uid
            state.next_uid += 1
        if vanished or newcomers:
            self._save(state)
        return state, files

    # --- the Mailbox port --------------------------------------------------------------------------

    def uidvalidity(self) -> int:
        with self._locked():
            return self._load().uidvalidity

    def fetch_after(self, uid: int, limit: int = 100, max_bytes: int | None = None) -> list[FetchedMessage]:
        with self._locked():
            state, files = self._sync()
        self._seen = frozenset(p.name for p in files.values())
        out: list[FetchedMessage] = []
        total = 0
        for key, message_uid in sorted(state.uids.items(), key=lambda kv: kv[1]):
            if message_uid <= uid:
                continue
            try:
                size = files[key].stat().st_size
                if out and max_bytes is not None and total + size > max_bytes:
                    break
                raw = files[key].read_bytes()
            except (KeyError, FileNotFoundError):
                continue  # moved away by someone else meanwhile
            total += len(raw)
            out.append(FetchedMessage(MailboxKey(self.name, state.uidvalidity, message_uid), raw))
            if len(out) >= limit:
                break
        return out

    def move_to_processed(self, keys: Sequence[MailboxKey]) -> None:
        self._move(keys, self._processed)

    def move_to_quarantine(self, keys: Sequence[MailboxKey]) -> None:
        self._move(keys, self._quarantine)

    def _move(self, keys: Sequence[MailboxKey], folder: str) -> None:
        """Move the messages (flags kept) and forget their UIDs; a message already gone is a no-op."""
        if not keys:
            return
        destination = self._ensure(folder)
        with self._locked():
            state = self._load()
            names = {u: k for k, u in state.uids.items()}
            files = self._files(self.name)
            gone: set[str] = set()
            for key in keys:
                if key.mailbox != self.name or state.uidvalidity != key.uidvalidity:
                    continue  # a key from another folder or an older UIDVALIDITY names nothing here
                name = names.get(key.uid)
                if name is None:
                    continue
                source = files.get(name)
                if source is not None:
                    with contextlib.suppress(FileNotFoundError):
                        os.rename(source, destination / source.parent.name / source.name)
                    gone.add(source.name)
                del state.uids[name]
            if self._seen is not None:
                self._seen = self._seen - gone
            self._save(state)

    def append_sent(self, raw: bytes) -> None:
        self._drop(self._sent, raw, seen=True)

    def sent_contains(self, message_id: str) -> bool:
        wanted = re.compile(rb"(?im)^message-id:[ \t]*" + re.escape(message_id.strip().encode()))
        for path in self._files(self._sent).values():
            with open(path, "rb") as fh:
                head = fh.read(HEAD_BYTES)
            if wanted.search(head.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]):
                return True
        return False

    def wait_for_change(self, timeout: float) -> bool:
        """True as soon as the inbox listing differs from the last fetch (or from the call), else
        False once ``timeout`` seconds have passed; polls every 100 ms."""
        deadline = time.monotonic() + max(0.0, timeout)
        baseline = self._seen if self._seen is not None else self._listing()
        while True:
            if self._listing() != baseline:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(_POLL_SECONDS, remaining))

    def close(self) -> None:
        return None

    # --- writing -----------------------------------------------------------------------------------

    def _listing(self) -> frozenset[str]:
        return frozenset(p.name for p in self._files(self.name).values())

    def _drop(self, folder: str, raw: bytes, *, seen: bool) -> str:
        """Maildir delivery: write into tmp/, fsync, then rename into new/ (or cur/ with flags)."""
        path = self._ensure(folder)
        unique = _unique_name()
        tmp = path / "tmp" / unique
        with open(tmp, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        target = path / "cur" / f"{unique}:2,S" if seen else path / "new" / unique
        os.rename(tmp, target)
        return unique

    def deliver(self, raw: bytes) -> str:
        """Drop a message into the inbox as an MTA would (tests, demo); returns its Maildir key."""
        key = self._drop(self.name, raw, seen=False)
        with self._locked():
            self._sync()
        return key


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0
