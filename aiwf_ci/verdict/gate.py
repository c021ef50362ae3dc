"""What every gate shares: the row a metric's verdict is written in, the absolute minimum
effect, and "worse" on the log scale.

The gates (``blocks``: two blocks of runs, and ingested summaries; ``rounds``: interleaved
rounds under the stopping rule of ``sequential``; ``exact``: deterministic counts) judge a
change of head against base whatever the metric's direction, as a **worsening**:
``head/base - 1`` signed so that positive is worse (slower, bigger, less throughput). Where
higher is better, the worsening of ``head/base = r`` is ``1/r - 1``.

**The margin**, computed once (``margin``): a rule's relative part is the change it allows
in the worse direction, as the README promises it: ``duration: 20%`` fails a head above
``1.2 x`` base, ``throughput: -10%`` a head below ``0.9 x`` base (the worsening
``1/0.9 - 1 = 11.1%``; ``worse_fraction``). On the log scale, where every gate compares and
the stopping rule's per-round log-ratios live, that is ``log(1.2)`` and ``-log(0.9)``; an
improvement is the mirror image there (below ``1/1.2`` x base, above ``1/0.9`` x base).
The bound is widened by ``MARGIN_TOLERANCE`` of itself (``widened``): a change exactly at
the threshold, computed in floating point, lands a few units of the last place either side of
it (``21/20 - 1 = 0.050000000000000044``, ``log(105) - log(100) < log1p(0.05)``), and must
never be a regression. Every "beyond the threshold" of every gate (``shifted``, ``clear_of``,
``exceeds``) is ``>`` this one bound, and "within" its ``<=``.

A regression or improvement must also exceed the threshold's absolute minimum effect
(``absolute``, in the metric's unit), or it is no change (``held_by_floor``), with the same
rounding room.
"""

from __future__ import annotations

import math
from typing import Literal

from aiwf_ci.models import Direction, Metric
from aiwf_ci.verdict.model import MetricComparison, Verdict
from aiwf_ci.verdict.thresholds import Threshold

__all__ = [
    "MARGIN_TOLERANCE",
    "NOTE_ABSOLUTE",
    "Shift",
    "clear_of",
    "exceeds",
    "flip",
    "held_by_floor",
    "log_bound",
    "log_scale",
    "margin",
    "row",
    "shifted",
    "sign",
    "widened",
    "within",
    "worse_fraction",
    "worse_log_ratio",
    "worsening",
]

NOTE_ABSOLUTE = "below the absolute minimum effect"
Shift = Literal["regression", "improvement"]


def row(
    bench: str, name: str, base: Metric, head: Metric, threshold: Threshold | None
) -> MetricComparison:
    """An ``unchanged`` row with both sides' medians and sizes, refined with ``replace``."""
    return MetricComparison(
        benchmark=bench,
        metric=name,
        unit=head.unit,
        direction=head.direction,
        verdict="unchanged",
        baseline=base.stats.median,
        head=head.stats.median,
        n_baseline=len(base.samples),
        n_head=len(head.samples),
        threshold=threshold,
    )


# --- worse, on the log scale -----------------------------------------------------------------


def sign(direction: Direction) -> float:
    """``1`` where lower is better, ``-1`` where higher is: a log-ratio head/base times it is
    positive when head is worse."""
    return 1.0 if direction == "lower" else -1.0


def worsening(base: float, head: float, direction: Direction) -> float:
    """Head against base as a worsening (module docstring): ``head/base - 1``, or where
    higher is better ``base/head - 1`` (infinite when head is 0). ``base`` must not be 0."""
    if direction == "lower":
        return head / base - 1.0
    return base / head - 1.0 if head else math.inf


def flip(change: float, direction: Direction) -> float:
    """A change ``head/base - 1`` as a worsening, or a worsening back as a change: the map is
    its own inverse (the identity where lower is better, ``1/(1 + x) - 1`` where higher is;
    infinite at -100%)."""
    if direction == "lower":
        return change
    return 1.0 / (1.0 + change) - 1.0 if change > -1.0 else math.inf


def log_scale(worse: float) -> float:
    """A worsening (or any change) on the log scale: ``log(1 + x)``; ``-inf`` at -100%."""
    return math.log1p(worse) if worse > -1.0 else -math.inf


def worse_log_ratio(base: float, head: float, direction: Direction) -> float:
    """``log(head/base)`` signed so that positive is worse (both values positive)."""
    return sign(direction) * (math.log(head) - math.log(base))


MARGIN_TOLERANCE = 1e-9
"""Rounding room of every bound, relative to it. A log-ratio of float64 values is off by at
most a few 1e-15 (values up to 1e15, logs up to 35, 2.2e-16 each), a relative error below
1e-10 of bounds down to 0.01%; 1e-9 covers it and moves a 5% threshold to 5.000000005%."""


def widened(limit: float) -> float:
    """A bound (``>= 0``) with its rounding room: what lies within it is not beyond."""
    return limit + MARGIN_TOLERANCE * abs(limit)


def log_bound(relative: float) -> float:
    """A worsening threshold (a fraction) on the log scale, widened: ``log1p(relative)``."""
    return widened(math.log1p(relative))


def worse_fraction(threshold: Threshold, direction: Direction) -> float:
    """The worsening a rule allows (module docstring): its relative part where lower is
    better; where higher is better a drop to ``1 - relative`` of base, the worsening
    ``relative / (1 - relative)`` (infinite for a drop of 100% or more: nothing can fall
    that far)."""
    relative = threshold.relative
    if direction == "lower":
        return relative
    return relative / (1.0 - relative) if relative < 1.0 else math.inf


def margin(threshold: Threshold, direction: Direction) -> float:
    """The threshold on the log scale, the one bound every gate compares with (module
    docstring): ``log(1.2)`` for ``duration: 20%``, ``-log(0.9)`` for ``throughput: -10%``."""
    return log_bound(worse_fraction(threshold, direction))


def exceeds(worse: float, threshold: Threshold, direction: Direction) -> bool:
    """Whether a worsening (or, negative, an improvement) goes past the threshold."""
    return abs(log_scale(worse)) > margin(threshold, direction)


# --- an interval on the log scale ------------------------------------------------------------


def shifted(
    estimate: float,
    low: float,
    high: float,
    bound: float,
    *,
    significant: bool,
    margin: float = 0.0,
    strict: bool = False,
) -> Shift | None:
    """A shift shown beyond the threshold (all on the log scale, positive = worse):
    ``regression`` when the test is significant, the interval lies above ``margin`` (0: above
    no change; the paired gate asks for half the threshold) and the estimate (``strict``:
    the whole interval) is beyond ``bound``; ``improvement`` the mirror image; else
    ``None``."""
    if significant and low > margin and (low if strict else estimate) > bound:
        return "regression"
    if significant and high < -margin and (high if strict else estimate) < -bound:
        return "improvement"
    return None


def within(low: float, high: float, bound: float) -> bool:
    """The whole interval lies within the threshold either way: shown not to have moved
    more than it (a change at the threshold is not beyond it)."""
    return -bound <= low and high <= bound


def clear_of(low: float, high: float, bound: float) -> bool:
    """The whole interval lies beyond the threshold, on one side."""
    return low > bound or high < -bound


# --- the absolute minimum effect -------------------------------------------------------------


def held_by_floor(verdict: Verdict, threshold: Threshold, base: float, head: float) -> bool:
    """A regression or improvement that does not exceed the threshold's absolute minimum
    effect (when it has one; ``absolute: 0`` has none): no change after all."""
    floor = threshold.absolute
    if verdict not in ("regression", "improvement") or not floor or floor < 0:
        return False
    return abs(head - base) <= widened(floor)
