"""`mailflow purge [--dry-run] [--json]` on a real SQLite file, through the click command.

The data is written years ago (a fixed clock); the command runs with the system clock, so everything
of the ended case is past retention, while the open case keeps everything.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from mailflow.adapters.clock import FixedClock
from mailflow.adapters.db import tables as t
from mailflow.adapters.formbuild import build_request_form, fill_form
from mailflow.config import Settings, load_settings
from mailflow.runtime import demo_mails as mails
from mailflow.runtime.purge_cli import purge, retention_policy
from mailflow.runtime.wiring import build_deps
from mailflow.services.manual_actions import case_action
from mailflow.services.outbox import drain_once
from mailflow.services.poll import poll_once
from mailflow.services.workflow import local_today

DAREIC = "ce.dareic@ac-strasbourg.fr"
LONG_AGO = datetime(2012, 1, 9, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return f"sqlite:///{tmp_path / 'mailflow.db'}"


def _config(tmp_path: Path, extra: str = "", url: str | None = None) -> Path:
    config = tmp_path / "mailflow.toml"
    url = url or f"sqlite:///{tmp_path / 'mailflow.db'}"
    config.write_text(
        f'[database]\nurl = "{url}"\n\n'
        f'[mailbox]\nkind = "maildir"\npath = "{tmp_path / "maildir"}"\n\n'
        f'[smtp]\nkind = "file"\npath = "{tmp_path / "outbox"}"\n{extra}',
        encoding="utf-8",
    )
    return config


def _arrive(deps, raw: bytes) -> None:
    deps.mailbox.deliver(raw)
    poll_once(deps)
    drain_once(deps)


def _history(config: Path) -> tuple[str, str]:
    """Two requests long ago: the first closed by staff (ended), the second still at the embassy."""
    deps = build_deps(load_settings(config, environ={}), clock=FixedClock(LONG_AGO))
    values = mails.request_values(local_today(deps))
    _arrive(deps, mails.school_request(fill_form(build_request_form(), values), LONG_AGO, DAREIC))
    other = values | {"uai": "0672134F"}
    _arrive(deps, mails.school_request(fill_form(build_request_form(), other), LONG_AGO, DAREIC))
    with deps.store.transaction() as tx:
        first, second = (c.ref for c in tx.cases())
    assert case_action(deps, first, "clore", "doublon", "tester").ok
    _arrive(deps, mails.newsletter(LONG_AGO, DAREIC))
    deps.store.dispose()
    return first, second


def _raw_kept(config: Path) -> int:
    deps = build_deps(load_settings(config, environ={}), with_mailbox=False)
    with deps.store.engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(t.inbound_raw)).scalar_one()
    deps.store.dispose()
    return int(count)


def _invoke(config: Path, *args: str):
    result = CliRunner().invoke(purge, list(args), obj={"config": str(config)})
    assert result.exit_code == 0, result.output
    return result.output


def test_purge_dry_run_reports_in_json_and_real_run_removes_only_the_ended_case(tmp_path, database_url):
    config = _config(tmp_path, url=database_url)
    closed, still_open = _history(config)
    assert _raw_kept(config) == 2

    dry = json.loads(_invoke(config, "--dry-run", "--json"))
    assert dry["dry_run"] is True and {item["case"] for item in dry["items"]} == {closed}
    assert dry["counts"]["inbound_mail"] == 1 and dry["counts"]["form_file"] == 1
    assert dry["counts"]["contacts"] == 1 and dry["counts"]["outgoing_mail"] >= 1
    assert _raw_kept(config) == 2  # the dry run changed nothing

    output = _invoke(config)
    assert "courriels reçus des dossiers terminés supprimés" in output and closed in output
    assert still_open not in output
    assert _raw_kept(config) == 1  # the open case's request is kept

    again = json.loads(_invoke(config, "--json"))
    assert again["items"] == [] and set(again["counts"].values()) == {0}


def test_purge_says_nothing_to_remove_in_french_when_database_is_new(tmp_path):
    output = _invoke(_config(tmp_path), "--dry-run")
    assert "simulation (--dry-run)" in output and "rien à supprimer" in output


def test_purge_explains_a_broken_configuration_when_the_file_is_wrong(tmp_path):
    config = tmp_path / "broken.toml"
    config.write_text("[database\n", encoding="utf-8")
    result = CliRunner().invoke(purge, [], obj={"config": str(config)})
    assert result.exit_code == 1 and "not valid TOML" in result.output


@pytest.mark.skipif(
    "retention" not in Settings.model_fields, reason="the [retention] section is not wired into Settings yet"
)
def test_purge_follows_the_retention_section_when_it_is_configured(tmp_path):
    config = _config(tmp_path, "\n[retention]\nunattached_mail_days = 0\nconventions_days = 0\n")
    assert retention_policy(load_settings(config, environ={})).conventions_days == 0
