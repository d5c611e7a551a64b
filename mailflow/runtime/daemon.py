"""`mailflow run`: wait for mail (IMAP IDLE or a Maildir watch), ingest it, drain the outbox; reminders on
APScheduler; survive server outages with backoff; stop cleanly on SIGTERM.

Every outage goes into the incident journal the digest reads: each failed cycle (mail server, database,
anything unexpected), the mails the SMTP server put off or refused, and each recovery. While the database
itself is down the incidents wait in memory and are written as soon as it answers again.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from types import FrameType

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from rich.console import Console
from sqlalchemy.exc import InterfaceError, OperationalError

from mailflow.config import Settings
from mailflow.domain.errors import ConfigError, PermanentError, TransportError
from mailflow.domain.incidents import Incident, IncidentKind, unresolved
from mailflow.domain.message import OutboundEmail
from mailflow.ports import Transport
from mailflow.runtime.wiring import build_deps
from mailflow.services.deps import Deps
from mailflow.services.outbox import DrainReport, drain_once
from mailflow.services.poll import poll_once
from mailflow.services.reminders import run_due_reminders
from mailflow.services.status import add_incidents, recent_incidents, record
from mailflow.services.workflow import local_today

log = structlog.get_logger("mailflow.daemon")
MAX_BACKOFF = 300.0
WAIT_SLICE = 1.0  # a stop request is honoured within this many seconds, even in the middle of IDLE
MESSAGE_LIMIT = 500  # characters of an error message kept in the journal
UNWRITTEN_LIMIT = 200  # journal lines kept in memory while the database is down, before joining them
RESUME_LOOKBACK = timedelta(days=7)  # a restarted daemon closes the outage its predecessor left open
CYCLE_FAILURES = frozenset({IncidentKind.MAILBOX, IncidentKind.DATABASE, IncidentKind.UNEXPECTED})
Streak = tuple[datetime, int]  # when the first failure happened, how many so far


def incident_kind(exc: BaseException) -> IncidentKind:
    """The database (the store raises TransientError from the driver's error), the mail server, or a bug."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OperationalError | InterfaceError):
            return IncidentKind.DATABASE
        cause = cause.__cause__
    return IncidentKind.MAILBOX if isinstance(exc, TransportError) else IncidentKind.UNEXPECTED


class WatchedTransport:
    """The transport, remembering the SMTP server's last words on a deferred and on a refused mail."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.deferred = ""
        self.refused = ""

    def send(
        self, emails: list[OutboundEmail], on_result: Callable[[int, Exception | None], None] | None = None
    ) -> list[Exception | None]:
        results = self.inner.send(emails, on_result)
        for result in results:
            if isinstance(result, PermanentError):
                self.refused = str(result)
            elif result is not None:
                self.deferred = str(result)
        return results

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


class Daemon:
    """One loop, one mailbox connection; the scheduler's jobs take the same lock as the loop."""

    def __init__(
        self, settings: Settings, deps: Deps | None = None, stop: threading.Event | None = None
    ) -> None:
        self.settings = settings
        self.stop = stop or threading.Event()
        deps = deps or build_deps(settings)
        self.transport = WatchedTransport(deps.transport)
        self.deps = replace(deps, transport=self.transport)  # the caller's Deps is left as it was
        assert self.deps.mailbox is not None
        self.lock = threading.Lock()  # also guards the incident bookkeeping below
        self.failures = 0
        self.outage: Streak | None = None  # failed cycles (or waits) not yet followed by a good cycle
        self.deferrals: Streak | None = None  # mails put off by SMTP, not yet followed by a clean send
        self.unwritten: list[Incident] = []  # incidents the database could not take yet
        self._resumed = False  # the journal was read once for an outage a previous run left open

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
                self._journal([*self._recovery(), *self._drain_incidents(drained)])
            self.failures = 0
            if report.fetched or drained.sent:
                log.info("cycle", fetched=report.fetched, statuses=report.statuses, sent=drained.sent)
        except ConfigError:
            raise  # retrying cannot help: the operator must act (run_daemon says so and exits)
        except Exception as exc:  # a server outage or a bug: record it, back off, carry on
            self.failures += 1
            self._record_error(exc)
            with self.lock:
                self._failed(exc)
            delay = min(MAX_BACKOFF, 2.0 ** min(self.failures, 8))
            event = "server_unavailable" if isinstance(exc, TransportError) else "cycle_failed"
            log.warning(event, error=str(exc), kind=type(exc).__name__, retry_in=delay)
            self.stop.wait(delay)

    def _record_error(self, exc: Exception) -> None:
        """For `mailflow status` (the digest reads the journal); the database itself may be what is down."""
        try:
            record(self.deps, "error", {"message": str(exc)[:500], "kind": type(exc).__name__})
        except Exception:  # the database itself may be down: the log keeps it
            log.warning("error_not_recorded", error=str(exc))

    # --- the incident journal (call with self.lock held) ---

    def _failed(self, exc: Exception) -> None:
        """A failed cycle or wait: one incident, and one more attempt in the current outage."""
        now = self.deps.clock.now()
        first, attempts = self.outage or (now, 0)
        self.outage = (first, attempts + 1)
        self._journal([Incident(incident_kind(exc), now, str(exc)[:MESSAGE_LIMIT])])

    def _recovery(self) -> list[Incident]:
        """After a good cycle: the end of the outage, if there was one (this run's or a previous one's)."""
        self._resume()
        if self.outage is None:
            return []
        (first, attempts), self.outage = self.outage, None
        now = self.deps.clock.now()
        log.info("recovered", attempts=attempts, down_seconds=round((now - first).total_seconds()))
        message = f"recovered after {attempts} failed attempt(s)"
        return [Incident(IncidentKind.RECOVERED, now, message, count=attempts, since=first)]

    def _drain_incidents(self, drained: DrainReport) -> list[Incident]:
        """Mails the SMTP server put off or refused; the first clean send after deferrals ends them."""
        now = self.deps.clock.now()
        found: list[Incident] = []
        if drained.retried:
            first, deferred = self.deferrals or (now, 0)
            self.deferrals = (first, deferred + drained.retried)
            message = self.transport.deferred[:MESSAGE_LIMIT]
            found.append(Incident(IncidentKind.SMTP_DEFERRED, now, message, count=drained.retried))
        elif drained.sent and self.deferrals is not None:
            (first, deferred), self.deferrals = self.deferrals, None
            message = f"mail accepted again after {deferred} deferral(s)"
            found.append(Incident(IncidentKind.SMTP_RECOVERED, now, message, count=deferred, since=first))
        if drained.failed:
            message = self.transport.refused[:MESSAGE_LIMIT]
            found.append(Incident(IncidentKind.SMTP_REFUSED, now, message, count=drained.failed))
        return found

    def _resume(self) -> None:
        """Once per run: take over an outage (or deferrals) the journal shows open, e.g. across a restart."""
        if self._resumed:
            return
        try:
            journal = [*recent_incidents(self.deps, self.deps.clock.now() - RESUME_LOOKBACK), *self.unwritten]
        except Exception as exc:  # the database went away again: next time
            log.warning("journal_not_read", error=str(exc))
            return
        self._resumed = True
        self.outage = unresolved(journal, CYCLE_FAILURES)
        self.deferrals = unresolved(journal, {IncidentKind.SMTP_DEFERRED})

    def _journal(self, incidents: Iterable[Incident]) -> None:
        """Append to the journal, with whatever the database could not take before; else keep them."""
        for incident in incidents:
            self._keep(incident)
        if not self.unwritten:
            return
        try:
            add_incidents(self.deps, self.unwritten)
        except Exception as exc:  # the database itself is down: keep them for the next time it answers
            log.warning("incidents_kept_in_memory", waiting=len(self.unwritten), error=str(exc))
            return
        self.unwritten.clear()

    def _keep(self, incident: Incident) -> None:
        """Past UNWRITTEN_LIMIT lines (a long database outage), a failure joins the latest line of its
        kind: the count, the last time and the last message stay right, memory stays bounded."""
        if len(self.unwritten) >= UNWRITTEN_LIMIT and incident.since is None:
            for index in range(len(self.unwritten) - 1, 0, -1):  # never the first: it says when it began
                earlier = self.unwritten[index]
                if earlier.kind is incident.kind and earlier.since is None:
                    self.unwritten[index] = replace(incident, count=earlier.count + incident.count)
                    return
        self.unwritten.append(incident)

    def digest_job(self) -> None:
        """The morning digest, once per working day (the service checks both)."""
        from mailflow.runtime.digest_cli import digest_writer
        from mailflow.services.digest import digest_due, send_digest

        with self.lock:
            if digest_due(self.deps):
                send_digest(self.deps, digest_writer(self.settings, self.deps))
                self._journal(self._drain_incidents(drain_once(self.deps)))

    def reminders_job(self) -> None:
        with self.lock:
            run_due_reminders(self.deps, local_today(self.deps))
            self._journal(self._drain_incidents(drain_once(self.deps)))

    def wait_for_mail(self) -> None:
        """Wake at once on new mail; the poll interval is only the fallback (and lets SIGTERM end the wait)."""
        assert self.deps.mailbox is not None
        remaining = float(self.settings.mailbox.poll_seconds)
        while remaining > 0 and not self.stop.is_set():
            step = min(WAIT_SLICE, remaining)
            try:
                if self.deps.mailbox.wait_for_change(step):
                    return
            except TransportError as exc:  # the mail server went away: an incident like a failed cycle
                log.warning("wait_failed", error=str(exc))
                with self.lock:
                    self._failed(exc)
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
            with self.lock:
                self._journal([])
                lost = [(i.kind.value, i.at.isoformat(), i.message) for i in self.unwritten]
                if lost:  # the database is still down at exit: the log is all that is left of them
                    log.error("incidents_not_recorded", incidents=lost)


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
