"""run_steps: order, stop, shunt, and an exception turned into a shunt naming its step."""

from __future__ import annotations

from mailflow.services.pipeline import CONTINUE, Shunt, Step, Stop, run_steps


def test_run_steps_runs_in_order_when_every_step_continues():
    seen: list[str] = []
    steps = [Step(n, lambda ctx, n=n: (seen.append(n), CONTINUE)[1]) for n in ("a", "b", "c")]
    result = run_steps(steps, None)
    assert seen == ["a", "b", "c"] and result.steps_run == ("a", "b", "c")


def test_run_steps_stops_early_when_a_step_stops():
    steps = [Step("a", lambda ctx: Stop("done")), Step("b", lambda ctx: CONTINUE)]
    result = run_steps(steps, None)
    assert result.outcome == Stop("done") and result.steps_run == ("a",)


def test_run_steps_shunts_with_step_name_when_a_step_raises():
    def boom(ctx):
        raise ValueError("bad header")

    observed: list[tuple[str, object]] = []
    result = run_steps(
        [Step("parse", boom), Step("next", lambda ctx: CONTINUE)],
        None,
        lambda name, outcome: observed.append((name, outcome)),
    )
    assert isinstance(result.outcome, Shunt)
    assert result.outcome.reason == "parse: ValueError: bad header"
    assert observed == [("parse", result.outcome)]
