"""Pipelines of small named steps (after GNU Mailman): each step returns an Outcome that says what next."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

C = TypeVar("C")


@dataclass(frozen=True, slots=True)
class Continue:
    """Go on with the next step."""


@dataclass(frozen=True, slots=True)
class Stop:
    """The message is dealt with; ``why`` says how (for the log)."""

    why: str


@dataclass(frozen=True, slots=True)
class Shunt:
    """The message cannot be processed: keep it raw with ``reason`` and quarantine it."""

    reason: str


Outcome = Continue | Stop | Shunt
CONTINUE = Continue()


@dataclass(frozen=True, slots=True)
class Step(Generic[C]):
    name: str
    run: Callable[[C], Outcome]


@dataclass(frozen=True, slots=True)
class PipelineResult:
    outcome: Outcome
    last_step: str
    steps_run: tuple[str, ...]


def run_steps(
    steps: Sequence[Step[C]], ctx: C, on_step: Callable[[str, Outcome], None] | None = None
) -> PipelineResult:
    """Run steps in order until one stops or shunts; an exception in a step becomes a Shunt naming it."""
    ran: list[str] = []
    for step in steps:
        ran.append(step.name)
        try:
            outcome = step.run(ctx)
        except Exception as exc:
            outcome = Shunt(f"{step.name}: {type(exc).__name__}: {exc}")
        if on_step is not None:
            on_step(step.name, outcome)
        if not isinstance(outcome, Continue):
            return PipelineResult(outcome, step.name, tuple(ran))
    last = steps[-1].name if steps else ""
    return PipelineResult(Stop("all steps ran"), last, tuple(ran))
