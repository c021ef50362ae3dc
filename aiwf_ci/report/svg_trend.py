"""Trend charts: one benchmark metric over the base branch's runs as an inline SVG line chart,
for the dashboard and the HTML report of a pull request.

Why a chart of its own: the report's charts show one run's samples; a trend shows one value
per run (the median), oldest to newest, with the commits as tick labels, and has to mark
what the numbers alone hide: where the level stepped (a dashed vertical line with the change,
the step's whole sentence in its tooltip and under the chart), which runs were measured on
another kind of machine (hollow grey dots, never joined to the line) and, in a PR's report,
where this PR's head lands (a larger purple dot after the last run). Dashed horizontal lines
give each stretch between steps its median level. Every text is escaped (``svg_axis``).
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import replace

from markupsafe import Markup, escape

from aiwf_ci import numbers
from aiwf_ci.history.trend import Series as TrendSeries
from aiwf_ci.history.trend import Trend, by_metric
from aiwf_ci.metrics import BYTES
from aiwf_ci.models import Results, short_sha
from aiwf_ci.report.svg import LEFT, RIGHT, BenchmarkCharts, Chart, tick_label
from aiwf_ci.report.svg_axis import (
    CHAR_WIDTH,
    EDGE,
    HEAD_COLOUR,
    WIDTH,
    Scale,
    domain,
    line,
    svg,
    text,
    y_axis,
)

TOP = 34
BOTTOM = 172
UNLIKE_COLOUR = "#8c959f"
STEP_COLOUR = "#cf222e"
PR_COLOUR = "#8250df"
PR_LABEL = "this PR"
LABEL_WIDTH = 7 * CHAR_WIDTH + 28
"""Room for one short SHA under the axis, with a gap to its neighbours."""


def label_slots(count: int, width: float) -> list[int]:
    """Which of ``count`` evenly spaced slots get a label: as many as fit, evenly thinned,
    always the newest (counted back from it)."""
    fit = max(1, int(width // LABEL_WIDTH))
    every = max(1, math.ceil(count / fit))
    return sorted(range(count - 1, -1, -every))


def _x_axis(series: TrendSeries, x: Scale, slots: int) -> str:
    parts = [line(x.p0, BOTTOM, x.p1, BOTTOM)]
    for slot in label_slots(slots, x.p1 - x.p0):
        px = x(slot)
        label = short_sha(series.shas[slot]) if slot < len(series.shas) else PR_LABEL
        parts.append(line(px, TOP, px, BOTTOM, "grid"))
        parts.append(line(px, BOTTOM, px, BOTTOM + 4))
        anchor = "end" if px > WIDTH - EDGE else "middle"
        parts.append(text(px + (4 if anchor == "end" else 0), BOTTOM + 15, label, anchor))
    return "".join(parts)


def _like(series: TrendSeries) -> list[int]:
    return [i for i, other in enumerate(series.unlike) if not other]


def _levels(series: TrendSeries, x: Scale, y: Scale) -> str:
    """The median level of each stretch between change points, dashed."""
    cuts = [0, *(step.index for step in series.steps), len(series.values)]
    like = _like(series)
    parts = []
    for start, end in itertools.pairwise(cuts):
        inside = [i for i in like if start <= i < end]
        if len(inside) < 2:
            continue
        level = y(statistics.median(series.values[i] for i in inside))
        parts.append(
            f'<line x1="{x(inside[0]):.1f}" y1="{level:.1f}" x2="{x(inside[-1]):.1f}" '
            f'y2="{level:.1f}" stroke="{HEAD_COLOUR}" stroke-opacity="0.45" '
            'stroke-dasharray="6 4" class="level"/>'
        )
    return "".join(parts)


def _steps(series: TrendSeries, x: Scale) -> str:
    """A dashed red line between the last run of the old level and the first of the new,
    labelled with the change; the whole sentence in its tooltip."""
    like = _like(series)
    parts = []
    for step in series.steps:
        before = max((i for i in like if i < step.index), default=step.index - 1)
        px = (x(before) + x(step.index)) / 2
        right = px > WIDTH - RIGHT - 50
        label = "step" if step.change is None else numbers.pct(step.change)
        parts.append(
            f'<g class="step"><title>{escape(step.describe())}</title>'
            f'<line x1="{px:.1f}" y1="{TOP - 8}" x2="{px:.1f}" y2="{BOTTOM}" '
            f'stroke="{STEP_COLOUR}" stroke-width="1.5" stroke-dasharray="4 3"/>'
            f'<text x="{px + (-4 if right else 4):.1f}" y="{TOP - 1}" '
            f'text-anchor="{"end" if right else "start"}" class="lbl" '
            f'style="fill:{STEP_COLOUR}">{escape(label)}</text></g>'
        )
    return "".join(parts)


def _runs(series: TrendSeries, x: Scale, y: Scale) -> str:
    """The line through the like-machine runs, a dot per run; other machines hollow grey."""
    like = _like(series)
    parts = []
    if len(like) > 1:
        points = " ".join(f"{x(i):.1f},{y(series.values[i]):.1f}" for i in like)
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{HEAD_COLOUR}" '
            'stroke-width="1.6" class="series"/>'
        )
    for i, value in enumerate(series.values):
        tip = f"{short_sha(series.shas[i])}: {numbers.human(value, series.unit)}"
        if series.unlike[i]:
            style = f'r="3.4" fill="#fff" stroke="{UNLIKE_COLOUR}" stroke-width="1.5"'
            style += ' class="unlike"'
            tip += " (another machine: shown, not used)"
        else:
            style = f'r="2.6" fill="{HEAD_COLOUR}" class="run"'
        parts.append(
            f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" {style}><title>{escape(tip)}</title>'
            "</circle>"
        )
    return "".join(parts)


def _head(slot: int, value: float, unit: str, x: Scale, y: Scale) -> str:
    separator = x(slot - 0.5)
    tip = f"{PR_LABEL}: {numbers.human(value, unit)}"
    return (
        f'<line x1="{separator:.1f}" y1="{TOP}" x2="{separator:.1f}" y2="{BOTTOM}" '
        f'stroke="{UNLIKE_COLOUR}" stroke-dasharray="1 3"/>'
        f'<circle cx="{x(slot):.1f}" cy="{y(value):.1f}" r="5" fill="{PR_COLOUR}" '
        f'stroke="#fff" stroke-width="1.5" class="head"><title>{escape(tip)}</title></circle>'
    )


def _key(kind: str, x: float, y: float) -> str:
    """The little drawing in front of a legend label."""
    if kind == "unlike":
        return (
            f'<circle cx="{x + 9:.1f}" cy="{y - 4:.1f}" r="3.4" fill="#fff" '
            f'stroke="{UNLIKE_COLOUR}" stroke-width="1.5"/>'
        )
    if kind == "step":
        return (
            f'<line x1="{x + 9:.1f}" y1="{y - 11:.1f}" x2="{x + 9:.1f}" y2="{y + 2:.1f}" '
            f'stroke="{STEP_COLOUR}" stroke-width="1.5" stroke-dasharray="4 3"/>'
        )
    if kind == "head":
        return f'<circle cx="{x + 9:.1f}" cy="{y - 4:.1f}" r="5" fill="{PR_COLOUR}"/>'
    return (
        f'<line x1="{x:.1f}" y1="{y - 4:.1f}" x2="{x + 18:.1f}" y2="{y - 4:.1f}" '
        f'stroke="{HEAD_COLOUR}" stroke-width="1.6"/>'
        f'<circle cx="{x + 9:.1f}" cy="{y - 4:.1f}" r="2.6" fill="{HEAD_COLOUR}"/>'
    )


def trend_legend(series: TrendSeries, head: bool) -> str:
    """Keys for what this chart draws: runs, other machine, change point, this PR."""
    keys = [("run", "median per run")]
    if any(series.unlike):
        keys.append(("unlike", "other machine"))
    if series.steps:
        keys.append(("step", "change point"))
    if head:
        keys.append(("head", PR_LABEL))
    x, parts = LEFT + 4.0, []
    for kind, label in keys:
        parts += [_key(kind, x, 14), text(x + 23, 14, label)]
        x += 30 + 6.4 * len(label)
    return f'<g class="legend">{"".join(parts)}</g>'


def trend_chart(series: TrendSeries, *, head: float | None = None) -> Markup:
    """The metric's median per run, oldest to newest, SHAs under the axis; ``head`` (this
    PR's median), when given, one slot after the newest run."""
    if head is not None and not math.isfinite(head):
        head = None
    values = [*series.values, *([head] if head is not None else [])]
    slots = len(values)
    sizes = series.unit == BYTES
    lo, hi = domain(values or [0.0], from_zero=sizes)
    x = Scale(-0.6, max(slots, 1) - 0.4, LEFT, WIDTH - RIGHT)
    y = Scale(lo, hi, BOTTOM, TOP, binary=sizes)
    body = [
        y_axis(y, LEFT, WIDTH - RIGHT, tick_label(series.unit), 4),
        _x_axis(series, x, slots),
        _levels(series, x, y),
        _steps(series, x),
        _runs(series, x, y),
    ]
    if head is not None:
        body.append(_head(slots - 1, head, series.unit, x, y))
    body.append(trend_legend(series, head is not None))
    label = f"{series.benchmark} {series.metric}: median of each of {len(series.values)} runs"
    return svg(BOTTOM + 24, "".join(body), label)


def step_notes(series: TrendSeries) -> tuple[str, ...]:
    return tuple(f"change point {step.describe()}" for step in series.steps)


def with_trends(
    charts: Sequence[BenchmarkCharts], trend: Trend, head: Results
) -> tuple[BenchmarkCharts, ...]:
    """The report's charts plus, per benchmark metric with a history, its trend with this
    PR's median appended (not for a metric that was zero throughout, like
    ``memory_gc_freed`` of code without reference cycles)."""
    series = by_metric(trend)
    results = head.by_name()
    out = []
    for bench in charts:
        result = results.get(bench.name)
        extra = [
            Chart(
                title=f"{name} on the base branch ({len(found.values)} runs) and {PR_LABEL}",
                svg=trend_chart(found, head=metric.stats.median),
                notes=step_notes(found),
            )
            for name, metric in (result.metrics.items() if result else ())
            if (found := series.get((bench.name, name))) is not None
            and (any(found.values) or metric.stats.median)
        ]
        out.append(replace(bench, charts=(*bench.charts, *extra)))
    return tuple(out)
