"""The report's view model: what every report shows, already sorted, formatted and capped.

Templates only lay out; every decision about *what* to show (which rows are changes, in what
order, how many fit, how a number is written) is made here, once, for the PR comment, the job
summary, the HTML report and the terminal table alike. Strings stay raw (unescaped): each
output format escapes them its own way when it renders.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from aiwf_ci.models import Alert, BenchmarkResult, Metric, Results
from aiwf_ci.report.view_model import (
    FULL,
    AlertView,
    ErrorView,
    LatencyView,
    Limits,
    ReportContext,
    Row,
    View,
)
from aiwf_ci.units import format_value
from aiwf_ci.verdict.model import (
    VERDICTS,
    BenchmarkComparison,
    Comparison,
    GatePolicy,
    MetricComparison,
    Report,
)

ICONS = {
    "regression": "❌",
    "errored": "💥",
    "inconclusive": "⚠️",
    "improvement": "🚀",
    "new": "🆕",
    "removed": "🗑️",
    "unchanged": "✅",
}
_PLURAL = {"regression": "regressions", "improvement": "improvements"}
_CHANGED = ("regression", "inconclusive", "improvement", "new", "removed")


# --- formatting ----------------------------------------------------------------------------


def fmt_pct(value: float | None) -> str:
    return "—" if value is None else f"{value:+.1%}"


def fmt_p(value: float | None) -> str:
    if value is None:
        return "—"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def fmt_value(value: float | None, unit: str) -> str:
    return "—" if value is None else format_value(value, unit)


def fmt_threshold(row: MetricComparison) -> str:
    th = row.threshold
    if row.verdict in ("new", "removed"):
        return "—"
    if th is None:
        return "none"
    text = f"{th.relative:.0%}"
    return text if th.absolute is None else f"{text} and ≥ {format_value(th.absolute, row.unit)}"


def metric_row(row: MetricComparison) -> Row:
    return Row(
        benchmark=row.benchmark,
        metric=row.metric,
        verdict=row.verdict,
        icon=ICONS[row.verdict],
        baseline=fmt_value(row.baseline, row.unit),
        head=fmt_value(row.head, row.unit),
        change=fmt_pct(row.change),
        interval="—" if row.ci is None else f"{row.ci[0]:+.1%} … {row.ci[1]:+.1%}",
        p_value=fmt_p(row.p_value),
        threshold=fmt_threshold(row),
        note=row.note,
        confidence=row.confidence,
        statement=row.statement,
    )


def head_row(bench: str, name: str, metric: Metric) -> Row:
    """A row of a report without baseline: the head's median and spread."""
    spread = f"CV {metric.stats.cv:.1%}" if metric.samples else "summary only"
    return Row(
        benchmark=bench,
        metric=name,
        verdict="new",
        icon="",
        baseline="—",
        head=format_value(metric.stats.median, metric.unit),
        change="—",
        interval="—",
        p_value="—",
        threshold="—",
        note=spread,
        confidence="",
        statement=f"n = {len(metric.samples)}",
    )


def verdict_line(counts: Mapping[str, int]) -> str:
    parts = [
        f"{counts[v]} {_PLURAL.get(v, v) if counts[v] != 1 else v}"
        for v in VERDICTS
        if counts.get(v)
    ]
    return ", ".join(parts) or "no benchmarks"


def method_text(policy: GatePolicy) -> str:
    margin = "its whole interval" if policy.margin == "interval" else "the Hodges-Lehmann change"
    return (
        f"Regression = {margin} beyond the threshold, Mann-Whitney U two-sided "
        f"p < {policy.alpha:g}, and Moses' {policy.confidence:.0%} interval excluding no change "
        f"and no wider than the threshold (at least {policy.min_samples} samples per side). "
        "Baseline and head columns are medians. Metrics without a threshold are reported but "
        "never fail the build."
    )


def footer(stats: Mapping[str, float] | None) -> tuple[tuple[str, str], ...]:
    def value(key: str, number: float) -> str:
        if key.endswith("rate") and 0.0 <= number <= 1.0:
            return f"{number:.0%}"
        return f"{number:g}"

    return tuple((k.replace("_", " "), value(k, v)) for k, v in (stats or {}).items())


# --- sections ------------------------------------------------------------------------------


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
    sign = "+" if value > 0 else ""
    return sign + (format_value(value, unit) if unit else f"{value:,g}")


def alert_view(bench: str, alert: Alert, limits: Limits) -> AlertView:
    details = alert.details if isinstance(alert.details, Mapping) else {}
    n = limits.items_per_alert
    return AlertView(
        benchmark=bench,
        kind=alert.kind,
        metric=alert.metric,
        message=alert.message,
        sites=_pairs(details.get("sites"), "site", "size_diff", n, "bytes"),
        types=_pairs(details.get("types"), "type", "count_diff", n, ""),
    )


def latency_view(bench: str, base: Metric | None, head: Metric, extra: object) -> LatencyView:
    def cell(metric: Metric | None, attr: str) -> float | None:
        return None if metric is None else float(getattr(metric.stats, attr))

    rows = []
    for label, attr in (("p50", "median"), ("p95", "p95"), ("p99", "p99")):
        b, h = cell(base, attr), cell(head, attr)
        change = h / b - 1 if b and h is not None else None
        rows.append((label, fmt_value(b, head.unit), fmt_value(h, head.unit), fmt_pct(change)))
    return LatencyView(benchmark=bench, percentiles=tuple(rows), status_codes=_codes(extra))


def _codes(extra: object) -> str:
    codes = extra.get("status_codes") if isinstance(extra, Mapping) else None
    if not isinstance(codes, Mapping):
        return ""
    return ", ".join(f"{code}: {count}" for code, count in sorted(codes.items(), key=str))


def _cap(items: Sequence[object], limit: int | None) -> tuple[int, int]:
    keep = len(items) if limit is None else min(limit, len(items))
    return keep, len(items) - keep


def _sort_key(row: MetricComparison) -> tuple[int, float, str, str]:
    order = _CHANGED.index(row.verdict) if row.verdict in _CHANGED else len(_CHANGED)
    return (order, -abs(row.worsening or 0.0), row.benchmark, row.metric)


def split_rows(
    benches: Iterable[BenchmarkComparison],
) -> tuple[list[MetricComparison], list[MetricComparison]]:
    """Changed rows first; a metric that only appeared or disappeared inside a benchmark that
    exists on both sides (e.g. after upgrading aiwf-ci) is listed with the unchanged ones."""
    changed: list[MetricComparison] = []
    unchanged: list[MetricComparison] = []
    for bench in benches:
        whole = bench.verdict in ("new", "removed")
        for row in bench.metrics:
            is_change = row.verdict in _CHANGED and (whole or row.verdict not in ("new", "removed"))
            (changed if is_change else unchanged).append(row)
    return sorted(changed, key=_sort_key), sorted(unchanged, key=_sort_key)


def _alerts(results: Iterable[BenchmarkResult], limits: Limits) -> tuple[list[AlertView], int]:
    views = [alert_view(b.name, a, limits) for b in results for a in b.alerts]
    keep, omitted = _cap(views, limits.alerts)
    return views[:keep], omitted


def _latency(
    head: Results, baseline: Results | None, limits: Limits
) -> tuple[list[LatencyView], int]:
    base = baseline.by_name() if baseline else {}
    views = [
        latency_view(b.name, _metric(base.get(b.name), "latency"), b.metrics["latency"], b.extra)
        for b in head.benchmarks
        if "latency" in b.metrics
    ]
    keep, omitted = _cap(views, limits.latency)
    return views[:keep], omitted


def _metric(bench: BenchmarkResult | None, name: str) -> Metric | None:
    return None if bench is None else bench.metrics.get(name)


def _sections(view: View, head: Results, baseline: Results | None, limits: Limits) -> View:
    """Fill in what both kinds of report show: alerts, latency, errors, footer."""
    alerts, omit_a = _alerts(head.benchmarks, limits)
    latency, omit_l = _latency(head, baseline, limits)
    errors = [
        ErrorView(benchmark=b.name, message="\n".join(b.errors))
        for b in head.benchmarks
        if b.errors
    ]
    keep_e, omit_e = _cap(errors, limits.errors)
    return replace(
        view,
        alerts=tuple(alerts),
        omitted_alerts=omit_a,
        latency=tuple(latency),
        omitted_latency=omit_l,
        errors=tuple(errors[:keep_e]),
        omitted_errors=omit_e,
        error_chars=limits.error_chars,
        footer=footer(view.context.api_stats),
        shortened=limits != FULL,
    )


# --- the two kinds of report ---------------------------------------------------------------


def comparison_view(comparison: Comparison, ctx: ReportContext, limits: Limits = FULL) -> View:
    changed, unchanged = split_rows(comparison.benchmarks)
    keep_c, omit_c = _cap(changed, limits.changed)
    keep_u, omit_u = _cap(unchanged, limits.unchanged)
    counts = {str(k): v for k, v in comparison.counts.items()}
    status = _status(counts)
    view = View(
        suite=comparison.suite,
        status=status,
        icon=ICONS[status] if status != "pass" else "✅",
        verdict_line=verdict_line(counts),
        has_baseline=True,
        context=ctx,
        changed=tuple(metric_row(m) for m in changed[:keep_c]),
        omitted_changed=omit_c,
        unchanged=tuple(metric_row(m) for m in unchanged[:keep_u]),
        omitted_unchanged=omit_u,
        warnings=(*comparison.warnings, *ctx.warnings),
        ci_label=f"{comparison.policy.confidence:.0%} CI",
        method=method_text(comparison.policy),
        benchmarks=len(comparison.benchmarks),
    )
    return _sections(view, comparison.head, comparison.baseline, limits)


def _status(counts: Mapping[str, int]) -> str:
    for verdict in ("errored", "regression", "inconclusive"):
        if counts.get(verdict):
            return verdict
    return "pass"


def head_only_view(head: Results, ctx: ReportContext, limits: Limits = FULL) -> View:
    """No baseline: the head's numbers and the reason there is nothing to compare with."""
    rows = [
        head_row(b.name, n, m)
        for b in head.benchmarks
        if not b.failed
        for n, m in b.metrics.items()
    ]
    keep, omitted = _cap(rows, limits.unchanged)
    errored = sum(1 for b in head.benchmarks if b.failed)
    line = f"No baseline: {len(head.benchmarks)} benchmarks measured"
    view = View(
        suite=head.suite,
        status="errored" if errored else "no-baseline",
        icon="💥" if errored else "ℹ️",
        verdict_line=f"{line}, {errored} errored" if errored else line,
        has_baseline=False,
        context=ctx,
        unchanged=tuple(rows[:keep]),
        omitted_unchanged=omitted,
        warnings=ctx.warnings,
        benchmarks=len(head.benchmarks),
    )
    return _sections(view, head, None, limits)


def build_view(report: Report, ctx: ReportContext, limits: Limits = FULL) -> View:
    """The view of a comparison, or of head results alone when there is no baseline."""
    if report.comparison is not None:
        return comparison_view(report.comparison, ctx, limits)
    return head_only_view(report.head, ctx, limits)
