"""The SMTP transport: one connection per batch, per-mail results, never a mail sent twice on purpose.

Mapping of what the server says onto the port's contract (``mailflow.ports.Transport``):

- accepted (250 after DATA) -> ``None``; when only some recipients were refused, still ``None`` (the mail
  was delivered to the others, retrying would duplicate it), the refused ones are logged and kept in
  ``last_refused`` / ``last_refused_replies``;
- 5xx to MAIL, to every RCPT or to DATA, an address that cannot go on a command line -> ``PermanentError``;
- 4xx -> ``TransientError`` for that mail only, the batch goes on over the same connection;
- the connection breaks (reset, timeout, 421) -> ``TransientError`` for that mail and every remaining one:
  no reconnection inside a batch, the outbox retries with backoff;
- the server cannot be reached -> ``TransientError`` for every mail;
- wrong password, unverifiable certificate, no STARTTLS, bad ``ca_file``... -> ``ConfigError`` raised,
  always before the first mail is handed over (retrying cannot help).

The one ambiguity SMTP has (RFC 1047): the connection dies after the final "." but before the server's
reply. The mail may have been delivered; it is reported as transient and will be retried with the same
Message-ID. ``data_timeout`` (the RFC 5321 10-minute wait for that reply) keeps this window small.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable
from typing import Literal

import aiosmtplib
import structlog

from mailflow.adapters.mime_out import serialize
from mailflow.adapters.smtp_support import (
    _ConnectionLost,
    _default_local_hostname,
    _envelope_problem,
    _Link,
    _Prepared,
    _reply,
    _run,
    _ssl_cause,
    address_problem,
    is_loopback,
)
from mailflow.domain.errors import ConfigError, PermanentError, TransientError
from mailflow.domain.message import OutboundEmail

log = structlog.get_logger("mailflow.smtp")

Security = Literal["ssl", "starttls", "none"]
SECURITIES: tuple[str, ...] = ("ssl", "starttls", "none")
DATA_TIMEOUT = 600.0  # RFC 5321 4.5.3.2.6: wait up to 10 minutes for the reply to the final "."


class SmtpTransport:
    """Implements ``mailflow.ports.Transport`` over SMTP (aiosmtplib) with a synchronous API."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: str = "starttls",
        username: str | None = None,
        password: str | None = None,
        ca_file: str | None = None,
        timeout: float = 30.0,
        serializer: Callable[[OutboundEmail], bytes] = serialize,
        local_hostname: str | None = None,
        data_timeout: float | None = None,
    ) -> None:
        if security not in SECURITIES:
            raise ConfigError(f'smtp.security must be "ssl", "starttls" or "none", not {security!r}')
        self.host = host
        self.port = port
        self.security = security
        self.username = username or None
        self._password = password
        self.ca_file = ca_file
        self.timeout = timeout
        self.data_timeout = max(timeout, DATA_TIMEOUT) if data_timeout is None else data_timeout
        self.serializer = serializer
        self.local_hostname = local_hostname
        self._tls_context: ssl.SSLContext | None = None
        self._lock = threading.Lock()
        #: Message-ID -> recipients refused by the server in the last batch, for mails otherwise accepted.
        self.last_refused: dict[str, list[str]] = {}
        #: Message-ID -> {recipient: server reply} for the same refusals (e.g. "550 5.1.1 No such user").
        self.last_refused_replies: dict[str, dict[str, str]] = {}

    def __repr__(self) -> str:
        return f"SmtpTransport({self.host}:{self.port}, security={self.security}, user={self.username})"

    @property
    def _where(self) -> str:
        return f"{self.host}:{self.port}"

    # ------------------------------------------------------------------ public API

    def send(
        self, emails: list[OutboundEmail], on_result: Callable[[int, Exception | None], None] | None = None
    ) -> list[Exception | None]:
        """Send a batch over one connection; one result per mail (None = accepted).

        ``on_result(index, result)`` is called as soon as the server has answered for each mail, so the
        caller can record it at once (a crash then can repeat at most the one mail in flight).
        Raises ConfigError (before anything is sent) when retrying cannot help.
        """
        self._on_result = on_result
        prepared = [self._prepare(email) for email in emails]
        refused: dict[str, dict[str, str]] = {}
        if any(isinstance(p, _Prepared) for p in prepared):
            self._static_checks()
            results = _run(lambda: self._send_batch(prepared, refused))
        else:
            results = [p if isinstance(p, Exception) else None for p in prepared]
        self.last_refused_replies = refused
        self.last_refused = {mid: list(replies) for mid, replies in refused.items()}
        log.info(
            "smtp_batch",
            server=self._where,
            mails=len(results),
            accepted=sum(r is None for r in results),
            transient=sum(isinstance(r, TransientError) for r in results),
            permanent=sum(isinstance(r, PermanentError) for r in results),
        )
        return results

    def check(self) -> list[str]:
        """Connect, EHLO, TLS, AUTH, QUIT; plain-English problems, [] when everything works."""
        try:
            self._static_checks()
            _run(self._check)
        except (ConfigError, TransientError) as exc:
            return [str(exc)]
        except Exception as exc:
            return [f"unexpected error while talking to the SMTP server {self._where}: {exc!r}"]
        return []

    # ------------------------------------------------------------------ preparation

    def _static_checks(self) -> None:
        if self.security == "none" and not is_loopback(self.host):
            raise ConfigError(
                f'smtp.security = "none" would send mail unencrypted to {self.host}; it is only allowed for a '
                'server on this machine (127.0.0.1, localhost): use "starttls" (port 587) or "ssl" (port 465)'
            )
        if self.username and not self._password:
            raise ConfigError(
                f"smtp.username is {self.username} but no password is set: set MAILFLOW_SMTP_PASSWORD"
            )
        self._context()

    def _context(self) -> ssl.SSLContext:
        with self._lock:
            if self._tls_context is None:
                try:
                    self._tls_context = ssl.create_default_context(cafile=self.ca_file)
                except (OSError, ssl.SSLError) as exc:
                    raise ConfigError(
                        f"smtp.ca_file {self.ca_file} cannot be read as PEM certificates ({exc}): "
                        "point it to the CA file of the SMTP server"
                    ) from exc
            return self._tls_context

    def _prepare(self, email: OutboundEmail) -> _Prepared | PermanentError:
        problem = _envelope_problem(email.from_addr)
        if problem:
            return PermanentError(f"sender {problem}: not sent")
        recipients: list[str] = []
        seen: set[str] = set()
        for addr in (*email.to_addrs, *email.cc_addrs):
            problem = _envelope_problem(addr)
            if problem:
                return PermanentError(f"recipient {problem}: not sent")
            if addr.lower() not in seen:
                seen.add(addr.lower())
                recipients.append(addr)
        if not recipients:
            return PermanentError("the mail has no recipient: not sent")
        try:
            raw = self.serializer(email)
        except Exception as exc:  # a mail that cannot be serialised will never be sendable
            return PermanentError(f"could not serialise the mail {email.message_id}: {exc}")
        utf8 = not all(a.isascii() for a in (email.from_addr, *recipients))
        return _Prepared(email.message_id, email.from_addr, tuple(recipients), raw, utf8)

    # ------------------------------------------------------------------ connection

    def _client(self) -> aiosmtplib.SMTP:
        return aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            use_tls=self.security == "ssl",
            start_tls=False,  # done explicitly below; never left to aiosmtplib's "if offered"
            tls_context=self._context(),
            timeout=self.timeout,
            local_hostname=self.local_hostname or _default_local_hostname(),
        )

    async def _open(self) -> _Link:
        """A connected, secured, logged-in session. Raises ConfigError or TransientError."""
        link = _Link(self._client())
        client = link.client
        try:
            await client.connect()
            link.sock = client.get_transport_info("socket")
            if self.security == "starttls":
                await client.ehlo()
                if not client.supports_extension("starttls"):
                    raise ConfigError(
                        f"the SMTP server {self._where} does not offer STARTTLS, so mail would travel "
                        'unencrypted: if it expects TLS from the start (usually port 465) set smtp.security = "ssl"'
                    )
                await client.starttls()
            if self.username:
                await self._login(client)
            else:
                await client.ehlo()
        except (ConfigError, TransientError):
            await link.close(self.timeout)
            raise
        except Exception as exc:
            await link.close(self.timeout)
            raise self._connect_error(exc) from exc
        log.debug("smtp_connected", server=self._where, security=self.security, user=self.username)
        return link

    async def _login(self, client: aiosmtplib.SMTP) -> None:
        assert self.username is not None
        await client.ehlo()
        if not client.supports_extension("auth"):
            raise ConfigError(
                f"the SMTP server {self._where} does not offer a login (AUTH) on this connection"
                + (': try smtp.security = "starttls" or "ssl"' if self.security == "none" else "")
                + ": remove smtp.username if it relays without one"
            )
        try:
            await client.login(self.username, self._password or "")
        except aiosmtplib.SMTPAuthenticationError as exc:
            if 400 <= exc.code < 500:
                raise TransientError(
                    f"SMTP login for {self.username} temporarily refused by {self._where}: "
                    f"{_reply(exc.code, exc.message)}"
                ) from exc
            raise ConfigError(
                f"SMTP login refused for {self.username} by {self._where} ({_reply(exc.code, exc.message)}): "
                "check smtp.username and MAILFLOW_SMTP_PASSWORD"
            ) from exc
        except aiosmtplib.SMTPException as exc:
            if isinstance(exc, aiosmtplib.SMTPServerDisconnected | aiosmtplib.SMTPTimeoutError):
                raise
            raise ConfigError(
                f"SMTP login for {self.username} at {self._where} is not possible: {exc}"
            ) from exc

    def _connect_error(self, exc: BaseException) -> ConfigError | TransientError:
        tls = _ssl_cause(exc)
        if isinstance(tls, ssl.SSLCertVerificationError):
            where = f"smtp.ca_file {self.ca_file}" if self.ca_file else "the system's certificate store"
            return ConfigError(
                f"the certificate of the SMTP server {self._where} could not be verified with {where} "
                f"({tls.verify_message or tls.reason}): set smtp.ca_file to the CA that signed it, "
                "or check smtp.host"
            )
        if tls is not None and not isinstance(tls, ssl.SSLEOFError | ssl.SSLZeroReturnError):
            return ConfigError(
                f"TLS with the SMTP server {self._where} failed ({tls.reason or tls}): check smtp.security "
                '("ssl" for port 465, "starttls" for 587) and smtp.port'
            )
        if isinstance(exc, aiosmtplib.SMTPConnectTimeoutError | aiosmtplib.SMTPTimeoutError):
            hint = (
                ' (a server expecting TLS from the start, usually port 465, needs smtp.security = "ssl")'
                if self.security != "ssl"
                else ""
            )
            return TransientError(
                f"the SMTP server {self._where} did not answer within {self.timeout:g} s{hint}"
            )
        if isinstance(exc, aiosmtplib.SMTPResponseException):
            return TransientError(
                f"the SMTP server {self._where} refused the session: {_reply(exc.code, exc.message)}"
            )
        cause = exc.__cause__ if isinstance(exc, aiosmtplib.SMTPConnectError) and exc.__cause__ else exc
        if isinstance(cause, ConnectionRefusedError):
            return TransientError(
                f"cannot reach the SMTP server {self._where}: connection refused "
                "(is it running? check smtp.host and smtp.port)"
            )
        if isinstance(cause, socket.gaierror):
            return TransientError(f"cannot find the SMTP server {self.host}: {cause} (check smtp.host)")
        return TransientError(f"cannot talk to the SMTP server {self._where}: {cause}")

    async def _check(self) -> None:
        link = await self._open()
        await link.close(self.timeout)

    # ------------------------------------------------------------------ sending

    async def _send_batch(
        self, prepared: list[_Prepared | PermanentError], refused: dict[str, dict[str, str]]
    ) -> list[Exception | None]:
        results: list[Exception | None] = [p if isinstance(p, Exception) else None for p in prepared]
        todo = [(i, p) for i, p in enumerate(prepared) if isinstance(p, _Prepared)]
        try:
            link = await self._open()
        except TransientError as exc:
            log.warning("smtp_unreachable", server=self._where, error=str(exc), mails=len(todo))
            for i, _ in todo:
                results[i] = TransientError(str(exc))
            return results
        try:
            for n, (i, mail) in enumerate(todo):
                try:
                    results[i] = await self._send_one(link.client, mail, refused)
                    if self._on_result is not None:
                        self._on_result(i, results[i])
                except Exception as exc:  # never let an error hide the results already obtained
                    if isinstance(exc, _ConnectionLost):
                        lost = exc
                    else:
                        log.exception("smtp_unexpected_error", message_id=mail.message_id)
                        lost = _ConnectionLost(
                            f"unexpected {type(exc).__name__}: {exc}", maybe_delivered=True
                        )
                    link.client.close()
                    log.warning(
                        "smtp_connection_lost",
                        server=self._where,
                        message_id=mail.message_id,
                        reason=lost.reason,
                        maybe_delivered=lost.maybe_delivered,
                        not_sent=len(todo) - n - 1,
                    )
                    state = (
                        "after the mail was transmitted, it may have been delivered"
                        if lost.maybe_delivered
                        else "before the mail was accepted"
                    )
                    results[i] = TransientError(f"connection to {self._where} lost {state}: {lost.reason}")
                    for j, _ in todo[n + 1 :]:
                        results[j] = TransientError(
                            f"not attempted: the connection to {self._where} was lost earlier in the batch "
                            f"({lost.reason})"
                        )
                    break
        finally:
            await link.close(self.timeout)
        return results

    async def _send_one(
        self, client: aiosmtplib.SMTP, mail: _Prepared, refused: dict[str, dict[str, str]]
    ) -> Exception | None:
        """One SMTP transaction. Returns the mail's result; raises _ConnectionLost when the link is gone."""
        if not client.is_connected:
            raise _ConnectionLost("the server closed the connection", maybe_delivered=False)
        options: list[str] = []
        if client.supports_extension("size"):
            options.append(f"SIZE={len(mail.raw)}")
        if not mail.raw.isascii() and client.supports_extension("8bitmime"):
            options.append("BODY=8BITMIME")
        encoding = "ascii"
        if mail.utf8:
            if not client.supports_extension("smtputf8"):
                return PermanentError(
                    f"the SMTP server {self._where} does not accept non-ASCII addresses (no SMTPUTF8): "
                    f"{mail.sender} -> {', '.join(mail.recipients)}"
                )
            options.append("SMTPUTF8")
            encoding = "utf-8"

        stage = "MAIL"
        try:
            await client.mail(mail.sender, options=options, encoding=encoding)
            stage = "RCPT"
            rejected: dict[str, tuple[int, str]] = {}
            for rcpt in mail.recipients:
                try:
                    await client.rcpt(rcpt, encoding=encoding)
                except aiosmtplib.SMTPRecipientRefused as exc:
                    if not client.is_connected:  # 421: the server closed the connection
                        raise
                    rejected[rcpt] = (exc.code, exc.message)
            if len(rejected) == len(mail.recipients):
                await self._rset(client)
                return self._all_refused(mail, rejected)
            stage = "DATA"
            await client.data(mail.raw, timeout=self.data_timeout)
        except aiosmtplib.SMTPResponseException as exc:
            reply = _reply(exc.code, exc.message)
            if not client.is_connected or exc.code == 421:
                raise _ConnectionLost(reply, maybe_delivered=False) from exc
            await self._rset(client)
            who = mail.sender if stage == "MAIL" else ", ".join(mail.recipients)
            text = f"{reply} (at {stage} for {who})"
            log.warning("smtp_refused", message_id=mail.message_id, stage=stage, reply=reply)
            if 400 <= exc.code < 500:
                return TransientError(text)
            return PermanentError(text)
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            raise _ConnectionLost(str(exc) or type(exc).__name__, maybe_delivered=stage == "DATA") from exc

        if rejected:
            replies = {addr: _reply(code, text) for addr, (code, text) in rejected.items()}
            refused[mail.message_id] = replies
            log.warning(
                "smtp_recipients_refused",
                message_id=mail.message_id,
                refused=replies,
                delivered_to=[r for r in mail.recipients if r not in rejected],
            )
        log.debug("smtp_sent", message_id=mail.message_id, recipients=len(mail.recipients) - len(rejected))
        return None

    async def _rset(self, client: aiosmtplib.SMTP) -> None:
        """Clear the envelope after a refusal; a failed RSET leaves the session unusable (closed)."""
        try:
            await client.rset()
        except Exception as exc:
            log.warning("smtp_rset_failed", server=self._where, error=str(exc))
            client.close()

    @staticmethod
    def _all_refused(
        mail: _Prepared, rejected: dict[str, tuple[int, str]]
    ) -> TransientError | PermanentError:
        parts = "; ".join(f"{_reply(code, text)} (RCPT {addr})" for addr, (code, text) in rejected.items())
        log.warning("smtp_refused", message_id=mail.message_id, stage="RCPT", reply=parts)
        if any(400 <= code < 500 for code, _ in rejected.values()):
            return TransientError(parts)  # nobody got it yet: retrying cannot duplicate it
        return PermanentError(parts)


__all__ = ["SmtpTransport", "address_problem", "is_loopback"]
