"""The daemon's loop survives outages: it records them, backs off, and carries on when they end; its
incident journal keeps every outage and recovery (even a database outage's), and the digest tells them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import create_engine

from mailflow.adapters.formbuild import build_request_form, fill_form
from mailflow.config import Settings
from mailflow.domain.errors import TransientError
from mailflow.domain.incidents import IncidentKind
from mailflow.runtime import daemon as daemon_module
from mailflow.runtime import demo_mails as mails
from mailflow.runtime.daemon import Daemon
from mailflow.services.digest import build_view, preview_digest
from mailflow.services.status import recent_incidents, status_report
from mailflow.services.workflow import local_today
from tests.service.helpers import mail, open_case
from tests.service.test_digest import writer

K = IncidentKind


class FlakyMailbox:
    """The fake mailbox, unreachable for the first ``failures`` fetches."""

    def __init__(self, inner, failures: int) -> None:
        self.inner, self.failures = inner, failures
        self.name = inner.name

    def fetch_after(self, uid, limit=100, max_bytes=None):
        if self.failures:
            self.failures -= 1
            raise TransientError("IMAP server unreachable: connection refused")
        return self.inner.fetch_after(uid, limit)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_cycle_records_outage_and_recovers_when_server_comes_back(deps):
    open_case(deps)
    inner = deps.mailbox
    deps.mailbox = FlakyMailbox(inner, failures=1)
    daemon = Daemon(Settings(), deps=deps)
    daemon.stop.wait = lambda delay: None  # the backoff itself is not what is tested
    inner.deliver(mail("quelquun@example.org", "Bonjour"))
    daemon.cycle()
    report = status_report(deps)
    assert daemon.failures == 1 and "unreachable" in report["last_error"]["message"]
    assert len(inner.inbox) == 1  # nothing fetched, nothing lost
    daemon.cycle()
    assert daemon.failures == 0 and status_report(deps)["last_poll_result"]["fetched"] == 1


def test_cycle_survives_an_unexpected_error_when_sending_fails_once(deps):
    daemon = Daemon(Settings(), deps=deps)
    daemon.stop.wait = lambda delay: None
    form = fill_form(build_request_form(), mails.request_values(local_today(deps)))
    deps.mailbox.deliver(mails.school_request(form, deps.clock.now(), "ce.dareic@ac-strasbourg.fr"))
    original = deps.transport.send

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    deps.transport.send = broken
    daemon.cycle()
    assert daemon.failures == 1 and status_report(deps)["last_error"]["kind"] == "RuntimeError"
    assert status_report(deps)["outbox_pending"] == 2  # decided and stored: nothing lost
    deps.transport.send = original
    deps.clock.advance(deps.outbox_lease + timedelta(seconds=1))  # the dead attempt's lease expires
    daemon.cycle()
    assert daemon.failures == 0 and len(deps.transport.sent) == 2


# --- the incident journal, and the digest's « Incidents techniques » ---


def quiet_daemon(deps) -> Daemon:
    daemon = Daemon(Settings(), deps=deps)
    daemon.stop.wait = lambda delay: None  # the backoff itself is not what is tested
    return daemon


def journal(deps) -> list[tuple[IncidentKind, int]]:
    return [(i.kind, i.count) for i in recent_incidents(deps, None)]


def school_request(deps) -> None:
    form = fill_form(build_request_form(), mails.request_values(local_today(deps)))
    deps.mailbox.deliver(mails.school_request(form, deps.clock.now(), "ce.dareic@ac-strasbourg.fr"))


def test_mail_server_outage_and_its_recovery_are_journalled_and_told_by_the_digest_when_it_ends(deps):
    deps.mailbox = FlakyMailbox(deps.mailbox, failures=2)
    daemon = quiet_daemon(deps)
    daemon.cycle()
    deps.clock.advance(timedelta(minutes=1))
    daemon.cycle()
    assert journal(deps) == [(K.MAILBOX, 1), (K.MAILBOX, 1)] and daemon.outage is not None
    deps.clock.advance(timedelta(minutes=2))
    daemon.cycle()
    assert journal(deps)[-1] == (K.RECOVERED, 2) and daemon.outage is None
    [line] = build_view(deps).incidents
    assert line.label == "Serveur de messagerie (IMAP) injoignable" and line.count == 2
    assert line.when == "2 fois le 23 novembre, de 9 h 00 à 9 h 01"
    assert line.outcome == (
        "service rétabli le 23 novembre à 9 h 03, après 2 tentatives infructueuses (interruption de 3 min)"
    )
    assert line.message == "IMAP server unreachable: connection refused"
    view, rendered = preview_digest(deps, writer())
    assert "Incidents techniques" in rendered.html and "INCIDENTS TECHNIQUES (1)" in rendered.text
    assert "✔ Service rétabli le 23 novembre à 9 h 03" in rendered.html
    assert view.headline == "rien à traiter"  # over: nothing for a person to do
    daemon.cycle()
    assert len(journal(deps)) == 3  # a good cycle after a good cycle adds nothing


def test_database_outage_is_kept_in_memory_and_written_when_the_database_answers_again(deps):
    daemon = quiet_daemon(deps)
    engine = deps.store.engine
    deps.store.engine = create_engine("sqlite:////nonexistent-folder/mailflow.db")  # the database is gone
    try:
        daemon.cycle()
        deps.clock.advance(timedelta(minutes=5))
        daemon.cycle()
    finally:
        deps.store.engine.dispose()
        deps.store.engine = engine
    assert [i.kind for i in daemon.unwritten] == [K.DATABASE, K.DATABASE]
    assert "database unavailable" in daemon.unwritten[0].message
    assert journal(deps) == []  # nothing could be written while it was down
    deps.clock.advance(timedelta(minutes=5))
    daemon.cycle()
    assert journal(deps) == [(K.DATABASE, 1), (K.DATABASE, 1), (K.RECOVERED, 2)] and daemon.unwritten == []
    [line] = build_view(deps).incidents
    assert (
        line.label == "Base de données indisponible"
        and line.when == "2 fois le 23 novembre, de 9 h 00 à 9 h 05"
    )
    assert line.outcome.endswith("après 2 tentatives infructueuses (interruption de 10 min)")


def test_a_long_database_outage_keeps_a_bounded_journal_in_memory_with_every_attempt_counted(
    deps, monkeypatch
):
    monkeypatch.setattr(daemon_module, "UNWRITTEN_LIMIT", 5)
    daemon = quiet_daemon(deps)
    engine = deps.store.engine
    deps.store.engine = create_engine("sqlite:////nonexistent-folder/mailflow.db")
    try:
        for _ in range(12):
            daemon.cycle()
            deps.clock.advance(timedelta(minutes=5))
    finally:
        deps.store.engine.dispose()
        deps.store.engine = engine
    assert len(daemon.unwritten) == 5 and sum(i.count for i in daemon.unwritten) == 12
    daemon.cycle()
    [line] = build_view(deps).incidents
    assert line.label == "Base de données indisponible" and line.count == 12
    assert line.when == "12 fois le 23 novembre, de 9 h 00 à 9 h 55"  # the first and the last are kept


def test_unexpected_error_is_told_escaped_and_ongoing_when_no_good_cycle_followed(deps):
    daemon = quiet_daemon(deps)
    school_request(deps)
    deps.transport.send = lambda *args, **kwargs: (_ for _ in ()).throw(RuntimeError("<b>boom</b>"))
    daemon.cycle()
    assert journal(deps) == [(K.UNEXPECTED, 1)]
    view, rendered = preview_digest(deps, writer())
    [line] = view.incidents
    assert line.ongoing and line.outcome == "toujours en cours" and line.message == "<b>boom</b>"
    assert "1 incident(s) technique(s) en cours" in view.headline and "en cours" in rendered.subject
    assert "« &lt;b&gt;boom&lt;/b&gt; »" in rendered.html and "<b>boom</b>" not in rendered.html
    assert "⚠ Toujours en cours." in rendered.html


def test_smtp_deferral_is_journalled_with_the_server_words_and_ends_when_mail_goes_again(deps):
    daemon = quiet_daemon(deps)
    school_request(deps)  # the school's acknowledgement and the request to the embassy
    deps.transport.script = ["4xx"]  # the first mail is put off once
    daemon.cycle()
    assert journal(deps) == [(K.SMTP_DEFERRED, 1)] and len(deps.transport.sent) == 1
    deps.clock.advance(deps.retry_base + timedelta(seconds=1))
    daemon.cycle()
    assert journal(deps) == [(K.SMTP_DEFERRED, 1), (K.SMTP_RECOVERED, 1)] and len(deps.transport.sent) == 2
    [line] = build_view(deps).incidents
    assert (
        line.label == "Envois différés par le serveur d'envoi (SMTP)"
        and line.message == "451 try again later"
    )
    assert line.when == "1 envoi différé le 23 novembre à 9 h 00"
    assert (
        line.outcome
        == "envois repris le 23 novembre à 9 h 01 (les courriels différés sont renvoyés automatiquement)"
    )


def test_smtp_refusal_is_journalled_but_told_only_by_its_case_when_the_digest_is_built(deps):
    daemon = quiet_daemon(deps)
    school_request(deps)
    deps.transport.script = ["ok", "5xx"]  # the request to the embassy is refused for good
    daemon.cycle()
    [refused] = recent_incidents(deps, None)
    assert (refused.kind, refused.count, refused.message) == (K.SMTP_REFUSED, 1, "550 no such user")
    view = build_view(deps)
    assert view.incidents == ()  # not a second time: the case is "à traiter" with the server's answer
    [line] = view.to_handle
    assert "courriel non remis" in line.detail and "550 no such user" in line.detail


def test_restarted_daemon_closes_the_outage_its_predecessor_left_open_when_its_first_cycle_succeeds(deps):
    deps.mailbox = FlakyMailbox(deps.mailbox, failures=1)
    quiet_daemon(deps).cycle()  # fails, then that daemon is stopped
    deps.clock.advance(timedelta(minutes=30))
    quiet_daemon(deps).cycle()  # a new run: its first cycle works
    [failure, recovery] = recent_incidents(deps, None)
    assert (recovery.kind, recovery.count, recovery.since) == (K.RECOVERED, 1, failure.at)
    assert not build_view(deps).incidents[0].ongoing


def test_failed_wait_for_mail_is_an_incident_that_the_next_good_cycle_ends(deps):
    class DroppingMailbox(FlakyMailbox):
        def wait_for_change(self, timeout):
            raise TransientError("IMAP wait failed: connection reset")

    deps.mailbox = DroppingMailbox(deps.mailbox, failures=0)
    daemon = quiet_daemon(deps)
    daemon.wait_for_mail()
    assert journal(deps) == [(K.MAILBOX, 1)] and daemon.failures == 0  # no backoff for the loop
    daemon.cycle()
    assert journal(deps) == [(K.MAILBOX, 1), (K.RECOVERED, 1)]
