"""Zero values stay paired (``aiwf_ci.verdict.rounds``): a metric with a round median of 0
is compared as per-round differences, never silently as two unpaired blocks."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from aiwf_ci.models import BenchmarkResult, Metric, Results
from aiwf_ci.report import render_text
from aiwf_ci.verdict.compare import compare, compare_metric
from aiwf_ci.verdict.model import GatePolicy, MetricComparison, Report
from aiwf_ci.verdict.rounds import NOTE_DIFFERENCES, NOTE_ZERO_LEVEL, still_open
from aiwf_ci.verdict.thresholds import Threshold, build_rules

ALLOCS = Threshold(metric="allocs_per_op", relative=0.10)


def counts(per_round: Sequence[Sequence[float]]) -> Metric:
    values = [x for chunk in per_round for x in chunk]
    rounds = [r for r, chunk in enumerate(per_round) for _ in chunk]
    return Metric.from_samples(values, unit="allocs", rounds=rounds)


def gate(base: Metric, head: Metric, th: Threshold | None = ALLOCS) -> MetricComparison:
    return compare_metric("b", "allocs_per_op", base, head, th, GatePolicy())


def noisy(level: float, rounds: int, seed: int, zero_every: int = 0) -> Metric:
    """Rounds of 3 counts around ``level`` (2% noise); every ``zero_every``-th round all
    zeros (a run that allocated nothing, a timer below its tick)."""
    rng = random.Random(seed)
    chunks = [
        [0.0] * 3
        if zero_every and r % zero_every == 0
        else [round(level * (1 + rng.gauss(0, 0.02)), 3) for _ in range(3)]
        for r in range(rounds)
    ]
    return counts(chunks)


def test_from_zero_to_some_is_a_regression_not_a_zero_baseline_pass() -> None:
    # before: no log ratio, so two unpaired blocks; the baseline's median is 0, and the
    # verdict was "unchanged" with "baseline is zero: relative change undefined"
    row = gate(counts([[0.0] * 3] * 12), counts([[5.0] * 3] * 12))
    assert row.verdict == "regression" and row.rounds == 12  # the look at 12 (even counts)
    assert row.method == "Wilcoxon signed-rank"
    assert NOTE_DIFFERENCES in row.note and NOTE_ZERO_LEVEL in row.note
    assert row.change is None  # no relative change from 0


def test_zero_on_both_sides_in_every_round_is_unchanged() -> None:
    row = gate(counts([[0.0] * 3] * 12), counts([[0.0] * 3] * 12))
    assert row.verdict == "unchanged" and row.rounds == 12
    assert NOTE_DIFFERENCES in row.note


@pytest.mark.parametrize(("factor", "verdict"), [(1.0, "unchanged"), (1.3, "regression")])
def test_a_count_with_zero_rounds_is_judged_against_its_level(factor: float, verdict: str) -> None:
    base = noisy(100.0, 40, seed=1, zero_every=4)
    head = noisy(100.0 * factor, 40, seed=2, zero_every=4)
    row = gate(base, head)
    assert row.verdict == verdict and row.rounds > 0
    assert row.note.endswith(NOTE_DIFFERENCES)
    # the rounds of zeros on both sides differ by 0: the estimate leans a little to 0
    assert row.change is not None and row.change == pytest.approx(factor - 1.0, abs=0.05)


def test_an_improvement_on_differences_is_the_mirror() -> None:
    row = gate(noisy(100.0, 40, seed=3, zero_every=4), noisy(70.0, 40, seed=4, zero_every=4))
    assert row.verdict == "improvement" and row.change == pytest.approx(-0.3, abs=0.03)


def test_a_change_within_the_rule_of_the_level_is_not_beyond_it() -> None:
    # +5 allocations on a level of 100 is 5%: within a 10% rule
    row = gate(noisy(100.0, 40, seed=5, zero_every=4), noisy(105.0, 40, seed=6, zero_every=4))
    assert row.verdict == "unchanged"


def test_without_a_threshold_the_differences_are_reported() -> None:
    row = gate(noisy(100.0, 20, seed=7, zero_every=4), noisy(120.0, 20, seed=8, zero_every=4), None)
    assert row.verdict == "unchanged" and row.threshold is None and row.rounds == 20
    assert row.change == pytest.approx(0.2, abs=0.03) and row.ci is not None
    assert NOTE_DIFFERENCES in row.note


def test_a_metric_with_zero_rounds_stays_open_while_sampling() -> None:
    # before: no log ratios, so nothing to judge, and sampling stopped as if decided
    few = counts([[0.0] * 3] * 5)
    assert still_open(few, counts([[1.0] * 3] * 5), ALLOCS, GatePolicy())
    decided = counts([[0.0] * 3] * 20)  # all ties: shown at the look at 20 (alpha spent as t^3)
    assert not still_open(decided, counts([[5.0] * 3] * 20), ALLOCS, GatePolicy())


def test_the_report_says_which_metric_was_paired_as_differences() -> None:
    env = {"interleaved": {"run_id": "one-run"}}

    def side(metric: Metric) -> Results:
        bench = BenchmarkResult(name="parse", kind="ingest", metrics={"allocs_per_op": metric})
        return Results(suite="s", benchmarks=(bench,), environment=env)

    rules = build_rules({"allocs_per_op": ALLOCS})
    comparison = compare(side(counts([[0.0] * 3] * 12)), side(counts([[5.0] * 3] * 12)), rules)
    assert comparison.status == "regression"
    text = render_text(Report.of(comparison))
    assert "paired as differences" in text
    assert text.splitlines()[0] == "❌ parse allocs_per_op higher (0 allocs → 5.00 allocs)"
