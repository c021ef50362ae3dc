"""The margin, computed once and exactly (``aiwf_ci.verdict.gate.margin``).

A change exactly at the threshold is never a regression, whatever floating point makes of it
(before: +5% was a regression at 20 -> 21 ms and unchanged at 100 -> 105 ms), in every gate;
and ``throughput: -10%`` fails a head below 0.9 x base, as the README says (before: below
1/1.1 = 0.909 x base, a drop of 9.09%).
"""

from __future__ import annotations

import math
import random

import pytest

from aiwf_ci.models import BenchmarkResult, Direction, Metric, Results
from aiwf_ci.report import render_text
from aiwf_ci.stats import summarize
from aiwf_ci.verdict.compare import compare, compare_metric
from aiwf_ci.verdict.gate import MARGIN_TOLERANCE, exceeds, margin, worse_fraction
from aiwf_ci.verdict.model import GatePolicy, MetricComparison, Report
from aiwf_ci.verdict.thresholds import Threshold, build_rules, parse_threshold_spec

FIVE = Threshold(metric="duration", relative=0.05)
THROUGHPUT = Threshold(metric="throughput", relative=0.10)
EXACT_FIVE = [(20.0, 21.0), (100.0, 105.0), (40.0, 42.0), (3.0, 3.15), (7.0, 7.35), (0.1, 0.105)]


def deterministic(value: float) -> Metric:
    return Metric.from_samples([value] * 3, unit="instr", deterministic=True)


def steady_rounds(value: float, rounds: int = 12, direction: Direction = "lower") -> Metric:
    """The same value in every sample of every round: the change is exact."""
    index = [r for r in range(rounds) for _ in range(3)]
    return Metric.from_samples([value] * len(index), unit="s", direction=direction, rounds=index)


def block(value: float, direction: Direction = "lower", n: int = 12, cv: float = 0.0) -> Metric:
    rng = random.Random(int(value * 1000))
    samples = [value * (1 + rng.gauss(0, cv)) for _ in range(n)]
    return Metric.from_samples(samples, unit="s", direction=direction)


def summary(value: float, direction: Direction = "lower") -> Metric:
    stats = summarize([value])
    return Metric(unit="s", direction=direction, samples=(), stats=stats, summary_only=True)


def gate(base: Metric, head: Metric, th: Threshold, name: str = "duration") -> MetricComparison:
    return compare_metric("b", name, base, head, th, GatePolicy())


# --- an exact +t% is never a regression -------------------------------------------------------


@pytest.mark.parametrize(("base", "head"), EXACT_FIVE)
def test_an_exact_five_percent_is_no_regression_in_any_gate(base: float, head: float) -> None:
    assert gate(deterministic(base), deterministic(head), FIVE).verdict == "unchanged"
    paired = gate(steady_rounds(base), steady_rounds(head), FIVE)
    assert paired.rounds > 0 and paired.verdict == "unchanged"
    assert gate(block(base), block(head), FIVE).verdict == "unchanged"
    assert gate(summary(base), summary(head), FIVE).verdict == "unchanged"


@pytest.mark.parametrize(("base", "head"), EXACT_FIVE)
def test_just_past_five_percent_is_a_regression_in_every_gate(base: float, head: float) -> None:
    head *= 1.0001
    assert gate(deterministic(base), deterministic(head), FIVE).verdict == "regression"
    assert gate(steady_rounds(base), steady_rounds(head), FIVE).verdict == "regression"
    assert gate(block(base), block(head), FIVE).verdict == "regression"
    assert gate(summary(base), summary(head), FIVE).verdict == "regression"


@pytest.mark.parametrize("percent", [0.5, 1, 5, 10, 20, 30, 50])
def test_exact_changes_at_many_thresholds_and_sizes(percent: float) -> None:
    th = Threshold(metric="duration", relative=percent / 100)
    for base in range(1, 400):
        head = base * (100 + percent) / 100
        worse = head / base - 1.0
        assert not exceeds(worse, th, "lower"), (base, head)
        mirror = base / head - 1.0  # the same ratio the other way: no improvement either
        assert not exceeds(mirror, th, "lower"), (base, head)
        assert exceeds(worse * (1 + 1e-6), th, "lower"), (base, head)


def test_the_tolerance_is_a_billionth_of_the_bound() -> None:
    assert margin(FIVE, "lower") == pytest.approx(math.log1p(0.05) * (1 + MARGIN_TOLERANCE))
    assert MARGIN_TOLERANCE == 1e-9


def test_an_absolute_minimum_met_exactly_is_not_exceeded() -> None:
    # 15 -> 17 ms is 0.0020000000000000018 s apart in floating point: before, beyond 2 ms
    rule = Threshold(metric="duration", relative=0.05, absolute=0.002)
    assert gate(deterministic(0.015), deterministic(0.017), rule).verdict == "unchanged"
    assert gate(deterministic(0.015), deterministic(0.0171), rule).verdict == "regression"
    off = Threshold(metric="duration", relative=0.05, absolute=0.0)
    assert gate(deterministic(0.015), deterministic(0.017), off).verdict == "regression"


# --- throughput: -10% fails a head below 0.9 x base ---------------------------------------------


def test_the_worsening_a_higher_is_better_rule_allows() -> None:
    assert worse_fraction(THROUGHPUT, "higher") == pytest.approx(1 / 0.9 - 1)
    assert worse_fraction(THROUGHPUT, "lower") == 0.10
    assert margin(THROUGHPUT, "higher") == pytest.approx(-math.log(0.9))
    assert worse_fraction(Threshold(metric="x", relative=1.0), "higher") == math.inf


@pytest.mark.parametrize(
    ("head", "verdict"),
    [
        (90.5, "unchanged"),  # -9.5%: before, a regression (anything below 90.9)
        (90.0, "unchanged"),  # exactly -10%
        (89.5, "regression"),  # -10.5%
        (111.0, "unchanged"),  # +11%: the mirror of -10% on the log scale is 1/0.9 = +11.1%
        (111.5, "improvement"),
    ],
)
def test_throughput_minus_ten_percent_in_every_gate(head: float, verdict: str) -> None:
    def run(make: object) -> str:
        assert callable(make)
        return gate(make(100.0, "higher"), make(head, "higher"), THROUGHPUT, "throughput").verdict

    assert run(lambda v, d: steady_rounds(v, direction=d)) == verdict
    assert run(block) == verdict
    assert run(summary) == verdict


def test_throughput_rule_on_the_thresholds_line_and_in_the_verdict() -> None:
    def side(value: float) -> Results:
        metric = Metric.from_samples(
            [value] * 36,
            unit="req/s",
            direction="higher",
            rounds=[r for r in range(12) for _ in range(3)],
        )
        bench = BenchmarkResult(name="serve", kind="load", metrics={"throughput": metric})
        return Results(suite="s", benchmarks=(bench,), environment={"interleaved": {"run_id": "x"}})

    rules = build_rules(parse_threshold_spec("throughput=-10%"))
    kept = Report.of(compare(side(100.0), side(90.5), rules))
    text = render_text(kept)
    assert "throughput -10%" in text.split("thresholds: ")[1].splitlines()[0]
    assert kept.status == "pass"
    dropped = Report.of(compare(side(100.0), side(89.5), rules))
    assert dropped.status == "regression"
    assert "throughput 11% lower (100 req/s → 89.5 req/s)" in render_text(dropped)


@pytest.mark.parametrize("spec", ["throughput=-100%", "throughput=150%", "throughput_bytes=-100%"])
def test_a_drop_of_all_a_throughput_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="give less than 100%"):
        parse_threshold_spec(spec)
