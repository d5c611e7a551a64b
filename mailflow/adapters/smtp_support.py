"""Support for the SMTP transport: the connection and its loss, address checks, running asyncio from sync code."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import aiosmtplib
import structlog
from aiosmtplib.email import parse_address

log = structlog.get_logger("mailflow.smtp")

_FORBIDDEN_IN_ADDRESS = frozenset('<>()",;\\')
T = TypeVar("T")


class _ConnectionLost(Exception):
    """The connection is gone (or unusable): this mail and every remaining one are transient."""

    def __init__(self, reason: str, maybe_delivered: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.maybe_delivered = maybe_delivered


class _Link:
    """A client and its socket, so that closing can wait until the socket is really closed."""

    def __init__(self, client: aiosmtplib.SMTP) -> None:
        self.client = client
        self.sock: Any = None

    async def close(self, timeout: float) -> None:
        """QUIT when still possible, then close, and wait (bounded) for the socket to be released.

        Waiting matters: ``asyncio.run`` closes its loop right after, and a TLS transport still shutting
        down would leak its socket.
        """
        client = self.client
        if client.is_connected:
            with contextlib.suppress(Exception):
                await client.quit(timeout=min(timeout, 5.0))
        transport = client.transport
        client.close()
        if isinstance(transport, asyncio.Transport):
            transport.abort()  # the session is over: no need for a TLS close_notify exchange
        if self.sock is not None:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 1.0
            while self.sock.fileno() != -1 and loop.time() < deadline:
                await asyncio.sleep(0.001)


@dataclass(frozen=True, slots=True)
class _Prepared:
    message_id: str
    sender: str
    recipients: tuple[str, ...]
    raw: bytes
    utf8: bool


def address_problem(addr: str) -> str | None:
    """Why ``addr`` cannot be put on an SMTP command line, or None when it can."""
    if not addr:
        return "empty address"
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in addr):
        return f"address {addr!r} contains a line break, a space or a control character"
    if any(ch in _FORBIDDEN_IN_ADDRESS for ch in addr):
        return f"address {addr!r} contains a character not allowed in an SMTP envelope"
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain:
        return f"address {addr!r} is not of the form name@domain"
    return None


def _envelope_problem(addr: str) -> str | None:
    problem = address_problem(addr)
    if problem is None:
        try:
            same = parse_address(addr) == addr  # what aiosmtplib would put on the command line
        except ValueError:
            same = False
        if not same:
            problem = f"address {addr!r} would not be sent as written"
    return problem


def is_loopback(host: str) -> bool:
    if host.lower().rstrip(".") in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@functools.cache
def _default_local_hostname() -> str:
    """The name given in EHLO, looked up once per process (getfqdn can be slow)."""
    name = socket.getfqdn()
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        return "localhost"
    return name if name and not any(c.isspace() for c in name) else "localhost"


def _run(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from synchronous code, even when this thread already runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(factory())
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=target, name="mailflow-smtp", daemon=True)
    worker.start()
    worker.join()
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


def _ssl_cause(exc: BaseException) -> ssl.SSLError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _reply(code: int, text: str) -> str:
    return f"{code} {' '.join(text.split())}".strip()
