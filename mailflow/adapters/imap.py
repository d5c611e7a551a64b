"""The Dareic's mailbox over IMAP (imapclient): the same semantics as the embedded MaildirMailbox.

- Reading never changes a message: ``UID FETCH BODY.PEEK[]`` (never RFC822/BODY[], which set \\Seen),
  never a search on UNSEEN. The inbox is selected read-write (MOVE needs it) but no flag is ever set
  on a message that stays there.
- Moves: ``UID MOVE`` when the server has MOVE, else ``UID COPY`` + ``\\Deleted`` + ``UID EXPUNGE``
  (plain EXPUNGE without UIDPLUS). Moving a UID that is gone, or a key from an older UIDVALIDITY, is
  a no-op: repeating a move after a crash is safe.
- Folders are named with "/" in the configuration and translated to the server's hierarchy delimiter
  and personal namespace prefix; processed/quarantine/Sent are created (and subscribed) at first use.
- One connection, opened lazily, re-opened with exponential backoff; every public method retries once
  after the connection dropped. Public methods are serialized by a lock (the daemon's scheduler thread
  may append to Sent while the main thread idles): a call waits for a running wait_for_change().
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Concatenate, ParamSpec, TypeVar

import structlog
from imapclient import DELETED, SEEN, IMAPClient
from imapclient.exceptions import IllegalStateError, IMAPClientError, ProtocolError

from mailflow.adapters.imap_connect import (
    CONNECTION_ERRORS,
    SECURITY_MODES,
    Endpoint,
    Retryable,
    capability_notes,
    connect_with_backoff,
    describe,
    logout_quietly,
    open_session,
    server_text,
)
from mailflow.adapters.imap_folders import Naming, create_folder, folder_exists, special_folder
from mailflow.adapters.imap_wait import ConnectionLost, idle_until, new_mail
from mailflow.domain.errors import ConfigError, TransientError
from mailflow.domain.ids import MailboxKey
from mailflow.ports import FetchedMessage

log = structlog.get_logger("mailflow.imap")
T = TypeVar("T")
P = ParamSpec("P")

NOOP_INTERVAL = 5.0  # seconds between NOOPs when the server has no IDLE (or idle=False)
_MISSING_FOLDER = re.compile(r"NONEXISTENT|doesn't exist|does not exist|not found|unknown mailbox", re.I)


def _serialized(method: Callable[Concatenate[ImapMailbox, P], T]) -> Callable[Concatenate[ImapMailbox, P], T]:
    """One connection, one conversation at a time."""

    def locked(self: ImapMailbox, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with self._lock:
            return method(self, *args, **kwargs)

    functools.update_wrapper(locked, method)
    return locked


def _crlf(raw: bytes) -> bytes:
    """APPEND wants CRLF line ends; some servers (Exchange, Gmail) mangle bare LFs."""
    return re.sub(rb"\r?\n", b"\r\n", raw)


def _within(uids: list[int], sizes: dict[int, dict[bytes, Any]], max_bytes: int) -> list[int]:
    """The first UIDs whose sizes add up to at most ``max_bytes`` (always at least one)."""
    kept: list[int] = []
    total = 0
    for uid in uids:
        if uid not in sizes:
            continue  # expunged meanwhile
        total += int(sizes[uid].get(b"RFC822.SIZE", 0))
        if kept and total > max_bytes:
            break
        kept.append(uid)
    return kept


def _uid_set(uids: list[int]) -> str:
    """A compact IMAP sequence set ("3:7,9"): a long backlog's SEARCH stays one short line."""
    ranges: list[str] = []
    ordered = sorted(set(uids))
    start = prev = ordered[0]
    for uid in ordered[1:]:
        if uid != prev + 1:
            ranges.append(f"{start}:{prev}" if prev != start else str(start))
            start = uid
        prev = uid
    ranges.append(f"{start}:{prev}" if prev != start else str(start))
    return ",".join(ranges)


class ImapMailbox:
    """Implements mailflow.ports.Mailbox on an IMAP server."""

    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        password: str,
        *,
        security: str = "ssl",
        ca_file: str | None = None,
        inbox: str = "INBOX",
        processed: str = "mailflow/traites",
        quarantine: str = "mailflow/erreurs",
        sent: str = "Sent",
        timeout: float = 30.0,
        idle: bool = True,
        connect_retries: int = 5,
        backoff_base: float = 0.5,
        ignore_capabilities: Iterable[str] = (),
    ) -> None:
        if security not in SECURITY_MODES:
            raise ConfigError(
                f"mailbox.security must be one of {', '.join(SECURITY_MODES)}, not {security!r}"
            )
        self._ep = Endpoint(host, port, username, password, security, ca_file, timeout)
        self.name = inbox
        self.username = username
        self._processed = processed
        self._quarantine = quarantine
        self._sent = sent
        self._idle = idle
        self._retries = connect_retries
        self._backoff_base = backoff_base
        # Capabilities to pretend the server lacks (a server with a broken MOVE; tests of the fallback).
        self._ignored = frozenset(c.upper() for c in ignore_capabilities)
        self._client: IMAPClient | None = None
        self._caps: frozenset[str] = frozenset()
        self._naming = Naming()
        self._folders: dict[str, str] = {}  # configured name -> server name, known to exist
        self._generation = 0  # bumped at every (re)connection
        self._reported_uidvalidity: int | None = None  # last value uidvalidity() returned
        self._last_uidnext: int | None = None  # UIDNEXT seen by the last fetch_after
        self._lock = threading.RLock()

    # --- connection --------------------------------------------------------------------------------

    def _connected(self, retries: int | None = None) -> IMAPClient:
        """The open connection, else a new one (``retries`` attempts with backoff, default connect_retries)."""
        if self._client is None:
            client = connect_with_backoff(self._ep, retries or self._retries, self._backoff_base)
            try:
                self._learn_server(client)
            except (*CONNECTION_ERRORS, IMAPClientError) as exc:
                logout_quietly(client)
                raise TransientError(f"IMAP server {self._ep.where}: {describe(exc)}") from exc
            self._client = client
            self._generation += 1
        return self._client

    def _learn_server(self, client: IMAPClient) -> None:
        """Capabilities (minus the ignored ones), hierarchy delimiter and personal namespace prefix."""
        self._caps = frozenset(c.decode().upper() for c in client.capabilities()) - self._ignored
        self._naming = Naming.learn(client, self._caps)

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.shutdown()
            except Exception:  # already dead
                log.debug("shutdown_failed")

    def _call(self, what: str, op: Callable[[IMAPClient], T], retries: int | None = None) -> T:
        """Run ``op`` on the connection; reconnect and retry once if the connection dropped."""
        for attempt in (1, 2):
            client = self._connected(retries)
            try:
                return op(client)
            except (*CONNECTION_ERRORS, ConnectionLost, ProtocolError, IllegalStateError) as exc:
                self._drop()
                if attempt == 2:
                    raise TransientError(
                        f"IMAP connection to {self._ep.where} lost during {what}: {describe(exc)}"
                    ) from exc
                log.warning("connection_lost", during=what, error=describe(exc, self._ep.timeout))
            except IMAPClientError as exc:  # a NO/BAD answer: the session itself is fine
                raise TransientError(f"IMAP {what} failed on {self._ep.where}: {server_text(exc)}") from exc
        raise AssertionError("unreachable")

    @_serialized
    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            logout_quietly(client)

    # --- folders -------------------------------------------------------------------------------------

    def _folder(self, client: IMAPClient, folder: str, special_use: bytes | None = None) -> str:
        """The server name of a configured folder, created (and subscribed) when absent; for Sent, an
        existing folder marked \\Sent (special-use) is preferred to creating a new one."""
        known = self._folders.get(folder)
        if known is not None:
            return known
        name = self._naming.server_name(folder)
        if not folder_exists(client, name):
            special = special_folder(client, special_use, self._caps) if special_use else None
            if special is not None:
                log.info("folder_special_use", configured=folder, using=special)
                name = special
            else:
                create_folder(client, name)
        self._folders[folder] = name
        return name

    def _select_inbox(self, client: IMAPClient) -> dict[bytes, Any]:
        """SELECT the inbox read-write (EXAMINE would forbid MOVE); returns the SELECT data."""
        name = self._naming.server_name(self.name)
        try:
            info: dict[bytes, Any] = client.select_folder(name, readonly=False)
        except IMAPClientError as exc:
            if _MISSING_FOLDER.search(str(exc)) and not isinstance(exc, CONNECTION_ERRORS):
                raise ConfigError(
                    f"the IMAP folder {self.name!r} does not exist for user {self._ep.username} "
                    f"(mailbox.inbox)"
                ) from exc
            raise
        return info

    # --- the Mailbox port ----------------------------------------------------------------------------

    @_serialized
    def uidvalidity(self) -> int:
        value = self._call("uidvalidity", lambda c: int(self._select_inbox(c)[b"UIDVALIDITY"]))
        if self._reported_uidvalidity not in (None, value):
            log.warning("uidvalidity_changed", mailbox=self.name, old=self._reported_uidvalidity, new=value)
        self._reported_uidvalidity = value
        return value

    @_serialized
    def fetch_after(self, uid: int, limit: int = 100, max_bytes: int | None = None) -> list[FetchedMessage]:
        """Inbox messages with a UID > ``uid``, oldest first, at most ``limit`` (and, past the first,
        at most ``max_bytes`` in all, by RFC822.SIZE); nothing is flagged.

        If the inbox's UIDVALIDITY is not the one uidvalidity() last reported, ``uid`` belongs to the
        old numbering: nothing is returned, and the next uidvalidity() call reports the new value.
        """

        def op(client: IMAPClient) -> list[FetchedMessage]:
            info = self._select_inbox(client)
            validity = int(info[b"UIDVALIDITY"])
            self._last_uidnext = info.get(b"UIDNEXT")
            if self._reported_uidvalidity is not None and validity != self._reported_uidvalidity:
                log.warning("uidvalidity_changed_during_fetch", mailbox=self.name, new=validity)
                return []
            # "UID n:*" always includes the highest UID, even when it is below n: filter.
            found = sorted(u for u in client.search(["UID", f"{uid + 1}:*"]) if u > uid)[: max(0, limit)]
            if found and max_bytes is not None:
                found = _within(found, client.fetch(found, ["RFC822.SIZE"]), max_bytes)
            if not found:
                return []
            data = client.fetch(found, ["BODY.PEEK[]"])
            out = []
            for u in found:
                body = data.pop(u, {}).get(b"BODY[]")
                if body is not None:  # else expunged by someone else between SEARCH and FETCH
                    out.append(FetchedMessage(MailboxKey(self.name, validity, u), bytes(body)))
            return out

        fetched = self._call("fetch", op)
        if fetched:
            log.debug("fetched", mailbox=self.name, count=len(fetched), last_uid=fetched[-1].key.uid)
        return fetched

    @_serialized
    def move_to_processed(self, keys: Sequence[MailboxKey]) -> None:
        self._move(keys, self._processed)

    @_serialized
    def move_to_quarantine(self, keys: Sequence[MailboxKey]) -> None:
        self._move(keys, self._quarantine)

    def _move(self, keys: Sequence[MailboxKey], folder: str) -> None:
        """One UID MOVE for all the keys still in the inbox under the current UIDVALIDITY."""
        if not keys:
            return

        def op(client: IMAPClient) -> None:
            target = self._folder(client, folder)
            validity = int(self._select_inbox(client)[b"UIDVALIDITY"])
            current = [k.uid for k in keys if k.mailbox == self.name and k.uidvalidity == validity]
            if len(current) < len(keys):
                log.warning("move_skipped_renumbered", count=len(keys) - len(current), uidvalidity=validity)
            present = sorted(set(client.search(["UID", _uid_set(current)]))) if current else []
            if len(present) < len(current):  # moved before a crash
                log.info("move_skipped_gone", uids=sorted(set(current) - set(present)), folder=target)
            if not present:
                return
            try:
                self._move_uids(client, present, target)
            except IMAPClientError as exc:
                if "TRYCREATE" not in str(exc).upper() or isinstance(exc, CONNECTION_ERRORS):
                    raise
                self._folders.pop(folder, None)  # deleted by someone since we created it
                self._move_uids(client, present, self._folder(client, folder))
            log.info("moved", count=len(present), first_uid=present[0], folder=target)

        self._call(f"move to {folder}", op)

    def _move_uids(self, client: IMAPClient, uids: list[int], target: str) -> None:
        if "MOVE" in self._caps:
            client.move(uids, target)
            return
        client.copy(uids, target)
        client.add_flags(uids, [DELETED], silent=True)
        if "UIDPLUS" in self._caps:
            client.uid_expunge(uids)
        else:  # also expunges what someone else marked \Deleted: the RFC 3501 meaning of the flag
            client.expunge()

    @_serialized
    def append_sent(self, raw: bytes) -> None:
        def op(client: IMAPClient) -> None:
            client.append(self._folder(client, self._sent, b"\\Sent"), _crlf(raw), flags=[SEEN])

        self._call("append to Sent", op)

    @_serialized
    def sent_contains(self, message_id: str) -> bool:
        def op(client: IMAPClient) -> bool:
            client.select_folder(self._folder(client, self._sent, b"\\Sent"), readonly=True)
            return bool(client.search(["HEADER", "Message-ID", message_id.strip()]))

        return self._call("search in Sent", op)  # every other call selects the inbox again first

    @_serialized
    def wait_for_change(self, timeout: float) -> bool:
        """True when new mail may have arrived, False after ``timeout`` seconds with nothing new.

        IDLE when allowed and offered (Dovecot reports a delivery about 0.5 s later), else NOOP every
        NOOP_INTERVAL seconds. A dropped connection returns True, so the caller fetches again.
        The inbox is re-selected at each call and its UIDNEXT compared with the last fetch's, so mail
        that arrived between two calls (the daemon waits in 1 s slices) is never missed.
        """
        deadline = time.monotonic() + max(0.0, timeout)
        generation = self._generation
        # One connection attempt, no backoff: the daemon calls this in short slices and must stay
        # responsive; a server that is down surfaces as TransientError (the daemon backs off).
        uidnext = self._call("wait", lambda c: self._select_inbox(c).get(b"UIDNEXT"), retries=1)
        if self._generation != generation and generation != 0:
            return True  # reconnected: something may have arrived while we were away
        if uidnext is not None and self._last_uidnext is not None and uidnext > self._last_uidnext:
            self._last_uidnext = uidnext
            return True  # arrived since the last fetch
        if self._idle and "IDLE" in self._caps:
            return self._idle_until(deadline)
        return self._noop_until(deadline)

    def _idle_until(self, deadline: float) -> bool:
        try:
            return idle_until(self._connected(), deadline)
        except (*CONNECTION_ERRORS, ConnectionLost, ProtocolError) as exc:
            log.warning("idle_interrupted", error=describe(exc))
            self._drop()
            self._reconnect_once()
            return True
        except IMAPClientError as exc:  # IDLE refused or garbled: poll with NOOP from now on
            log.warning("idle_refused", error=server_text(exc))
            self._idle = False
            self._drop()
            return True

    def _reconnect_once(self) -> None:
        """One quick attempt (no backoff: wait_for_change must return in time); else the next call
        reconnects with backoff."""
        try:
            client = open_session(self._ep)
            self._learn_server(client)
        except (Retryable, *CONNECTION_ERRORS, IMAPClientError) as exc:
            log.info("reconnect_deferred", error=str(exc))
            return
        self._client = client
        self._generation += 1
        log.info("reconnected", server=self._ep.where)

    def _noop_until(self, deadline: float) -> bool:
        generation = self._generation
        while True:
            _, responses = self._call("noop", lambda c: c.noop(), retries=1)
            if self._generation != generation or new_mail(responses):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(NOOP_INTERVAL, remaining))

    # --- mailflow check-config -----------------------------------------------------------------------

    @_serialized
    def check(self, *, warnings: list[str] | None = None) -> list[str]:
        """Connect, log in, look at the folders and capabilities; problems in plain words ([] = fine).

        Capability notes (no IDLE, no MOVE) are not problems: they go to ``warnings`` when given.
        Missing processed/quarantine/Sent folders are created, as the first poll would. One connection
        attempt, closed at the end.
        """
        self.close()
        try:
            client = self._connected(retries=1)
        except ConfigError as exc:
            return [str(exc)]
        except TransientError as exc:
            return [f"{exc}: check mailbox.host and mailbox.port, and that the server is reachable"]
        problems: list[str] = []
        try:
            try:
                if not self._select_inbox(client).get(b"READ-WRITE", False):
                    problems.append(f"the IMAP folder {self.name!r} is read-only: mailflow cannot move mail")
            except ConfigError as exc:
                problems.append(str(exc))
            for folder, special in (
                (self._processed, None),
                (self._quarantine, None),
                (self._sent, b"\\Sent"),
            ):
                try:
                    self._folder(client, folder, special)
                except IMAPClientError as exc:
                    if isinstance(exc, CONNECTION_ERRORS):
                        raise
                    problems.append(
                        f"the IMAP folder {folder!r} is missing and cannot be created: {server_text(exc)}"
                    )
        except (*CONNECTION_ERRORS, IMAPClientError) as exc:
            problems.append(f"the IMAP server {self._ep.where} failed during the check: {describe(exc)}")
        finally:
            self.close()
        notes = capability_notes(self._ep, self._caps)
        for note in notes:
            log.warning("check_note", note=note)
        if warnings is not None:
            warnings.extend(notes)
        return problems
