"""SmtpTransport against a real aiosmtpd server: batches, scripted refusals, dropped links, TLS, AUTH."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import aiosmtplib
import pytest

from mailflow.adapters.mime_out import serialize
from mailflow.adapters.smtp import SmtpTransport
from mailflow.domain.errors import ConfigError, PermanentError, TransientError
from mailflow.domain.message import OutboundEmail
from tests.fixtures.smtpd import SMTP_PASSWORD, SMTP_USER, SmtpTestServer

SENDER = "ce.dareic@ac-strasbourg.fr"


def _email(n: int = 1, **changes: object) -> OutboundEmail:
    values: dict[str, object] = {
        "message_id": f"<APP-2026-00{n:02d}.n1.abcdef@dareic.test>",
        "from_addr": SENDER,
        "from_name": "DAREIC – Académie de Strasbourg",
        "to_addrs": (f"ce.067{n:04d}a@ac-strasbourg.fr",),
        "cc_addrs": ("copie@ac-strasbourg.fr",),
        "subject": f"[APP-2026-00{n:02d}] Proposition de partenaire : École n° {n}",
        "text": "Bonjour,\n\n.Une ligne qui commence par un point.\n",
        "html": "<p>Bonjour,</p>",
        "date": datetime(2026, 3, 2, 9, 15, tzinfo=UTC),
    }
    values.update(changes)
    return OutboundEmail.model_validate(values)


def _transport(server: SmtpTestServer, **kwargs: object) -> SmtpTransport:
    options: dict[str, object] = {"security": server.tls if server.tls != "ssl" else "ssl", "timeout": 5.0}
    if server.ca_file:
        options["ca_file"] = server.ca_file
    options.update(kwargs)
    return SmtpTransport(server.host, server.port, local_hostname="client.mailflow.test", **options)  # type: ignore[arg-type]


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections (in the kernel backlog) but never says a word."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield s.getsockname()[1]


# --------------------------------------------------------------------------- batches


def test_batch_is_sent_over_one_connection_when_every_mail_is_accepted(smtp_server: SmtpTestServer) -> None:
    emails = [_email(n) for n in range(1, 6)]
    assert _transport(smtp_server).send(emails) == [None] * 5
    assert smtp_server.connections == 1
    assert [r.message_id for r in smtp_server.delivered] == [e.message_id for e in emails]
    for email, got in zip(emails, smtp_server.delivered, strict=True):
        assert got.content == serialize(email)  # same bytes as the Sent copy and the .eml file
        assert got.mail_from == SENDER
        assert got.rcpt_tos == [*email.to_addrs, "copie@ac-strasbourg.fr"]
        assert got.connection == 1


def test_no_connection_is_made_when_batch_is_empty(smtp_server: SmtpTestServer) -> None:
    assert _transport(smtp_server).send([]) == []
    assert smtp_server.connections == 0


def test_same_address_gets_one_rcpt_when_it_is_in_to_and_cc(smtp_server: SmtpTestServer) -> None:
    email = _email(1, to_addrs=("copie@ac-strasbourg.fr",), cc_addrs=("Copie@ac-strasbourg.fr",))
    assert _transport(smtp_server).send([email]) == [None]
    assert smtp_server.delivered[0].rcpt_tos == ["copie@ac-strasbourg.fr"]


def test_only_that_mail_is_transient_when_server_answers_451(smtp_server: SmtpTestServer) -> None:
    smtp_server.script = [None, "451 4.3.0 Try again later", None]
    results = _transport(smtp_server).send([_email(1), _email(2), _email(3)])
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], TransientError)
    assert "451 4.3.0 Try again later" in str(results[1])
    assert smtp_server.connections == 1
    assert [r.message_id for r in smtp_server.delivered] == [_email(1).message_id, _email(3).message_id]


def test_mail_is_permanent_when_server_answers_550_at_data(smtp_server: SmtpTestServer) -> None:
    smtp_server.script = ["550 5.7.1 Message rejected as spam"]
    results = _transport(smtp_server).send([_email(1), _email(2)])
    assert isinstance(results[0], PermanentError)
    assert str(results[0]).startswith("550 5.7.1 Message rejected as spam")
    assert "ce.0670001a@ac-strasbourg.fr" in str(results[0])
    assert results[1] is None


def test_mail_counts_as_sent_when_one_of_two_recipients_is_refused(smtp_server: SmtpTestServer) -> None:
    smtp_server.rcpt_replies = {"copie@ac-strasbourg.fr": "550 5.1.1 No such user"}
    transport = _transport(smtp_server)
    email = _email(1)
    assert transport.send([email]) == [None]
    assert smtp_server.delivered[0].rcpt_tos == ["ce.0670001a@ac-strasbourg.fr"]
    assert transport.last_refused == {email.message_id: ["copie@ac-strasbourg.fr"]}
    assert transport.last_refused_replies[email.message_id] == {
        "copie@ac-strasbourg.fr": "550 5.1.1 No such user"
    }
    smtp_server.rcpt_replies = {}
    assert transport.send([_email(2)]) == [None]
    assert transport.last_refused == {}  # per batch


def test_mail_is_permanent_naming_the_recipient_when_every_recipient_is_refused(
    smtp_server: SmtpTestServer,
) -> None:
    smtp_server.rcpt_replies = {
        "ce.0670001a@ac-strasbourg.fr": "550 5.1.1 No such user",
        "copie@ac-strasbourg.fr": "550 5.1.1 No such user",
    }
    results = _transport(smtp_server).send([_email(1), _email(2)])
    assert isinstance(results[0], PermanentError)
    assert "550 5.1.1 No such user" in str(results[0]) and "ce.0670001a@ac-strasbourg.fr" in str(results[0])
    assert results[1] is None
    assert [r.message_id for r in smtp_server.received] == [_email(2).message_id]


def test_mail_is_transient_when_every_recipient_is_deferred(smtp_server: SmtpTestServer) -> None:
    smtp_server.rcpt_replies = {
        "ce.0670001a@ac-strasbourg.fr": "450 4.2.1 Mailbox busy",
        "copie@ac-strasbourg.fr": "550 5.1.1 No such user",
    }
    (result,) = _transport(smtp_server).send([_email(1)])
    assert isinstance(result, TransientError) and "450 4.2.1" in str(result)


def test_mail_is_permanent_when_sender_is_refused(smtp_server: SmtpTestServer) -> None:
    smtp_server.mail_replies = {SENDER: "553 5.7.1 Sender not allowed"}
    (result,) = _transport(smtp_server).send([_email(1)])
    assert isinstance(result, PermanentError)
    assert "553 5.7.1 Sender not allowed" in str(result) and SENDER in str(result)


# --------------------------------------------------------------------------- broken links


def test_every_mail_is_transient_when_port_is_closed(closed_port: int) -> None:
    transport = SmtpTransport("127.0.0.1", closed_port, security="none", timeout=2.0)
    results = transport.send([_email(1), _email(2)])
    assert all(isinstance(r, TransientError) for r in results)
    assert "connection refused" in str(results[0])


def test_every_mail_is_transient_when_server_never_greets(silent_port: int) -> None:
    transport = SmtpTransport("127.0.0.1", silent_port, security="none", timeout=0.3)
    results = transport.send([_email(1), _email(2)])
    assert all(isinstance(r, TransientError) for r in results)
    assert "did not answer within 0.3 s" in str(results[0])


def test_remaining_mails_are_transient_when_server_drops_mid_batch(smtp_server: SmtpTestServer) -> None:
    smtp_server.drop_after(2)
    results = _transport(smtp_server).send([_email(n) for n in range(1, 6)])
    assert results[:2] == [None, None]
    assert all(isinstance(r, TransientError) for r in results[2:])
    assert "not attempted" in str(results[3])
    assert len(smtp_server.delivered) == 2
    assert smtp_server.connections == 1  # no reconnection inside a batch


def test_mail_is_transient_and_flagged_maybe_delivered_when_server_dies_before_answering_data(
    smtp_server: SmtpTestServer,
) -> None:
    smtp_server.drop_after(1, at="data")
    results = _transport(smtp_server).send([_email(1), _email(2), _email(3)])
    assert results[0] is None
    assert isinstance(results[1], TransientError) and "may have been delivered" in str(results[1])
    assert isinstance(results[2], TransientError) and "not attempted" in str(results[2])
    assert [r.message_id for r in smtp_server.received] == [_email(1).message_id, _email(2).message_id]


def test_earlier_results_are_kept_when_an_unexpected_error_happens_mid_batch(
    smtp_server: SmtpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = aiosmtplib.SMTP.data
    calls = 0

    async def flaky_data(self: aiosmtplib.SMTP, message: bytes, /, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("boom")
        return await original(self, message, **kwargs)

    monkeypatch.setattr(aiosmtplib.SMTP, "data", flaky_data)
    results = _transport(smtp_server).send([_email(1), _email(2), _email(3)])
    assert results[0] is None
    assert isinstance(results[1], TransientError) and "boom" in str(results[1])
    assert isinstance(results[2], TransientError)
    assert len(smtp_server.delivered) == 1


def test_rest_of_batch_is_transient_when_server_answers_421(smtp_server: SmtpTestServer) -> None:
    smtp_server.script = [None, "421 4.3.2 System shutting down"]
    results = _transport(smtp_server).send([_email(1), _email(2), _email(3)])
    assert results[0] is None
    assert isinstance(results[1], TransientError) and "421" in str(results[1])
    assert isinstance(results[2], TransientError)
    assert smtp_server.connections == 1


# --------------------------------------------------------------------------- TLS


def test_mail_is_sent_encrypted_when_starttls_uses_the_test_ca(smtp_starttls_server: SmtpTestServer) -> None:
    assert _transport(smtp_starttls_server, security="starttls").send([_email(1)]) == [None]
    assert smtp_starttls_server.delivered[0].encrypted


def test_config_error_is_raised_when_certificate_is_not_in_system_store(
    smtp_starttls_server: SmtpTestServer,
) -> None:
    transport = _transport(smtp_starttls_server, security="starttls", ca_file=None)
    with pytest.raises(ConfigError, match=r"certificate .* could not be verified .* smtp.ca_file"):
        transport.send([_email(1)])
    assert smtp_starttls_server.received == []


def test_config_error_is_raised_when_server_offers_no_starttls(smtp_server: SmtpTestServer) -> None:
    with pytest.raises(ConfigError, match="does not offer STARTTLS"):
        _transport(smtp_server, security="starttls").send([_email(1)])
    assert smtp_server.received == []


def test_starttls_is_not_used_when_security_is_none(smtp_starttls_server: SmtpTestServer) -> None:
    assert _transport(smtp_starttls_server, security="none", ca_file=None).send([_email(1)]) == [None]
    assert not smtp_starttls_server.delivered[0].encrypted


def test_mail_is_sent_when_security_is_implicit_tls(smtp_ssl_server: SmtpTestServer) -> None:
    assert _transport(smtp_ssl_server, security="ssl").send([_email(1), _email(2)]) == [None, None]
    assert all(r.encrypted for r in smtp_ssl_server.delivered)
    assert smtp_ssl_server.connections == 1


def test_config_error_is_raised_when_implicit_tls_meets_an_unknown_certificate(
    smtp_ssl_server: SmtpTestServer,
) -> None:
    with pytest.raises(ConfigError, match="could not be verified"):
        _transport(smtp_ssl_server, security="ssl", ca_file=None).send([_email(1)])


def test_config_error_is_raised_when_implicit_tls_meets_a_plain_server(smtp_server: SmtpTestServer) -> None:
    with pytest.raises(ConfigError, match=r"TLS with the SMTP server .* failed"):
        _transport(smtp_server, security="ssl").send([_email(1)])


def test_config_error_is_raised_when_ca_file_is_missing(smtp_starttls_server: SmtpTestServer) -> None:
    with pytest.raises(ConfigError, match=r"smtp\.ca_file"):
        _transport(smtp_starttls_server, ca_file="/nonexistent/ca.pem").send([_email(1)])


def test_config_error_is_raised_when_security_none_targets_a_remote_host() -> None:
    transport = SmtpTransport("smtp.ac-strasbourg.fr", 25, security="none")
    with pytest.raises(ConfigError, match="unencrypted"):
        transport.send([_email(1)])
    assert "unencrypted" in transport.check()[0]


# --------------------------------------------------------------------------- AUTH


def test_mail_is_sent_when_login_succeeds(smtp_auth_server: SmtpTestServer) -> None:
    transport = _transport(smtp_auth_server, security="starttls", username=SMTP_USER, password=SMTP_PASSWORD)
    assert transport.send([_email(1)]) == [None]
    assert [ok for _, _, ok in smtp_auth_server.auth_attempts] == [True]
    assert SMTP_PASSWORD not in repr(transport)


def test_config_error_is_raised_when_password_is_wrong(smtp_auth_server: SmtpTestServer) -> None:
    transport = _transport(smtp_auth_server, security="starttls", username=SMTP_USER, password="wrong")
    with pytest.raises(ConfigError, match=f"SMTP login refused for {SMTP_USER}.*MAILFLOW_SMTP_PASSWORD"):
        transport.send([_email(1)])
    assert smtp_auth_server.received == []


def test_login_works_when_implicit_tls_server_allows_auth(
    smtp_server_factory: Callable[..., SmtpTestServer],
) -> None:
    server = smtp_server_factory(tls="ssl", auth=True, auth_require_tls=False)
    transport = _transport(server, security="ssl", username=SMTP_USER, password=SMTP_PASSWORD)
    assert transport.send([_email(1)]) == [None]


def test_config_error_is_raised_when_username_has_no_password(smtp_auth_server: SmtpTestServer) -> None:
    with pytest.raises(ConfigError, match="MAILFLOW_SMTP_PASSWORD"):
        _transport(smtp_auth_server, username=SMTP_USER).send([_email(1)])


# --------------------------------------------------------------------------- check()


def test_check_reports_nothing_when_server_is_good(smtp_auth_server: SmtpTestServer) -> None:
    transport = _transport(smtp_auth_server, security="starttls", username=SMTP_USER, password=SMTP_PASSWORD)
    assert transport.check() == []
    assert smtp_auth_server.connections == 1 and smtp_auth_server.received == []


def test_check_explains_when_port_is_closed(closed_port: int) -> None:
    (problem,) = SmtpTransport("127.0.0.1", closed_port, security="none", timeout=2.0).check()
    assert "connection refused" in problem and "smtp.port" in problem


def test_check_explains_when_password_is_wrong(smtp_auth_server: SmtpTestServer) -> None:
    transport = _transport(smtp_auth_server, security="starttls", username=SMTP_USER, password="nope")
    (problem,) = transport.check()
    assert problem.startswith(f"SMTP login refused for {SMTP_USER}") and "MAILFLOW_SMTP_PASSWORD" in problem


# --------------------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    "bad",
    [
        "victim@ac-strasbourg.fr\r\nRCPT TO:<evil@example.org>",
        "victim@ac-strasbourg.fr\nDATA",
        "two words@ac-strasbourg.fr",
        "victim@ac-strasbourg.fr> NOTIFY=NEVER",
    ],
)
def test_mail_is_permanent_and_not_sent_when_address_has_line_break_or_space(
    smtp_server: SmtpTestServer, bad: str
) -> None:
    results = _transport(smtp_server).send([_email(1, to_addrs=(bad,)), _email(2)])
    assert isinstance(results[0], PermanentError)
    assert results[1] is None
    assert [r.message_id for r in smtp_server.received] == [_email(2).message_id]
    assert all("evil" not in rcpt for r in smtp_server.received for rcpt in r.rcpt_tos)


def test_mail_is_permanent_when_sender_has_line_break(smtp_server: SmtpTestServer) -> None:
    (result,) = _transport(smtp_server).send([_email(1, from_addr="ce.dareic@ac-strasbourg.fr\r\nRSET")])
    assert isinstance(result, PermanentError)
    assert smtp_server.connections == 0


def test_mail_is_permanent_when_non_ascii_address_meets_server_without_smtputf8(
    smtp_server_factory: Callable[..., SmtpTestServer],
) -> None:
    server = smtp_server_factory(smtputf8=False)
    transport = _transport(server, serializer=lambda email: b"Subject: test\r\n\r\nbody\r\n")
    (result,) = transport.send([_email(1, cc_addrs=("élève@ac-strasbourg.fr",))])
    assert isinstance(result, PermanentError) and "SMTPUTF8" in str(result)
    assert server.received == []


def test_non_ascii_address_is_sent_with_smtputf8_when_server_offers_it(smtp_server: SmtpTestServer) -> None:
    transport = _transport(smtp_server, serializer=lambda email: b"Subject: test\r\n\r\nbody\r\n")
    assert transport.send([_email(1, cc_addrs=("élève@ac-strasbourg.fr",))]) == [None]
    assert smtp_server.delivered[0].rcpt_tos[1] == "élève@ac-strasbourg.fr"


# --------------------------------------------------------------------------- calling contexts


def test_send_works_when_called_from_a_running_event_loop(smtp_server: SmtpTestServer) -> None:
    async def inside_loop() -> list[Exception | None]:
        return _transport(smtp_server).send([_email(1)])

    assert asyncio.run(inside_loop()) == [None]


def test_send_works_when_called_from_a_worker_thread(smtp_server: SmtpTestServer) -> None:
    out: list[list[Exception | None]] = []
    worker = threading.Thread(target=lambda: out.append(_transport(smtp_server).send([_email(1)])))
    worker.start()
    worker.join(timeout=10)
    assert out == [[None]]
