"""Scored matching of an inbound message to a case (MAIL.md §2), over facts gathered by the services.

The services look up what needs the database (which case a Message-ID belongs to, the case's parties)
and hand the facts here; this module only weighs them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Weights: a signed Message-ID of ours proves the thread; a subject reference alone does not, unless
# the sender is a party of the case (MAIL.md §2.6: a reference typed by a stranger is not enough).
SIGNED_ID = 100
KNOWN_ID = 80
THREAD_INDEX = 50  # Outlook's Thread-Index naming the case (signed): strong, not proof of who writes
SUBJECT_REF = 40
BODY_REF = 25
PARTY_SENDER = 30
CONFIDENT = 70


@dataclass(slots=True)
class Candidate:
    """Evidence gathered for one case."""

    case_id: int
    signed_id: bool = False
    known_id: bool = False
    thread_index: bool = False
    subject_ref: bool = False
    body_ref: bool = False
    sender_is_party: bool = False
    reasons: list[str] = field(default_factory=list)

    @property
    def score(self) -> int:
        return (
            SIGNED_ID * self.signed_id
            + KNOWN_ID * (self.known_id and not self.signed_id)
            + THREAD_INDEX * (self.thread_index and not (self.signed_id or self.known_id))
            + SUBJECT_REF * self.subject_ref
            + BODY_REF * (self.body_ref and not self.subject_ref)
            + PARTY_SENDER * self.sender_is_party
        )


@dataclass(frozen=True, slots=True)
class Match:
    """The outcome: a confident case, or the ranked candidates for a person to choose from."""

    case_id: int | None
    score: int
    candidates: tuple[tuple[int, int], ...]  # (case_id, score), best first
    reasons: tuple[str, ...]

    @property
    def confident(self) -> bool:
        return self.case_id is not None


def decide_match(candidates: list[Candidate]) -> Match:
    """The best candidate when its score is confident and clearly ahead of the next one."""
    ranked = sorted(candidates, key=lambda c: c.score, reverse=True)
    pairs = tuple((c.case_id, c.score) for c in ranked)
    if not ranked:
        return Match(None, 0, (), ())
    best = ranked[0]
    runner_up = ranked[1].score if len(ranked) > 1 else 0
    if best.score >= CONFIDENT and best.score > runner_up:
        return Match(best.case_id, best.score, pairs, tuple(best.reasons))
    return Match(None, best.score, pairs, tuple(best.reasons))
