"""``aiwf-ci compare --format json``: the comparison as plain JSON-ready data.

Stable keys for scripts: ``status`` (pass, regression, inconclusive, error), ``counts``,
``warnings``, ``policy``, ``design`` (how the baseline was measured: paired or not, the
rounds), ``thresholds`` (the rules judged by, and where they came from) and one entry per
benchmark with its metrics (medians, the head as estimated from the baseline, change,
interval and its level, p-value, the test, paired rounds, verdict, note, and ``gated``:
false for a metric without a threshold, reported and never a verdict). The raw results are
not repeated: they are in the two results files. Numbers that are not finite (an infinite
change) become ``null``, so ``json.dumps(allow_nan=False)`` always works.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from aiwf_ci.report.headline import design_line, paired_design, unpaired_rows
from aiwf_ci.report.rows import head_estimate
from aiwf_ci.report.view_model import ReportContext
from aiwf_ci.verdict.compare import time_budget_of
from aiwf_ci.verdict.model import BenchmarkComparison, Comparison, MetricComparison
from aiwf_ci.verdict.rules_json import rules_to_dict
from aiwf_ci.verdict.spread import History


def _finite(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


def _metric(row: MetricComparison) -> dict[str, Any]:
    th = row.threshold
    return {
        "metric": row.metric,
        "unit": row.unit,
        "direction": row.direction,
        "verdict": row.verdict,
        "baseline": _finite(row.baseline),
        "head": _finite(row.head),
        "head_estimate": _finite(head_estimate(row)),
        "change": _finite(row.change),
        "ci": [_finite(x) for x in row.ci] if row.ci else None,
        "ci_level": row.ci_level,
        "p_value": _finite(row.p_value),
        "method": row.method,
        "rounds": row.rounds,
        "n_baseline": row.n_baseline,
        "n_head": row.n_head,
        "threshold": None if th is None else {"relative": th.relative, "absolute": th.absolute},
        "gated": th is not None,
        "note": row.note,
        "spread": _finite(row.spread),
        "confidence": row.confidence,
        "statement": row.statement,
    }


def _benchmark(bench: BenchmarkComparison) -> dict[str, Any]:
    return {
        "name": bench.name,
        "kind": bench.kind,
        "verdict": bench.verdict,
        "metrics": [_metric(m) for m in bench.metrics],
        "timer": _timer(bench),
        "errors": list(bench.errors),
        "alerts": [
            {"kind": a.kind, "metric": a.metric, "message": a.message} for a in bench.alerts
        ],
    }


def _timer(bench: BenchmarkComparison) -> dict[str, Any] | None:
    """Which time the ``duration`` rule gated, and why (``verdict.timer``)."""
    choice = bench.timer
    if choice is None:
        return None
    return {
        "setting": choice.setting,
        "gated": choice.gated,
        "reason": choice.reason,
        "on_cpu": list(choice.on_cpu),
        "waiting_for_cpu": list(choice.queued),
        "text": choice.describe(),
    }


def design_dict(comparison: Comparison, ctx: ReportContext) -> dict[str, Any]:
    """How the baseline was measured: the context's word, or what the data shows."""
    rounds = [m.rounds for b in comparison.benchmarks for m in b.metrics if m.rounds]
    return {
        "kind": ctx.design or ("same-runner" if rounds else "unpaired"),
        "paired": paired_design(comparison),
        "rounds": max(rounds, default=0),
        "note": ctx.design_note,
        "budget_seconds": time_budget_of(comparison.head.environment),
        "text": design_line(comparison, ctx),
        "unpaired_rule": _unpaired_rule(comparison),
    }


def _policy(comparison: Comparison) -> dict[str, Any]:
    """The gate's policy; under Holm's procedure ``holm_alpha`` lists the alpha each gated
    metric was judged at (``[{benchmark, metric, alpha}]``)."""
    policy = asdict(comparison.policy)
    policy["history"] = _history(comparison.policy.history)
    policy["holm_alpha"] = [
        {"benchmark": bench, "metric": metric, "alpha": alpha}
        for (bench, metric), alpha in comparison.policy.holm_alpha.items()
    ]
    return policy


def _unpaired_rule(comparison: Comparison) -> str | None:
    """Which rule judged the separate-run rows (``verdict.spread``): ``history`` (the run-to-
    run spread) or ``interval`` (the whole interval beyond the threshold); ``None`` when no
    gated row was unpaired."""
    if not unpaired_rows(comparison):
        return None
    return "history" if comparison.policy.history is not None else "interval"


def _history(history: History | None) -> dict[str, Any] | None:
    """The base side's history the unpaired gate used (``verdict.spread``): runs given, runs
    on a like machine, and each metric's run-to-run spread (``spread``: the ± fraction one
    new run median may lie from the history's centre)."""
    if history is None:
        return None
    return {
        "runs": history.runs,
        "used": history.used,
        "spreads": [
            {"benchmark": bench, "metric": metric, "runs": s.runs, "spread": _finite(s.relative)}
            for (bench, metric), s in history.spreads.items()
        ],
    }


def comparison_to_dict(
    comparison: Comparison, context: ReportContext | None = None
) -> dict[str, Any]:
    """JSON-ready dict of a comparison (``json.dumps`` it; no NaN or infinity inside)."""
    ctx = context or ReportContext(suite=comparison.suite)
    return {
        "schema": "aiwf-ci/comparison@1",
        "suite": comparison.suite,
        "status": comparison.status,
        "counts": dict(comparison.counts),
        "warnings": list(comparison.warnings),
        "policy": _policy(comparison),
        "design": design_dict(comparison, ctx),
        "thresholds": {
            "rules": rules_to_dict(comparison.rules),
            "source": ctx.thresholds_source,
            "text": comparison.rules.describe(),
        },
        "baseline": {"sha": comparison.baseline.commit.sha, "ref": comparison.baseline.commit.ref},
        "head": {"sha": comparison.head.commit.sha, "ref": comparison.head.commit.ref},
        "benchmarks": [_benchmark(b) for b in comparison.benchmarks],
    }
