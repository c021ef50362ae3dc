"""Threshold rules as plain JSON: recorded in a run's ``results.json`` (``thresholds``), so a
replay judges by the rules the run used, and in ``comment.json``, so the ``workflow_run`` side
can judge a fork's results with the rules the PR's run used, without checking out (and
trusting) the PR's config file."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from aiwf_ci.models import Results
from aiwf_ci.verdict.thresholds import (
    DEFAULT,
    FOLLOWERS,
    Threshold,
    ThresholdRules,
    build_rules,
)

SOURCES = frozenset({"", DEFAULT, *FOLLOWERS.values()})
"""The ``source`` values a rule may record; anything else reads as stated."""


def _rule(threshold: Threshold) -> dict[str, Any]:
    data: dict[str, Any] = {"relative": threshold.relative, "absolute": threshold.absolute}
    if threshold.source:
        data["source"] = threshold.source
    return data


def rules_to_dict(rules: ThresholdRules) -> dict[str, Any]:
    return {
        "ignore": list(rules.ignore),
        "suite": {m: _rule(t) for m, t in rules.suite.items()},
        "per_benchmark": {
            bench: {m: _rule(t) for m, t in own.items()}
            for bench, own in rules.per_benchmark.items()
        },
    }


def record_rules(results: Results, rules: ThresholdRules) -> Results:
    """``results`` recording the rules the run was judged by (``Results.thresholds``)."""
    return replace(results, thresholds=rules_to_dict(rules))


def recorded_rules(results: Results) -> ThresholdRules | None:
    """The rules a results file recorded, or ``None`` when it recorded none (older files,
    imported results)."""
    return rules_from_dict(results.thresholds) if results.thresholds else None


def other_rules_note(baseline: Results, used: ThresholdRules, source: str) -> str:
    """What the report says when the baseline's run recorded other rules than the ones this
    comparison judges by (``source`` names those), else ``""``."""
    recorded = recorded_rules(baseline)
    if recorded is None or recorded == used:
        return ""
    return (
        f"the baseline's run was judged by other thresholds ({recorded.describe()}) than this "
        f"comparison ({source})"
    )


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
        source = body.get("source", "")
        rules[str(metric)] = Threshold(
            metric=str(metric),
            relative=abs(relative),
            absolute=absolute,
            source=source if isinstance(source, str) and source in SOURCES else "",
        )
    return rules


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None
