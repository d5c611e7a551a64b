"""The daemon's loop survives outages: it records them, backs off, and carries on when they end."""

from __future__ import annotations

from datetime import timedelta

from mailflow.adapters.formbuild import build_request_form, fill_form
from mailflow.config import Settings
from mailflow.domain.errors import TransientError
from mailflow.runtime import demo_mails as mails
from mailflow.runtime.daemon import Daemon
from mailflow.services.status import status_report
from mailflow.services.workflow import local_today
from tests.service.helpers import mail, open_case


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
