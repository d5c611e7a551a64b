"""`mailflow run`: wait for mail (IMAP IDLE or a Maildir watch), ingest it, drain the outbox; reminders on
APScheduler; survive server outages with backoff; stop cleanly on SIGTERM."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from rich.console import Console

from mailflow.config import Settings
from mailflow.domain.errors import ConfigError, TransportError
from mailflow.runtime.wiring import build_deps
from mailflow.services.deps import Deps
from mailflow.services.outbox import drain_once
from mailflow.services.poll import poll_once
from mailflow.services.reminders import run_due_reminders
from mailflow.services.status import record
from mailflow.services.workflow import local_today

log = structlog.get_logger("mailflow.daemon")
MAX_BACKOFF = 300.0
WAIT_SLICE = 1.0  # a stop request is honoured within this many seconds, even in the middle of IDLE


class Daemon:
    """One loop, one mailbox connection; the scheduler's jobs take the same lock as the loop."""

    def __init__(
        self, settings: Settings, deps: Deps | None = None, stop: threading.Event | None = None
    ) -> None:
        self.settings = settings
        self.stop = stop or threading.Event()
        self.deps = deps or build_deps(settings)
        assert self.deps.mailbox is not None
        self.lock = threading.Lock()
        self.failures = 0

    def cycle(self) -> None:
        """Poll, then drain; a server outage is recorded and retried with backoff."""
        deps = self.deps
        try:
            with self.lock:
                report = poll_once(deps, should_stop=self.stop.is_set)
                record(deps, "poll", {"fetched": report.fetched, **report.statuses})
                drained = drain_once(deps)
                record(
                    deps,
                    "drain",
                    {"sent": drained.sent, "retried": drained.retried, "failed": drained.failed},
                )
            self.failures = 0
            if report.fetched or drained.sent:
                log.info("cycle", fetched=report.fetched, statuses=report.statuses, sent=drained.sent)
        except ConfigError:
            raise  # retrying cannot help: the operator must act (run_daemon says so and exits)
        except Exception as exc:  # a server outage or a bug: record it, back off, carry on
            self.failures += 1
            self._record_error(exc)
            delay = min(MAX_BACKOFF, 2.0 ** min(self.failures, 8))
            event = "server_unavailable" if isinstance(exc, TransportError) else "cycle_failed"
            log.warning(event, error=str(exc), kind=type(exc).__name__, retry_in=delay)
            self.stop.wait(delay)

    def _record_error(self, exc: Exception) -> None:
        """For `mailflow status` and the digest; the database itself may be what is down."""
        try:
            record(self.deps, "error", {"message": str(exc)[:500], "kind": type(exc).__name__})
        except Exception:  # the database itself may be down: the log keeps it
            log.warning("error_not_recorded", error=str(exc))

    def digest_job(self) -> None:
        """The morning digest, once per working day (the service checks both)."""
        from mailflow.runtime.digest_cli import digest_writer
        from mailflow.services.digest import digest_due, send_digest

        with self.lock:
            if digest_due(self.deps):
                send_digest(self.deps, digest_writer(self.settings, self.deps))
                drain_once(self.deps)

    def reminders_job(self) -> None:
        with self.lock:
            run_due_reminders(self.deps, local_today(self.deps))
            drain_once(self.deps)

    def wait_for_mail(self) -> None:
        """Wake at once on new mail; the poll interval is only the fallback (and lets SIGTERM end the wait)."""
        assert self.deps.mailbox is not None
        remaining = float(self.settings.mailbox.poll_seconds)
        while remaining > 0 and not self.stop.is_set():
            step = min(WAIT_SLICE, remaining)
            try:
                if self.deps.mailbox.wait_for_change(step):
                    return
            except TransportError as exc:
                log.warning("wait_failed", error=str(exc))
                return
            remaining -= step

    def run(self, max_cycles: int | None = None) -> None:
        scheduler = BackgroundScheduler(timezone=str(self.deps.identity.timezone))
        scheduler.add_job(
            self.reminders_job, "cron", day_of_week="mon-fri", hour="8-18", minute=0, id="reminders"
        )
        digest = self.settings.digest
        scheduler.add_job(
            self.digest_job,
            "cron",
            day_of_week="mon-fri",
            hour=digest.hour,
            minute=digest.minute,
            id="digest",
            misfire_grace_time=3600,
        )
        scheduler.start()
        cycles = 0
        try:
            while not self.stop.is_set():
                self.cycle()
                cycles += 1
                if max_cycles is not None and cycles >= max_cycles:
                    break
                if not self.stop.is_set():
                    self.wait_for_mail()
        finally:
            scheduler.shutdown(wait=True)
            assert self.deps.mailbox is not None
            self.deps.mailbox.close()


def run_daemon(settings: Settings, console: Console) -> None:
    # Handlers first: a stop requested while the daemon starts up is honoured too, cleanly.
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", signal=signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        daemon = Daemon(settings, stop=stop)
    except ConfigError as exc:
        console.print(f"[red]configuration problem:[/red] {exc}")
        raise SystemExit(2) from exc
    where = settings.mailbox.host if settings.mailbox.kind == "imap" else settings.path(settings.mailbox.path)
    console.print(
        f"mailflow is watching {settings.mailbox.kind}:{where}/{settings.mailbox.inbox} "
        "(SIGTERM or Ctrl-C to stop)"
    )
    try:
        daemon.run()
    except ConfigError as exc:
        console.print(f"[red]configuration problem:[/red] {exc}")
        raise SystemExit(2) from exc
    console.print("mailflow stopped")
