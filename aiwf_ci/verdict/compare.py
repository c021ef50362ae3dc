"""The regression verdict: is head worse than baseline, and how sure are we?

Pure: two ``Results`` and the threshold rules in, a frozen ``Comparison`` out. Reports,
exit codes and the action's outputs are all derived from that value.

The gate: shared 2-core runners show a 13-20% run-to-run spread,
bursts of faster runs and busy stretches, so neither a plain ratio threshold nor a bare
significance test is enough. For each benchmark and metric with raw samples, the change is
the **Hodges-Lehmann estimate** of head / baseline (the median of all pairwise log-ratios
log(h_j / b_i), exponentiated), its interval is **Moses' distribution-free confidence
interval** (95% by default; the shifts the Mann-Whitney test does not reject), and a metric
is a **regression** only when all of these hold:

1. both sides have at least ``GatePolicy.min_samples`` samples;
2. the **Mann-Whitney U test, two-sided**, gives p < ``GatePolicy.alpha`` (0.01 by default,
   strict because a suite makes many comparisons at once);
3. the interval lies entirely on the worse side of "no change", and the estimate is beyond
   the metric's relative threshold (``margin="estimate"``) or, with ``margin="interval"``,
   the whole interval is beyond the threshold;
4. the interval is narrower than the threshold (half-width, on the log scale, at most the
   threshold): otherwise the measurement is **too noisy to judge** at that threshold;
5. the absolute change is at least the threshold's optional ``absolute`` minimum.

The Hodges-Lehmann estimate is the Mann-Whitney test's own estimator: on noisy timings it
is far more efficient than a ratio of medians (about 95% vs 64% on normal data), so fewer
samples reach the same precision, and like the test it ignores a minority of outliers or
bursts of fast runs. Rule 4 is the "noise level larger than the threshold" rule: when the
runs are so spread (or so few) that the plausible changes span more than the threshold, the
verdict is ``unchanged`` with the note "too noisy to judge", never a regression; the same
note marks an ``unchanged`` verdict whose interval reaches beyond the threshold. Rule 4 is
also what keeps whole-run noise in check: ``aiwf-ci run`` measures baseline and head in
separate blocks of runs, so a busy stretch can slow one side as a whole, which no test on
the samples can tell from a real change; such runs are spread, so their interval is wide.
``benchmarks/detection_quality.py`` measures false alarms and detection through the CLI.

Improvements are the mirror image. Metrics without a threshold are reported but never fail
the build. Above ``HL_MAX_PAIRS`` pairwise differences (load tests with thousands of
samples), or with samples that are not all positive, the change is the ratio of medians
with its bootstrap / normal-approximation interval instead. Summary-only metrics (ingested
without raw samples) cannot be tested: they are a regression only when the change is beyond
the threshold AND the two [min, max] ranges do not overlap.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import replace

from aiwf_ci.models import BenchmarkResult, Metric, Results
from aiwf_ci.stats import median
from aiwf_ci.verdict.machines import fingerprint_warnings
from aiwf_ci.verdict.model import (
    NOTE_FEW,
    NOTE_NO_THRESHOLD,
    NOTE_NOISY,
    NOTE_SUMMARY,
    NOTE_ZERO,
    VERDICTS,
    BenchmarkComparison,
    Comparison,
    Confidence,
    GatePolicy,
    MetricComparison,
    Verdict,
)
from aiwf_ci.verdict.significance import (
    HL_MAX_PAIRS,
    bootstrap_ratio_ci,
    hodges_lehmann_ratio,
    mann_whitney_u,
)
from aiwf_ci.verdict.thresholds import DEFAULT_RULES, Threshold, ThresholdRules

__all__ = ["compare", "compare_benchmark", "compare_metric", "count_verdicts"]


# --- the gate for one metric ---------------------------------------------------------------


def _seed(policy: GatePolicy, benchmark: str, metric: str) -> int:
    return policy.seed ^ zlib.crc32(f"{benchmark}\0{metric}".encode())


def _beyond(worse: float, threshold: Threshold, base: float, head: float) -> bool:
    absolute_ok = threshold.absolute is None or abs(head - base) >= threshold.absolute
    return worse > threshold.relative and absolute_ok


def _judge(
    worse: float, worse_ci: tuple[float, float], p: float, th: Threshold, policy: GatePolicy
) -> tuple[Verdict, Confidence]:
    """Direction-free decision on the worsening (positive = worse) and its interval."""
    lo, hi = worse_ci
    significant = p < policy.alpha
    strict = policy.margin == "interval"
    precise = _half_width(worse_ci) <= math.log1p(th.relative)
    if significant and precise and lo > 0 and (lo > th.relative if strict else worse > th.relative):
        return "regression", "high" if lo > th.relative else "medium"
    if (
        significant
        and precise
        and hi < 0
        and (-hi > th.relative if strict else -worse > th.relative)
    ):
        return "improvement", "high" if -hi > th.relative else "medium"
    if -th.relative <= lo and hi <= th.relative:
        return "unchanged", "high"
    if abs(worse) <= th.relative and precise:
        return "unchanged", "medium"
    return "unchanged", "low"


def _half_width(ci: tuple[float, float]) -> float:
    """Half the width of an interval of a change, on the log scale (symmetric for ratios)."""
    lo, hi = ci
    if lo <= -1.0:
        return math.inf
    return (math.log1p(hi) - math.log1p(lo)) / 2.0


def _sampled(
    bench: str, name: str, base: Metric, head: Metric, th: Threshold | None, policy: GatePolicy
) -> MetricComparison:
    b, h = base.stats.median, head.stats.median
    row = _row(bench, name, base, head, th)
    if len(base.samples) < policy.min_samples or len(head.samples) < policy.min_samples:
        note = f"{NOTE_FEW}: need {policy.min_samples} per side"
        return replace(row, change=h / b - 1 if b else None, note=note)
    if b <= 0:
        return replace(row, note=NOTE_ZERO)
    p = mann_whitney_u(base.samples, head.samples).p_value
    ratio, lo, hi = _ratio(bench, name, base.samples, head.samples, policy)
    change, ci = ratio - 1.0, (lo - 1.0, hi - 1.0)
    sign = 1.0 if base.direction == "lower" else -1.0
    worse_ci = (ci[0], ci[1]) if sign > 0 else (-ci[1], -ci[0])
    verdict, confidence, note = _decide(sign * change, worse_ci, p, th, policy, b, h)
    return replace(
        row,
        change=change,
        ci=ci,
        p_value=p,
        verdict=verdict,
        confidence=confidence,
        note=note,
    )


def _ratio(
    bench: str, name: str, base: Sequence[float], head: Sequence[float], policy: GatePolicy
) -> tuple[float, float, float]:
    """head / baseline and its interval: Hodges-Lehmann with Moses' interval, or the ratio
    of medians with its bootstrap interval for huge or non-positive samples."""
    if len(base) * len(head) <= HL_MAX_PAIRS and min(base) > 0 and min(head) > 0:
        shift = hodges_lehmann_ratio(base, head, confidence=policy.confidence)
        return shift.ratio, shift.low, shift.high
    lo, hi = bootstrap_ratio_ci(
        base,
        head,
        confidence=policy.confidence,
        resamples=policy.resamples,
        seed=_seed(policy, bench, name),
    )
    return median(head) / median(base), lo, hi


def _decide(
    worse: float,
    worse_ci: tuple[float, float],
    p: float,
    th: Threshold | None,
    policy: GatePolicy,
    base: float,
    head: float,
) -> tuple[Verdict, Confidence, str]:
    if th is None:
        return "unchanged", "low", NOTE_NO_THRESHOLD
    verdict, confidence = _judge(worse, worse_ci, p, th, policy)
    if verdict != "unchanged" and not _beyond(abs(worse), th, base, head):
        return "unchanged", "medium", "below the absolute minimum effect"
    if verdict == "unchanged" and confidence == "low":
        return verdict, confidence, NOTE_NOISY
    return verdict, confidence, ""


def _summary_only(
    bench: str, name: str, base: Metric, head: Metric, th: Threshold | None
) -> MetricComparison:
    """No samples: beyond the threshold with non-overlapping [min, max] ranges, or nothing."""
    b, h = base.stats.median, head.stats.median
    row = _row(bench, name, base, head, th)
    if not b:
        return replace(row, note=NOTE_ZERO)
    change = h / b - 1.0
    worse = change if base.direction == "lower" else -change
    apart = head.stats.min > base.stats.max or head.stats.max < base.stats.min
    if th is not None and apart and _beyond(abs(worse), th, b, h):
        verdict: Verdict = "regression" if worse > 0 else "improvement"
        note = f"{NOTE_SUMMARY}: ranges do not overlap"
        return replace(row, change=change, verdict=verdict, note=note)
    note = f"{NOTE_SUMMARY}: cannot test significance"
    return replace(row, change=change, note=note)


def _row(
    bench: str, name: str, base: Metric, head: Metric, th: Threshold | None
) -> MetricComparison:
    """An ``unchanged`` row with the medians filled in, refined with ``replace``."""
    return MetricComparison(
        benchmark=bench,
        metric=name,
        unit=head.unit,
        direction=head.direction,
        verdict="unchanged",
        baseline=base.stats.median,
        head=head.stats.median,
        n_baseline=len(base.samples),
        n_head=len(head.samples),
        threshold=th,
    )


def compare_metric(
    bench: str,
    name: str,
    base: Metric,
    head: Metric,
    threshold: Threshold | None,
    policy: GatePolicy | None = None,
) -> MetricComparison:
    """The gate for one metric (see the module docstring)."""
    policy = policy or GatePolicy()
    if base.summary_only or head.summary_only or not base.samples or not head.samples:
        return _summary_only(bench, name, base, head, threshold)
    return _sampled(bench, name, base, head, threshold, policy)


# --- benchmarks and the whole suite --------------------------------------------------------


def _only(bench: str, name: str, metric: Metric, verdict: Verdict) -> MetricComparison:
    centre = metric.stats.median
    return MetricComparison(
        benchmark=bench,
        metric=name,
        unit=metric.unit,
        direction=metric.direction,
        verdict=verdict,
        baseline=centre if verdict == "removed" else None,
        head=centre if verdict == "new" else None,
        n_baseline=len(metric.samples) if verdict == "removed" else 0,
        n_head=len(metric.samples) if verdict == "new" else 0,
    )


def _metrics(
    base: BenchmarkResult, head: BenchmarkResult, rules: ThresholdRules, policy: GatePolicy
) -> tuple[MetricComparison, ...]:
    out: list[MetricComparison] = []
    for name, metric in head.metrics.items():
        if name in base.metrics:
            th = rules.resolve(head.name, name)
            out.append(compare_metric(head.name, name, base.metrics[name], metric, th, policy))
        else:
            out.append(_only(head.name, name, metric, "new"))
    out.extend(
        _only(head.name, n, m, "removed") for n, m in base.metrics.items() if n not in head.metrics
    )
    return tuple(out)


def _overall(metrics: Sequence[MetricComparison]) -> Verdict:
    verdicts = {m.verdict for m in metrics}
    if "regression" in verdicts:
        return "regression"
    return "improvement" if "improvement" in verdicts else "unchanged"


def compare_benchmark(
    base: BenchmarkResult | None,
    head: BenchmarkResult | None,
    rules: ThresholdRules = DEFAULT_RULES,
    policy: GatePolicy | None = None,
) -> BenchmarkComparison:
    """One benchmark: errored if head failed, new/removed if one side is missing."""
    policy = policy or GatePolicy()
    if head is None:
        if base is None:
            raise ValueError("compare_benchmark needs at least one side")
        metrics = tuple(_only(base.name, n, m, "removed") for n, m in base.metrics.items())
        return BenchmarkComparison(
            name=base.name, kind=base.kind, verdict="removed", metrics=metrics
        )
    if head.failed:
        return BenchmarkComparison(
            name=head.name,
            kind=head.kind,
            verdict="errored",
            errors=head.errors,
            alerts=head.alerts,
        )
    if base is None or base.failed:
        metrics = tuple(_only(head.name, n, m, "new") for n, m in head.metrics.items())
        return BenchmarkComparison(
            name=head.name, kind=head.kind, verdict="new", metrics=metrics, alerts=head.alerts
        )
    metrics = _metrics(base, head, rules, policy)
    return BenchmarkComparison(
        name=head.name,
        kind=head.kind,
        verdict=_overall(metrics),
        metrics=metrics,
        alerts=head.alerts,
    )


def compare(
    baseline: Results,
    head: Results,
    rules: ThresholdRules = DEFAULT_RULES,
    *,
    policy: GatePolicy | None = None,
) -> Comparison:
    """Compare every benchmark of ``head`` with ``baseline`` (see the module docstring)."""
    policy = policy or GatePolicy()
    base_by_name = baseline.by_name()
    head_names = {b.name for b in head.benchmarks}
    benches = [
        compare_benchmark(base_by_name.get(b.name), b, rules, policy) for b in head.benchmarks
    ]
    benches += [compare_benchmark(b, None) for b in baseline.benchmarks if b.name not in head_names]
    return Comparison(
        suite=head.suite,
        benchmarks=tuple(benches),
        counts=count_verdicts(benches),
        warnings=fingerprint_warnings(baseline.environment, head.environment),
        policy=policy,
        baseline=baseline,
        head=head,
    )


def count_verdicts(benches: Sequence[BenchmarkComparison]) -> dict[Verdict, int]:
    counts: dict[Verdict, int] = dict.fromkeys(VERDICTS, 0)
    for bench in benches:
        counts[bench.verdict] += 1
    return counts
