"""Opening an IMAP session (TLS, login) and sorting what can go wrong into ConfigError / retryable.

Used by mailflow.adapters.imap. Certificate verification is always on: the system store, or
``ca_file`` when given. Nothing here retries except :func:`connect_with_backoff`.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
from imapclient import IMAPClient
from imapclient.exceptions import CapabilityError, IMAPClientAbortError, IMAPClientError, LoginError

from mailflow.domain.errors import ConfigError, TransientError

log = structlog.get_logger("mailflow.imap")

SECURITY_MODES = ("ssl", "starttls", "none")

# Errors after which the connection is unusable: reconnect (and retry the operation once).
# ssl.SSLError and socket.timeout are OSErrors; imaplib raises "abort" on EOF and on a server BYE.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (OSError, IMAPClientAbortError, EOFError)

# Login answers that mean "try again later", not "wrong password" (RFC 5530 response codes).
_TRANSIENT_LOGIN_CODES = ("[UNAVAILABLE]", "[SERVERBUG]", "[INUSE]", "[LIMIT]")


class Retryable(Exception):
    """Connecting failed for a reason that may go away (network, server restarting, busy)."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str
    port: int
    username: str
    password: str = field(repr=False)
    security: str
    ca_file: str | None
    timeout: float

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def ssl_context(ca_file: str | None) -> ssl.SSLContext:
    """A verifying client context: the system trust store, or only ``ca_file`` when given."""
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot read the IMAP CA file {ca_file!r} (mailbox.ca_file): {exc}") from exc


def server_text(exc: BaseException) -> str:
    """The server's words from an imapclient error: no "xxx failed:" prefix, no b'...', no timing."""
    text = str(exc)
    for prefix in ("login failed: ", "LOGIN command error: "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    text = re.sub(r"""\bb(['"])(.*?)\1""", r"\2", text)  # imaplib puts the server's bytes in a repr()
    text = re.sub(r"\s*\(\d+\.\d+ \+ \d+\.\d+[^)]*secs\)", "", text)  # Dovecot's "(0.001 + 0.000 secs)"
    return text.strip() or type(exc).__name__


def describe(exc: BaseException, timeout: float | None = None) -> str:
    """A socket or protocol error in plain words."""
    if isinstance(exc, socket.gaierror):
        return f"host name not found ({exc.strerror})"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (no IMAP server listening there)"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"no answer within {timeout:g} s" if timeout else "timed out"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc}"
    if isinstance(exc, IMAPClientAbortError):
        return f"connection closed by the server ({server_text(exc)})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return server_text(exc)


def _certificate_error(ep: Endpoint, exc: ssl.SSLCertVerificationError) -> ConfigError:
    reason = exc.verify_message or exc.reason or str(exc)
    trust = f"the CA file {ep.ca_file}" if ep.ca_file else "the system's trusted certificates"
    return ConfigError(
        f"the IMAP server {ep.where} presented a certificate that is not trusted ({reason}), checked "
        f"against {trust}: give the CA that signed it in mailbox.ca_file, or fix the server's "
        f"certificate (verification is never disabled)"
    )


def open_session(ep: Endpoint) -> IMAPClient:
    """Connect, secure, log in. Raises ConfigError (no point retrying) or Retryable."""
    context = ssl_context(ep.ca_file) if ep.security != "none" else None
    client: IMAPClient | None = None
    try:
        client = IMAPClient(
            ep.host, port=ep.port, ssl=ep.security == "ssl", ssl_context=context, timeout=ep.timeout
        )
        # imapclient sets imaplib's debug=5, which builds a repr() of every literal received even when
        # nothing is logged. Measured with benchmarks/imap_debug.py (FETCH BODY.PEEK[] of 200 x 60 KB,
        # Dovecot on loopback, median of 5): 0.071 s with debug=5, 0.013 s with debug=0 (5.5x faster;
        # 2,800 -> 15,500 msg/s).
        client._imap.debug = 0
        if ep.security == "starttls":
            client.starttls(context)
        client.login(ep.username, ep.password)
        return client
    except ssl.SSLCertVerificationError as exc:
        _shutdown(client)
        raise _certificate_error(ep, exc) from exc
    except (ssl.SSLEOFError, ssl.SSLZeroReturnError) as exc:
        _shutdown(client)
        raise Retryable(describe(exc)) from exc
    except ssl.SSLError as exc:
        _shutdown(client)
        hint = "ssl = implicit TLS (usually port 993), starttls = plain then STARTTLS (usually 143)"
        raise ConfigError(
            f"TLS handshake with the IMAP server {ep.where} failed ({exc.reason or exc}): check "
            f"mailbox.security ({hint})"
        ) from exc
    except CapabilityError as exc:  # starttls() on a server that does not offer it
        _shutdown(client)
        raise ConfigError(
            f'the IMAP server {ep.where} does not offer STARTTLS: use mailbox.security = "ssl" '
            f"(and its implicit-TLS port) instead"
        ) from exc
    except LoginError as exc:
        _shutdown(client)
        said = server_text(exc)
        if any(code in said for code in _TRANSIENT_LOGIN_CODES):
            raise Retryable(f"login temporarily refused: {said}") from exc
        raise ConfigError(
            f"IMAP login refused for user {ep.username}: check MAILFLOW_MAILBOX_PASSWORD "
            f"(server said: {said})"
        ) from exc
    except CONNECTION_ERRORS as exc:
        _shutdown(client)
        raise Retryable(describe(exc, ep.timeout)) from exc
    except IMAPClientError as exc:  # a BYE/NO greeting, a failed STARTTLS command
        _shutdown(client)
        raise Retryable(server_text(exc)) from exc


def _shutdown(client: IMAPClient | None) -> None:
    if client is None:
        return
    try:
        client.shutdown()
    except Exception:  # the connection is being abandoned anyway
        log.debug("shutdown_failed")


def connect_with_backoff(
    ep: Endpoint,
    retries: int,
    backoff_base: float,
    sleep: Callable[[float], None] = time.sleep,
) -> IMAPClient:
    """open_session, retried with exponential backoff (base, 2*base, 4*base...) at most ``retries`` times."""
    attempts = max(1, retries)
    delay = backoff_base
    for attempt in range(1, attempts + 1):
        try:
            client = open_session(ep)
        except Retryable as exc:
            log.warning("connect_failed", server=ep.where, attempt=attempt, error=str(exc))
            if attempt == attempts:
                raise TransientError(
                    f"cannot connect to the IMAP server {ep.where} ({attempts} attempts): {exc}"
                ) from exc
            sleep(delay)
            delay *= 2
        else:
            log.info("connected", server=ep.where, user=ep.username, security=ep.security)
            return client
    raise AssertionError("unreachable")


def logout_quietly(client: IMAPClient) -> None:
    """LOGOUT, else just close: the server may already be gone, and nobody needs to hear about it."""
    try:
        client.logout()
    except Exception:
        _shutdown(client)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def capability_notes(ep: Endpoint, capabilities: frozenset[str]) -> list[str]:
    """What check-config should mention without calling it a problem."""
    notes = []
    if ep.security == "none" and not _is_loopback(ep.host):
        notes.append(f'mailbox.security is "none": the password travels in clear to {ep.host}')
    if "IDLE" not in capabilities:
        notes.append("the IMAP server has no IDLE: new mail is noticed by polling only")
    if "MOVE" not in capabilities:
        how = (
            "UID EXPUNGE" if "UIDPLUS" in capabilities else "EXPUNGE (which also removes mail marked deleted)"
        )
        notes.append(f"the IMAP server has no MOVE: mail is moved by COPY then {how}")
    return notes
