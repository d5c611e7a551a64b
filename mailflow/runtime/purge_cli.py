"""`mailflow purge [--dry-run] [--json]`: remove the personal data past retention and say what went.

The durations come from the ``[retention]`` section of the configuration (RetentionPolicy's defaults
when absent). The mailbox is not touched: the copies in the IMAP processed and Sent folders follow the
mail server's own retention rules. Register with ``main.add_command(purge)`` in mailflow/cli.py.
"""

from __future__ import annotations

import json

import click

from mailflow.config import Settings, load_settings
from mailflow.domain.errors import ConfigError
from mailflow.domain.retention import RetentionPolicy
from mailflow.runtime.wiring import build_deps
from mailflow.services.retention import purge as purge_data


def retention_policy(settings: Settings) -> RetentionPolicy:
    """The configured policy (``settings.retention`` once the section is wired), else the defaults."""
    policy = getattr(settings, "retention", None)
    return policy if isinstance(policy, RetentionPolicy) else RetentionPolicy()


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Only list what would be removed; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def purge(ctx: click.Context, dry_run: bool, as_json: bool) -> None:
    """Remove personal data past its retention (DOMAIN.md §6) and list what was removed."""
    try:
        settings = load_settings((ctx.obj or {}).get("config"))
        deps = build_deps(settings, with_mailbox=False)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    report = purge_data(deps, retention_policy(settings), dry_run=dry_run)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    if dry_run:
        click.echo("simulation (--dry-run) : rien n'a été modifié")
    for line in report.lines():
        click.echo(line)
