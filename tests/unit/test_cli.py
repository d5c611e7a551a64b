"""The CLI contract of DESIGN.md §5: stable JSON of `forms check`, the state diagram, exit codes."""

from __future__ import annotations

import json
from datetime import date

from click.testing import CliRunner

from mailflow.adapters.formbuild import build_request_form, fill_form
from mailflow.cli import main
from mailflow.domain.states import TRANSITIONS
from mailflow.runtime import demo_mails as mails


def test_forms_check_prints_the_stable_json_when_form_is_valid(tmp_path):
    path = tmp_path / "demande.xlsx"
    path.write_bytes(fill_form(build_request_form(), mails.request_values(date(2026, 11, 23))))
    result = CliRunner().invoke(main, ["forms", "check", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"form_id", "fields", "problems"}
    assert data["form_id"] == "demande-appariement" and data["problems"] == []
    fields = data["fields"]
    assert fields["uai"] == "0670080Y" and fields["target_country"] == "DE"
    assert fields["signed_on"] == "2026-11-23" and fields["pupils_count"] == 24
    assert fields["existing_partner"] is False and fields["languages_taught"] == [
        "allemand",
        "anglais",
        "espagnol",
    ]


def test_forms_check_lists_problems_and_exits_1_when_form_is_invalid(tmp_path):
    path = tmp_path / "demande.xlsx"
    path.write_bytes(fill_form(build_request_form(), mails.incomplete_values(date(2026, 11, 23))))
    result = CliRunner().invoke(main, ["forms", "check", str(path), "--json"])
    assert result.exit_code == 1
    problems = json.loads(result.output)["problems"]
    assert {"field": "uai", "code": "invalid_uai"} in [
        {"field": p["field"], "code": p["code"]} for p in problems
    ]
    assert all(p["message"] for p in problems)


def test_forms_check_reports_unreadable_when_file_is_not_a_form(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("rien à voir")
    data = json.loads(CliRunner().invoke(main, ["forms", "check", str(path), "--json"]).output)
    assert data["form_id"] is None and data["problems"][0]["code"] == "unreadable"


def test_states_mermaid_draws_every_transition_when_asked():
    result = CliRunner().invoke(main, ["states", "--mermaid"])
    assert result.exit_code == 0
    assert result.output.count(" --> ") == len(TRANSITIONS) + 1 + 3  # rows, the start, the terminal states
