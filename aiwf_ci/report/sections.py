"""The sections both kinds of report share besides the tables: alerts, load-test latency,
errored benchmarks and the footer's API figures, formatted and capped by ``Limits``."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from aiwf_ci import numbers
from aiwf_ci.metrics import BYTES
from aiwf_ci.models import Alert, BenchmarkResult, Metric, Results
from aiwf_ci.report.view_model import (
    AlertView,
    ErrorView,
    LatencyView,
    Limits,
    ProfileRow,
    ProfileView,
)


def cap(items: Sequence[object], limit: int | None) -> tuple[int, int]:
    """How many of ``items`` to keep under ``limit``, and how many that leaves out."""
    keep = len(items) if limit is None else min(limit, len(items))
    return keep, len(items) - keep


def footer(stats: Mapping[str, float] | None) -> tuple[tuple[str, str], ...]:
    def value(key: str, number: float) -> str:
        if key.endswith("rate") and 0.0 <= number <= 1.0:
            return f"{number:.0%}"
        return numbers.count(number)

    return tuple((k.replace("_", " "), value(k, v)) for k, v in (stats or {}).items())


def _pairs(
    items: object, key: str, value: str, limit: int, unit: str
) -> tuple[tuple[str, str], ...]:
    """Defensive read of a leak detail list such as ``[{"site": ..., "size_diff": ...}]``."""
    if not isinstance(items, list):
        return ()
    out = [
        (str(item.get(key, "?")), _num(item.get(value), unit))
        for item in items
        if isinstance(item, Mapping)
    ]
    return tuple(out[:limit])


def _num(value: object, unit: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "?" if value is None else str(value)
    if not unit:
        return numbers.signed_count(value)
    return ("+" if value > 0 else "") + numbers.human(value, unit)


def alert_view(bench: str, alert: Alert, limits: Limits) -> AlertView:
    details = alert.details if isinstance(alert.details, Mapping) else {}
    n = limits.items_per_alert
    return AlertView(
        benchmark=bench,
        kind=alert.kind,
        metric=alert.metric,
        message=alert.message,
        sites=_pairs(details.get("sites"), "site", "size_diff", n, BYTES),
        types=_pairs(details.get("types"), "type", "count_diff", n, ""),
    )


def latency_view(bench: str, base: Metric | None, head: Metric, extra: object) -> LatencyView:
    def cell(metric: Metric | None, attr: str) -> float | None:
        return None if metric is None else float(getattr(metric.stats, attr))

    rows = []
    for label, attr in (("p50", "median"), ("p95", "p95"), ("p99", "p99")):
        b, h = cell(base, attr), cell(head, attr)
        change = h / b - 1 if b and h is not None else None
        rows.append((label, numbers.human(b, head.unit), numbers.human(h, head.unit),
                     numbers.pct(change)))  # fmt: skip
    return LatencyView(benchmark=bench, percentiles=tuple(rows), status_codes=_codes(extra))


def _codes(extra: object) -> str:
    codes = extra.get("status_codes") if isinstance(extra, Mapping) else None
    if not isinstance(codes, Mapping):
        return ""
    return ", ".join(f"{code}: {count}" for code, count in sorted(codes.items(), key=str))


def alerts(results: Iterable[BenchmarkResult], limits: Limits) -> tuple[list[AlertView], int]:
    views = [alert_view(b.name, a, limits) for b in results for a in b.alerts]
    keep, omitted = cap(views, limits.alerts)
    return views[:keep], omitted


def latency(
    head: Results, baseline: Results | None, limits: Limits
) -> tuple[list[LatencyView], int]:
    base = baseline.by_name() if baseline else {}
    views = [
        latency_view(b.name, _metric(base.get(b.name), "latency"), b.metrics["latency"], b.extra)
        for b in head.benchmarks
        if "latency" in b.metrics
    ]
    keep, omitted = cap(views, limits.latency)
    return views[:keep], omitted


def _metric(bench: BenchmarkResult | None, name: str) -> Metric | None:
    return None if bench is None else bench.metrics.get(name)


def errors(head: Results, limits: Limits) -> tuple[list[ErrorView], int]:
    views = [
        ErrorView(benchmark=b.name, message="\n".join(b.errors))
        for b in head.benchmarks
        if b.errors
    ]
    keep, omitted = cap(views, limits.errors)
    return views[:keep], omitted


MEASURES = {
    "bytecode": ("instructions (Python bytecode)", "instr", "_bytecode"),
    "timed": ("time (cProfile)", "s", "_pstats"),
    "counted": ("instructions (Callgrind)", "instr", "_callgrind"),
}
"""The measures in the order shown (name, unit, the suffix of its files' keys): Python
functions by a deterministic count first, then by time, the C functions last."""


def profiles(head: Results) -> list[ProfileView]:
    """The profile differences the A/B run attached to changed benchmarks
    (``extra["profile"]``), each measure one view; anything malformed (a results file is
    untrusted input) is left out, never an error."""
    views = []
    for bench in head.benchmarks:
        found = bench.extra.get("profile")
        if not isinstance(found, Mapping):
            continue
        for key, (measure, unit, suffix) in MEASURES.items():
            diff = found.get(key)
            if not isinstance(diff, Mapping):
                continue
            view = _profile_view(bench.name, measure, unit, diff)
            if view is not None:
                views.append(replace(view, files=_files(found.get("files"), suffix)))
    return views


def _profile_view(
    name: str, measure: str, unit: str, diff: Mapping[str, object]
) -> ProfileView | None:
    entries = diff.get("entries")
    base, head = _number(diff.get("base_total")), _number(diff.get("head_total"))
    if not isinstance(entries, list) or base is None or head is None:
        return None
    rows = [_entry(e) for e in entries[:10] if isinstance(e, Mapping)]
    kept = [r for r in rows if r is not None]
    widest = max((abs(r[1]) for r in kept), default=0.0) or 1.0
    views = tuple(
        ProfileRow(
            function=function,
            self_change=_signed(change, unit),
            share=numbers.pct(share).lstrip("+") if share is not None else numbers.DASH,
            inclusive_change=_signed(inclusive, unit),
            bar=round(100 * abs(change) / widest),
            worse=change > 0,
        )
        for function, change, share, inclusive in kept
    )
    whole = (
        f"{_signed(head - base, unit)} a call "
        f"({numbers.human(base, unit)} → {numbers.human(head, unit)})"
    )
    note = diff.get("note")
    return ProfileView(
        benchmark=name,
        measure=measure,
        whole=whole,
        rows=views,
        note=note if isinstance(note, str) else "",
    )


def _entry(entry: Mapping[str, object]) -> tuple[str, float, float | None, float] | None:
    function, change = entry.get("function"), _number(entry.get("self_change"))
    inclusive = _number(entry.get("inclusive_change"))
    if not isinstance(function, str) or change is None or inclusive is None:
        return None
    return function[:200], change, _number(entry.get("share")), inclusive


def _number(value: object) -> float | None:
    """A finite number from untrusted JSON, else ``None``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _signed(value: float, unit: str) -> str:
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return sign + numbers.human(abs(value), unit)


def _files(files: object, suffix: str) -> str:
    """Where the raw profiles are, as the results name them (for a person to open)."""
    if not isinstance(files, Mapping):
        return ""
    shown = []
    for side in ("base", "head"):
        value = files.get(side + suffix)
        first = value[0] if isinstance(value, list) and value else value
        if isinstance(first, str):
            shown.append(f"{side}: {first[:200]}")
    return "; ".join(shown)
