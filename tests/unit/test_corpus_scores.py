"""The classifier scored against the shared corpus labels (MANIFEST.tsv), at the bars of issue 5.

Prints precision and recall per class (run with ``-s`` to see them; docs/classification.md keeps them).
A "human" mail here is one labelled ``autoreply=no bounce=no`` that is not an ARF report, a read
receipt or a positive DSN; list mail (List-Id, Precedence: bulk) is a correct "list", not an alarm.
Skips loudly without the corpus, and fails instead when MAILFLOW_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from mailflow.domain.classify import MailKind
from tests.unit.test_corpus_parse import Row, _require_corpus, _rows

MIN_AUTOREPLY_PRECISION = 0.98
MIN_AUTOREPLY_RECALL = 0.95
MIN_BOUNCE_PRECISION = 0.98
MIN_BOUNCE_RECALL = 0.97
MIN_FAILED_RECIPIENT = 0.95
MAX_HUMAN_ALARMS = 0.01
_NOT_HUMAN_KINDS = frozenset({"arf", "mdn", "dsn-success"})


@dataclass(frozen=True)
class Score:
    true_positive: int
    predicted: int
    actual: int

    @property
    def precision(self) -> float:
        return self.true_positive / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positive / self.actual if self.actual else 1.0


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    _require_corpus()
    return [r for r in _rows() if r.classification is not None]


def _kind(row: Row) -> MailKind:
    assert row.classification is not None
    return row.classification.kind


def _score(rows: list[Row], label: str, kind: MailKind) -> Score:
    actual = [r for r in rows if r.expected[label] == "yes"]
    predicted = [r for r in rows if _kind(r) is kind]
    hits = [r for r in actual if _kind(r) is kind]
    print(
        f"\n{label}: precision {len(hits)}/{len(predicted)}, recall {len(hits)}/{len(actual)}"
        f"\n  missed: {[r.file for r in actual if r not in hits]}"
        f"\n  false: {[r.file for r in predicted if r not in actual]}"
    )
    return Score(len(hits), len(predicted), len(actual))


def test_autoreply_precision_and_recall_meet_the_bars_when_scored_on_the_corpus(rows: list[Row]) -> None:
    score = _score(rows, "autoreply", MailKind.AUTOREPLY)
    print(f"autoreply precision {score.precision:.3f} recall {score.recall:.3f}")
    assert score.actual >= 20
    assert score.precision >= MIN_AUTOREPLY_PRECISION
    assert score.recall >= MIN_AUTOREPLY_RECALL


def test_bounce_precision_and_recall_meet_the_bars_when_scored_on_the_corpus(rows: list[Row]) -> None:
    score = _score(rows, "bounce", MailKind.BOUNCE)
    print(f"bounce precision {score.precision:.3f} recall {score.recall:.3f}")
    assert score.actual >= 100
    assert score.precision >= MIN_BOUNCE_PRECISION
    assert score.recall >= MIN_BOUNCE_RECALL


def test_failed_recipients_equal_the_label_when_a_bounce_names_them(rows: list[Row]) -> None:
    labelled = [r for r in rows if r.expected["bounce"] == "yes" and "failed_rcpt" in r.expected]
    wrong = []
    for r in labelled:
        want = {a.lower() for a in r.expected["failed_rcpt"].split("|")}
        bounce = r.classification.bounce if r.classification else None
        got = {a.lower() for a in bounce.recipients} if bounce else set()
        if got != want:
            wrong.append((r.file, sorted(got), sorted(want)))
    rate = 1 - len(wrong) / len(labelled)
    print(
        f"\nfailed recipients exact: {len(labelled) - len(wrong)}/{len(labelled)} = {rate:.3f}; wrong: {wrong}"
    )
    assert len(labelled) >= 90
    assert rate >= MIN_FAILED_RECIPIENT


def test_human_mail_is_rarely_taken_for_machine_mail_when_scored_on_the_corpus(rows: list[Row]) -> None:
    humans = [
        r
        for r in rows
        if r.expected["autoreply"] == "no"
        and r.expected["bounce"] == "no"
        and r.expected.get("kind") not in _NOT_HUMAN_KINDS
    ]
    alarms = [r for r in humans if _kind(r) not in {MailKind.HUMAN, MailKind.LIST}]
    lists = [r for r in humans if _kind(r) is MailKind.LIST]
    rate = len(alarms) / len(humans)
    print(
        f"\nhuman mail classified as auto-reply/bounce/receipt: {len(alarms)}/{len(humans)} = {rate:.3f} "
        f"{[(r.file, _kind(r).value) for r in alarms]}; as list (List-Id / Precedence): {len(lists)}"
    )
    assert len(humans) >= 250
    assert rate < MAX_HUMAN_ALARMS


def test_hard_negatives_are_not_bounces_when_they_are_reports_of_another_kind(rows: list[Row]) -> None:
    reports = [r for r in rows if r.expected.get("kind") in _NOT_HUMAN_KINDS]
    assert reports
    assert [r.file for r in reports if _kind(r) in {MailKind.BOUNCE, MailKind.AUTOREPLY}] == []


def test_delay_warnings_come_out_delayed_when_dsn_action_is_delayed(rows: list[Row]) -> None:
    delayed = [r for r in rows if r.expected.get("dsn_action") == "delayed"]
    assert len(delayed) >= 5
    wrong = [
        r.file
        for r in delayed
        if r.classification is None
        or r.classification.bounce is None
        or r.classification.bounce.action != "delayed"
        or r.classification.bounce.permanent
    ]
    assert wrong == []


def test_permanent_failures_are_permanent_when_the_bounce_is_not_a_delay(rows: list[Row]) -> None:
    failed = [
        r
        for r in rows
        if r.expected["bounce"] == "yes"
        and r.expected.get("dsn_action") != "delayed"
        and "failed_rcpt" in r.expected
    ]
    not_permanent = [
        r.file
        for r in failed
        if not (r.classification and r.classification.bounce and r.classification.bounce.permanent)
    ]
    assert len(not_permanent) <= len(failed) * 0.05, not_permanent
