"""ImapMailbox against a real Dovecot (one per session, a throw-away user per test)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from imapclient import IMAPClient

import mailflow.adapters.imap as imap_module
from mailflow.adapters.imap import ImapMailbox
from mailflow.adapters.imap_folders import Naming
from mailflow.domain.errors import ConfigError, TransientError
from mailflow.domain.ids import MailboxKey
from tests.fixtures.dovecot import DovecotServer

DELIVERY_DELAY = 0.3  # seconds: deliver once the adapter is surely idling
IDLE_NOTICE_BOUND = 1.5  # Dovecot reports a delivery ~0.5 s later; allow scheduling noise
QUICK = 1.0  # what "at once" means for a refused login or a missing CA


def _raw(n: int, extra: str = "") -> bytes:
    return (
        f"From: ecole{n}@ac-strasbourg.fr\r\nTo: ce.dareic@ac-strasbourg.fr\r\n"
        f"Message-ID: <m{n}@example.org>\r\nSubject: message {n}{extra}\r\n\r\nbody {n}\r\n"
    ).encode()


def _flags(dovecot: DovecotServer, user: str, folder: str = "INBOX") -> dict[bytes, tuple[bytes, ...]]:
    """Message-ID header -> flags of every message in a folder (read with EXAMINE: changes nothing)."""
    with dovecot.client(user) as c:
        c.select_folder(folder, readonly=True)
        uids = c.search(["ALL"])
        data = c.fetch(uids, ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]) if uids else {}
    return {
        d[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].split(b":", 1)[1].strip(): tuple(d[b"FLAGS"])
        for d in data.values()
    }


def _closed_port() -> int:
    """A port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _later(delay: float, action: Callable[[], object]) -> threading.Timer:
    timer = threading.Timer(delay, action)
    timer.start()
    return timer


@pytest.fixture
def user(imap_mailbox: ImapMailbox) -> str:
    return imap_mailbox.username


@pytest.fixture
def tls_box(dovecot: DovecotServer) -> Iterator[Callable[..., ImapMailbox]]:
    made: list[ImapMailbox] = []

    def make(security: str, ca_file: str | None) -> ImapMailbox:
        username, password = dovecot.new_user()
        port = dovecot.tls_port if security == "ssl" else dovecot.port
        box = ImapMailbox(
            "localhost", port, username, password, security=security, ca_file=ca_file, timeout=10
        )
        made.append(box)
        return box

    yield make
    for box in made:
        box.close()


# --- fetching --------------------------------------------------------------------------------------


def test_fetch_returns_new_messages_in_uid_order_when_mail_is_delivered(
    dovecot: DovecotServer, imap_mailbox: ImapMailbox, user: str
) -> None:
    for n in range(3):
        dovecot.deliver(user, _raw(n))
    validity = imap_mailbox.uidvalidity()
    fetched = imap_mailbox.fetch_after(0)
    assert [f.raw for f in fetched] == [_raw(n) for n in range(3)]
    assert [f.key for f in fetched] == [MailboxKey("INBOX", validity, uid) for uid in (1, 2, 3)]
    assert validity == dovecot.status(user)["uidvalidity"]


def test_fetch_respects_the_watermark_and_limit_when_asked(
    dovecot: DovecotServer, imap_mailbox: ImapMailbox, user: str
) -> None:
    for n in range(5):
        dovecot.deliver(user, _raw(n))
    imap_mailbox.uidvalidity()
    first = imap_mailbox.fetch_after(0, limit=2)
    assert [f.key.uid for f in first] == [1, 2]
    assert [f.key.uid for f in imap_mailbox.fetch_after(2, limit=10)] == [3, 4, 5]
    # "UID 6:*" matches the last message (UID 5) on the wire: it must not come back.
    assert imap_mailbox.fetch_after(5) == []
    assert imap_mailbox.fetch_after(99) == []


def test_fetch_returns_nothing_when_the_inbox_is_empty(imap_mailbox: ImapMailbox) -> None:
    assert imap_mailbox.fetch_after(0) == []


def test_fetch_leaves_messages_unseen_when_reading_them(
    dovecot: DovecotServer, imap_mailbox: ImapMailbox, user: str
) -> None:
    for n in range(2):
        dovecot.deliver(user, _raw(n))
    imap_mailbox.fetch_after(0)
    imap_mailbox.fetch_after(0)
    flags = _flags(dovecot, user)
    assert len(flags) == 2
    assert all(b"\\Seen" not in f for f in flags.values()), flags


# --- moving ----------------------------------------------------------------------------------------


def test_move_puts_messages_in_auto_created_folders_when_they_are_absent(
    dovecot: DovecotServer, imap_mailbox: ImapMailbox, user: str
) -> None:
    for n in range(3):
        dovecot.deliver(user, _raw(n))
    first, second, third = imap_mailbox.fetch_after(0)
    imap_mailbox.move_to_processed([first.key])
    imap_mailbox.move_to_quarantine([second.key])
    assert list(_flags(dovecot, user, "mailflow/traites")) == [b"<m0@example.org>"]
    assert list(_flags(dovecot, user, "mailflow/erreurs")) == [b"<m1@example.org>"]
    # the message that was not moved stays in the inbox, untouched and unseen
    assert _flags(dovecot, user) == {b"<m2@example.org>": ()}
    assert [f.key for f in imap_mailbox.fetch_after(0)] == [third.key]
    with dovecot.client(user) as c:
        subscribed = {name for _flags_, _d, name in c.list_sub_folders()}
    assert {"mailflow/traites", "mailflow/erreurs"} <= subscribed


def test_move_is_a_no_op_when_repeated_after_success(
    dovecot: DovecotServer, imap_mailbox: ImapMailbox, user: str
) -> None:
    dovecot.deliver(user, _raw(1))
    (fetched,) = imap_mailbox.fetch_after(0)
    imap_mailbox.move_to_processed([fetched.key])
    imap_mailbox.move_to_processed([fetched.key])  # a crash came before the database knew
    imap_mailbox.move_to_quarantine([fetched.key])
    assert dovecot.status(user, "mailflow/traites")["messages"] == 1
    assert dovecot.status(user, "mailflow/erreurs")["messages"] == 0
    assert dovecot.status(user)["messages"] == 0


def test_move_moves_a_whole_batch_in_one_call_and_skips_the_keys_already_gone(
    dovecot: DovecotServer, imap_mailbox: ImapMailbox, user: str
) -> None:
    for n in range(6):
        dovecot.deliver(user, _raw(n))
    fetched = imap_mailbox.fetch_after(0)
    imap_mailbox.move_to_processed([fetched[1].key])  # moved before a crash: gone from the inbox
    stale = MailboxKey("INBOX", fetched[0].key.uidvalidity - 1, fetched[5].key.uid)
    imap_mailbox.move_to_processed([f.key for f in fetched[:5]] + [stale])
    assert sorted(_flags(dovecot, user, "mailflow/traites")) == [
        f"<m{n}@example.org>".encode() for n in range(5)
    ]
    assert list(_flags(dovecot, user)) == [b"<m5@example.org>"]  # the stale key named nothing


def test_fetch_after_stops_at_max_bytes_but_always_returns_one_message(
    dovecot: DovecotServer, imap_mailbox: ImapMailbox, user: str
) -> None:
    big = _raw(0) + b"x" * 5000 + b"\r\n"
    dovecot.deliver(user, big)
    for n in range(1, 4):
        dovecot.deliver(user, _raw(n))
    assert len(imap_mailbox.fetch_after(0, max_bytes=100)) == 1  # the big one alone, never nothing
    first = imap_mailbox.fetch_after(0, max_bytes=100)[0]
    small = len(_raw(1))  # the next three are about this size each: room for two and a half
    after = imap_mailbox.fetch_after(first.key.uid, max_bytes=small * 5 // 2)
    assert len(after) == 2
    assert len(imap_mailbox.fetch_after(first.key.uid)) == 3


def test_move_uses_copy_and_uid_expunge_when_the_server_has_no_move(
    dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_move(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("UID MOVE must not be used")

    monkeypatch.setattr(IMAPClient, "move", no_move)
    username, password = dovecot.new_user()
    box = ImapMailbox(
        dovecot.host, dovecot.port, username, password, security="none", ignore_capabilities=["MOVE"]
    )
    try:
        for n in range(3):
            dovecot.deliver(username, _raw(n))
        fetched = box.fetch_after(0)
        with dovecot.client(username) as c:  # someone else marked a message \Deleted: it must stay
            c.select_folder("INBOX")
            c.add_flags([fetched[2].key.uid], [b"\\Deleted"])
        box.move_to_processed([fetched[0].key])
        box.move_to_processed([fetched[0].key])
        box.move_to_quarantine([fetched[1].key])
    finally:
        box.close()
    assert list(_flags(dovecot, username, "mailflow/traites")) == [b"<m0@example.org>"]
    assert list(_flags(dovecot, username, "mailflow/erreurs")) == [b"<m1@example.org>"]
    assert list(_flags(dovecot, username)) == [b"<m2@example.org>"]


def test_move_does_nothing_when_the_key_has_another_uidvalidity(
    dovecot: DovecotServer, imap_mailbox: ImapMailbox, user: str
) -> None:
    dovecot.deliver(user, _raw(1))
    (fetched,) = imap_mailbox.fetch_after(0)
    stale = MailboxKey("INBOX", fetched.key.uidvalidity - 1, fetched.key.uid)
    imap_mailbox.move_to_processed([stale])
    imap_mailbox.move_to_processed([MailboxKey("Other", fetched.key.uidvalidity, fetched.key.uid)])
    assert dovecot.status(user)["messages"] == 1


# --- UIDVALIDITY -----------------------------------------------------------------------------------


def test_uidvalidity_reports_the_new_value_when_the_inbox_is_renumbered(
    dovecot: DovecotServer, imap_mailbox: ImapMailbox, user: str
) -> None:
    dovecot.deliver(user, _raw(1))
    old = imap_mailbox.uidvalidity()
    assert len(imap_mailbox.fetch_after(0)) == 1
    new = old + 1000
    dovecot.doveadm("mailbox", "update", "--uid-validity", str(new), "-u", user, "INBOX")
    # the caller's watermark belongs to the old numbering: nothing until it asks uidvalidity() again
    assert imap_mailbox.fetch_after(0) == []
    assert imap_mailbox.uidvalidity() == new
    assert [f.key.uidvalidity for f in imap_mailbox.fetch_after(0)] == [new]


# --- Sent ------------------------------------------------------------------------------------------


def test_append_sent_stores_a_seen_copy_when_mail_is_sent(
    dovecot: DovecotServer, imap_mailbox: ImapMailbox, user: str
) -> None:
    imap_mailbox.append_sent(b"Message-ID: <out1@dareic>\nSubject: envoi\n\nbonjour\n")
    imap_mailbox.append_sent(b"Message-ID: <out2@dareic>\r\nSubject: envoi\r\n\r\nbonjour\r\n")
    flags = _flags(dovecot, user, "Sent")
    assert list(flags) == [b"<out1@dareic>", b"<out2@dareic>"]
    assert all(b"\\Seen" in f for f in flags.values())
    with dovecot.client(user) as c:
        c.select_folder("Sent", readonly=True)
        body = c.fetch([1], ["BODY.PEEK[]"])[1][b"BODY[]"]
    assert body == b"Message-ID: <out1@dareic>\r\nSubject: envoi\r\n\r\nbonjour\r\n"
    assert dovecot.status(user)["messages"] == 0


def test_sent_contains_finds_a_copy_by_its_message_id_and_the_inbox_stays_usable(
    dovecot: DovecotServer, imap_mailbox: ImapMailbox, user: str
) -> None:
    assert imap_mailbox.sent_contains("<out1@dareic>") is False  # Sent created on the way
    imap_mailbox.append_sent(b"Message-ID: <out1@dareic>\r\nSubject: envoi\r\n\r\nbonjour\r\n")
    assert imap_mailbox.sent_contains("<out1@dareic>") is True
    assert imap_mailbox.sent_contains("<out2@dareic>") is False
    dovecot.deliver(user, _raw(1))
    (fetched,) = imap_mailbox.fetch_after(0)  # the inbox is selected again, read-write
    imap_mailbox.move_to_processed([fetched.key])
    assert dovecot.status(user, "mailflow/traites")["messages"] == 1


def test_append_sent_uses_the_special_use_sent_folder_when_the_configured_one_is_absent(
    dovecot: DovecotServer,
) -> None:
    username, password = dovecot.new_user()
    with dovecot.client(username) as c:
        c.create_folder("Sent")  # marked \\Sent by the server's configuration (RFC 6154)
    box = ImapMailbox(
        dovecot.host, dovecot.port, username, password, security="none", sent="Éléments envoyés"
    )
    try:
        box.append_sent(_raw(1))
    finally:
        box.close()
    assert dovecot.status(username, "Sent")["messages"] == 1
    with dovecot.client(username) as c:
        assert not c.folder_exists("Éléments envoyés")


def test_append_waits_for_a_running_wait_when_called_from_another_thread(
    dovecot: DovecotServer, imap_mailbox: ImapMailbox, user: str
) -> None:
    imap_mailbox.fetch_after(0)
    errors: list[BaseException] = []

    def append() -> None:
        try:
            imap_mailbox.append_sent(_raw(1))
        except BaseException as exc:
            errors.append(exc)

    appending = _later(DELIVERY_DELAY, append)  # the daemon's scheduler thread drains the outbox
    assert imap_mailbox.wait_for_change(timeout=0.8) is False
    appending.join()
    assert errors == []
    assert dovecot.status(user, "Sent")["messages"] == 1
    assert imap_mailbox.fetch_after(0) == []


# --- waiting for mail ------------------------------------------------------------------------------


def test_wait_returns_true_soon_when_mail_is_delivered_during_idle(
    dovecot: DovecotServer, imap_mailbox: ImapMailbox, user: str
) -> None:
    imap_mailbox.fetch_after(0)
    timer = _later(DELIVERY_DELAY, lambda: dovecot.deliver(user, _raw(1)))
    started = time.monotonic()
    assert imap_mailbox.wait_for_change(timeout=5) is True
    elapsed = time.monotonic() - started
    timer.join()
    assert DELIVERY_DELAY < elapsed < DELIVERY_DELAY + IDLE_NOTICE_BOUND
    assert [f.raw for f in imap_mailbox.fetch_after(0)] == [_raw(1)]


def test_wait_returns_false_after_the_timeout_when_nothing_arrives(imap_mailbox: ImapMailbox) -> None:
    imap_mailbox.fetch_after(0)
    started = time.monotonic()
    assert imap_mailbox.wait_for_change(timeout=0.6) is False
    assert 0.55 < time.monotonic() - started < 1.2


def test_wait_returns_true_at_once_when_mail_arrived_since_the_last_fetch(
    dovecot: DovecotServer, imap_mailbox: ImapMailbox, user: str
) -> None:
    imap_mailbox.fetch_after(0)
    dovecot.deliver(user, _raw(1))
    started = time.monotonic()
    assert imap_mailbox.wait_for_change(timeout=5) is True
    assert time.monotonic() - started < 0.4
    assert imap_mailbox.wait_for_change(timeout=0.2) is False  # reported once, not forever


def test_wait_polls_with_noop_when_idle_is_disabled(
    dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imap_module, "NOOP_INTERVAL", 0.1)
    username, password = dovecot.new_user()
    box = ImapMailbox(dovecot.host, dovecot.port, username, password, security="none", idle=False)
    try:
        box.fetch_after(0)
        started = time.monotonic()
        assert box.wait_for_change(timeout=0.4) is False
        assert time.monotonic() - started < 0.9
        timer = _later(DELIVERY_DELAY, lambda: dovecot.deliver(username, _raw(1)))
        assert box.wait_for_change(timeout=5) is True
        timer.join()
    finally:
        box.close()


# --- reconnecting ----------------------------------------------------------------------------------


def test_calls_succeed_when_dovecot_restarted_between_them(
    dovecot: DovecotServer, imap_mailbox: ImapMailbox, user: str
) -> None:
    dovecot.deliver(user, _raw(1))
    (fetched,) = imap_mailbox.fetch_after(0)
    dovecot.restart()
    imap_mailbox.move_to_processed([fetched.key])
    assert dovecot.status(user, "mailflow/traites")["messages"] == 1
    dovecot.restart()
    imap_mailbox.append_sent(_raw(2))
    assert dovecot.status(user, "Sent")["messages"] == 1


def test_wait_returns_true_when_the_connection_drops_during_idle(
    dovecot: DovecotServer, imap_mailbox: ImapMailbox, user: str
) -> None:
    imap_mailbox.fetch_after(0)
    restarting = _later(DELIVERY_DELAY, dovecot.restart)
    started = time.monotonic()
    try:
        assert imap_mailbox.wait_for_change(timeout=10) is True
        assert time.monotonic() - started < 5
    finally:
        restarting.join()
    dovecot.deliver(user, _raw(1))
    assert [f.raw for f in imap_mailbox.fetch_after(0)] == [_raw(1)]


def test_calls_retry_once_when_the_connection_was_cut_without_bye(
    dovecot: DovecotServer, imap_mailbox: ImapMailbox, user: str
) -> None:
    dovecot.deliver(user, _raw(1))
    (fetched,) = imap_mailbox.fetch_after(0)
    assert dovecot.kill_imap_sessions() >= 1
    imap_mailbox.move_to_processed([fetched.key])
    assert dovecot.status(user, "mailflow/traites")["messages"] == 1


@pytest.mark.parametrize("fault", ["restart", "cut"])
def test_fetch_returns_every_message_when_the_server_goes_away_during_the_fetch(
    dovecot: DovecotServer, imap_mailbox: ImapMailbox, user: str, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    for n in range(3):
        dovecot.deliver(user, _raw(n))
    imap_mailbox.uidvalidity()  # connected and selected
    real_fetch = IMAPClient.fetch
    faults: list[str] = []

    def fetch_as_the_server_goes(client: IMAPClient, *args: object, **kwargs: object) -> object:
        if not faults:  # the first FETCH goes out as the server restarts or the session is killed
            faults.append(fault)
            dovecot.restart() if fault == "restart" else dovecot.kill_imap_sessions()
        return real_fetch(client, *args, **kwargs)

    monkeypatch.setattr(IMAPClient, "fetch", fetch_as_the_server_goes)
    fetched = imap_mailbox.fetch_after(0)
    assert faults == [fault]
    assert [f.raw for f in fetched] == [_raw(n) for n in range(3)]  # reconnected, fetched again, all there
    assert _flags(dovecot, user) == {f"<m{n}@example.org>".encode(): () for n in range(3)}  # still unseen


def test_wait_returns_true_at_once_when_the_connection_is_cut_during_idle(
    dovecot: DovecotServer, imap_mailbox: ImapMailbox, user: str
) -> None:
    imap_mailbox.fetch_after(0)
    cutting = _later(DELIVERY_DELAY, dovecot.kill_imap_sessions)
    started = time.monotonic()
    assert imap_mailbox.wait_for_change(timeout=5) is True
    assert time.monotonic() - started < DELIVERY_DELAY + 0.5
    cutting.join()
    dovecot.deliver(user, _raw(1))
    assert [f.raw for f in imap_mailbox.fetch_after(0)] == [_raw(1)]


def test_transient_error_after_bounded_retries_when_the_server_is_unreachable() -> None:
    box = ImapMailbox(
        "127.0.0.1", _closed_port(), "tmp-x", "tmp", security="none", connect_retries=3, backoff_base=0.01
    )
    started = time.monotonic()
    with pytest.raises(TransientError, match=r"cannot connect .*3 attempts.*connection refused"):
        box.fetch_after(0)
    assert time.monotonic() - started < 2


# --- authentication and TLS ------------------------------------------------------------------------


def test_wrong_password_raises_config_error_at_once(dovecot: DovecotServer) -> None:
    username, _ = dovecot.new_user()
    box = ImapMailbox(dovecot.host, dovecot.port, username, "wrong", security="none", backoff_base=1.0)
    started = time.monotonic()
    with pytest.raises(
        ConfigError, match=f"IMAP login refused for user {username}.*MAILFLOW_MAILBOX_PASSWORD"
    ):
        box.uidvalidity()
    assert time.monotonic() - started < QUICK  # no retry, no backoff


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_tls_connects_when_the_test_ca_is_given(
    dovecot: DovecotServer, tls_box: Callable[..., ImapMailbox], security: str
) -> None:
    box = tls_box(security, dovecot.ca_file)
    dovecot.deliver(box.username, _raw(1))
    assert [f.raw for f in box.fetch_after(0)] == [_raw(1)]
    assert box.check() == []


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_tls_fails_with_a_certificate_config_error_when_the_ca_is_not_trusted(
    tls_box: Callable[..., ImapMailbox], security: str
) -> None:
    box = tls_box(security, None)  # the system store does not know the test's self-signed certificate
    started = time.monotonic()
    with pytest.raises(ConfigError, match=r"certificate that is not trusted.*mailbox\.ca_file"):
        box.fetch_after(0)
    assert time.monotonic() - started < QUICK


def test_implicit_tls_fails_with_a_plain_explanation_when_used_on_the_plaintext_port(
    dovecot: DovecotServer,
) -> None:
    username, password = dovecot.new_user()
    box = ImapMailbox("localhost", dovecot.port, username, password, security="ssl", ca_file=dovecot.ca_file)
    with pytest.raises(ConfigError, match=r"check mailbox\.security"):
        box.uidvalidity()


# --- check-config ----------------------------------------------------------------------------------


def test_check_finds_no_problem_when_the_setup_is_good(
    dovecot: DovecotServer, imap_mailbox: ImapMailbox, user: str
) -> None:
    warnings: list[str] = []
    assert imap_mailbox.check(warnings=warnings) == []
    assert warnings == []  # Dovecot has IDLE and MOVE
    with dovecot.client(user) as c:
        names = {name for _f, _d, name in c.list_folders()}
    assert {"INBOX", "mailflow/traites", "mailflow/erreurs", "Sent"} <= names


def test_check_explains_the_problem_when_the_password_is_wrong(dovecot: DovecotServer) -> None:
    username, _ = dovecot.new_user()
    box = ImapMailbox(dovecot.host, dovecot.port, username, "wrong", security="none")
    (problem,) = box.check()
    assert "login refused" in problem and "MAILFLOW_MAILBOX_PASSWORD" in problem


def test_check_explains_the_problem_when_the_host_is_unreachable() -> None:
    box = ImapMailbox("127.0.0.1", _closed_port(), "u", "p", security="none", backoff_base=1.0)
    started = time.monotonic()
    (problem,) = box.check()
    assert "connection refused" in problem and "mailbox.host" in problem
    assert time.monotonic() - started < QUICK


def test_check_explains_the_problem_when_the_inbox_does_not_exist(dovecot: DovecotServer) -> None:
    username, password = dovecot.new_user()
    box = ImapMailbox(dovecot.host, dovecot.port, username, password, security="none", inbox="Dareic")
    assert box.check() == [f"the IMAP folder 'Dareic' does not exist for user {username} (mailbox.inbox)"]


def test_check_warns_when_the_server_lacks_idle_and_move(dovecot: DovecotServer) -> None:
    username, password = dovecot.new_user()
    box = ImapMailbox(
        dovecot.host,
        dovecot.port,
        username,
        password,
        security="none",
        ignore_capabilities=["IDLE", "MOVE"],
    )
    warnings: list[str] = []
    assert box.check(warnings=warnings) == []
    assert len(warnings) == 2 and "no IDLE" in warnings[0] and "no MOVE" in warnings[1]


# --- folder names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("naming", "folder", "expected"),
    [
        (Naming("", "/"), "mailflow/traites", "mailflow/traites"),
        (Naming("INBOX.", "."), "mailflow/traites", "INBOX.mailflow.traites"),
        (Naming("INBOX.", "."), "INBOX", "INBOX"),
        (Naming("INBOX.", "."), "INBOX/Sent", "INBOX.Sent"),
        (Naming("", None), "mailflow/traites", "mailflow/traites"),
    ],
)
def test_folder_names_follow_the_server_conventions_when_translated(
    naming: Naming, folder: str, expected: str
) -> None:
    assert naming.server_name(folder) == expected
