"""The sections both kinds of report share besides the tables: alerts, load-test latency,
errored benchmarks and the footer's API figures, formatted and capped by ``Limits``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from aiwf_ci import numbers
from aiwf_ci.metrics import BYTES
from aiwf_ci.models import Alert, BenchmarkResult, Metric, Results
from aiwf_ci.report.view_model import AlertView, ErrorView, LatencyView, Limits


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
