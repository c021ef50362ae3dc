"""The base branch's trend in words and blocks: what the PR comment, the push run's job
summary, the pinned issue and the dashboard say about a ``history.trend.Trend``.

Why here and not in ``history``: the trend module finds change points; how they read (the
sentence "2 change points in the last 30 runs", a sparkline ``▁▁▂▁▆▆▇``, which benchmarks a
PR comment shows) is a report decision, made once for every output. Strings stay raw: each
output escapes them its own way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aiwf_ci import numbers
from aiwf_ci.history.trend import Series, Step, Trend, by_metric
from aiwf_ci.report.view_model import TrendLine
from aiwf_ci.verdict.model import MetricComparison

BLOCKS = "▁▂▃▄▅▆▇█"
SPARK_RUNS = 20
"""Runs a sparkline shows: enough to see a step, short enough for one line of a comment."""
MIN_SHARE = 0.10


@dataclass(frozen=True, slots=True, kw_only=True)
class StepItem:
    """One change point, for the lists of the summary, the issue and the dashboard."""

    benchmark: str
    metric: str
    text: str
    anchor: str = ""


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def runs_phrase(runs: int) -> str:
    """``the last 30 runs``, ``the last run``."""
    return "the last run" if runs == 1 else f"the last {runs} runs"


def headline(trend: Trend) -> str:
    """``2 change points in the last 30 runs`` or ``No change point in the last 30 runs``."""
    if trend.runs == 0:
        return "No history yet: no run with results on the base branch"
    count = len(trend.steps())
    found = _plural(count, "change point") if count else "No change point"
    return f"{found} in {runs_phrase(trend.runs)}"


def step_items(trend: Trend) -> list[StepItem]:
    """Every change point, metric by metric in the trend's order, oldest step first."""
    return [
        StepItem(benchmark=s.benchmark, metric=s.metric, text=step.describe())
        for s, step in trend.steps()
    ]


def like_values(series: Series) -> list[float]:
    """The values measured on the newest run's kind of machine (the others are shown in
    charts, hollow, but never mixed into a line)."""
    return [v for v, other in zip(series.values, series.unlike, strict=True) if not other]


def spark_range(values: Sequence[float]) -> tuple[float, float]:
    """The range a sparkline spans: the values', widened around its middle to at least
    ``MIN_SHARE`` of their magnitude, so 2% of noise does not look like a cliff."""
    low, high = min(values), max(values)
    middle = (low + high) / 2
    half = max(high - low, max(abs(low), abs(high)) * MIN_SHARE) / 2
    return middle - half, middle + half


def sparkline(values: Sequence[float], low: float | None = None, high: float | None = None) -> str:
    """``values`` as Unicode blocks between ``low`` and ``high`` (default: ``spark_range``);
    a flat series is a row of middle blocks (``▅``, as a flat series in a range is)."""
    if not values:
        return ""
    if low is None or high is None:
        low, high = spark_range(values)
    if high <= low:
        return BLOCKS[len(BLOCKS) // 2] * len(values)
    top = len(BLOCKS) - 1
    return "".join(BLOCKS[min(top, max(0, round((v - low) / (high - low) * top)))] for v in values)


def last_step(series: Series) -> Step | None:
    return series.steps[-1] if series.steps else None


def trend_line(series: Series, head: float | None) -> TrendLine | None:
    """The last ``SPARK_RUNS`` like-machine runs and this PR's median on one scale."""
    values = like_values(series)[-SPARK_RUNS:]
    if not values:
        return None
    low, high = spark_range([*values, head] if head is not None else values)
    step = last_step(series)
    return TrendLine(
        benchmark=series.benchmark,
        metric=series.metric,
        spark=sparkline(values, low, high),
        head_spark=sparkline([head], low, high) if head is not None else "",
        runs=len(values),
        span=f"{numbers.human(min(values), series.unit)} … "
        f"{numbers.human(max(values), series.unit)}",
        last_step=step.describe() if step else "",
    )


def trend_lines(rows: Iterable[MetricComparison], trend: Trend | None) -> tuple[TrendLine, ...]:
    """A line for each changed metric (``rows``) that has a history on the base branch."""
    if trend is None:
        return ()
    series = by_metric(trend)
    lines = (
        trend_line(series[(row.benchmark, row.metric)], row.head)
        for row in rows
        if (row.benchmark, row.metric) in series
    )
    return tuple(line for line in lines if line is not None)


def newest_sha(trend: Trend) -> str:
    """The commit of the newest run (every series of the newest run ends with it)."""
    newest = [s.shas[-1] for s in trend.series if s.points and s.points[-1] == trend.runs - 1]
    return newest[0] if newest else ""


def latest(series: Series) -> str:
    """The newest like-machine value in the metric's unit."""
    values = like_values(series)
    return numbers.human(values[-1], series.unit) if values else numbers.DASH
