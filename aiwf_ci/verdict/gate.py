"""What every gate shares: the row a metric's verdict is written in, the absolute minimum
effect, and "worse" on the log scale.

The gates (``blocks``: two blocks of runs, and ingested summaries; ``rounds``: interleaved
rounds under the stopping rule of ``sequential``; ``exact``: deterministic counts) judge a
change of head against base whatever the metric's direction, as a **worsening**:
``head/base - 1`` signed so that positive is worse (slower, bigger, less throughput). Where
higher is better, the worsening of ``head/base = r`` is ``1/r - 1``: a 10% rule fails a head
below ``1/1.1`` of base, so a regression and an improvement of the same size mirror each
other on the log scale, where every gate compares with the threshold (``log1p(relative)``)
and where the stopping rule's per-round log-ratios live.

A regression or improvement must also exceed the threshold's absolute minimum effect
(``absolute``, in the metric's unit), or it is no change (``held_by_floor``).
"""

from __future__ import annotations

import math
from typing import Literal

from aiwf_ci.models import Direction, Metric
from aiwf_ci.verdict.model import MetricComparison, Verdict
from aiwf_ci.verdict.thresholds import Threshold

__all__ = [
    "NOTE_ABSOLUTE",
    "Shift",
    "clear_of",
    "exceeds",
    "flip",
    "held_by_floor",
    "log_bound",
    "log_scale",
    "row",
    "shifted",
    "sign",
    "within",
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


def log_bound(relative: float) -> float:
    """A relative threshold on the log scale, where worsenings are compared with it."""
    return math.log1p(relative)


def exceeds(worse: float, threshold: Threshold) -> bool:
    """Whether a worsening (or, negative, an improvement) goes past the threshold."""
    return abs(log_scale(worse)) > log_bound(threshold.relative)


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
    more than it."""
    return -bound < low and high < bound


def clear_of(low: float, high: float, bound: float) -> bool:
    """The whole interval lies beyond the threshold, on one side."""
    return low > bound or high < -bound


# --- the absolute minimum effect -------------------------------------------------------------


def held_by_floor(verdict: Verdict, threshold: Threshold, base: float, head: float) -> bool:
    """A regression or improvement smaller than the threshold's absolute minimum effect
    (when it has one): no change after all."""
    if verdict not in ("regression", "improvement") or threshold.absolute is None:
        return False
    return abs(head - base) < threshold.absolute
