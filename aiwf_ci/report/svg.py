"""Inline SVG charts for the HTML report, drawn in Python so the file needs no network and
no JavaScript: baseline vs head sample distributions (strip plot over a box plot), memory
over time (line chart) and load-test latency percentiles (grouped bars).

Every text that lands in an SVG goes through MarkupSafe's ``escape``; the functions return
``Markup`` that the autoescaping HTML template embeds as is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from aiwf_ci.models import BenchmarkResult, Metric, Results, Series
from aiwf_ci.stats import percentile
from aiwf_ci.units import format_value

WIDTH = 560
LEFT = 70
RIGHT = 20
BASE_COLOUR = "#8a8f98"
HEAD_COLOUR = "#2f6fde"
MAX_POINTS = 300


@dataclass(frozen=True, slots=True, kw_only=True)
class Chart:
    title: str
    svg: Markup


@dataclass(frozen=True, slots=True, kw_only=True)
class BenchmarkCharts:
    name: str
    charts: tuple[Chart, ...]


def _svg(height: int, body: str, label: str) -> Markup:
    return Markup(  # noqa: S704 - every text inside was escaped by the caller
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(label)}">{body}</svg>'
    )


def _text(x: float, y: float, text: str, anchor: str = "start", cls: str = "lbl") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="{cls}">{escape(text)}</text>'
    )


class _Scale:
    def __init__(self, lo: float, hi: float, x0: float, x1: float) -> None:
        span = (hi - lo) or abs(hi) or 1.0
        self.lo, self.hi = lo - span * 0.05, hi + span * 0.05
        self.x0, self.x1 = x0, x1

    def __call__(self, value: float) -> float:
        return self.x0 + (value - self.lo) / (self.hi - self.lo) * (self.x1 - self.x0)


def _thin(values: Sequence[float]) -> list[float]:
    ordered = sorted(values)
    if len(ordered) <= MAX_POINTS:
        return ordered
    step = len(ordered) / MAX_POINTS
    return [ordered[int(i * step)] for i in range(MAX_POINTS)]


def _strip(values: Sequence[float], y: float, scale: _Scale, colour: str) -> str:
    q1, med, q3 = (percentile(values, q) for q in (25.0, 50.0, 75.0))
    parts = [
        f'<line x1="{scale(min(values)):.1f}" x2="{scale(max(values)):.1f}" y1="{y}" y2="{y}" '
        f'stroke="{colour}" stroke-width="1"/>',
        f'<rect x="{scale(q1):.1f}" y="{y - 9}" width="{max(1.0, scale(q3) - scale(q1)):.1f}" '
        f'height="18" fill="{colour}" fill-opacity="0.18" stroke="{colour}"/>',
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
    """Strip + box plot of the raw samples, baseline above head, on one shared axis."""
    sides = [(label, m) for label, m in (("baseline", base), ("head", head)) if m and m.samples]
    every = [v for _, m in sides for v in m.samples]
    scale = _Scale(min(every), max(every), LEFT, WIDTH - RIGHT)
    body = []
    for row, (label, metric) in enumerate(sides):
        y = 22 + row * 34
        colour = BASE_COLOUR if label == "baseline" else HEAD_COLOUR
        body.append(_text(LEFT - 8, y + 4, label, "end"))
        body.append(_strip(metric.samples, y, scale, colour))
    axis_y = 22 + len(sides) * 34
    body.append(_text(LEFT, axis_y, format_value(min(every), head.unit)))
    body.append(_text(WIDTH - RIGHT, axis_y, format_value(max(every), head.unit), "end"))
    return _svg(axis_y + 8, "".join(body), f"{name}: distribution of samples")


def memory_over_time(name: str, head: Series, base: Series | None) -> Markup:
    """RSS (or any series) against time; the baseline's series dashed when there is one."""
    height, top, bottom = 160, 12, 130
    series = [s for s in (base, head) if s is not None and s.values]
    t_max = max(max(s.t) for s in series) or 1.0
    v_lo = min(min(s.values) for s in series)
    v_hi = max(max(s.values) for s in series)
    span = (v_hi - v_lo) or 1.0
    body = [f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{bottom}" y2="{bottom}" class="axis"/>']
    for s in series:
        points = " ".join(
            f"{LEFT + t / t_max * (WIDTH - LEFT - RIGHT):.1f},"
            f"{bottom - (v - v_lo) / span * (bottom - top):.1f}"
            for t, v in zip(s.t, s.values, strict=True)
        )
        style = "stroke-dasharray:4 3;" if s is base else ""
        colour = BASE_COLOUR if s is base else HEAD_COLOUR
        body.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.8" '
            f'style="{style}" class="series"/>'
        )
    body.append(_text(LEFT - 6, top + 8, format_value(v_hi, head.unit), "end"))
    body.append(_text(LEFT - 6, bottom, format_value(v_lo, head.unit), "end"))
    body.append(_text(WIDTH - RIGHT, bottom + 18, f"{t_max:.3g} s", "end"))
    body.append(_text(LEFT, bottom + 18, "0 s"))
    return _svg(height, "".join(body), f"{name}: memory over time")


def latency_bars(name: str, base: Metric | None, head: Metric) -> Markup:
    """p50 / p95 / p99 of the latency metric as horizontal bars, baseline and head."""
    rows = [("p50", "median"), ("p95", "p95"), ("p99", "p99")]
    values = [
        (label, side, float(getattr(m.stats, attr)))
        for label, attr in rows
        for side, m in (("baseline", base), ("head", head))
        if m is not None
    ]
    top = max(v for _, _, v in values) or 1.0
    body = []
    for i, (label, side, value) in enumerate(values):
        y = 8 + i * 18
        width = value / top * (WIDTH - LEFT - RIGHT - 80)
        colour = BASE_COLOUR if side == "baseline" else HEAD_COLOUR
        body.append(_text(LEFT - 8, y + 11, f"{label} {side}", "end"))
        body.append(
            f'<rect x="{LEFT}" y="{y}" width="{max(width, 1.0):.1f}" height="14" '
            f'fill="{colour}" class="bar"/>'
        )
        body.append(_text(LEFT + width + 6, y + 11, format_value(value, head.unit)))
    return _svg(16 + len(values) * 18, "".join(body), f"{name}: latency percentiles")


def charts_for(bench: BenchmarkResult, base: BenchmarkResult | None) -> BenchmarkCharts:
    """Every chart one benchmark gets: distributions, series, latency percentiles."""
    charts: list[Chart] = []
    for name, metric in bench.metrics.items():
        base_metric = base.metrics.get(name) if base else None
        if metric.samples:
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
