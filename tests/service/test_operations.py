"""Operations: the daemon's heartbeat in `status`, and the loop protection on automatic mails."""

from __future__ import annotations

from datetime import timedelta

from mailflow.adapters.formbuild import build_request_form, fill_form
from mailflow.domain.states import CaseState, EventKind
from mailflow.runtime import demo_mails as mails
from mailflow.services.cause import Cause
from mailflow.services.outbox import drain_once
from mailflow.services.poll import poll_once
from mailflow.services.status import record, status_report
from mailflow.services.workflow import apply_event, local_today


def _open(deps):
    form = fill_form(build_request_form(), mails.request_values(local_today(deps)))
    deps.mailbox.deliver(mails.school_request(form, deps.clock.now(), "ce.dareic@ac-strasbourg.fr"))
    poll_once(deps)


def test_status_reports_heartbeat_backlog_and_failures_when_daemon_worked(deps):
    deps.transport.script = ["ok", "5xx"]
    _open(deps)
    drain_once(deps)
    record(deps, "poll", {"fetched": 1, "claimed": 1})
    record(deps, "error", {"message": "IMAP server unreachable"})
    report = status_report(deps)
    assert report["last_poll"] == deps.clock.now() and report["last_poll_result"] == {
        "fetched": 1,
        "claimed": 1,
    }
    assert report["backlog"] == 0 and report["outbox_sent"] == 1 and report["outbox_failed"] == 1
    assert report["last_error"]["message"] == "IMAP server unreachable"
    [failed] = report["recent_failed_mail"]
    assert failed["to"] == [mails.EMBASSY_BW] and failed["error"].startswith("550")


def test_automatic_mails_stop_and_case_is_flagged_when_counterpart_limit_is_reached(deps):
    _open(deps)
    with deps.store.transaction() as tx:
        [case] = tx.cases()
        for _ in range(deps.policy.max_auto_mails_per_day + 2):
            case = apply_event(deps, tx, case, EventKind.REMIND, Cause("system"))
        sent_to_embassy = [r for r in tx.outbox(case.id) if mails.EMBASSY_BW in r.email.to_addrs]
    assert len(sent_to_embassy) == deps.policy.max_auto_mails_per_day
    assert case.state is CaseState.AT_EMBASSY and "limite atteinte" in case.review_reason
    deps.clock.advance(timedelta(days=1, minutes=1))  # a new day: the counterpart may be written to again
    with deps.store.transaction() as tx:
        case = apply_event(deps, tx, tx.case(case.id), EventKind.REMIND, Cause("system"))
        assert len([r for r in tx.outbox(case.id) if mails.EMBASSY_BW in r.email.to_addrs]) == 6
