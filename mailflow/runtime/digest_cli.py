"""Click commands for the digest and the Excel reports: `digest`, `export F.xlsx`, `report --year YYYY F.xlsx`.

The lead registers them in cli.py with ``main.add_command(digest)`` (and ``export``, ``report``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from mailflow.adapters.reports import DigestWriter, export_workbook, year_report
from mailflow.config import Settings, load_settings
from mailflow.domain.errors import ConfigError
from mailflow.services.deps import Deps

console = Console()


def _build(ctx: click.Context, *, with_mailbox: bool = False) -> tuple[Settings, Deps]:
    from mailflow.runtime.wiring import build_deps

    try:
        settings = load_settings(ctx.obj["config"])
        return settings, build_deps(settings, with_mailbox=with_mailbox)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def digest_writer(settings: Settings, deps: Deps) -> DigestWriter:
    return DigestWriter(Path(settings.paths.templates), deps.identity.timezone)


@click.command()
@click.option(
    "--preview",
    "preview",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the digest's HTML to this file (and its .xlsx beside it); nothing is sent.",
)
@click.option("--send", "send", is_flag=True, help="Queue today's digest to the staff and send it.")
@click.pass_context
def digest(ctx: click.Context, preview: str | None, send: bool) -> None:
    """The daily digest: preview it, or send it (at most once per day)."""
    from mailflow.services.digest import preview_digest, send_digest
    from mailflow.services.outbox import drain_once

    if not preview and not send:
        raise click.UsageError("give --preview F.html, --send, or both")
    settings, deps = _build(ctx, with_mailbox=send)
    writer = digest_writer(settings, deps)
    if preview:
        view, rendered = preview_digest(deps, writer)
        target = Path(preview)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(rendered.html, encoding="utf-8")
        target.with_suffix(".txt").write_text(rendered.text, encoding="utf-8")
        target.with_suffix(".xlsx").write_bytes(writer.workbook(view))
        console.print(f"wrote {target} (+ .txt, .xlsx): {rendered.subject}")
    if send:
        result = send_digest(deps, writer)
        if not result.queued:
            console.print(f"[yellow]not sent[/yellow]: {result.reason}")
            sys.exit(0)
        report = drain_once(deps)
        console.print(f"digest queued ({result.message_id}); sent {report.sent}, retry later {report.retried}, "
                      f"failed {report.failed}")  # fmt: skip


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_context
def export(ctx: click.Context, file: str) -> None:
    """Every case to Excel: one row each, every form field, states and dates."""
    from mailflow.services.digest import all_cases

    _, deps = _build(ctx)
    cases = all_cases(deps)
    Path(file).write_bytes(export_workbook(cases, deps.identity.timezone))
    console.print(f"wrote {file}: {len(cases)} case(s)")


@click.command()
@click.option("--year", "year", type=int, required=True, help="Calendar year of the requests (opening date).")
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_context
def report(ctx: click.Context, year: int, file: str) -> None:
    """Requests of a year by country, state, school type and month, with Excel charts."""
    from mailflow.services.digest import all_cases

    _, deps = _build(ctx)
    Path(file).write_bytes(year_report(all_cases(deps), year, deps.identity.timezone))
    console.print(f"wrote {file}: report {year}")
