"""The base branch's trend in Markdown: the push run's job summary and the body of the one
pinned issue that aiwf-ci keeps up to date.

Why two renderers: a push run's summary answers "did this push move anything?" (the change
points, nothing else), while the issue is the page a team watches, so it also has every
metric's recent runs as a sparkline and its latest level. Both go through the Markdown
environment of ``render.make_environment`` (every value escaped), and both shrink to fit
GitHub's limits (an issue body holds 65,536 characters, a summary 1 MiB); the first line
is never shortened. The issue ends with ``history_marker(suite)`` so the next run finds it
(with its author and title: ``github.issues``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiwf_ci.history.trend import Series, Trend
from aiwf_ci.report.render import (
    COMMENT_LIMIT,
    SUMMARY_LIMIT_BYTES,
    make_environment,
    tidy_markdown,
    with_marker,
)
from aiwf_ci.report.trend import (
    SPARK_RUNS,
    StepItem,
    headline,
    last_step,
    latest,
    like_values,
    newest_sha,
    sparkline,
    step_items,
)

#: From everything to the first line alone: (change points, metric rows) tried in order.
CAPS: tuple[tuple[int | None, int | None], ...] = (
    (None, None),
    (500, 500),
    (100, 100),
    (20, 20),
    (0, 0),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricLine:
    """One metric's recent history: a row of the issue's table."""

    benchmark: str
    metric: str
    spark: str
    latest: str
    last_step: str


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryView:
    """What the summary and the issue show, capped; strings raw (the templates escape)."""

    suite: str
    headline: str
    runs: int
    branch: str
    newest_sha: str
    dashboard_url: str
    steps: tuple[StepItem, ...]
    omitted_steps: int
    metrics: tuple[MetricLine, ...]
    omitted_metrics: int
    notes: tuple[str, ...]
    spark_runs: int = SPARK_RUNS


def metric_line(series: Series) -> MetricLine:
    step = last_step(series)
    return MetricLine(
        benchmark=series.benchmark,
        metric=series.metric,
        spark=sparkline(like_values(series)[-SPARK_RUNS:]),
        latest=latest(series),
        last_step=step.describe() if step else "",
    )


def history_view(
    trend: Trend,
    *,
    branch: str = "",
    dashboard_url: str = "",
    caps: tuple[int | None, int | None] = (None, None),
) -> HistoryView:
    steps = step_items(trend)
    series = trend.series
    keep_steps = len(steps) if caps[0] is None else min(caps[0], len(steps))
    keep_metrics = len(series) if caps[1] is None else min(caps[1], len(series))
    return HistoryView(
        suite=trend.suite,
        headline=headline(trend),
        runs=trend.runs,
        branch=branch,
        newest_sha=newest_sha(trend),
        dashboard_url=dashboard_url,
        steps=tuple(steps[:keep_steps]),
        omitted_steps=len(steps) - keep_steps,
        metrics=tuple(metric_line(s) for s in series[:keep_metrics]),
        omitted_metrics=len(series) - keep_metrics,
        notes=trend.notes,
    )


def _fit(
    trend: Trend,
    template: str,
    fits: Callable[[str], bool],
    finish: Callable[[str], str],
    **context: str,
) -> str:
    """The most detailed rendering that fits; at worst the first line alone."""
    tpl = make_environment("markdown").get_template(template)
    text = ""
    for caps in CAPS:
        view = history_view(trend, caps=caps, **context)
        text = finish(tidy_markdown(tpl.render(view=view)))
        if fits(text):
            return text
    first = text.split("\n", 1)[0]
    return finish(f"{first}\n")


def render_history_summary(
    trend: Trend,
    *,
    branch: str = "",
    dashboard_url: str = "",
    limit_bytes: int = SUMMARY_LIMIT_BYTES,
) -> str:
    """A push run's job summary: "N change points in the last R runs" and each one
    (benchmark, metric, ``Step.describe()``), or "No change point in the last R runs"."""
    return _fit(
        trend,
        "history_summary.md.j2",
        lambda text: len(text.encode("utf-8")) <= limit_bytes,
        lambda text: text,
        branch=branch,
        dashboard_url=dashboard_url,
    )


def render_history_issue(
    trend: Trend,
    *,
    marker: str,
    branch: str = "",
    dashboard_url: str = "",
    limit: int = COMMENT_LIMIT,
) -> str:
    """The pinned issue's body: the change points, every metric's last runs and latest
    level, the notes, and ``marker`` (``history_marker(suite)``) at the very end."""

    def finish(text: str) -> str:
        return with_marker(text.rstrip("\n"), marker)

    return _fit(
        trend,
        "history_issue.md.j2",
        lambda text: len(text) <= limit,
        finish,
        branch=branch,
        dashboard_url=dashboard_url,
    )
