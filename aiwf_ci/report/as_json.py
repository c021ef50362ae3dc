"""``aiwf-ci compare --format json``: the comparison as plain JSON-ready data.

Stable keys for scripts: ``status``, ``counts``, ``warnings``, ``policy`` and one entry per
benchmark with its metrics (medians, change, interval, p-value, verdict, note). The raw
results are not repeated: they are in the two results files.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aiwf_ci.verdict.model import BenchmarkComparison, Comparison, MetricComparison


def _metric(row: MetricComparison) -> dict[str, Any]:
    th = row.threshold
    return {
        "metric": row.metric,
        "unit": row.unit,
        "direction": row.direction,
        "verdict": row.verdict,
        "baseline": row.baseline,
        "head": row.head,
        "change": row.change,
        "ci": list(row.ci) if row.ci else None,
        "p_value": row.p_value,
        "n_baseline": row.n_baseline,
        "n_head": row.n_head,
        "threshold": None if th is None else {"relative": th.relative, "absolute": th.absolute},
        "note": row.note,
        "confidence": row.confidence,
        "statement": row.statement,
    }


def _benchmark(bench: BenchmarkComparison) -> dict[str, Any]:
    return {
        "name": bench.name,
        "kind": bench.kind,
        "verdict": bench.verdict,
        "metrics": [_metric(m) for m in bench.metrics],
        "errors": list(bench.errors),
        "alerts": [
            {"kind": a.kind, "metric": a.metric, "message": a.message} for a in bench.alerts
        ],
    }


def comparison_to_dict(comparison: Comparison) -> dict[str, Any]:
    """JSON-ready dict of a comparison (``json.dumps`` it; no NaN or infinity inside)."""
    return {
        "schema": "aiwf-ci/comparison@1",
        "suite": comparison.suite,
        "status": comparison.status,
        "counts": dict(comparison.counts),
        "warnings": list(comparison.warnings),
        "policy": asdict(comparison.policy),
        "baseline": {"sha": comparison.baseline.commit.sha, "ref": comparison.baseline.commit.ref},
        "head": {"sha": comparison.head.commit.sha, "ref": comparison.head.commit.ref},
        "benchmarks": [_benchmark(b) for b in comparison.benchmarks],
    }
