"""Large base64 bodies set aside before parsing: the parse is exactly the usual one, with far less memory."""

from __future__ import annotations

import base64
import os
import tracemalloc
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailflow.domain.errors import ExtractError
from mailflow.extract import setaside
from mailflow.extract.mime import parse_message
from mailflow.extract.setaside import find_runs
from tests.unit.test_corpus_parse import CORPUS, _require_corpus
from tests.unit.test_property_mime import FAST, broken_messages, mutated_seeds

NEVER = 1 << 62  # a threshold no message reaches: the usual parse


def _both(raw: bytes, monkeypatch: pytest.MonkeyPatch, threshold: int = 200):
    monkeypatch.setattr(setaside, "SET_ASIDE", NEVER)
    usual = parse_message(raw)
    monkeypatch.setattr(setaside, "SET_ASIDE", threshold)
    return usual, parse_message(raw)


def _mail(*parts: tuple[bytes, str, str, str]) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "ecole@ac-strasbourg.fr", "ce.dareic@ac-strasbourg.fr", "Annexes"
    msg["Message-ID"] = "<annexes@ac-strasbourg.fr>"
    msg.set_content("Bonjour, voici nos annexes.")
    for data, maintype, subtype, name in parts:
        msg.add_attachment(data, maintype, subtype, filename=name)
    return bytes(msg)


def test_a_large_attachment_is_read_the_same_when_set_aside(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _mail(
        (os.urandom(5000), "application", "pdf", "projet.pdf"), (b"PK" * 900, "application", "zip", "b.zip")
    )
    assert len(find_runs(raw, minimum=200)) == 2
    usual, set_aside = _both(raw, monkeypatch)
    assert set_aside == usual
    assert [len(a.data) for a in set_aside.attachments] == [5000, 1800]


def test_every_corpus_message_parses_the_same_when_every_base64_run_is_set_aside(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _require_corpus()
    checked = 0
    for path in sorted(CORPUS.rglob("*.eml")):
        raw = path.read_bytes()
        if not find_runs(raw, minimum=64):
            continue
        try:
            usual, set_aside = _both(raw, monkeypatch, threshold=64)
        except Exception as exc:  # a message refused outright must be refused both ways
            pytest.fail(f"{path.name}: {exc}")
        assert set_aside == usual, path.name
        checked += 1
    assert checked > 50  # 95 corpus messages carry base64 runs of 64 bytes or more


def test_a_base64_block_pasted_in_a_text_part_is_put_back_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    block = base64.encodebytes(os.urandom(3000)).decode()
    msg = EmailMessage()
    msg["From"], msg["Subject"] = "ecole@ac-strasbourg.fr", "Clé publique"
    msg.set_content(f"Voici notre cle :\n\n{block}\nCordialement", cte="7bit")
    usual, set_aside = _both(bytes(msg), monkeypatch)
    assert set_aside == usual and block.strip() in set_aside.text


def test_a_forwarded_message_keeps_its_attachment_bytes_when_set_aside(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inner = _mail((os.urandom(4000), "application", "pdf", "convention.pdf"))
    outer = EmailMessage()
    outer["From"], outer["Subject"] = "principal@ac-strasbourg.fr", "TR: Annexes"
    outer.set_content("Pour information.")
    outer.add_attachment(inner, "message", "rfc822")
    raw = bytes(outer)
    assert find_runs(raw, minimum=200)
    usual, set_aside = _both(raw, monkeypatch)
    assert set_aside == usual
    assert any(a.data.endswith(b"\n") or a.data for a in set_aside.attachments)


def test_a_run_that_does_not_decode_takes_the_usual_lenient_path(monkeypatch: pytest.MonkeyPatch) -> None:
    good = _mail((os.urandom(3000), "application", "pdf", "scan.pdf"))
    body_start = good.index(b"Content-Disposition: attachment")
    head, _, tail = good[body_start:].partition(b"\n\n")
    broken = good[:body_start] + head + b"\n\n" + b"QUJD\n" * 300 + b"QQ\n" + tail[tail.index(b"\n--") :]
    usual, set_aside = _both(broken, monkeypatch)
    assert set_aside == usual


def test_runs_are_whole_lines_of_base64_and_only_the_long_ones(tmp_path: Path) -> None:
    line = b"QUJDREVG" + b"\r\n"
    raw = b"Subject: x\r\n\r\n" + line * 10 + b"not base64 here!\r\n" + line * 100 + b"--end--\r\n"
    (run,) = find_runs(raw, minimum=len(line) * 50)
    assert raw[run.start : run.end] == line * 100
    assert run.decode() == b"ABCDEF" * 100
    assert find_runs(raw[: run.start], minimum=len(line) * 50) == []


def test_a_20_mb_attachment_is_parsed_with_little_more_memory_than_the_file_itself() -> None:
    data = os.urandom(20_000_000)
    raw = _mail((data, "application", "pdf", "projet-numerise.pdf"))
    tracemalloc.start()
    try:
        message = parse_message(raw)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert message.attachments[0].data == data
    assert peak < 1.5 * len(data)  # the usual parse peaks near 5x (line strings, joined text, decoding)


@FAST
@given(raw=st.one_of(broken_messages(), mutated_seeds()))
def test_setting_runs_aside_never_changes_the_parse_of_broken_or_mutated_mail(raw: bytes) -> None:
    def parse(threshold: int) -> object:
        original = setaside.SET_ASIDE
        setaside.SET_ASIDE = threshold
        try:
            return parse_message(raw)
        except ExtractError as exc:
            return ("refused", str(exc))
        finally:
            setaside.SET_ASIDE = original

    assert parse(16) == parse(NEVER)
