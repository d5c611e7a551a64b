"""The daemon's incident journal as data, and its story in French for the digest (pure, no I/O).

The daemon appends an Incident for each failed cycle (mail server, database, anything unexpected), for the
mails the SMTP server put off or refused, and for each recovery (the first good cycle after failures, the
first drain without deferral after deferrals). incident_lines() groups the journal by kind: how often,
first and last time, the last message, and whether the service is back to normal.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum

from mailflow.domain.calendar import french_date


class IncidentKind(StrEnum):
    """What the daemon writes to its append-only incident journal (the values are stored)."""

    MAILBOX = "mailbox_unavailable"  # the mail server (IMAP) could not be reached: a cycle or a wait failed
    DATABASE = "database_unavailable"  # kept in memory while the database is down, written when it answers
    UNEXPECTED = "unexpected_error"  # anything else a cycle raised (a bug)
    RECOVERED = "recovered"  # the first good cycle after failures: count = failed attempts, since = the first
    SMTP_DEFERRED = "smtp_deferred"  # count = mails the SMTP server put off (4xx, unreachable): retried later
    SMTP_REFUSED = "smtp_refused"  # count = mails refused for good (5xx)
    SMTP_RECOVERED = "smtp_recovered"  # the first drain that sent mail without a deferral, after deferrals


@dataclass(frozen=True, slots=True)
class Incident:
    """One line of the incident journal."""

    kind: IncidentKind
    at: datetime
    message: str = ""  # as the server or the library put it: outside text
    count: int = 1
    since: datetime | None = None  # a recovery: when the failures it ends began
    id: int | None = None


# Which recovery ends which failure. The digest shows these kinds, in this order; not SMTP_REFUSED: each
# refused mail already flags its case with the server's answer, and the case is listed "À traiter".
RECOVERY_OF: dict[IncidentKind, IncidentKind] = {
    IncidentKind.MAILBOX: IncidentKind.RECOVERED,
    IncidentKind.DATABASE: IncidentKind.RECOVERED,
    IncidentKind.UNEXPECTED: IncidentKind.RECOVERED,
    IncidentKind.SMTP_DEFERRED: IncidentKind.SMTP_RECOVERED,
}
INCIDENT_LABELS: dict[IncidentKind, str] = {
    IncidentKind.MAILBOX: "Serveur de messagerie (IMAP) injoignable",
    IncidentKind.DATABASE: "Base de données indisponible",
    IncidentKind.UNEXPECTED: "Erreur inattendue du service",
    IncidentKind.SMTP_DEFERRED: "Envois différés par le serveur d'envoi (SMTP)",
}


@dataclass(frozen=True, slots=True)
class IncidentLine:
    """One kind of incident since the last digest, in French: how often, when, how it ended."""

    kind: str
    label: str
    count: int
    first_at: datetime
    last_at: datetime
    message: str  # the last one (outside text: the HTML escapes it)
    recovered_at: datetime | None
    when: str  # "3 fois le 23 novembre, de 10 h 02 à 10 h 40"
    outcome: str  # "service rétabli le 23 novembre à 10 h 42, après …", "toujours en cours"…

    @property
    def ongoing(self) -> bool:
        return self.recovered_at is None


def unresolved(incidents: Sequence[Incident], kinds: Collection[IncidentKind]) -> tuple[datetime, int] | None:
    """The failures of ``kinds`` after the last recovery of them, in journal order: (first one's time, count).

    None when every such failure was followed by its recovery (a daemon that starts again asks this).
    """
    ends = {RECOVERY_OF[kind] for kind in kinds}
    pending: list[Incident] = []
    for incident in _in_order(incidents):
        if incident.kind in ends:
            pending = []
        elif incident.kind in kinds:
            pending.append(incident)
    return (pending[0].at, sum(i.count for i in pending)) if pending else None


def incident_lines(
    incidents: Sequence[Incident], since: datetime | None, tz: tzinfo, today: date
) -> tuple[IncidentLine, ...]:
    """Per kind shown: how often, first and last time, the last message, and whether it is over.

    A kind appears when something of it happened since ``since``: a failure, or the recovery ending an
    outage that began earlier. The count is the number of failed attempts (of mails put off, for SMTP).
    """
    ordered = _in_order(incidents)
    lines: list[IncidentLine] = []
    for kind, ends in RECOVERY_OF.items():
        found = [(n, i) for n, i in enumerate(ordered) if i.kind is kind]
        if not found:
            continue
        last_index, last = found[-1]
        recovery = next((i for i in ordered[last_index + 1 :] if i.kind is ends), None)
        if since is not None and last.at < since and (recovery is None or recovery.at < since):
            continue  # told in an earlier digest
        count = sum(i.count for _, i in found)
        first = found[0][1]
        if kind is IncidentKind.SMTP_DEFERRED:
            times = _plural(count, "envoi différé", "envois différés")
        else:
            times = "une fois" if count == 1 else f"{count} fois"
        lines.append(
            IncidentLine(
                kind=kind.value,
                label=INCIDENT_LABELS[kind],
                count=count,
                first_at=first.at,
                last_at=last.at,
                message=next((i.message for _, i in reversed(found) if i.message), ""),
                recovered_at=recovery.at if recovery else None,
                when=f"{times} {_span(first.at, last.at, tz, today)}",
                outcome=_outcome(kind, recovery, tz, today),
            )
        )
    return tuple(sorted(lines, key=lambda line: line.first_at))


def _in_order(incidents: Sequence[Incident]) -> list[Incident]:
    return sorted(incidents, key=lambda i: (i.at, i.id or 0))


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _day(at: datetime, today: date) -> str:
    """``23 novembre`` (the year only when it is not this one's); ``at`` already local."""
    text = french_date(at.date())
    return text.removesuffix(f" {at.year}") if at.year == today.year else text


def _hour(at: datetime) -> str:
    return f"{at.hour} h {at.minute:02d}"


def _moment(at: datetime, tz: tzinfo, today: date) -> str:
    local = at.astimezone(tz)
    return f"le {_day(local, today)} à {_hour(local)}"


def _span(first: datetime, last: datetime, tz: tzinfo, today: date) -> str:
    """``le 23 novembre à 10 h 02``, ``le 23 novembre, de 10 h 02 à 10 h 40``, ``du … à … au … à …``."""
    a, b = first.astimezone(tz), last.astimezone(tz)
    if a.date() != b.date():
        return f"du {_day(a, today)} à {_hour(a)} au {_day(b, today)} à {_hour(b)}"
    if _hour(a) == _hour(b):
        return _moment(a, tz, today)
    return f"le {_day(a, today)}, de {_hour(a)} à {_hour(b)}"


def _outcome(kind: IncidentKind, recovery: Incident | None, tz: tzinfo, today: date) -> str:
    if recovery is None:
        return "toujours en cours"
    if kind is IncidentKind.SMTP_DEFERRED:
        resent = "les courriels différés sont renvoyés automatiquement"
        return f"envois repris {_moment(recovery.at, tz, today)} ({resent})"
    text = f"service rétabli {_moment(recovery.at, tz, today)}"  # "service": no agreement with the label
    if recovery.count and recovery.since is not None:
        tries = _plural(recovery.count, "tentative infructueuse", "tentatives infructueuses")
        text += f", après {tries} (interruption de {_duration(recovery.at - recovery.since)})"
    return text


def _duration(delta: timedelta) -> str:
    """``moins d'une minute``, ``40 min``, ``1 h 05``, ``2 jours et 3 h``."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "moins d'une minute"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d}" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    text = _plural(days, "jour", "jours")
    return f"{text} et {hours} h" if hours else text
