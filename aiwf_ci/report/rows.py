"""The rows of a report: which metrics are changes, which are quiet, which cannot change,
and how one metric is written.

**One estimate throughout.** The verdict's change is the Hodges-Lehmann estimate of
head/baseline (paired data: of the per-round ratios), not the ratio of the two medians, so a
row "2.26 ms → 2.98 ms, +13.1%" whose columns were medians did not add up. A row here shows
the baseline's median and the head *estimated from it*, ``baseline × (1 + change)``: the two
columns and the change are one statement, and the interval brackets it. The measured medians
of both sides stay in the row (``medians``) for the details.

**Quiet rows.** A metric that did not change goes into a collapsed list, and one that cannot
change or cannot be compared (a ``memory_gc_freed`` of 0 B on both sides, a baseline of zero,
memory within ±0.0%) becomes one short item there instead of a table row.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiwf_ci import numbers
from aiwf_ci.metrics import BYTES
from aiwf_ci.models import Metric
from aiwf_ci.report.view_model import Folded, Row
from aiwf_ci.verdict.model import (
    EXACT_METHOD,
    NOTE_ZERO,
    BenchmarkComparison,
    MetricComparison,
)
from aiwf_ci.verdict.thresholds import DEFAULT

REPORTED = "reported, not gated"
"""The label of a metric without a threshold: shown, never a verdict ("unchanged" at +24%
would read as a claim) in any format: the comment's icon, the terminal table's verdict column
and the HTML report's pill (its colour) all say ``reported``, not ``unchanged``."""
REPORTED_VERDICT = "reported"
REPORTED_ICON = "ℹ️"
ICONS = {
    "regression": "❌",
    "errored": "💥",
    "inconclusive": "⚠️",
    "improvement": "🚀",
    "new": "🆕",
    "removed": "🗑️",
    "unchanged": "✅",
}
CHANGED = ("regression", "inconclusive", "improvement", "new", "removed")
_ZERO_CHANGE = 0.0005  # written ±0.0%


def head_estimate(row: MetricComparison) -> float | None:
    """The head as the change estimates it from the baseline's median (see the module
    docstring); the measured median when there is no change to apply."""
    if row.baseline is None or row.change is None or row.method == EXACT_METHOD:
        return row.head  # exact counts: the head's own count is no estimate
    return row.baseline * (1.0 + row.change)


def threshold_text(row: MetricComparison) -> str:
    th = row.threshold
    if row.verdict in ("new", "removed"):
        return numbers.DASH
    if th is None:
        return "none"
    text = th.percent
    if th.absolute is not None:
        text = f"{text} and ≥ {numbers.human(th.absolute, row.unit)}"
    return text if th.stated or th.source == DEFAULT else f"{text} (from {th.source})"


def test_text(row: MetricComparison) -> str:
    """The test behind the verdict and how much data it had, in one cell."""
    if row.method == EXACT_METHOD:
        return "exact counts, no test needed"
    if row.p_value is None:
        return "no test" if row.verdict not in ("new", "removed") else numbers.DASH
    size = f"n = {row.n_baseline} / {row.n_head}"
    if row.rounds:
        size = numbers.counted(row.rounds, "paired round")
    return f"{row.method} {numbers.p_value(row.p_value)}, {size}"


def statement(row: MetricComparison) -> str:
    """How sure, in words, with the report's number formats (``MetricComparison.statement``
    writes p-values with ``.2g``, an exponent below 0.0001)."""
    parts = [f"{row.confidence} confidence"]
    if row.ci is not None:
        low, high = (numbers.pct(x) for x in row.ci)
        parts.append(f"{numbers.level(row.ci_level)} CI {low} … {high}")
    parts.append(test_text(row))
    return "; ".join(parts)


def metric_row(row: MetricComparison) -> Row:
    medians = f"{numbers.human(row.baseline, row.unit)} → {numbers.human(row.head, row.unit)}"
    interval = numbers.DASH
    if row.ci is not None:
        interval = f"{numbers.pct(row.ci[0])} … {numbers.pct(row.ci[1])}"
    reported = row.threshold is None and row.verdict == "unchanged"
    return Row(
        benchmark=row.benchmark,
        metric=row.metric,
        verdict=REPORTED_VERDICT if reported else row.verdict,
        icon=REPORTED_ICON if reported else ICONS[row.verdict],
        label=REPORTED if reported else row.verdict,
        baseline=numbers.human(row.baseline, row.unit),
        head=numbers.human(head_estimate(row), row.unit),
        change=numbers.change_cell(row.change, row.ci),
        interval=interval,
        p_value=numbers.p_value(row.p_value),
        threshold=threshold_text(row),
        note=row.note,
        confidence=row.confidence,
        statement=statement(row),
        medians=medians,
        test=test_text(row),
        paired=row.rounds > 0,
    )


def head_row(bench: str, name: str, metric: Metric) -> Row:
    """A row of a report without baseline: the head's median and spread."""
    spread = f"CV {metric.stats.cv * 100:.1f}%" if metric.samples else "summary only"
    return Row(
        benchmark=bench,
        metric=name,
        verdict="new",
        icon="",
        baseline=numbers.DASH,
        head=numbers.human(metric.stats.median, metric.unit),
        change=numbers.DASH,
        interval=numbers.DASH,
        p_value=numbers.DASH,
        threshold=numbers.DASH,
        note=spread,
        confidence="",
        statement=f"n = {len(metric.samples)}",
    )


def fold_reason(row: MetricComparison) -> str:
    """Why an unchanged metric is not worth a table row, or ``""`` when it is."""
    if row.verdict != "unchanged":
        return ""
    if row.baseline == 0 and row.head == 0:
        return f"{numbers.human(0.0, row.unit)} on both sides"
    if row.note == NOTE_ZERO:
        return "baseline is zero"
    if row.unit == BYTES and row.change is not None and abs(row.change) < _ZERO_CHANGE:
        return "±0.0%"
    return ""


def folded(row: MetricComparison) -> Folded:
    return Folded(benchmark=row.benchmark, metric=row.metric, reason=fold_reason(row))


def sort_key(row: MetricComparison) -> tuple[int, float, str, str]:
    order = CHANGED.index(row.verdict) if row.verdict in CHANGED else len(CHANGED)
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
            is_change = row.verdict in CHANGED and (whole or row.verdict not in ("new", "removed"))
            (changed if is_change else unchanged).append(row)
    return sorted(changed, key=sort_key), sorted(unchanged, key=sort_key)


def split_quiet(
    unchanged: Iterable[MetricComparison],
) -> tuple[list[MetricComparison], list[Folded]]:
    """The quiet rows worth a table row, and those folded to one item each."""
    rows: list[MetricComparison] = []
    items: list[Folded] = []
    for row in unchanged:
        if fold_reason(row):
            items.append(folded(row))
        else:
            rows.append(row)
    return rows, items
