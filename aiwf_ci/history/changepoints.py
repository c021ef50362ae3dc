"""Change points in a benchmark metric's history on the base branch.

Why this module exists: the per-PR gate compares one PR against a baseline, but on the base
branch itself performance moves in steps (a regression lands, a fix lands, a runner image
changes) and slow drifts hide inside run-to-run noise.  Given one value per push run (say the
median duration of a benchmark, oldest first), :func:`detect` finds the runs at which the level
of the metric changed, so a report can name the push that caused a step and so baselines can
be taken from the current stable segment only.  It is pure Python (standard library only) and
deterministic; the two-segment statistics it weighs candidates with live in
:mod:`aiwf_ci.history.segments`.

Method: *E-divisive means with a t-test and weak change-point merging*, the variant used by
Apache Otava (formerly DataStax Hunter).

1. Split.  E-divisive (Matteson & James) looks, inside a stretch ``[lo, hi)`` of the series,
   for the pair ``lo < tau < kappa <= hi`` maximising the energy statistic with exponent 1::

       Q(X, Y) = 2/(n+m) * sum|x-y| - 2m/((n+m)(n-1)) * sum|x-x'| - 2n/((n+m)(m-1)) * sum|y-y'|

   between ``X = z[lo:tau]`` (n points) and ``Y = z[tau:kappa]`` (m points), sums over
   pairs.  ``tau`` is the candidate: the first index of the new segment.  Letting ``kappa``
   stop before ``hi`` keeps a later step from muddying the comparison.  The within-pair sums
   of every sub-range come from one table built incrementally, so one stretch costs O(L^2).
   The candidate with the largest Q over all current stretches is accepted when a two-sided
   Student t-test between ``X`` and ``Y`` is significant at the relaxed threshold (see 3.);
   the stretch is then split and the search repeats, stopping at the first rejected
   candidate.  The original algorithm judges candidates with a random permutation test; the
   t-test makes the result deterministic and cheap.
2. Windows.  As in Otava, the split runs on overlapping windows of ``window`` points (step
   ``window // 2``; a window starts at the last change point found if that lies further on)
   and the union of what the windows find is kept.  This bounds the quadratic cost: 1,000
   points take 0.04-0.07 s in windows of 50 and 0.7-0.9 s with ``window=None`` (the
   whole series at once, which is also supported).
3. Merge.  The split uses a relaxed threshold (10 x ``max_pvalue`` below 0.05, 2 x below
   0.5), producing *weak* change points.  Each one is re-tested between its neighbouring
   change points (segment before vs segment after).  Then, repeatedly, the weakest one is
   dropped -- the highest p-value if any is at least ``max_pvalue``, else the smallest
   magnitude if it is at most ``min_magnitude`` -- and its two neighbours are re-tested,
   until every remaining change point passes both.  The magnitude is Otava's:
   ``max(|after/before - 1|, |before/after - 1|)``.

Deliberate differences from Otava:

* The p-value is adjusted for the search.  The split position is the most extreme of the
  ``k`` positions the stretch allows, so the plain t-test p-value of the chosen split is far
  too small on pure noise (at ``max_pvalue=0.001`` about 1.5% of 30-point noise series got
  a change point).  Every p-value here -- in the split, the merge and the result -- is the
  t-test p-value times ``k`` (Bonferroni), capped at 1, with ``k`` the number of positions
  the segment pair ``[lo, hi)`` around the change point admits.  That brings the false
  positives on such series to about ``max_pvalue`` at the price of some power on small
  steps (a 10% step over 5% noise, 20 + 10 points: found 51% of the time instead of 74%).
* The split tests the candidate on the pair ``X``, ``Y`` that the energy statistic chose;
  Otava tests ``z[lo:tau]`` against the whole rest of the stretch ``z[tau:hi]``.  When a
  regression is fixed later in the same stretch, that rest mixes both levels, the first
  candidate fails and the search stops: both ends of a +15% blip of 15 runs inside 45 runs
  of 5% noise are found 89% of the time this way, 58% with Otava's split test (9% with
  Otava's split test and the adjusted p-value above).  The merge still tests between
  neighbouring change points, as Otava does.
* The t-test uses the sample standard deviation (``ddof=1``), i.e. it is exactly
  ``scipy.stats.ttest_ind(before, after)``.  Otava feeds the population standard deviation
  into its t-test, which makes its p-values slightly too small on short segments.
* ``min_segment`` points are required on both sides of every change point (a single spike
  is never a change point), and a step in the last few runs is announced only once
  ``confirm`` runs sit on the new level: the newest segment needs ``max(min_segment,
  confirm)`` points, of which ``confirm`` lie past the midpoint between the two levels.
  (Without the second part, with low noise, two extreme last runs got announced by
  placing the change one run early so that an old-level run filled the segment.)  Weak
  change points breaking these rules (overlapping windows can produce them) are the first
  to be dropped in the merge.
* A zero before-mean has no relative change: :attr:`ChangePoint.change` and
  :attr:`ChangePoint.ci` are ``None`` and ``min_magnitude`` is not applied (the p-value
  alone decides).
* Otava can re-analyse only the tail when new runs arrive; this module always analyses the
  whole series (cheap enough), so a result depends only on the series given.
* Each change point carries an interval for its relative change (see :class:`ChangePoint`).
"""

from __future__ import annotations

import math
from bisect import insort
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from aiwf_ci.history.segments import (
    Summary,
    finite_values,
    pooled_pvalue,
    summarize,
    ttest_pvalue,
    welch_interval,
)
from aiwf_ci.history.tdist import t_cdf, t_sf

__all__ = [
    "ChangePoint",
    "ChangePointOptions",
    "detect",
    "t_cdf",
    "t_sf",
    "ttest_pvalue",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangePointOptions:
    """Tuning of :func:`detect`; the defaults follow Otava where it has one.

    ``max_pvalue``: a change point is kept when its adjusted t-test p-value (see
    :attr:`ChangePoint.p_value`) is below this (Otava's default 0.001).  ``min_magnitude``:
    and when its relative magnitude exceeds this (0.0 keeps any significant change; pass
    0.02-0.05 to ignore tiny but real shifts).  ``min_segment``: minimum points on each side
    of a change point.  ``confirm``: runs on the new level needed before a change at the end
    of the history is announced -- the newest segment needs ``max(min_segment, confirm)``
    points, of which at least ``confirm`` lie past the midpoint between the two levels.
    ``window``: points per sliding window of the split step (Otava's 50), ``None`` for the
    whole series.  ``ci_level``: confidence level of :attr:`ChangePoint.ci`.
    """

    max_pvalue: float = 0.001
    min_magnitude: float = 0.0
    min_segment: int = 3
    confirm: int = 3
    window: int | None = 50
    ci_level: float = 0.95

    def __post_init__(self) -> None:
        if not 0.0 < self.max_pvalue <= 1.0:
            raise ValueError(f"max_pvalue must be in (0, 1], got {self.max_pvalue}")
        if not self.min_magnitude >= 0.0:
            raise ValueError(f"min_magnitude must be >= 0, got {self.min_magnitude}")
        if self.min_segment < 2:
            raise ValueError(f"min_segment must be >= 2, got {self.min_segment}")
        if self.confirm < 1:
            raise ValueError(f"confirm must be >= 1, got {self.confirm}")
        if self.window is not None and self.window < 2 * self.min_segment:
            raise ValueError(f"window must be None or >= 2 * min_segment, got {self.window}")
        if not 0.0 < self.ci_level < 1.0:
            raise ValueError(f"ci_level must be in (0, 1), got {self.ci_level}")

    @property
    def newest_segment(self) -> int:
        """Points the last segment needs before a change point at its start is announced."""
        return max(self.min_segment, self.confirm)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangePoint:
    """A change in level, tested between the neighbouring segments.

    ``index`` is the first index of the new segment.  The before segment runs from the
    previous change point (or the start) to ``index``; the after segment from ``index`` to
    the next change point (or the end); ``before_n``/``after_n`` are their sizes.
    ``change`` is ``after_mean / before_mean - 1``.  ``ci`` is Welch's t interval (at
    ``ci_level``) for ``after_mean - before_mean`` divided by ``before_mean``: it treats the
    before mean as exact, so it is a little narrow when the before segment is short.  Both
    are ``None`` when ``before_mean`` is zero.  ``p_value`` is the two-sided Student
    (pooled-variance) t-test p-value between the two segments, multiplied by the number of
    positions the change could take between its neighbouring change points given the
    minimum segment sizes, and capped at 1: the p-value adjusted for the search.
    """

    index: int
    before_mean: float
    after_mean: float
    change: float | None
    ci: tuple[float, float] | None
    p_value: float
    before_n: int
    after_n: int


@dataclass(frozen=True, slots=True)
class _Assessment:
    index: int
    p_value: float
    magnitude: float
    unfit: bool  # a segment too short, or the newest change not yet confirmed


def detect(
    series: Sequence[float], options: ChangePointOptions = ChangePointOptions()
) -> tuple[ChangePoint, ...]:
    """Change points of ``series`` (oldest first), ordered by index.

    Returns ``()`` for a series too short to hold two segments (fewer than
    ``min_segment + max(min_segment, confirm)`` points) and for a constant one.  Raises
    ``ValueError`` when a value is NaN or infinite.
    """
    values = finite_values(series)
    n = len(values)
    if n < options.min_segment + options.newest_segment:
        return ()
    kept = _merge(values, _split(values, options), options)
    return tuple(_change_point(values, *triple, options) for triple in _triples([0, *kept, n]))


# --- split: E-divisive over sliding windows ------------------------------------------------


def _first_pass_pvalue(max_pvalue: float) -> float:
    if max_pvalue < 0.05:
        return max_pvalue * 10.0
    if max_pvalue < 0.5:
        return max_pvalue * 2.0
    return max_pvalue


def _split(values: list[float], options: ChangePointOptions) -> list[int]:
    """Weak change points: union of E-divisive over overlapping windows, sorted."""
    n = len(values)
    threshold = _first_pass_pvalue(options.max_pvalue)
    if options.window is None:
        return _edivisive(values, 0, n, threshold, options)
    step = options.window // 2
    found: set[int] = set()
    start = 0
    while start < n:
        end = min(start + options.window, n)
        new = _edivisive(values, start, end, threshold, options)
        found.update(new)
        start = max(max(new, default=0), start + step)
    return sorted(found)


def _edivisive(
    values: list[float], start: int, end: int, threshold: float, options: ChangePointOptions
) -> list[int]:
    """E-divisive on ``values[start:end]`` with t-test significance, in global indexes."""
    table = _within_table(values[start:end])
    found: list[int] = []
    cache: dict[tuple[int, int], tuple[float, int, int] | None] = {}
    while True:
        best: tuple[float, int, int, int, int] | None = None
        for lo, hi in pairwise([start, *found, end]):
            if (lo, hi) not in cache:
                right = _after_min(hi, len(values), options)
                split = _best_split(table, lo - start, hi - start, options.min_segment, right)
                cache[lo, hi] = None if split is None else _shifted(split, start)
            candidate = cache[lo, hi]
            if candidate is not None and (best is None or candidate[0] > best[0]):
                best = (*candidate, lo, hi)
        if best is None or _split_pvalue(values, *best[1:], options) > threshold:
            return found
        insort(found, best[1])


def _shifted(split: tuple[float, int, int], offset: int) -> tuple[float, int, int]:
    return split[0], split[1] + offset, split[2] + offset


def _split_pvalue(
    values: list[float], tau: int, kappa: int, lo: int, hi: int, options: ChangePointOptions
) -> float:
    """Adjusted t-test p-value of ``[lo, tau)`` vs ``[tau, kappa)`` within ``[lo, hi)``."""
    raw = pooled_pvalue(summarize(values, lo, tau), summarize(values, tau, kappa))
    return _adjusted(raw, hi - lo, _after_min(hi, len(values), options), options)


def _within_table(x: list[float]) -> list[list[float]]:
    """``w[a][b]`` = sum of ``|x[i] - x[k]|`` over ``a <= i < k < b``, built in O(L^2)."""
    size = len(x)
    w = [[0.0] * (size + 1) for _ in range(size + 1)]
    for a in range(size - 2, -1, -1):
        row, below, xa, running = w[a], w[a + 1], x[a], 0.0
        for b in range(a + 2, size + 1):
            running += abs(xa - x[b - 1])
            row[b] = below[b] + running
    return w


def _best_split(
    w: list[list[float]], lo: int, hi: int, min_left: int, min_right: int
) -> tuple[float, int, int] | None:
    """Largest energy statistic Q over ``lo < tau < kappa <= hi``, with its ``tau, kappa``.

    ``tau`` keeps ``min_left`` points before it and ``min_right`` after it (up to ``hi``);
    ``Y = [tau, kappa)`` has at least ``min_left`` points.  ``None`` when nothing fits or
    nothing is positive (a constant stretch).  The first maximum wins, so ties are stable.
    """
    best: tuple[float, int, int] | None = None
    row_lo = w[lo]
    for tau in range(lo + min_left, hi - min_right + 1):
        n = tau - lo
        wx, row_tau = row_lo[tau], w[tau]
        for kappa in range(tau + min_left, hi + 1):
            m = kappa - tau
            wy = row_tau[kappa]
            cross = row_lo[kappa] - wx - wy
            q = (2.0 * cross - 2.0 * m / (n - 1) * wx - 2.0 * n / (m - 1) * wy) / (n + m)
            if q > 0.0 and (best is None or q > best[0]):
                best = (q, tau, kappa)
    return best


# --- merge: drop the weakest change point until all pass ----------------------------------


def _merge(values: list[float], weak: list[int], options: ChangePointOptions) -> list[int]:
    bounds = [0, *weak, len(values)]
    assessed = [_assess(values, *triple, options) for triple in _triples(bounds)]
    while (drop := _weakest(assessed, options)) is not None:
        del assessed[drop]
        for position in (drop - 1, drop):
            if 0 <= position < len(assessed):
                lo = assessed[position - 1].index if position > 0 else 0
                last = position + 1 == len(assessed)
                hi = len(values) if last else assessed[position + 1].index
                assessed[position] = _assess(values, lo, assessed[position].index, hi, options)
    return [a.index for a in assessed]


def _assess(
    values: list[float], lo: int, index: int, hi: int, options: ChangePointOptions
) -> _Assessment:
    before, after, p_value = _segment_test(values, lo, index, hi, options)
    too_short = before.n < options.min_segment or after.n < _after_min(hi, len(values), options)
    last = hi == len(values)
    unconfirmed = last and _runs_on_new_level(values, index, before, after) < options.confirm
    return _Assessment(
        index=index,
        p_value=p_value,
        magnitude=_magnitude(before.mean, after.mean),
        unfit=too_short or unconfirmed,
    )


def _runs_on_new_level(values: list[float], index: int, before: Summary, after: Summary) -> int:
    """Runs from ``index`` on that lie past the midpoint of the two levels, on the new side."""
    middle = 0.5 * (before.mean + after.mean)
    part = values[index : index + after.n]
    if after.mean > before.mean:
        return sum(1 for v in part if v > middle)
    return sum(1 for v in part if v < middle)


def _weakest(assessed: list[_Assessment], options: ChangePointOptions) -> int | None:
    """Position of the change point to drop next, ``None`` when all pass."""
    if not assessed:
        return None
    positions = range(len(assessed))
    unfit = [i for i in positions if assessed[i].unfit]
    if unfit:
        return max(unfit, key=lambda i: assessed[i].p_value)
    highest_p = max(positions, key=lambda i: assessed[i].p_value)
    if assessed[highest_p].p_value >= options.max_pvalue:
        return highest_p
    smallest = min(positions, key=lambda i: assessed[i].magnitude)
    return smallest if assessed[smallest].magnitude <= options.min_magnitude else None


def _magnitude(before: float, after: float) -> float:
    if before == after:
        return 0.0
    if before == 0.0 or after == 0.0:
        return math.inf  # no relative change: min_magnitude does not apply
    return max(abs(after / before - 1.0), abs(before / after - 1.0))


def _triples(bounds: list[int]) -> list[tuple[int, int, int]]:
    return list(zip(bounds, bounds[1:], bounds[2:], strict=False))


# --- the segments around one change point -------------------------------------------------


def _after_min(hi: int, n: int, options: ChangePointOptions) -> int:
    """Minimum size of a segment ending at ``hi``: the newest segment needs confirming."""
    return options.newest_segment if hi == n else options.min_segment


def _segment_test(
    values: list[float], lo: int, index: int, hi: int, options: ChangePointOptions
) -> tuple[Summary, Summary, float]:
    """Segments ``[lo, index)`` and ``[index, hi)`` and the adjusted p-value of the change.

    The Student t-test p-value times the number of split positions the search could have
    picked in ``[lo, hi)`` (Bonferroni), capped at 1.
    """
    before, after = summarize(values, lo, index), summarize(values, index, hi)
    after_min = _after_min(hi, len(values), options)
    return before, after, _adjusted(pooled_pvalue(before, after), hi - lo, after_min, options)


def _adjusted(p_value: float, size: int, after_min: int, options: ChangePointOptions) -> float:
    """Bonferroni: ``p_value`` times the split positions a stretch of ``size`` points allows."""
    positions = size - options.min_segment - after_min + 1
    return min(1.0, p_value * max(1, positions))


def _change_point(
    values: list[float], lo: int, index: int, hi: int, options: ChangePointOptions
) -> ChangePoint:
    before, after, p_value = _segment_test(values, lo, index, hi, options)
    change: float | None = None
    ci: tuple[float, float] | None = None
    if before.mean != 0.0:
        change = after.mean / before.mean - 1.0
        low, high = welch_interval(before, after, options.ci_level)
        ci = (min(low, high) / before.mean, max(low, high) / before.mean)
    return ChangePoint(
        index=index,
        before_mean=before.mean,
        after_mean=after.mean,
        change=change,
        ci=ci,
        p_value=p_value,
        before_n=before.n,
        after_n=after.n,
    )
