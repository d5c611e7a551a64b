"""Every message of the shared corpus parses (or is refused cleanly) and is classified sensibly.

Expectations come from ``shared/corpus/MANIFEST.tsv``. Attachment names are compared after the
neutralisation every stored name goes through: ``1234/../../1234.txt`` is expected as ``1234.txt``;
``(unnamed)`` / ``(message/rfc822)`` match our ``piece-jointe-N`` fallback names.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from mailflow.domain.classify import Classification, classify
from mailflow.domain.errors import ExtractError
from mailflow.domain.message import InboundMessage
from mailflow.extract.mime import parse_message
from mailflow.extract.parts import safe_filename

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


@dataclass(frozen=True)
class Row:
    file: str
    expected: dict[str, str]
    message: InboundMessage | None
    error: Exception | None
    classification: Classification | None


def _require_corpus() -> None:
    if (CORPUS / "MANIFEST.tsv").exists():
        return
    if os.environ.get("MAILFLOW_REQUIRE_SERVICES") == "1":
        pytest.fail(f"the shared corpus is required but missing at {CORPUS}", pytrace=False)
    pytest.skip(f"SKIPPED LOUDLY: the shared corpus is missing at {CORPUS}")


@cache
def _rows() -> tuple[Row, ...]:
    rows: list[Row] = []
    for line in (CORPUS / "MANIFEST.tsv").read_text("utf-8").splitlines()[1:]:
        cols = line.split("\t")
        expected = dict(tok.split("=", 1) for tok in shlex.split(cols[5]))
        raw = (CORPUS / cols[0]).read_bytes()
        try:
            msg = parse_message(raw)
        except Exception as exc:  # judged by the tests below
            rows.append(Row(cols[0], expected, None, exc, None))
            continue
        rows.append(Row(cols[0], expected, msg, None, classify(msg)))
    return tuple(rows)


@pytest.fixture(scope="module")
def rows() -> tuple[Row, ...]:
    _require_corpus()
    return _rows()


def test_every_corpus_file_is_listed_when_the_manifest_is_read(rows: tuple[Row, ...]) -> None:
    on_disk = {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*.eml")}
    assert on_disk == {r.file for r in rows}


def test_every_message_parses_when_it_is_an_internet_message(rows: tuple[Row, ...]) -> None:
    failures = [
        f"{r.file}: {type(r.error).__name__}: {r.error}"
        for r in rows
        if r.error is not None and r.expected.get("not_rfc822") != "yes"
    ]
    assert failures == []


def test_non_message_is_refused_with_extract_error_when_marked_not_rfc822(rows: tuple[Row, ...]) -> None:
    refused = [r for r in rows if r.expected.get("not_rfc822") == "yes"]
    assert refused, "the corpus should hold the Outlook .msg file"
    for row in refused:
        assert isinstance(row.error, ExtractError), row.file


def test_attachment_names_are_safe_when_any_message_is_parsed(rows: tuple[Row, ...]) -> None:
    unsafe = [
        (r.file, a.filename)
        for r in rows
        if r.message
        for a in r.message.attachments
        if "/" in a.filename or "\\" in a.filename or ".." in a.filename or not a.filename
        or any(ord(c) < 32 for c in a.filename) or len(a.filename) > 150
    ]  # fmt: skip
    assert unsafe == []


def test_subject_matches_when_the_manifest_gives_one(rows: tuple[Row, ...]) -> None:
    checked = [r for r in rows if "subject" in r.expected and r.message]
    mismatches = [
        (r.file, r.message.subject)
        for r in checked
        if r.message.subject.strip() != r.expected["subject"].strip()
    ]  # type: ignore[union-attr]
    assert len(checked) >= 20
    assert mismatches == []


def _expected_name(name: str) -> str:
    if name in {"(unnamed)", "(message/rfc822)"}:
        return name
    return safe_filename(name, 0)


def _our_name(content_type: str, filename: str) -> str:
    if filename.startswith("piece-jointe-"):
        return "(message/rfc822)" if content_type == "message/rfc822" else "(unnamed)"
    return filename


def _expected_names(expected: dict[str, str]) -> list[str] | None:
    """MIME-level names, with winmail.dat replaced by the files it carries (we unpack TNEF).
    None for TNEF rows whose packed files the manifest does not list (checked separately)."""
    names = [_expected_name(n) for n in expected["names"].split("|")]
    if expected.get("tnef") != "yes":
        return names
    if "tnef_files" not in expected:
        return None
    out: list[str] = []
    for name in names:
        out.extend(expected["tnef_files"].split("|") if name == "winmail.dat" else [name])
    return out


def test_attachment_names_match_when_the_manifest_lists_them(rows: tuple[Row, ...]) -> None:
    checked = [r for r in rows if "names" in r.expected and r.message and r.expected.get("uuencode") != "yes"]
    mismatches = []
    for r in checked:
        want = _expected_names(r.expected)
        got = [_our_name(a.content_type, a.filename) for a in r.message.attachments]  # type: ignore[union-attr]
        if want is not None and got != want:
            mismatches.append((r.file, got, want))
    assert len(checked) >= 70
    assert mismatches == []


def _uuencoded(file: str) -> int:
    """How many uuencoded blocks the raw file carries (the manifest counts MIME parts only)."""
    raw = (CORPUS / file).read_bytes()
    return len(re.findall(rb"(?m)^begin [0-7]{3,4} \S", raw))


def test_attachment_count_matches_when_the_manifest_gives_it(rows: tuple[Row, ...]) -> None:
    mismatches = [
        (r.file, len(r.message.attachments), r.expected["attachments"])
        for r in rows
        if "attachments" in r.expected
        and r.message
        and r.expected.get("tnef") != "yes"  # TNEF rows: see the names test and the TNEF test
        and len(r.message.attachments) != int(r.expected["attachments"]) + _uuencoded(r.file)
    ]
    assert mismatches == []


def _names(rows: tuple[Row, ...], file: str) -> list[str]:
    row = next(r for r in rows if r.file == file)
    assert row.message is not None
    return [a.filename for a in row.message.attachments]


def test_tnef_files_replace_winmail_dat_when_the_payload_carries_files(rows: tuple[Row, ...]) -> None:
    tnef_rows = [r for r in rows if r.expected.get("tnef") == "yes"]
    assert len(tnef_rows) == 10
    assert _names(rows, "outlook/alaveteli__incoming-request-tnef-attachments.eml") == [
        "FOI 09-02976i.doc",
        "FOI 09-02976iii.doc",
    ]
    assert (
        _names(rows, "outlook/mimekit__tnef_rich-text.eml")[0] == "kitten-playing-with-a-christmas-tree.jpg"
    )
    for r in tnef_rows:  # body-only or broken TNEF: winmail.dat is kept, and the text is there
        got = _names(rows, r.file)
        assert got and (got == ["winmail.dat"]) == ("winmail.dat" in got), r.file
        assert r.message is not None and r.message.text.strip(), r.file


def test_uuencoded_files_become_attachments_when_a_text_part_carries_them(rows: tuple[Row, ...]) -> None:
    assert _names(rows, "attachments/alaveteli__simple-uuencoded-attachment.eml") == ["Happy.txt"]
    assert _names(rows, "attachments/alaveteli__inline-uuencode.eml") == ["ResponseT7363 9.doc"]
    row = next(r for r in rows if r.file == "attachments/alaveteli__simple-uuencoded-attachment.eml")
    assert row.message is not None and "begin 644" not in row.message.text
    assert row.message.attachments[0].data.startswith(b"Happy today")


def test_every_message_is_classified_when_it_parses(rows: tuple[Row, ...]) -> None:
    """The scores against the labels are in test_corpus_scores.py."""
    assert all(r.classification is not None for r in rows if r.message is not None)


def test_upstream_text_assertions_hold_when_the_manifest_copies_them(rows: tuple[Row, ...]) -> None:
    """alaveteli's spec assertions: body/subject fragments, the sender's name, the recipients."""
    checked = 0
    for r in rows:
        if r.message is None:
            continue
        msg = r.message
        if "body_contains" in r.expected:
            assert r.expected["body_contains"] in msg.text, r.file
        if "subject_contains" in r.expected:
            assert r.expected["subject_contains"] in msg.subject, r.file
        if "from_name" in r.expected:
            assert msg.from_name == r.expected["from_name"], r.file
        if "to" in r.expected:
            assert list(msg.to_addrs) == [a.lower() for a in r.expected["to"].split("|")], r.file
        checked += sum(k in r.expected for k in ("body_contains", "subject_contains", "from_name", "to"))
    assert checked >= 4
