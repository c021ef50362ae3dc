"""What a whole comparison promises (aiwf_ci.verdict.compare): Holm's procedure across the
suite's gated paired metrics, and a paired metric left open because its rounds were not
independent says so."""

from __future__ import annotations

import math
import random

import pytest

from aiwf_ci.models import BenchmarkResult, Commit, Metric, Results
from aiwf_ci.report.view import method_text
from aiwf_ci.verdict.compare import compare
from aiwf_ci.verdict.model import GatePolicy
from aiwf_ci.verdict.thresholds import Threshold, build_rules

RULES = build_rules({"duration": Threshold(metric="duration", relative=0.05)})


def in_rounds(values: list[float]) -> Metric:
    """One sample per round."""
    return Metric.from_samples(values, unit="s", rounds=list(range(len(values))))


def results(metrics: dict[str, Metric], sha: str) -> Results:
    benches = tuple(
        BenchmarkResult(name=name, kind="command", metrics={"duration": metric})
        for name, metric in metrics.items()
    )
    # both files of one interleaved run (one run id): their rounds are paired
    return Results(
        suite="s",
        benchmarks=benches,
        commit=Commit(sha=sha),
        environment={"interleaved": {"run_id": "one-run"}},
    )


def slower(rounds: int, factor: float) -> tuple[Metric, Metric]:
    """``rounds`` rounds of a head ``factor`` times slower, +-0.5% in turns (no serial
    correlation: the independence check stays quiet)."""
    base = [1.0] * rounds
    head = [factor * (1 + 0.005 * (-1) ** i * (1 + i / rounds)) for i in range(rounds)]
    return in_rounds(base), in_rounds(head)


def suite(**benches: tuple[Metric, Metric]) -> tuple[Results, Results]:
    base = results({n: b for n, (b, _) in benches.items()}, "b" * 40)
    head = results({n: h for n, (_, h) in benches.items()}, "h" * 40)
    return base, head


def verdicts(holm: bool, base: Results, head: Results) -> dict[str, str]:
    comparison = compare(base, head, RULES, policy=GatePolicy(holm=holm))
    return {b.name: b.verdict for b in comparison.benchmarks}


def test_holm_judges_each_metric_at_alpha_over_k() -> None:
    """Two benchmarks 20% slower, each stopped by the budget after 9 rounds (a final look
    at 8, the smallest p-value 2^-7 = 0.0078): at 1% each both are regressions; under Holm
    each is judged at 0.5% first, neither can be, and the procedure stops there."""
    base, head = suite(a=slower(9, 1.2), b=slower(9, 1.19))
    assert verdicts(False, base, head) == {"a": "regression", "b": "regression"}
    assert verdicts(True, base, head) == {"a": "inconclusive", "b": "inconclusive"}


def test_holm_passes_on_the_alpha_of_what_it_rejected() -> None:
    """One benchmark decided at 16 rounds (p = 2^-15) is rejected at 0.5%; then the other,
    alone, is judged at the whole 1% and its 8 rounds suffice."""
    base, head = suite(a=slower(16, 1.2), b=slower(9, 1.2))
    comparison = compare(base, head, RULES, policy=GatePolicy(holm=True))
    assert {b.name: b.verdict for b in comparison.benchmarks} == {
        "a": "regression",
        "b": "regression",
    }
    assert comparison.policy.holm_alpha == {
        ("a", "duration"): pytest.approx(0.005),
        ("b", "duration"): pytest.approx(0.01),
    }
    text = method_text(comparison.policy, paired=True, unpaired=False)
    assert "beyond 50% of the threshold" in text
    assert "Holm's procedure across 2 metrics: 0.01 for the whole suite" in text


def test_holm_leaves_a_single_metric_alone() -> None:
    base, head = suite(a=slower(9, 1.2))
    comparison = compare(base, head, RULES, policy=GatePolicy(holm=True))
    assert comparison.benchmarks[0].verdict == "regression"
    assert comparison.policy.holm_alpha == {}


def test_rounds_not_independent_are_named_as_the_reason() -> None:
    """A slow wander shared by no round (a per-tree state): strongly autocorrelated rounds,
    judged in batches, too few to decide; the note says why, not "not decided in time"."""
    rng = random.Random(9)
    state, base, head = 0.0, [], []
    for _ in range(100):
        state = 0.95 * state + math.sqrt(1 - 0.95**2) * rng.gauss(0, 0.05)
        base.append(1.0)
        head.append(math.exp(math.log(1.1) + state))
    comparison = compare(*suite(a=(in_rounds(base), in_rounds(head))), RULES)
    row = comparison.benchmarks[0].metrics[0]
    assert row.verdict == "inconclusive"
    assert row.note.startswith("rounds not independent (rank lag-1 autocorrelation 0.")
    assert row.note.endswith("rounds could not decide")
