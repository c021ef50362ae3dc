"""The regression verdict: thresholds AND significance, noise handled honestly."""

from __future__ import annotations

import math
import random
import subprocess
import sys
from collections.abc import Mapping, Sequence

import pytest

from aiwf_ci.models import BenchmarkResult, Direction, Metric, Results
from aiwf_ci.stats import summarize
from aiwf_ci.verdict.compare import compare, compare_metric
from aiwf_ci.verdict.machines import fingerprint_warnings
from aiwf_ci.verdict.model import (
    NOTE_FEW,
    NOTE_NO_THRESHOLD,
    NOTE_NOISY,
    NOTE_SUMMARY,
    GatePolicy,
    MetricComparison,
)
from aiwf_ci.verdict.thresholds import (
    Threshold,
    ThresholdRules,
    build_rules,
    parse_threshold_spec,
)

DURATION = Threshold(metric="duration", relative=0.20)


def samples(centre: float, *, cv: float = 0.03, n: int = 20, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [centre * (1 + rng.gauss(0, cv)) for _ in range(n)]


def metric(values: Sequence[float], direction: Direction = "lower", unit: str = "s") -> Metric:
    return Metric.from_samples(values, unit=unit, direction=direction)


def results(benches: Mapping[str, Mapping[str, Metric]], **env: object) -> Results:
    return Results(
        suite="s",
        benchmarks=tuple(
            BenchmarkResult(name=n, kind="python", metrics=m) for n, m in benches.items()
        ),
        environment=env,
    )


def one(
    base: Metric,
    head: Metric,
    th: Threshold | None = DURATION,
    policy: GatePolicy | None = None,
) -> MetricComparison:
    return compare_metric("b", "duration", base, head, th, policy)


def test_clear_slowdown_beyond_threshold_is_a_confident_regression() -> None:
    row = one(metric(samples(1.0)), metric(samples(1.4, seed=2)))
    assert row.verdict == "regression"
    assert row.confidence == "high"
    assert row.change == pytest.approx(0.4, abs=0.03)
    assert row.ci is not None
    assert row.ci[0] > 0.2
    assert row.p_value is not None
    assert row.p_value < 0.001
    assert "Mann-Whitney" in row.statement


def test_significant_change_below_threshold_is_unchanged() -> None:
    row = one(metric(samples(1.0)), metric(samples(1.08, seed=2)))
    assert row.verdict == "unchanged"
    assert row.p_value is not None
    assert row.p_value < 0.01
    assert row.note == ""


def test_improvement_is_the_mirror_image() -> None:
    row = one(metric(samples(1.0)), metric(samples(0.6, seed=2)))
    assert row.verdict == "improvement"
    assert row.worsening is not None
    assert row.worsening < -0.2


def test_higher_is_better_metrics_regress_when_they_drop() -> None:
    th = Threshold(metric="throughput", relative=0.10)
    base = metric(samples(1000), "higher", "ops/s")
    row = compare_metric(
        "b", "throughput", base, metric(samples(800, seed=2), "higher", "ops/s"), th
    )
    assert row.verdict == "regression"
    assert row.change == pytest.approx(-0.2, abs=0.03)
    assert row.worsening == pytest.approx(-row.change)  # type: ignore[operator]
    up = compare_metric(
        "b", "throughput", base, metric(samples(1300, seed=2), "higher", "ops/s"), th
    )
    assert up.verdict == "improvement"


def test_noise_larger_than_the_threshold_is_inconclusive_not_a_false_alarm() -> None:
    row = one(metric(samples(1.0, cv=0.4, n=8)), metric(samples(1.3, cv=0.4, n=8, seed=5)))
    assert row.verdict == "inconclusive"
    assert row.note == NOTE_NOISY
    assert row.confidence == "low"


def noisy(centre: float, *, cv: float, n: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [centre * max(0.2, 1 + rng.gauss(0, cv)) for _ in range(n)]


def test_a_significant_change_beyond_the_threshold_is_a_regression_however_wide() -> None:
    # Mann-Whitney p < 0.01 and the whole interval above +20%, spanning +53% .. +158%: a wide
    # interval is no reason to look away (a 3x slowdown once passed as "too noisy")
    base, head = noisy(1.0, cv=0.35, n=12, seed=37), noisy(1.45, cv=0.35, n=12, seed=137)
    row = one(metric(base), metric(head))
    assert row.p_value is not None
    assert row.p_value < 0.01
    assert row.ci is not None
    assert row.ci[0] > 0.2
    assert row.verdict == "regression"
    assert row.confidence == "high"


def test_a_wide_interval_that_reaches_no_change_is_inconclusive_never_a_pass() -> None:
    base, head = noisy(1.0, cv=0.35, n=6, seed=8), noisy(1.2, cv=0.35, n=6, seed=108)
    row = one(metric(base), metric(head))
    assert row.ci is not None and row.ci[0] < 0 < row.ci[1]
    assert row.verdict == "inconclusive"
    assert row.note == NOTE_NOISY
    assert (
        compare(
            results({"a": {"duration": metric(base)}}), results({"a": {"duration": metric(head)}})
        ).status
        == "inconclusive"
    )


def test_change_is_the_hodges_lehmann_estimate_of_the_ratio() -> None:
    base, head = samples(1.0, cv=0.1), samples(1.3, cv=0.1, seed=2)
    row = one(metric(base), metric(head))
    logs = sorted(math.log(h / b) for h in head for b in base)
    middle = (logs[len(logs) // 2 - 1] + logs[len(logs) // 2]) / 2
    assert row.change == pytest.approx(math.expm1(middle))
    assert row.ci is not None
    assert row.ci[0] < row.change < row.ci[1]  # type: ignore[operator]


def test_huge_or_non_positive_samples_fall_back_to_the_ratio_of_medians() -> None:
    big = one(metric(samples(1.0, n=250)), metric(samples(1.5, n=250, seed=2)))
    assert big.verdict == "regression"
    assert big.change == pytest.approx(big.head / big.baseline - 1)  # type: ignore[operator]
    with_zero = [0.0, *samples(1.0, n=19)]
    row = one(metric(with_zero), metric(samples(1.5, n=20, seed=2)))
    assert row.verdict == "regression"
    assert row.change == pytest.approx(row.head / row.baseline - 1)  # type: ignore[operator]


def test_bursts_of_fast_runs_in_the_baseline_do_not_fake_a_regression() -> None:
    # shared machines have stretches where the same work runs 35-45% faster.
    base = samples(1.0, cv=0.1, n=20)
    base[5:11] = [v * 0.6 for v in base[5:11]]
    row = one(metric(base), metric(samples(1.0, cv=0.1, n=20, seed=9)))
    assert row.verdict != "regression"


def test_too_few_samples_is_inconclusive_with_a_note() -> None:
    row = one(metric([1.0, 1.01, 0.99]), metric([2.0, 2.01, 1.99]))
    assert row.verdict == "inconclusive"
    assert row.note.startswith(NOTE_FEW)
    assert row.p_value is None


def test_absolute_minimum_effect_must_also_be_exceeded() -> None:
    th = Threshold(metric="duration", relative=0.1, absolute=0.005)  # 5 ms
    tiny = one(metric(samples(0.001)), metric(samples(0.002, seed=2)), th)
    assert tiny.verdict == "unchanged"
    big = one(metric(samples(0.1)), metric(samples(0.2, seed=2)), th)
    assert big.verdict == "regression"


def test_separate_runs_without_history_need_the_whole_interval_beyond_the_threshold() -> None:
    base, head = metric(samples(1.0, cv=0.05)), metric(samples(1.23, cv=0.05, seed=3))
    row = one(base, head)
    assert row.ci is not None and row.ci[0] < 0.2 < (row.change or 0.0)  # estimate beyond
    assert row.verdict == "inconclusive"
    clear = one(base, metric(samples(1.5, cv=0.05, seed=3)))
    assert clear.verdict == "regression" and clear.confidence == "high"


def test_metrics_without_threshold_never_fail() -> None:
    row = one(metric(samples(1.0)), metric(samples(3.0, seed=2)), None)
    assert row.verdict == "unchanged"
    assert row.note == NOTE_NO_THRESHOLD
    assert row.change == pytest.approx(2.0, abs=0.1)


def _summary(values: Sequence[float]) -> Metric:
    return Metric(
        unit="s", direction="lower", samples=(), stats=summarize(values), summary_only=True
    )


def test_summary_only_needs_non_overlapping_ranges() -> None:
    apart = one(_summary([1.0, 1.1, 1.2]), _summary([2.0, 2.1, 2.2]))
    assert apart.verdict == "regression"
    assert apart.note.startswith(NOTE_SUMMARY)
    overlapping = one(_summary([1.0, 1.5, 3.0]), _summary([1.4, 2.1, 2.5]))
    assert overlapping.verdict == "unchanged"
    assert overlapping.note == f"{NOTE_SUMMARY}: cannot test significance"


def test_zero_baseline_has_no_relative_change() -> None:
    row = one(metric([0.0] * 10), metric([0.0] * 9 + [0.1]))
    assert row.verdict == "unchanged"
    assert "zero" in row.note


def test_suite_comparison_new_removed_errored_and_counts() -> None:
    base = results(
        {
            "same": {"duration": metric(samples(1.0))},
            "gone": {"duration": metric(samples(1.0))},
            "slow": {"duration": metric(samples(1.0))},
            "crash": {"duration": metric(samples(1.0))},
        }
    )
    head = Results(
        suite="s",
        benchmarks=(
            BenchmarkResult(
                name="same", kind="python", metrics={"duration": metric(samples(1.0, seed=3))}
            ),
            BenchmarkResult(
                name="slow", kind="python", metrics={"duration": metric(samples(2.0, seed=3))}
            ),
            BenchmarkResult(name="crash", kind="python", errors=("boom",)),
            BenchmarkResult(
                name="fresh", kind="python", metrics={"duration": metric(samples(1.0))}
            ),
        ),
    )
    comparison = compare(base, head)
    verdicts = {b.name: b.verdict for b in comparison.benchmarks}
    assert verdicts == {
        "same": "unchanged",
        "slow": "regression",
        "crash": "errored",
        "fresh": "new",
        "gone": "removed",
    }
    assert comparison.regressions == 1
    assert comparison.counts["removed"] == 1
    assert comparison.status == "error"


def test_exit_status_pass_and_regression() -> None:
    base = results({"a": {"duration": metric(samples(1.0))}})
    assert (
        compare(base, results({"a": {"duration": metric(samples(1.0, seed=2))}})).status == "pass"
    )
    slow = results({"a": {"duration": metric(samples(1.5, seed=2))}})
    assert compare(base, slow).status == "regression"


def test_per_benchmark_override_and_cli_spec() -> None:
    base = results(
        {"a": {"duration": metric(samples(1.0))}, "b": {"duration": metric(samples(1.0))}}
    )
    head = results(
        {
            "a": {"duration": metric(samples(1.1, seed=2))},
            "b": {"duration": metric(samples(1.1, seed=2))},
        }
    )
    lenient = build_rules(
        per_benchmark={"a": {"duration": Threshold(metric="duration", relative=0.5)}}
    )
    strict = lenient.with_overrides(parse_threshold_spec("duration=5%"))
    verdicts = {b.name: b.verdict for b in compare(base, head, strict).benchmarks}
    assert verdicts == {"a": "unchanged", "b": "regression"}


def test_memory_family_threshold_applies_to_memory_peak() -> None:
    base = results({"a": {"memory_peak": metric(samples(100e6), unit="B")}})
    head = results({"a": {"memory_peak": metric(samples(140e6, seed=2), unit="B")}})
    row = compare(base, head).benchmarks[0].metrics[0]
    assert row.threshold is not None
    assert row.threshold.relative == pytest.approx(0.30)
    assert row.verdict == "regression"


def test_fingerprint_warnings_name_what_differs() -> None:
    warnings = fingerprint_warnings(
        {"cpu_model": "EPYC", "cores": 2, "os": "Linux"},
        {"cpu_model": "Xeon", "cores": 4, "os": "Linux"},
    )
    assert len(warnings) == 2
    assert "CPU model differs: baseline EPYC, head Xeon" in warnings[0]
    assert "CPU cores" in warnings[1]
    assert fingerprint_warnings({"cpu": {"model": "a"}}, {"cpu": {"model": "b"}})
    assert fingerprint_warnings({}, {"cpu_model": "x"}) == ()


def test_comparison_is_deterministic() -> None:
    base = results({"a": {"duration": metric(samples(1.0, cv=0.2))}})
    head = results({"a": {"duration": metric(samples(1.15, cv=0.2, seed=4))}})
    assert compare(base, head).benchmarks == compare(base, head).benchmarks


def test_fifty_benchmarks_are_all_judged() -> None:
    def suite(seed: int) -> Results:
        return results(
            {
                f"bench-{i}": {
                    "duration": metric(samples(1.0, n=30, seed=seed + i)),
                    "memory_peak": metric(samples(1e6, n=30, seed=seed - i), unit="B"),
                }
                for i in range(50)
            }
        )

    base, head = suite(1), suite(1000)
    comparison = compare(base, head)
    assert [b.name for b in comparison.benchmarks] == [f"bench-{i}" for i in range(50)]
    assert all(len(b.metrics) == 2 for b in comparison.benchmarks)
    assert sum(comparison.counts.values()) == 50


def test_the_gate_imports_neither_numpy_nor_scipy() -> None:
    code = (
        "import sys, aiwf_ci.verdict.compare, aiwf_ci.report;"
        "print(sorted(m for m in ('numpy', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_rules_default_is_the_seed_defaults() -> None:
    assert ThresholdRules().resolve("x", "duration") == DURATION


def test_an_ignored_benchmark_is_reported_but_never_gates() -> None:
    base = results(
        {"flaky-io": {"duration": metric(samples(1.0))}, "b": {"duration": metric(samples(1.0))}}
    )
    slow = results(
        {
            "flaky-io": {"duration": metric(samples(3.0, seed=2))},
            "b": {"duration": metric(samples(1.0, seed=3))},
        }
    )
    rules = build_rules(ignore=["flaky-*"])
    comparison = compare(base, slow, rules)
    flaky = next(b for b in comparison.benchmarks if b.name == "flaky-io")
    assert flaky.verdict == "unchanged" and "ignored" in flaky.metrics[0].note
    assert flaky.metrics[0].change is not None and flaky.metrics[0].change > 1.5  # still shown
    assert comparison.status == "pass"
    assert compare(base, slow).status == "regression"  # without the ignore list it gates
