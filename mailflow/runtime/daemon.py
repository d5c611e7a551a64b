"""`mailflow run`: wait for mail, ingest it, drain the outbox; reminders on a schedule; stop cleanly on SIGTERM."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from rich.console import Console

from mailflow.config import Settings
from mailflow.runtime.wiring import build_deps
from mailflow.services.outbox import drain_once
from mailflow.services.poll import poll_once
from mailflow.services.reminders import run_due_reminders
from mailflow.services.workflow import local_today

log = structlog.get_logger("mailflow.daemon")


def run_daemon(settings: Settings, console: Console, max_cycles: int | None = None) -> None:
    """The loop: poll, drain, then wait for a change in the mailbox (or the poll interval)."""
    deps = build_deps(settings)
    assert deps.mailbox is not None
    stop = threading.Event()
    work_lock = threading.Lock()  # the scheduler's jobs and the loop never touch the store at once

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", signal=signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def reminders_job() -> None:
        with work_lock:
            run_due_reminders(deps, local_today(deps))
            drain_once(deps)

    scheduler = BackgroundScheduler(timezone=str(deps.identity.timezone))
    scheduler.add_job(reminders_job, "cron", hour="8-18", minute=0, id="reminders")
    scheduler.start()
    console.print(
        f"mailflow is watching {settings.mailbox.kind}:{settings.mailbox.inbox} (Ctrl-C or SIGTERM to stop)"
    )
    cycles = 0
    try:
        while not stop.is_set():
            with work_lock:
                report = poll_once(deps)
                drained = drain_once(deps)
            if report.fetched or drained.sent:
                log.info("cycle", fetched=report.fetched, statuses=report.statuses, sent=drained.sent)
            cycles += 1
            if max_cycles is not None and cycles >= max_cycles:
                break
            # Wake at once on new mail; the interval is only the fallback (and lets SIGTERM end the wait).
            deadline = float(settings.mailbox.poll_seconds)
            while deadline > 0 and not stop.is_set():
                if deps.mailbox.wait_for_change(min(1.0, deadline)):
                    break
                deadline -= 1.0
    finally:
        scheduler.shutdown(wait=True)
        deps.mailbox.close()
        console.print("mailflow stopped")
