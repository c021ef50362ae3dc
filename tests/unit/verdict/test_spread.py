"""The run-to-run spread of separate runs (``aiwf_ci.verdict.spread``) and the unpaired rule
that uses it (``aiwf_ci.verdict.blocks``): hand-computed values, then decisions."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import pytest

from aiwf_ci.models import BenchmarkResult, Direction, Metric, Results
from aiwf_ci.verdict.compare import compare, compare_metric
from aiwf_ci.verdict.model import GatePolicy
from aiwf_ci.verdict.spread import (
    MIN_HISTORY,
    NO_HISTORY,
    History,
    Spread,
    learn_history,
    prediction_bound,
    rule_text,
    spread_of,
)
from aiwf_ci.verdict.thresholds import Threshold

FIVE = Threshold(metric="duration", relative=0.05)


def samples(centre: float, *, cv: float = 0.01, n: int = 20, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [centre * (1 + rng.gauss(0, cv)) for _ in range(n)]


def metric(values: Sequence[float], direction: Direction = "lower") -> Metric:
    return Metric.from_samples(values, unit="s", direction=direction)


def run(centre: float, *, seed: int = 1, cores: int = 2, stamp: str = "") -> Results:
    bench = BenchmarkResult(
        name="b", kind="python", metrics={"duration": metric(samples(centre, seed=seed))}
    )
    return Results(
        suite="s",
        benchmarks=(bench,),
        environment={"cpu_model": "x", "cores": cores},
        created_at=stamp or f"2026-12-07T10:00:{seed:02d}Z",
    )


def test_prediction_bound_by_hand() -> None:
    # median 0, MAD 0.01 -> s = 0.014826; t(0.995, 4) = 4.604; sqrt(1 + 1/5)
    logs = [0.0, 0.01, -0.01, 0.02, -0.02]
    assert prediction_bound(logs) == pytest.approx(4.604094 * 0.014826 * math.sqrt(1.2), rel=1e-5)
    assert prediction_bound(logs[:4]) is None


def test_spread_of_medians_is_on_the_log_scale_and_robust_to_one_freak_run() -> None:
    medians = [100.0, 101.0, 99.0, 102.0, 98.0, 100.5, 250.0]  # one run in a busy stretch
    spread = spread_of(medians)
    assert spread is not None and spread.runs == 7
    assert spread.centre == pytest.approx(math.log(100.5))
    logs = [math.log(x) for x in medians]
    mad = sorted(abs(x - math.log(100.5)) for x in logs)[3]
    expected = 3.707428 * 1.4826 * mad * math.sqrt(1 + 1 / 7)  # t(0.995, 6) = 3.7074
    assert spread.bound == pytest.approx(expected, rel=1e-4)
    assert spread.relative < 0.10  # the freak run does not widen it to +150%
    assert spread_of([1.0, 2.0, 0.0, 1.0, 1.0]) is None  # no log of 0
    assert spread_of([1.0] * (MIN_HISTORY - 1)) is None


def test_learn_history_leaves_out_unlike_machines_and_head_itself() -> None:
    head = run(1.0, seed=50)
    history = [run(1.0, seed=s) for s in range(5)] + [run(1.0, seed=9, cores=8), head]
    learned = learn_history(history, head)
    assert (learned.runs, learned.used) == (7, 5)
    assert learned.of("b", "duration") is not None
    short = learn_history(history[:4] + history[5:], head)
    assert short.of("b", "duration") is None  # 4 like-machine runs: too few


def history_of(spread: float) -> History:
    """A history whose one new run median may lie within ±``spread`` of 1.0."""
    return History(
        runs=10, used=10, spreads={("b", "duration"): Spread(runs=10, centre=0.0, bound=spread)}
    )


def judged(base: Metric, head: Metric, history: History | None) -> tuple[str, str]:
    row = compare_metric("b", "duration", base, head, FIVE, GatePolicy(history=history))
    return row.verdict, row.note


def test_with_a_narrow_spread_the_estimate_beyond_the_threshold_is_a_regression() -> None:
    base, head = metric(samples(1.0, cv=0.05)), metric(samples(1.07, cv=0.05, seed=3))
    assert judged(base, head, None)[0] == "inconclusive"  # interval reaches below +5%
    assert judged(base, head, history_of(math.log(1.03)))[0] == "regression"


def test_a_change_within_the_run_to_run_spread_is_inconclusive_and_says_so() -> None:
    base, head = metric(samples(1.0)), metric(samples(1.12, seed=3))
    assert judged(base, head, None)[0] == "regression"  # whole interval beyond 5%
    verdict, note = judged(base, head, history_of(math.log(1.15)))
    assert verdict == "inconclusive"
    assert note == "within this runner's run-to-run spread ±15.0%"


def test_improvements_mirror_and_unchanged_still_needs_the_interval_within() -> None:
    base = metric(samples(1.0))
    faster = metric(samples(0.90, seed=3))
    assert judged(base, faster, history_of(math.log(1.03)))[0] == "improvement"
    same = metric(samples(1.0, seed=3))
    assert judged(base, same, history_of(math.log(1.5)))[0] == "unchanged"


def test_head_is_measured_against_the_history_centre_not_the_one_base_run() -> None:
    # the base run was fast (a quiet moment); head is where the history says runs are
    base, head = metric(samples(0.9)), metric(samples(1.0, seed=3))
    assert judged(base, head, history_of(math.log(1.04)))[0] == "inconclusive"


def test_too_short_a_history_falls_back_and_says_so() -> None:
    base, head = metric(samples(1.0, cv=0.05)), metric(samples(1.07, cv=0.05, seed=3))
    empty = History(runs=3, used=3)
    verdict, note = judged(base, head, empty)
    assert verdict == "inconclusive"
    assert "history too short" in note


def test_rows_record_the_spread_and_compare_keeps_the_history() -> None:
    history = [run(1.0, seed=s) for s in range(8)]
    learned = learn_history(history, run(1.3, seed=40))
    comparison = compare(run(1.0, seed=30), run(1.3, seed=40), policy=GatePolicy(history=learned))
    row = comparison.benchmarks[0].metrics[0]
    assert row.verdict == "regression"
    assert row.spread is not None and 0 < row.spread < 0.05
    assert comparison.policy.history is learned
    assert rule_text(None) == NO_HISTORY
    assert "8 like-machine runs of 8" in rule_text(learned)
