"""Threshold rules as plain JSON, so the ``workflow_run`` side can judge a fork's results with
the rules the PR's run used, without checking out (and trusting) the PR's config file."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from aiwf_ci.verdict.thresholds import Threshold, ThresholdRules, build_rules


def _rule(threshold: Threshold) -> dict[str, Any]:
    return {"relative": threshold.relative, "absolute": threshold.absolute}


def rules_to_dict(rules: ThresholdRules) -> dict[str, Any]:
    return {
        "ignore": list(rules.ignore),
        "suite": {m: _rule(t) for m, t in rules.suite.items()},
        "per_benchmark": {
            bench: {m: _rule(t) for m, t in own.items()}
            for bench, own in rules.per_benchmark.items()
        },
    }


def rules_from_dict(data: object) -> ThresholdRules:
    """Untrusted input: anything malformed falls back to the built-in defaults, rule by rule."""
    if not isinstance(data, Mapping):
        return build_rules()
    suite = _rules(data.get("suite"))
    per_bench_raw = data.get("per_benchmark")
    per_benchmark = (
        {str(k): _rules(v) for k, v in per_bench_raw.items()}
        if isinstance(per_bench_raw, Mapping)
        else {}
    )
    raw_ignore = data.get("ignore")
    ignore = (
        [str(p)[:200] for p in raw_ignore if isinstance(p, str)][:500]
        if isinstance(raw_ignore, list)
        else []
    )
    return build_rules(suite, per_benchmark, ignore=ignore)


def _rules(data: object) -> dict[str, Threshold]:
    if not isinstance(data, Mapping):
        return {}
    rules: dict[str, Threshold] = {}
    for metric, body in data.items():
        if not isinstance(body, Mapping):
            continue
        relative, absolute = _number(body.get("relative")), _number(body.get("absolute"))
        if relative is None or (absolute is None and body.get("absolute") is not None):
            continue
        rules[str(metric)] = Threshold(
            metric=str(metric), relative=abs(relative), absolute=absolute
        )
    return rules


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None
