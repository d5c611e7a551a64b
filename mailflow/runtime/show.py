"""Rich tables for the terminal: case lists and timelines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Console
from rich.table import Table


def print_cases(console: Console, rows: Sequence[Mapping[str, object]]) -> None:
    table = Table(title=f"{len(rows)} dossier(s)")
    for column in ("ref", "state", "school", "country", "waiting_for", "due_on", "review"):
        table.add_column(column)
    for r in rows:
        table.add_row(*(str(r.get(c) or "") for c in ("ref", "state", "school", "country", "waiting_for", "due_on",
                                                      "review")))
    console.print(table)


def print_timeline(console: Console, data: Mapping[str, object]) -> None:
    console.print(f"[bold]{data['ref']}[/bold] — {data['school']} ({data['uai']}) → {data['country']}"
                  f"{' / ' + str(data['region']) if data.get('region') else ''}")
    console.print(f"état : {data['state_label']}" + (f" — réponse attendue le {data['due_on']}" if data.get("due_on") else ""))
    if data.get("review"):
        console.print(f"[yellow]à traiter : {data['review']}[/yellow]")
    table = Table(show_header=True)
    for column in ("quand", "événement", "par", "état", "détail"):
        table.add_column(column, overflow="fold")
    events = data.get("events") or []
    assert isinstance(events, list)
    for e in events:
        state = f"{e['from'] or ''} → {e['to']}" if e.get("to") else ""
        table.add_row(str(e["at"])[:16].replace("T", " "), str(e["kind"]), str(e["actor"]), state, str(e["detail"])[:90])
    console.print(table)
    mails = data.get("mails") or []
    assert isinstance(mails, list)
    for m in mails:
        console.print(f"  ✉ {str(m['at'])[:16].replace('T', ' ')} {m['status']:7} → {', '.join(m['to'])} : {m['subject']}")
