"""Leak detection by trend analysis: pure functions over per-iteration memory readings.

The plain rule "growth above 5% over recent samples" alone cries wolf on noise and on a
one-off step such as a cache filling once. So a leak is *suspected* only when all of these
hold for the readings after collection (``assess_leak``):

1. the window has at least ``MIN_WINDOW`` readings (the first ``warmup_iterations`` are
   skipped by the caller: caches and allocator arenas warm up there);
2. the ordinary least-squares slope against the iteration number is positive and clearly so:
   its t statistic (slope / standard error of the slope) exceeds ``MIN_T`` (3);
3. the fitted growth over the window, ``slope * (n - 1) / base``, exceeds the threshold (5%),
   ``base`` being the fitted memory at the window's start (or a given reference);
4. the growth persists: the slope over the second half of the window is at least
   ``LATE_SHARE`` (half) of the overall slope, so a step that happened once is not a leak.

``assess_memory`` applies the rule to the process memory (RSS) and, so that leaks the
allocator hides from RSS are caught too, to the traced Python heap measured against the same
RSS base.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

MIN_WINDOW = 5
MIN_T = 3.0
LATE_SHARE = 0.5
MAX_WARMUP = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class LinearTrend:
    """A least-squares line ``intercept + slope * i`` over readings ``i = 0..n-1``."""

    slope: float
    intercept: float
    stderr: float
    n: int

    @property
    def t_stat(self) -> float:
        """slope / stderr; +-inf for a perfect line, 0.0 for a flat one."""
        if self.stderr > 0:
            return self.slope / self.stderr
        if self.slope == 0:
            return 0.0
        return math.copysign(math.inf, self.slope)


def linear_trend(values: Sequence[float]) -> LinearTrend:
    """Ordinary least squares of ``values`` on ``0..n-1``; the slope's standard error is
    ``sqrt(SSR / (n - 2) / Sxx)`` (as ``scipy.stats.linregress``); inf below 3 readings."""
    n = len(values)
    if n < 2:
        raise ValueError("a trend needs at least 2 readings")
    x_mean = (n - 1) / 2
    y_mean = math.fsum(values) / n
    sxx = math.fsum((i - x_mean) ** 2 for i in range(n))
    sxy = math.fsum((i - x_mean) * (y - y_mean) for i, y in enumerate(values))
    slope = sxy / sxx
    intercept = y_mean - slope * x_mean
    if n < 3:
        return LinearTrend(slope=slope, intercept=intercept, stderr=math.inf, n=n)
    ssr = math.fsum((y - y_mean - slope * (i - x_mean)) ** 2 for i, y in enumerate(values))
    stderr = math.sqrt(ssr / (n - 2) / sxx)
    return LinearTrend(slope=slope, intercept=intercept, stderr=stderr, n=n)


def warmup_iterations(iterations: int) -> int:
    """How many first iterations of a memory pass the trend ignores (up to 2)."""
    return min(MAX_WARMUP, max(0, iterations // 4))


@dataclass(frozen=True, slots=True, kw_only=True)
class LeakAssessment:
    """The outcome of the leak rule on one series, with the numbers behind it."""

    suspected: bool
    reason: str
    signal: str
    window: int
    threshold: float
    base: float = 0.0
    growth: float = 0.0
    trend: LinearTrend | None = None
    late_slope: float = 0.0

    def details(self) -> dict[str, float | int | str | bool | None]:
        """JSON-safe numbers for results (infinite t statistics become ``None``)."""
        trend = self.trend
        t_stat = trend.t_stat if trend else None
        return {
            "suspected": self.suspected,
            "reason": self.reason,
            "signal": self.signal,
            "window": self.window,
            "slope_bytes_per_iter": trend.slope if trend else None,
            "stderr": trend.stderr if trend and math.isfinite(trend.stderr) else None,
            "t_stat": t_stat if t_stat is not None and math.isfinite(t_stat) else None,
            "growth": self.growth,
            "threshold": self.threshold,
            "base_bytes": self.base,
            "late_slope_bytes_per_iter": self.late_slope,
        }


def assess_leak(
    values: Sequence[float],
    *,
    threshold: float,
    base: float | None = None,
    signal: str = "rss",
) -> LeakAssessment:
    """Apply the leak rule (module docstring) to ``values``, the readings after collection."""
    n = len(values)
    if n < MIN_WINDOW:
        reason = f"window of {n} iterations is too short to judge (need {MIN_WINDOW})"
        return LeakAssessment(
            suspected=False, reason=reason, signal=signal, window=n, threshold=threshold
        )
    trend = linear_trend(values)
    reference = _base(trend, values) if base is None or base <= 0 else base
    growth = trend.slope * (n - 1) / reference
    late_slope = linear_trend(values[n // 2 :]).slope
    reason = _verdict(trend, growth, late_slope, threshold)
    return LeakAssessment(
        suspected=reason == "",
        reason=reason or _suspicion(growth, n, trend),
        signal=signal,
        window=n,
        threshold=threshold,
        base=reference,
        growth=growth,
        trend=trend,
        late_slope=late_slope,
    )


def _base(trend: LinearTrend, values: Sequence[float]) -> float:
    if trend.intercept > 0:
        return trend.intercept
    return max(max(abs(v) for v in values), 1.0)


def _verdict(trend: LinearTrend, growth: float, late_slope: float, threshold: float) -> str:
    """Why the readings are *not* a leak, or "" when every condition holds."""
    if trend.slope <= 0:
        return "no upward trend"
    if growth <= threshold:
        return f"growth {growth:.1%} is within the {threshold:.0%} threshold"
    if trend.t_stat <= MIN_T:
        return f"upward trend is not significant (t = {trend.t_stat:.2f} <= {MIN_T:g})"
    if late_slope < LATE_SHARE * trend.slope:
        return "growth stopped in the second half of the window (a one-off step)"
    return ""


def _suspicion(growth: float, n: int, trend: LinearTrend) -> str:
    t_text = "inf" if math.isinf(trend.t_stat) else f"{trend.t_stat:.1f}"
    return f"grew {growth:.1%} over {n} iterations (t = {t_text})"


def assess_memory(
    rss: Sequence[float], traced: Sequence[float], *, threshold: float
) -> LeakAssessment:
    """The leak rule on RSS after collection, then on the traced heap against the same base;
    the first suspected assessment, else the RSS one."""
    by_rss = assess_leak(rss, threshold=threshold, signal="rss")
    if by_rss.suspected or len(traced) != len(rss) or by_rss.trend is None:
        return by_rss
    by_heap = assess_leak(traced, threshold=threshold, base=by_rss.base, signal="traced")
    return by_heap if by_heap.suspected else by_rss
