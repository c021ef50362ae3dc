"""Groups in a set of timings: is the distribution one peak, or two or more?

Why it exists: the regression gate reports *one* shift between base and head. When the
per-round medians of a benchmark fall into two well-separated groups (a bimodal
distribution: two code paths, a cache that is warm in some rounds and cold in others, a
CPU that changes frequency), a single shift is meaningless: it depends on how many rounds
landed in each group, not on the change. ``find_peaks`` says whether that happened, so the
gate can answer "inconclusive: bimodal" and show the groups instead (Mozilla's
Perfherder/PerfCompare does the same with a kernel density estimate and a mode count).

How it decides, in pure Python (no numpy or scipy at run time):

1. The values are taken on the **log scale** (timings are multiplicative: 10 ms against
   12 ms is the same split as 1 s against 1.2 s). Everything below is measured in units
   of the bandwidth, so the answer does not change if all values are multiplied by a
   constant or raised to a power.
2. A **Gaussian kernel density estimate** of the log values, with Silverman's
   normal-reference bandwidth made a little narrower, ``h = 0.75 * sd * n^(-1/5)``
   (Silverman 1986, "Density Estimation", section 3.4.2, uses 0.9 and min(sd, IQR/1.34);
   the IQR form is not used because it shrinks to the core of a one-sided slowdown tail
   and then sees a peak in every cluster of slow rounds).
3. **Adaptive kernel widths** (Abramson 1982, "On bandwidth variation in kernel
   estimates - a square root law", Ann. Statist. 10): each value's kernel is widened by
   ``sqrt(g / f(x))``, where ``f`` is a pilot estimate at twice the bandwidth and ``g``
   its geometric mean over the values (the factor clipped to [0.5, 5]). Sparse tails (a
   busy machine slowing some rounds by a random amount) are smoothed into one shelf
   instead of sprouting peaks, and the wide pilot judges a chance cluster of slow rounds
   by the sparse tail around it; dense groups keep their sharp outline.
4. The estimate is evaluated on a grid of h/4 cells (linear binning: Wand 1994, "Fast
   computation of multivariate kernel estimators", JCGS 3; 1,000 values take about 2 ms);
   its local maxima are candidate groups, the local minima between them split the values.
5. A split is **kept only if the valley is deep**: the density there is at most
   ``VALLEY_RATIO`` (one half) of the smaller neighbouring peak, and proportionally deeper
   for a group of fewer than ``SURE_GROUP`` values (a peak made of three values is as
   likely a chance cluster in a tail as a second mode). Shallow valleys are removed one at
   a time, the shallowest first, merging their two groups. A group must also hold at least
   ``max(3, 10%)`` of the values; a smaller one is merged across its shallower valley.
6. Finally neighbouring groups whose centres (medians) are closer than ``min_separation``
   (relative) are merged, the closest pair first: a split smaller than the gate's
   threshold cannot change its verdict.

Why not "find the best split and test its separation" (Ashman's D, a two-component
mixture fit, a gap statistic)? Every sample, even from one normal distribution, has a
split that looks separated; testing the chosen split against a fixed bar is biased and
fires almost always. The density's shape is judged instead, on the whole sample, and the
constants were set by simulation (2,000 seeded draws per case, the cases of
tests/unit/verdict/test_modes.py): unimodal data (normal, a lognormal tail, Student-t(3), a tight
core with an exponential slowdown tail in 10% or 30% of the rounds) at 11 to 100 values
are called bimodal in at most 0.6% of draws (the 30% slowdown tail at 40 values; 0.1% or
less for the normal, lognormal and Student-t cases); two groups 20% apart (2% spread)
holding 30%/70% of 20 values are found in 97% of draws, and in every draw from 40 values
or with a 50/50 split.

Limits: the bandwidth follows the spread of *all* values, so groups closer than about
3.5 bandwidths merge: three groups of 10 values 20% apart are seen as one, and a close
pair next to a distant group may be reported as one group. Values quantised to a few
levels (a coarse timer) are seen as groups if the levels are far enough apart.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["MIN_VALUES", "Group", "Peaks", "find_peaks"]

#: Below this many values there is always one group. Two groups would hold 3 or 4 values
#: each, and a gap between two such clusters is as likely chance as a second mode (in
#: simulation the estimate finds nothing below 10 values, not even two clean groups 20%
#: apart), so it is not asked.
MIN_VALUES = 10
#: A kept valley's density is at most this fraction of the smaller neighbouring peak.
VALLEY_RATIO = 0.5
#: A group of fewer values needs a valley deeper by count / SURE_GROUP.
SURE_GROUP = 6
#: A reported group holds at least max(MIN_GROUP, MIN_SHARE * n) values.
MIN_GROUP = 3
MIN_SHARE = 0.10
#: Bandwidth: BANDWIDTH_FACTOR * sd * n^(-1/5) on the log scale.
BANDWIDTH_FACTOR = 0.75
#: Abramson's adaptive widths are clipped to [LAMBDA_MIN, LAMBDA_MAX] times the bandwidth.
LAMBDA_MIN = 0.5
LAMBDA_MAX = 5.0
#: The pilot estimate that sets the adaptive widths uses PILOT times the bandwidth.
PILOT = 2.0
#: Grid cells per bandwidth, and kernel support in (adapted) bandwidths.
CELLS_PER_BANDWIDTH = 4
KERNEL_REACH = 4.0
#: A bandwidth below this (relative to the log values) is rounding noise: one group.
RESOLUTION = 1e-9


@dataclass(frozen=True, slots=True, kw_only=True)
class Group:
    """One group of values: its median, smallest and largest value, and size."""

    centre: float
    low: float
    high: float
    count: int


def _four_digits(value: float) -> str:
    return f"{value:.4g}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Peaks:
    """The groups found, sorted by centre; a single group means unimodal."""

    groups: tuple[Group, ...]

    @property
    def count(self) -> int:
        return len(self.groups)

    @property
    def bimodal(self) -> bool:
        """Two or more groups (multi-modal counts as bimodal for the gate)."""
        return self.count >= 2

    def describe(self, unit_format: Callable[[float], str] = _four_digits) -> str:
        """E.g. ``2 groups: 62% around 20.1 ms (19.8–20.6), 38% around 31 ms (30.2–32.5)``.

        A unit that ``unit_format`` appends to every number is shown once per group, after
        the centre, and left out of the range.
        """
        if not self.groups:
            return "0 groups"
        total = sum(g.count for g in self.groups)
        parts = [f"{100.0 * g.count / total:.0f}% {_around(g, unit_format)}" for g in self.groups]
        noun = "group" if self.count == 1 else "groups"
        return f"{self.count} {noun}: " + ", ".join(parts)


def _around(group: Group, unit_format: Callable[[float], str]) -> str:
    centre, low, high = (unit_format(x) for x in (group.centre, group.low, group.high))
    unit = _unit(centre)
    if unit and low.endswith(unit) and high.endswith(unit):
        low, high = low.removesuffix(unit), high.removesuffix(unit)
    return f"around {centre} ({low}–{high})"


def _unit(text: str) -> str:
    """What follows the last digit of a formatted number: `` ms`` in ``20.1 ms``."""
    last_digit = max((i for i, ch in enumerate(text) if ch.isdigit()), default=len(text) - 1)
    return text[last_digit + 1 :]


@dataclass(frozen=True, slots=True)
class _Segment:
    """Values ``logs[start:stop]`` around one peak of the density (height ``peak``)."""

    start: int
    stop: int
    peak: float

    @property
    def size(self) -> int:
        return self.stop - self.start


# --- the density on a grid -----------------------------------------------------------------


def _bandwidth(logs: Sequence[float]) -> float:
    n = len(logs)
    mean = math.fsum(logs) / n
    sd = math.sqrt(math.fsum((x - mean) ** 2 for x in logs) / (n - 1))
    return BANDWIDTH_FACTOR * sd * math.pow(n, -0.2)


def _bin(logs: Sequence[float], origin: float, step: float, cells: int) -> dict[int, float]:
    """Linear binning: each value's unit weight is shared by its two nearest cells."""
    weights = [0.0] * cells
    for x in logs:
        position = (x - origin) / step
        cell = int(position)
        fraction = position - cell
        weights[cell] += 1.0 - fraction
        weights[cell + 1] += fraction
    return {cell: w for cell, w in enumerate(weights) if w > 0.0}


def _smooth(cells: int, weights: dict[int, float], widths: dict[int, float]) -> list[float]:
    """Sum of Gaussian kernels, one per occupied cell; widths in cells (unnormalised sd)."""
    density = [0.0] * cells
    for cell, w in weights.items():
        width = widths[cell]
        reach = math.ceil(KERNEL_REACH * width)
        kernel = _kernel(reach, width)
        scale = w / width
        low, high = cell - reach, cell + reach + 1
        density[low:high] = [f + scale * k for f, k in zip(density[low:high], kernel, strict=True)]
    return density


@functools.lru_cache(maxsize=512)
def _kernel(reach: int, width: float) -> tuple[float, ...]:
    return tuple(math.exp(-0.5 * (offset / width) ** 2) for offset in range(-reach, reach + 1))


def _adaptive_widths(cells: int, weights: dict[int, float]) -> dict[int, float]:
    """Abramson's square-root law from a fixed-width pilot estimate, in cells.

    Widths are rounded to 1/8 of a cell (a 3% step at the narrowest), so that a few dozen
    distinct kernels serve every value.
    """
    fixed = float(CELLS_PER_BANDWIDTH)
    pilot = _smooth(cells, weights, dict.fromkeys(weights, fixed * PILOT))
    log_mean = math.fsum(w * math.log(pilot[c]) for c, w in weights.items()) / math.fsum(
        weights.values()
    )
    widths: dict[int, float] = {}
    for cell in weights:
        factor = math.exp(0.5 * (log_mean - math.log(pilot[cell])))
        width = fixed * min(LAMBDA_MAX, max(LAMBDA_MIN, factor))
        widths[cell] = round(8.0 * width) / 8.0
    return widths


def _density(logs: Sequence[float], h: float) -> tuple[float, float, list[float]]:
    """Grid origin, step and the adaptive kernel density (unnormalised) on that grid."""
    step = h / CELLS_PER_BANDWIDTH
    pad = math.ceil(KERNEL_REACH * max(LAMBDA_MAX, PILOT) * CELLS_PER_BANDWIDTH) + 1
    origin = logs[0] - pad * step
    cells = math.ceil((logs[-1] - logs[0]) / step) + 2 * pad + 2
    weights = _bin(logs, origin, step, cells)
    return origin, step, _smooth(cells, weights, _adaptive_widths(cells, weights))


# --- peaks, valleys and merging ------------------------------------------------------------


def _turns(density: Sequence[float]) -> tuple[list[int], list[int]]:
    """Cells of the local maxima and of the lowest cell between each neighbouring pair."""
    peaks: list[int] = []
    valleys: list[int] = []
    top = bottom = 0
    rising = True
    for cell in range(1, len(density)):
        f = density[cell]
        if rising and f < density[top]:
            rising = False
            peaks.append(top)
            bottom = cell
        elif rising:
            top = cell
        elif f <= density[bottom]:
            bottom = cell
        else:
            rising = True
            valleys.append(bottom)
            top = cell
    if rising:
        peaks.append(top)
    return peaks, valleys


def _segments(
    logs: Sequence[float], origin: float, step: float, density: Sequence[float]
) -> tuple[list[_Segment], list[float]]:
    """One segment per peak, split at the valleys; and the valleys' densities."""
    peaks, valleys = _turns(density)
    stops = [bisect.bisect_left(logs, origin + cell * step) for cell in valleys]
    starts = [0, *stops]
    stops.append(len(logs))
    segments = [
        _Segment(start, stop, density[peak])
        for start, stop, peak in zip(starts, stops, peaks, strict=True)
    ]
    return segments, [density[cell] for cell in valleys]


def _shallowness(segments: Sequence[_Segment], valleys: Sequence[float], i: int) -> float:
    """Valley over smaller peak, raised for a group of fewer than SURE_GROUP values."""
    left, right = segments[i], segments[i + 1]
    smaller = min(left.size, right.size)
    if smaller == 0:
        return math.inf
    ratio = valleys[i] / min(left.peak, right.peak)
    return ratio / min(1.0, smaller / SURE_GROUP)


def _merge(segments: list[_Segment], valleys: list[float], i: int) -> None:
    left, right = segments[i], segments[i + 1]
    segments[i : i + 2] = [_Segment(left.start, right.stop, max(left.peak, right.peak))]
    del valleys[i]


def _drop_weak_valleys(segments: list[_Segment], valleys: list[float], min_count: int) -> None:
    """Merge across shallow valleys, shallowest first, then merge too-small groups."""
    while valleys:
        scores = [_shallowness(segments, valleys, i) for i in range(len(valleys))]
        worst = max(range(len(scores)), key=scores.__getitem__)
        if scores[worst] > VALLEY_RATIO:
            _merge(segments, valleys, worst)
            continue
        small = min(range(len(segments)), key=lambda s: segments[s].size)
        if segments[small].size >= min_count:
            return
        _merge(segments, valleys, _shallower_side(scores, small))


def _shallower_side(scores: Sequence[float], segment: int) -> int:
    """Index of the valley next to ``segment`` that is the shallower one."""
    if segment == 0:
        return 0
    if segment == len(scores):
        return segment - 1
    return segment if scores[segment] > scores[segment - 1] else segment - 1


def _merge_close(
    ordered: Sequence[float], segments: list[_Segment], valleys: list[float], separation: float
) -> None:
    """Merge neighbouring groups whose centres differ by less than ``separation`` (relative:
    ``log(b / a) < log1p(separation)``), the closest pair first."""
    while len(segments) > 1:
        centres = [statistics.median(ordered[s.start : s.stop]) for s in segments]
        ratios = [b / a for a, b in itertools.pairwise(centres)]
        closest = min(range(len(ratios)), key=ratios.__getitem__)
        if ratios[closest] >= 1.0 + separation:
            return
        _merge(segments, valleys, closest)


# --- the public function -------------------------------------------------------------------


def _checked(values: Sequence[float], min_separation: float) -> list[float]:
    """The values, sorted, once checked."""
    if len(values) == 0:
        raise ValueError("no values: need at least one timing")
    if not (math.isfinite(min_separation) and min_separation >= 0.0):
        raise ValueError(f"min_separation must be finite and >= 0, got {min_separation!r}")
    for value in values:
        if not (math.isfinite(value) and value > 0.0):
            raise ValueError(f"timing {value!r}: values must be positive and finite")
    return sorted(values)


def _split(ordered: Sequence[float], min_separation: float) -> list[_Segment]:
    whole = [_Segment(0, len(ordered), 0.0)]
    if len(ordered) < MIN_VALUES:
        return whole
    logs = [math.log(v) for v in ordered]
    h = _bandwidth(logs)
    if h <= RESOLUTION * (1.0 + max(abs(logs[0]), abs(logs[-1]))):
        return whole  # all equal, or differing only by rounding
    origin, step, density = _density(logs, h)
    segments, valleys = _segments(logs, origin, step, density)
    _drop_weak_valleys(segments, valleys, max(MIN_GROUP, math.ceil(MIN_SHARE * len(logs))))
    _merge_close(ordered, segments, valleys, min_separation)
    return segments


def find_peaks(values: Sequence[float], *, min_separation: float = 0.0) -> Peaks:
    """The groups of ``values`` (positive, finite timings), sorted by centre.

    ``min_separation`` is relative (0.05 = 5%): groups whose centres are closer than that
    are reported as one. Fewer than ``MIN_VALUES`` values are always one group.
    """
    ordered = _checked(values, min_separation)
    groups = tuple(
        Group(
            centre=statistics.median(ordered[s.start : s.stop]),
            low=ordered[s.start],
            high=ordered[s.stop - 1],
            count=s.size,
        )
        for s in _split(ordered, min_separation)
    )
    return Peaks(groups=groups)
