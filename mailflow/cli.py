"""The command line (DESIGN.md §5): operators, tests and the demo use it."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click
from rich.console import Console

from mailflow.config import Settings, load_settings
from mailflow.domain.errors import ConfigError
from mailflow.domain.states import CaseState, mermaid

console = Console()


def _settings(ctx: click.Context) -> Settings:
    try:
        return load_settings(ctx.obj.get("config"))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def _deps(ctx: click.Context, **kw: object):  # type: ignore[no-untyped-def]
    from mailflow.runtime.wiring import build_deps

    try:
        return build_deps(_settings(ctx), **kw)  # type: ignore[arg-type]
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False),
    default=None,
    help="TOML configuration file (else $MAILFLOW_CONFIG, else embedded defaults).",
)
@click.option("--log-json", is_flag=True, help="Log as JSON lines.")
@click.option("-v", "--verbose", is_flag=True, help="Log each pipeline step.")
@click.pass_context
def main(ctx: click.Context, config: str | None, log_json: bool, verbose: bool) -> None:
    """mailflow: the académie's appariement procedure, run entirely by email."""
    from mailflow.runtime.logging import configure_logging

    configure_logging(json_lines=log_json, verbose=verbose)
    ctx.obj = {"config": config}


@main.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    default="demo-output",
    help="Where the demo leaves its mailbox, mails, database and timelines.",
)
def demo(directory: str) -> None:
    """Play the whole procedure on embedded defaults and show every case's timeline."""
    from mailflow.runtime.demo import run_demo

    sys.exit(0 if run_demo(Path(directory), console) else 1)


@main.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """The daemon: watch the mailbox, drain the outbox, send reminders."""
    from mailflow.runtime.daemon import run_daemon

    run_daemon(_settings(ctx), console)


@main.command("poll-once")
@click.pass_context
def poll_once_cmd(ctx: click.Context) -> None:
    """Fetch and process the new mail once."""
    from mailflow.services.poll import poll_once

    report = poll_once(_deps(ctx))
    console.print(
        f"fetched {report.fetched}: " + ", ".join(f"{k} {v}" for k, v in sorted(report.statuses.items()))
    )


@main.command("drain-once")
@click.pass_context
def drain_once_cmd(ctx: click.Context) -> None:
    """Send the mail waiting in the outbox once."""
    from mailflow.services.outbox import drain_once

    r = drain_once(_deps(ctx))
    console.print(f"sent {r.sent}, retry later {r.retried}, failed {r.failed}")


@main.command()
@click.option("--now", "now", required=True, help="ISO date-time to act as (e.g. 2026-12-07T09:00+01:00).")
@click.pass_context
def tick(ctx: click.Context, now: str) -> None:
    """Run the time-driven work (reminders, then the outbox) as if it were NOW."""
    from mailflow.adapters.clock import FixedClock
    from mailflow.services.outbox import drain_once
    from mailflow.services.reminders import run_due_reminders
    from mailflow.services.workflow import local_today

    try:
        at = datetime.fromisoformat(now)
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO date-time: {now}") from exc
    if at.tzinfo is None:
        raise click.BadParameter("give a time zone, e.g. 2026-12-07T09:00+01:00")
    deps = _deps(ctx, clock=FixedClock(at), with_mailbox=False)
    sent = run_due_reminders(deps, local_today(deps))
    r = drain_once(deps)
    console.print(f"reminders {sent}; sent {r.sent}, retry later {r.retried}, failed {r.failed}")


@main.command("ingest-file")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.pass_context
def ingest_file(ctx: click.Context, files: tuple[str, ...]) -> None:
    """Push raw .eml files through the ingest pipeline (as if fetched)."""
    from mailflow.services.manual import ingest_raw

    deps = _deps(ctx, with_mailbox=False)
    for name in files:
        status, ref = ingest_raw(deps, Path(name).read_bytes())
        console.print(f"{name}: {status.value}" + (f" ({ref})" if ref else ""))


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
def classify(file: str, as_json: bool) -> None:
    """What mailflow sees in a message: kind, reasons, bounce details, out-of-office date."""
    from mailflow.domain.errors import ExtractError
    from mailflow.services.classify_view import classify_raw

    try:
        result = classify_raw(Path(file).read_bytes())
    except ExtractError as exc:
        raise click.ClickException(f"{file} is not an e-mail message: {exc}") from exc
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    console.print(f"kind: [bold]{result['kind']}[/bold]")
    for reason in result["reasons"]:  # type: ignore[attr-defined]
        console.print(f"  because: {reason}")
    if result["bounce"]:
        console.print(f"bounce: {result['bounce']}")
    if result["ooo_until"]:
        console.print(f"out of office until: {result['ooo_until']}")


@main.command()
@click.option("--state", type=click.Choice([s.value for s in CaseState]), default=None)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def cases(ctx: click.Context, state: str | None, as_json: bool) -> None:
    """List cases."""
    from mailflow.runtime.show import print_cases
    from mailflow.services.queries import list_cases

    rows = list_cases(_deps(ctx, with_mailbox=False), CaseState(state) if state else None)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print_cases(console, rows)


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("ref")
@click.argument("action", required=False)
@click.argument("args", nargs=-1)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def case(ctx: click.Context, ref: str, action: str | None, args: tuple[str, ...], as_json: bool) -> None:
    """One case's timeline; with ACTION, a staff action (valider, refuser MOTIF, note TEXTE, transmettre...)."""
    import getpass

    from mailflow.runtime.show import print_timeline
    from mailflow.services.manual_actions import case_action
    from mailflow.services.queries import case_timeline

    deps = _deps(ctx)
    if action:
        result = case_action(deps, ref, action, " ".join(args), getpass.getuser())
        console.print(
            f"{'[green]✔[/green]' if result.ok else '[red]✘[/red]'} {result.line}: {result.message}"
        )
        if result.ok:
            from mailflow.services.outbox import drain_once

            drain_once(deps)
        sys.exit(0 if result.ok else 1)
    data = case_timeline(deps, ref)
    if data is None:
        raise click.ClickException(f"no case {ref}")
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        print_timeline(console, data)


@main.command()
@click.argument("message")
@click.argument("ref")
@click.pass_context
def attach(ctx: click.Context, message: str, ref: str) -> None:
    """Attach a message "à rattacher" (its number #12 or its Message-ID) to case REF."""
    from mailflow.services.manual_actions import attach as attach_message

    result = attach_message(_deps(ctx), message, ref)
    console.print(f"{'[green]✔[/green]' if result.ok else '[red]✘[/red]'} {result.message}")
    sys.exit(0 if result.ok else 1)


@main.command()
@click.option("--mermaid", "as_mermaid", is_flag=True, help="Draw the transition table as a Mermaid diagram.")
def states(as_mermaid: bool) -> None:
    """The lifecycle's transition table."""
    from mailflow.domain.states import TRANSITIONS

    if as_mermaid:
        click.echo(mermaid(), nl=False)
        return
    for row in TRANSITIONS:
        click.echo(f"{row.source.value:20} --{row.event.value}--> {row.target.value}")


@main.group()
def forms() -> None:
    """The blank forms people download."""


@forms.command("build")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=None)
@click.pass_context
def forms_build(ctx: click.Context, directory: str | None) -> None:
    """Regenerate the blank forms in forms/ from the schema."""
    from mailflow.adapters.formbuild import build_forms

    target = Path(directory) if directory else Path(_settings(ctx).paths.forms)
    for path in build_forms(target):
        console.print(f"wrote {path}")


@forms.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
def forms_check(file: str, as_json: bool) -> None:
    """Read a filled form file: its fields and its problems (exit 1 when it has problems)."""
    from mailflow.services.formcheck import check_file

    result = check_file(Path(file))
    problems = result["problems"]
    assert isinstance(problems, list)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        fields = result["fields"]
        assert isinstance(fields, dict)
        console.print(f"form: {result['form_id'] or 'not recognised'}")
        for key, value in fields.items():
            console.print(f"  {key:26} {value}")
        for p in problems:
            console.print(f"[red]✘[/red] {p['message']}")
    sys.exit(1 if problems else 0)


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """What the daemon did last, the backlog, pending and failed outgoing mail, recent errors."""
    from mailflow.runtime.show import print_status
    from mailflow.services.status import status_report

    report = status_report(_deps(ctx))
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    else:
        print_status(console, report)


@main.command("check-config")
@click.pass_context
def check_config_cmd(ctx: click.Context) -> None:
    """Load the configuration, render every template, connect to the database, IMAP and SMTP."""
    from mailflow.runtime.checks import check_config

    findings = check_config(_settings(ctx))
    for f in findings:
        console.print(f"{'[green]✔[/green]' if f.ok else '[red]✘[/red]'} {f.what}: {f.detail}")
    sys.exit(0 if all(f.ok for f in findings) else 1)


@main.group()
def templates() -> None:
    """The mails and letters people receive."""


@templates.command("preview")
@click.argument("directory", type=click.Path(file_okay=False))
@click.pass_context
def templates_preview(ctx: click.Context, directory: str) -> None:
    """Write every mail (HTML and text) and both letters (PDF) for a sample case, with an index.html."""
    from mailflow.adapters.clock import SystemClock
    from mailflow.runtime.preview import write_preview
    from mailflow.runtime.wiring import identity

    settings = _settings(ctx)
    paths = write_preview(
        Path(directory),
        Path(settings.paths.templates),
        identity(settings),
        SystemClock().now().astimezone(identity(settings).timezone).date(),
    )
    console.print(f"wrote {len(paths)} files; open {paths[-1]}")


@main.group()
def db() -> None:
    """Database operations."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Bring the schema to the latest migration."""
    _deps(ctx, with_mailbox=False)
    console.print("database is up to date")


def _register_reports() -> None:
    """Commands kept in their own modules: the digest and Excel reports, and the retention purge."""
    from mailflow.runtime.digest_cli import digest, export, report
    from mailflow.runtime.purge_cli import purge

    for command in (digest, export, report, purge):
        main.add_command(command)


_register_reports()

if __name__ == "__main__":  # pragma: no cover
    main()
