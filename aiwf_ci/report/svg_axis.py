"""The drawing kit of the report's charts: an escaped ``<svg>`` shell, text, linear scales
with "nice" ticks (1, 2, 5 × 10^k, as a person would label an axis) and legends.

Kept apart from ``svg`` (which charts to draw) so each chart is a short function over these
parts. Every text goes through MarkupSafe's ``escape``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from aiwf_ci.report.escape import neutral

WIDTH = 560
EDGE = 30
CHAR_WIDTH = 6.8  # of an 11-px label, on average, with room to spare
BASE_COLOUR = "#6e7781"
HEAD_COLOUR = "#0969da"
_NICE = (1.0, 2.0, 5.0, 10.0)  # no 2.5: 10.25 ms would be labelled "10.2 ms"


def svg(height: int, body: str, label: str) -> Markup:
    """The chart's element: as wide as its container (the page), the aspect ratio kept."""
    return Markup(  # noqa: S704 - every text inside was escaped by the caller
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" role="img" '
        f'aria-label="{escape(neutral(label))}">{body}</svg>'
    )


def text(x: float, y: float, words: str, anchor: str = "start", cls: str = "lbl") -> str:
    shown = escape(neutral(words))
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="{cls}">{shown}</text>'


def line(x1: float, y1: float, x2: float, y2: float, cls: str = "axis") -> str:
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" class="{cls}"/>'


def nice_step(span: float, count: int) -> float:
    """The round step (1, 2 or 5 × 10^k) nearest to cutting ``span`` into ``count`` parts."""
    raw = span / max(1, count)
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    return min((n * power for n in _NICE), key=lambda step: abs(math.log(step / raw)))


def ticks(lo: float, hi: float, count: int = 5, min_step: float = 0.0) -> list[float]:
    """Round values within [lo, hi], about ``count`` of them, at least ``min_step`` apart."""
    step = max(nice_step(hi - lo, count), min_step)
    first = math.ceil(lo / step - 1e-9) * step
    out: list[float] = []
    value = first
    while value <= hi + step * 1e-9 and len(out) < 50:
        out.append(0.0 if abs(value) < step * 1e-9 else value)
        value = first + step * len(out)
    return out


class Scale:
    """Data values to pixels along one axis: ``[lo, hi]`` onto ``[p0, p1]``."""

    def __init__(self, lo: float, hi: float, p0: float, p1: float, *, binary: bool = False) -> None:
        if hi <= lo:
            hi = lo + (abs(lo) or 1.0)
        self.lo, self.hi, self.p0, self.p1 = lo, hi, p0, p1
        self.binary = binary  # whole bytes at least
        self.factor = binary_unit(max(abs(lo), abs(hi))) if binary else 1.0

    def __call__(self, value: float) -> float:
        return self.p0 + (value - self.lo) / (self.hi - self.lo) * (self.p1 - self.p0)

    def ticks(self, count: int = 5) -> list[float]:
        """Round values in the axis's unit: sizes round in KiB / MiB / GiB, not in bytes."""
        lo, hi = self.lo / self.factor, self.hi / self.factor
        return [t * self.factor for t in ticks(lo, hi, count, 1.0 if self.binary else 0.0)]


def binary_unit(magnitude: float) -> float:
    """The binary unit (1, KiB, MiB, ...) a size of ``magnitude`` is written in."""
    power = 0
    while power < 4 and magnitude >= 1024.0 ** (power + 1):
        power += 1
    return 1024.0**power


def domain(
    values: Sequence[float], *, from_zero: bool, min_share: float = 0.04
) -> tuple[float, float]:
    """The value range an axis shows. Sizes start at zero (a 0.1% difference of memory is not
    stretched across the chart); other ranges get at least ``min_share`` of their magnitude
    and a 5% margin, so noise of a few parts per thousand does not fill the width either."""
    lo, hi = min(values), max(values)
    if from_zero and lo >= 0:
        return 0.0, (hi * 1.05) or 1.0
    span = max(hi - lo, max(abs(lo), abs(hi)) * min_share) or 1.0
    middle = (lo + hi) / 2
    return middle - span * 0.55, middle + span * 0.55


def fitting_ticks(scale: Scale, fmt: Callable[[float], str], count: int) -> list[float]:
    """As many ticks as fit under the axis without their labels touching (``1.45k req/s``
    is wide): fewer, rounder ones until they fit."""
    values = scale.ticks(count)
    while count > 2:
        widest = max((len(fmt(v)) for v in values), default=0) * CHAR_WIDTH + 14
        if widest * len(values) <= abs(scale.p1 - scale.p0):
            break
        count -= 1
        values = scale.ticks(count)
    return values


def x_axis(scale: Scale, y: float, top: float, fmt: Callable[[float], str], count: int) -> str:
    """A horizontal axis at ``y``: the base line, light grid lines up to ``top`` and labels."""
    parts = [line(scale.p0, y, scale.p1, y)]
    for value in fitting_ticks(scale, fmt, count):
        x = scale(value)
        parts.append(line(x, top, x, y, "grid"))
        parts.append(line(x, y, x, y + 4))
        anchor = "end" if x > WIDTH - EDGE else "middle"  # the last label stays inside
        parts.append(text(x + (4 if anchor == "end" else 0), y + 15, fmt(value), anchor))
    return "".join(parts)


def y_axis(scale: Scale, x: float, right: float, fmt: Callable[[float], str], count: int) -> str:
    """A vertical axis at ``x``: the base line, grid lines across to ``right`` and labels."""
    parts = [line(x, scale.p0, x, scale.p1)]
    for value in scale.ticks(count):
        y = scale(value)
        parts.append(line(x, y, right, y, "grid"))
        parts.append(line(x - 4, y, x, y))
        parts.append(text(x - 7, y + 4, fmt(value), "end"))
    return "".join(parts)


def legend(x: float, y: float, items: Sequence[tuple[str, str, bool]]) -> str:
    """Coloured keys from ``x`` rightwards: (label, colour, dashed)."""
    parts = []
    for label, colour, dashed in items:
        dash = ' stroke-dasharray="5 3"' if dashed else ""
        parts.append(
            f'<line x1="{x:.1f}" y1="{y - 4:.1f}" x2="{x + 18:.1f}" y2="{y - 4:.1f}" '
            f'stroke="{colour}" stroke-width="2.5"{dash}/>'
        )
        parts.append(text(x + 23, y, label))
        x += 30 + 7 * len(label)
    return f'<g class="legend">{"".join(parts)}</g>'
