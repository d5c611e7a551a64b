"""classify_raw: the stable JSON of `mailflow classify F.eml --json` (DESIGN.md §5), exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailflow.domain.errors import ExtractError
from mailflow.services.classify_view import classify_raw

DATA = Path(__file__).resolve().parents[1] / "data" / "mail"
KEYS = {"kind", "reasons", "bounce", "ooo_until"}


def _view(name: str) -> dict[str, object]:
    view = classify_raw((DATA / name).read_bytes())
    assert set(view) == KEYS
    assert json.loads(json.dumps(view)) == view  # plain JSON types only
    assert isinstance(view["reasons"], list) and all(isinstance(r, str) for r in view["reasons"])
    return view


def test_bounce_gives_action_status_and_recipients_when_an_exchange_ndr_is_classified() -> None:
    view = _view("bounce_fr_exchange_ndr.eml")
    assert view["kind"] == "bounce"
    assert view["bounce"] == {
        "action": "failed",
        "status": "5.1.10",
        "recipients": ["ecole.fermee@ac-strasbourg.fr"],
    }
    assert view["ooo_until"] is None


def test_delay_gives_action_delayed_when_a_delay_warning_is_classified() -> None:
    view = _view("bounce_fr_delay.eml")
    assert view["bounce"] == {
        "action": "delayed",
        "status": "4.4.7",
        "recipients": ["direction@lycee.example.pl"],
    }


def test_out_of_office_gives_an_iso_date_when_the_notice_states_one() -> None:
    view = _view("ooo_fr_exchange.eml")
    assert view["kind"] == "autoreply"
    assert view["ooo_until"] == "2026-12-13"
    assert view["bounce"] is None
    assert "ooo_substitute" not in view


def test_human_mail_gives_kind_human_when_a_reply_is_classified() -> None:
    assert _view("reply_fr_gmail.eml") == {
        "kind": "human",
        "reasons": ["no machine-generated signal"],
        "bounce": None,
        "ooo_until": None,
    }


def test_list_mail_gives_kind_list_when_a_newsletter_is_classified() -> None:
    view = _view("list_newsletter.eml")
    assert view["kind"] == "list"
    assert "List-Id header" in view["reasons"]  # type: ignore[operator]


def test_read_receipt_gives_kind_receipt_when_an_mdn_is_classified() -> None:
    view = _view("receipt_fr_outlook.eml")
    assert view["kind"] == "receipt"
    assert view["bounce"] is None


def test_not_a_message_raises_extract_error_when_given_an_outlook_msg_file() -> None:
    with pytest.raises(ExtractError):
        classify_raw(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64)
