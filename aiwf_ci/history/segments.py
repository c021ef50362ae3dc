"""Two-segment statistics for change-point detection: summaries, Student and Welch t.

Why this module exists: :mod:`aiwf_ci.history.changepoints` searches a history for the runs
where its level changed; every candidate it weighs comes down to comparing the segment before
with the segment after.  Those comparisons -- the pooled-variance (Student) t-test p-value,
Welch's interval for the difference of means, the summaries they work on -- are plain
statistics with no notion of a search, so they live here, apart from the search and easy to
check against ``scipy.stats``.  Pure Python (standard library only) and deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from aiwf_ci.history.tdist import t_quantile, t_sf

__all__ = [
    "Summary",
    "finite_values",
    "pooled_pvalue",
    "summarize",
    "ttest_pvalue",
    "welch_interval",
]


@dataclass(frozen=True, slots=True)
class Summary:
    """Size, mean and sample variance of one segment."""

    n: int
    mean: float
    var: float  # sample variance (ddof=1), 0.0 for a single point


def ttest_pvalue(before: Sequence[float], after: Sequence[float]) -> float:
    """Two-sided p-value of Student's two-sample t-test (pooled variance).

    Same as ``scipy.stats.ttest_ind(before, after).pvalue``, except that with zero variance on
    both sides it returns 1.0 for equal means and 0.0 otherwise instead of NaN, and 1.0 when
    there are no degrees of freedom (fewer than three points in all).  Not adjusted for any
    search: this is the plain test.
    """
    if not before or not after:
        raise ValueError("ttest_pvalue needs at least one value on each side")
    values = finite_values([*before, *after])
    return pooled_pvalue(
        summarize(values, 0, len(before)), summarize(values, len(before), len(values))
    )


def finite_values(series: Sequence[float]) -> list[float]:
    """``series`` as floats; ``ValueError`` naming the first NaN or infinite value."""
    values = [float(v) for v in series]
    for i, v in enumerate(values):
        if not math.isfinite(v):
            raise ValueError(
                f"series[{i}] is {v}: change-point detection needs finite values "
                "(drop or fill missing runs first)"
            )
    return values


def summarize(values: list[float], lo: int, hi: int) -> Summary:
    """Summary of the non-empty segment ``values[lo:hi]``."""
    part = values[lo:hi]
    n = len(part)
    mean = math.fsum(part) / n
    var = math.fsum((v - mean) ** 2 for v in part) / (n - 1) if n > 1 else 0.0
    return Summary(n=n, mean=mean, var=var)


def pooled_pvalue(a: Summary, b: Summary) -> float:
    """Two-sided Student t-test p-value between two summarised segments."""
    df = a.n + b.n - 2
    if df <= 0 or a.mean == b.mean:
        return 1.0
    pooled = ((a.n - 1) * a.var + (b.n - 1) * b.var) / df
    if pooled == 0.0:
        return 0.0
    t = abs(a.mean - b.mean) / math.sqrt(pooled * (1.0 / a.n + 1.0 / b.n))
    return min(1.0, 2.0 * t_sf(t, df))


def welch_interval(a: Summary, b: Summary, level: float) -> tuple[float, float]:
    """Welch's t interval for ``b.mean - a.mean``."""
    diff = b.mean - a.mean
    va, vb = a.var / a.n, b.var / b.n
    se2 = va + vb
    if se2 == 0.0:
        return diff, diff
    df = se2 * se2 / (va * va / (a.n - 1) + vb * vb / (b.n - 1))
    half = t_quantile(0.5 + 0.5 * level, df) * math.sqrt(se2)
    return diff - half, diff + half
