"""Rich tables for the terminal: case lists and timelines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from mailflow.domain.calendar import french_date

PARIS = ZoneInfo("Europe/Paris")


def _local(iso: object) -> str:
    """An ISO UTC timestamp shown as Paris local time, to the minute."""
    return datetime.fromisoformat(str(iso)).astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


def _due(iso: object) -> str:
    return french_date(date.fromisoformat(str(iso)), weekday=True)


def print_cases(console: Console, rows: Sequence[Mapping[str, object]]) -> None:
    table = Table(title=f"{len(rows)} dossier(s)")
    for column in ("ref", "state", "school", "country", "waiting_for", "due_on", "review"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            *(
                str(r.get(c) or "")
                for c in ("ref", "state", "school", "country", "waiting_for", "due_on", "review")
            )
        )
    console.print(table)


def print_timeline(console: Console, data: Mapping[str, object]) -> None:
    console.print(
        f"[bold]{data['ref']}[/bold] — {data['school'] or 'établissement non renseigné'}"
        f" ({data['uai'] or 'UAI non reconnu'}) → {data['country'] or 'pays non reconnu'}"
        f"{' / ' + str(data['region']) if data.get('region') else ''}"
    )
    console.print(f"état : {data['state_label']}")
    if data.get("waiting_for") and data.get("due_on"):
        who = {
            "school": "l'établissement",
            "embassy": "le correspondant à l'étranger",
            "rector": "le cabinet du recteur",
            "staff": "la Dareic",
        }.get(str(data["waiting_for"]), str(data["waiting_for"]))
        console.print(f"prochaine étape : réponse de {who} attendue le {_due(data['due_on'])}")
    if data.get("review"):
        console.print(f"[yellow]à traiter : {data['review']}[/yellow]")
    table = Table(show_header=True)
    for column in ("quand", "événement", "par", "état", "détail"):
        table.add_column(column, overflow="fold")
    events = data.get("events") or []
    assert isinstance(events, list)
    for e in events:
        state = f"{e['from'] or ''} → {e['to']}" if e.get("to") else ""
        table.add_row(_local(e["at"]), str(e["kind"]), str(e["actor"]), state, str(e["detail"])[:90])
    console.print(table)
    mails = data.get("mails") or []
    assert isinstance(mails, list)
    for m in mails:
        console.print(f"  ✉ {_local(m['at'])} {m['status']:7} → {', '.join(m['to'])} : {m['subject']}")


def print_status(console: Console, report: Mapping[str, object]) -> None:
    def when(value: object) -> str:
        return _local(value) if value else "never"

    console.print(f"last poll   : {when(report['last_poll'])}  {report.get('last_poll_result') or ''}")
    console.print(f"last drain  : {when(report['last_drain'])}")
    console.print(f"backlog     : {report['backlog']} message(s) stored, not yet processed")
    console.print(
        f"outbox      : {report['outbox_pending']} pending, {report['outbox_failed']} failed, "
        f"{report['outbox_sent']} sent"
    )
    error = report.get("last_error")
    if isinstance(error, dict):
        console.print(f"[yellow]last error  : {when(error.get('at'))} {error.get('message')}[/yellow]")
    for item in report.get("recent_quarantine") or []:  # type: ignore[attr-defined]
        console.print(f"[red]quarantined[/red] #{item['id']} from {item['from']}: {item['reason']}")
    for item in report.get("recent_failed_mail") or []:  # type: ignore[attr-defined]
        console.print(f"[red]not delivered[/red] to {', '.join(item['to'])}: {item['error']}")
