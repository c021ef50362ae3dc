"""Inline SVG charts for the HTML report, drawn in Python so the file needs no network and
no JavaScript: baseline vs head sample distributions (strip plot over a box plot), memory
over time (line chart) and load-test latency percentiles (grouped bars).

Each chart is as wide as the page lets it be (``svg_axis.svg``), has an axis with round
ticks, and a legend where colour alone would have to tell baseline from head. Sizes are
drawn from zero, so two memory figures 0.1% apart look 0.1% apart. Every text that lands in
an SVG goes through MarkupSafe's ``escape``; the functions return ``Markup`` that the
autoescaping HTML template embeds as is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup

from aiwf_ci import numbers
from aiwf_ci.metrics import BYTES
from aiwf_ci.models import BenchmarkResult, Metric, Results, Series
from aiwf_ci.report.svg_axis import (
    BASE_COLOUR,
    HEAD_COLOUR,
    WIDTH,
    Scale,
    domain,
    legend,
    svg,
    text,
    x_axis,
    y_axis,
)
from aiwf_ci.stats import percentile

LEFT = 70
RIGHT = 16
MAX_POINTS = 300
_TRAILING = re.compile(r"\.(\d*?)0+(?=\D|$)")

__all__ = ["BASE_COLOUR", "HEAD_COLOUR", "WIDTH", "benchmark_charts", "charts_for"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Chart:
    title: str
    svg: Markup
    notes: tuple[str, ...] = ()
    """Lines under the title (a trend chart's change points in words)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BenchmarkCharts:
    name: str
    charts: tuple[Chart, ...]


def tick_label(unit: str) -> Callable[[float], str]:
    """Axis labels in the report's units, without trailing zeros (``95 ms``, ``2.5 MiB``)."""

    def trim(match: re.Match[str]) -> str:
        return f".{match.group(1)}" if match.group(1) else ""

    def label(value: float) -> str:
        return "0" if value == 0 else _TRAILING.sub(trim, numbers.human(value, unit))

    return label


def _seconds(value: float) -> str:
    return "0 s" if value == 0 else tick_label("s")(value)


def _thin(values: Sequence[float]) -> list[float]:
    ordered = sorted(values)
    if len(ordered) <= MAX_POINTS:
        return ordered
    step = len(ordered) / MAX_POINTS
    return [ordered[int(i * step)] for i in range(MAX_POINTS)]


def _strip(values: Sequence[float], y: float, scale: Scale, colour: str) -> str:
    q1, med, q3 = (percentile(values, q) for q in (25.0, 50.0, 75.0))
    parts = [
        f'<line x1="{scale(min(values)):.1f}" x2="{scale(max(values)):.1f}" y1="{y}" y2="{y}" '
        f'stroke="{colour}" stroke-width="1"/>',
        f'<rect x="{scale(q1):.1f}" y="{y - 9}" width="{max(1.0, scale(q3) - scale(q1)):.1f}" '
        f'height="18" fill="{colour}" fill-opacity="0.15" stroke="{colour}"/>',
        f'<line x1="{scale(med):.1f}" x2="{scale(med):.1f}" y1="{y - 11}" y2="{y + 11}" '
        f'stroke="{colour}" stroke-width="2.5" class="median"/>',
    ]
    for i, value in enumerate(_thin(values)):
        jitter = ((i * 7919) % 13 - 6) * 0.9
        parts.append(
            f'<circle cx="{scale(value):.1f}" cy="{y + jitter:.1f}" r="2.2" fill="{colour}" '
            'fill-opacity="0.7" class="sample"/>'
        )
    return "".join(parts)


def distribution(name: str, base: Metric | None, head: Metric) -> Markup:
    """Strip + box plot of the raw samples, baseline above head, on one shared axis with
    ticks; sizes from zero."""
    sides = [(label, m) for label, m in (("baseline", base), ("head", head)) if m and m.samples]
    every = [v for _, m in sides for v in m.samples]
    lo, hi = domain(every, from_zero=head.unit == BYTES)
    scale = Scale(lo, hi, LEFT, WIDTH - RIGHT, binary=head.unit == BYTES)
    body = []
    axis_y = 16 + len(sides) * 34
    body.append(x_axis(scale, axis_y, 4, tick_label(head.unit), 6))
    for row, (label, metric) in enumerate(sides):
        y = 22 + row * 34
        colour = BASE_COLOUR if label == "baseline" else HEAD_COLOUR
        body.append(text(LEFT - 8, y + 4, label, "end"))
        body.append(_strip(metric.samples, y, scale, colour))
    return svg(axis_y + 22, "".join(body), f"{name}: distribution of samples")


def _polyline(series: Series, x: Scale, y: Scale, colour: str, dashed: bool) -> str:
    points = " ".join(
        f"{x(t):.1f},{y(v):.1f}" for t, v in zip(series.t, series.values, strict=True)
    )
    dash = ' stroke-dasharray="5 3"' if dashed else ""
    return (
        f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.8"{dash} '
        'class="series"/>'
    )


def memory_over_time(name: str, head: Series, base: Series | None) -> Markup:
    """RSS (or any series) against time from zero, with ticks on both axes and a legend; the
    baseline's series dashed when there is one."""
    top, bottom = 26, 168
    series = [(s, s is base) for s in (base, head) if s is not None and s.values]
    t_max = max(max(s.t) for s, _ in series) or 1.0
    values = [v for s, _ in series for v in s.values]
    lo, hi = domain(values, from_zero=head.unit == BYTES)
    x = Scale(0.0, t_max, LEFT, WIDTH - RIGHT)
    y = Scale(lo, hi, bottom, top, binary=head.unit == BYTES)
    body = [y_axis(y, LEFT, WIDTH - RIGHT, tick_label(head.unit), 4)]
    body.append(x_axis(x, bottom, top, _seconds, 6))
    for s, is_base in series:
        colour = BASE_COLOUR if is_base else HEAD_COLOUR
        body.append(_polyline(s, x, y, colour, is_base))
    keys = [("head", HEAD_COLOUR, False)]
    if any(is_base for _, is_base in series):
        keys.insert(0, ("baseline", BASE_COLOUR, True))
    body.append(legend(LEFT + 4, 14, keys))
    return svg(bottom + 24, "".join(body), f"{name}: memory over time")


def latency_bars(name: str, base: Metric | None, head: Metric) -> Markup:
    """p50 / p95 / p99 as horizontal bars from zero, baseline and head side by side per
    percentile; the value at the end of each bar, room kept for it."""
    rows = [("p50", "median"), ("p95", "p95"), ("p99", "p99")]
    sides = [(side, m) for side, m in (("baseline", base), ("head", head)) if m is not None]
    values = [float(getattr(m.stats, attr)) for _, attr in rows for _, m in sides]
    scale = Scale(0.0, max(values) * 1.05 or 1.0, 44, WIDTH - RIGHT - 80)
    group = len(sides) * 16 + 10
    top = 24
    body = []
    for g, (label, attr) in enumerate(rows):
        y0 = top + g * group
        body.append(text(36, y0 + len(sides) * 8 + 4, label, "end"))
        for i, (side, metric) in enumerate(sides):
            value = float(getattr(metric.stats, attr))
            y = y0 + i * 16
            colour = BASE_COLOUR if side == "baseline" else HEAD_COLOUR
            width = max(scale(value) - scale.p0, 1.0)
            body.append(
                f'<rect x="{scale.p0:.1f}" y="{y}" width="{width:.1f}" height="13" '
                f'fill="{colour}" class="bar"><title>{label} {side}</title></rect>'
            )
            body.append(text(scale.p0 + width + 5, y + 10.5, numbers.human(value, head.unit)))
    axis_y = top + len(rows) * group
    body.append(x_axis(scale, axis_y, top - 4, tick_label(head.unit), 5))
    colours = {"baseline": BASE_COLOUR, "head": HEAD_COLOUR}
    body.append(legend(48, 14, [(side, colours[side], False) for side, _ in sides]))
    return svg(axis_y + 22, "".join(body), f"{name}: latency percentiles")


def _drawn(head: Metric, base: Metric | None) -> bool:
    """Whether a distribution says anything: not when every sample of both sides is zero
    (``memory_gc_freed`` of code without reference cycles)."""
    return any(head.samples) or (base is not None and any(base.samples))


def charts_for(bench: BenchmarkResult, base: BenchmarkResult | None) -> BenchmarkCharts:
    """Every chart one benchmark gets: distributions, series, latency percentiles."""
    charts: list[Chart] = []
    for name, metric in bench.metrics.items():
        base_metric = base.metrics.get(name) if base else None
        if metric.samples and _drawn(metric, base_metric):
            charts.append(
                Chart(title=f"{name} samples", svg=distribution(bench.name, base_metric, metric))
            )
        if name == "latency":
            charts.append(
                Chart(
                    title="latency percentiles", svg=latency_bars(bench.name, base_metric, metric)
                )
            )
    for name, series in bench.series.items():
        if series.values:
            base_series = base.series.get(name) if base else None
            charts.append(
                Chart(
                    title=f"{name} over time", svg=memory_over_time(bench.name, series, base_series)
                )
            )
    return BenchmarkCharts(name=bench.name, charts=tuple(charts))


def benchmark_charts(head: Results, baseline: Results | None) -> tuple[BenchmarkCharts, ...]:
    base = baseline.by_name() if baseline else {}
    return tuple(charts_for(b, base.get(b.name)) for b in head.benchmarks)
