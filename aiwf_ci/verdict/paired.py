"""Paired analysis of interleaved rounds: head against base, one log-ratio per round.

Why it exists: base and head are measured in *rounds*, a chunk of base iterations and a
chunk of head iterations seconds apart. Machine noise on a shared runner (a neighbour
process slowing everything 1.5-2.5x for a few seconds) hits both chunks of a round alike,
so the per-round log-ratio ``d_r = log(median(head_r)) - log(median(base_r))`` cancels it,
where pooling all samples of each side (an unpaired comparison) would not. The ``d_r`` are
therefore analysed as paired data, with the one-sample rank methods, all pure Python (no
numpy or scipy at run time; the tests check them against scipy):

- ``wilcoxon_signed_rank``: the two-sided **Wilcoxon signed-rank test** of "median 0"
  (Wilcoxon 1945, "Individual comparisons by ranking methods"; Hollander, Wolfe & Chicken,
  "Nonparametric Statistical Methods", 3rd ed., section 3.1). Zeros are dropped (Wilcoxon's
  own rule). The p-value is scipy's (``scipy.stats.wilcoxon``, scipy 1.17): the exact null
  distribution (a dynamic programme over subset sums of the ranks, cached per n: 5,051
  exact counts at 100 values, computed once in a few milliseconds) for at most 100 values
  without ties or zeros (``method="exact"``; scipy's default switches to the normal
  approximation above 50, whose tails are off by a factor of 2 to 10 at the tiny levels the
  stopping rule's late looks use); the exact conditional distribution over all sign flips
  of the mid-ranks (what scipy's permutation test enumerates) for at most 13 values with
  ties or zeros; otherwise the normal approximation with tie correction and no continuity
  correction.
- ``paired_hodges_lehmann``: the **Hodges-Lehmann** one-sample estimate, the median of the
  Walsh averages ``(d_i + d_j) / 2`` for ``i <= j`` (Hodges & Lehmann 1963, "Estimates of
  location based on rank tests"; Walsh 1949), with **Tukey's distribution-free confidence
  interval** ``[W_(k), W_(M+1-k)]`` (Tukey 1949; Hollander, Wolfe & Chicken section 3.3;
  Bauer 1972, "Constructing confidence sets using rank statistics", JASA 67). ``k`` comes
  from the very p-value function the test uses, so for untied data the interval is exactly
  the set of shifts ``delta`` for which the test on ``d - delta`` does not reject at level
  ``1 - confidence``: test and interval are one method and never disagree.

The Walsh averages cost O(n^2) time and memory, so at most ``WALSH_MAX_ROUNDS`` rounds are
accepted (500,500 averages, well under a second); a sequential run stops far earlier.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from aiwf_ci.stats import median_sorted
from aiwf_ci.verdict.significance import midranks

__all__ = [
    "EXACT_MAX_ROUNDS",
    "PERMUTATION_MAX_ROUNDS",
    "WALSH_MAX_ROUNDS",
    "PairedShift",
    "SignedRankResult",
    "min_rounds_for",
    "paired_hodges_lehmann",
    "tukey_bounds",
    "walsh_averages",
    "wilcoxon_signed_rank",
]

#: At most this many values (zeros included), without ties or zeros: exact null distribution.
EXACT_MAX_ROUNDS = 100
#: At most this many values (zeros included) with ties or zeros: exact conditional
#: distribution over all 2^n sign flips of the mid-ranks (scipy enumerates the same).
PERMUTATION_MAX_ROUNDS = 13
#: Above this many rounds the O(n^2) Walsh averages are refused.
WALSH_MAX_ROUNDS = 1000

Method = Literal["exact", "asymptotic"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedRankResult:
    """``statistic`` is T+, the sum of the (mid-)ranks of |d| over the positive values.

    scipy's two-sided ``statistic`` is ``min(T+, T-)`` with ``T- = n(n+1)/2 - T+``; T+ is
    kept here because it carries the direction. ``n`` counts the non-zero values used;
    ``method`` is ``exact`` (exact null distribution, conditional on the ties if any) or
    ``asymptotic`` (normal approximation).
    """

    statistic: float
    p_value: float
    method: Method
    n: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PairedShift:
    """Hodges-Lehmann shift with Tukey's interval ``[low, high]``.

    ``confidence`` is the level asked for; ``coverage`` the level the interval attains
    (exact up to ``EXACT_MAX_ROUNDS`` values, else the normal approximation). ``coverage``
    falls short of ``confidence`` only when ``n < min_rounds_for(1 - confidence)``: no
    finite distribution-free interval then exists and ``[min d, max d]`` is returned.
    """

    estimate: float
    low: float
    high: float
    confidence: float
    coverage: float
    n: int


# --- exact null distribution of T+ ---------------------------------------------------------


def min_rounds_for(alpha: float) -> int:
    """Smallest n at which a two-sided exact signed-rank test can reach level ``alpha``.

    The smallest two-sided p-value with n values is ``2 * P(T+ = 0) = 2^(1 - n)``: 6 rounds
    for alpha = 0.05, 8 for 0.01, 11 for 0.001.
    """
    if not 0.0 < alpha <= 1.0:
        raise ValueError(f"alpha must be in (0, 1], got {alpha!r}")
    n = 1
    while 2.0 ** (1 - n) > alpha:
        n += 1
    return n


@functools.cache
def _null_counts(n: int) -> tuple[int, ...]:
    """How many of the 2^n sign patterns give each T+ = 0..n(n+1)/2 (exact integers)."""
    if n == 0:
        return (1,)
    previous = _null_counts(n - 1)
    counts = [*previous, *([0] * n)]
    for total, count in enumerate(previous):
        counts[total + n] += count
    return tuple(counts)


@functools.cache
def _null_cumulative(n: int) -> tuple[int, ...]:
    return tuple(itertools.accumulate(_null_counts(n)))


def _exact_p(t_plus: int, n: int) -> float:
    """Two-sided exact p-value of an integer T+ with n untied non-zero values."""
    tail = min(t_plus, n * (n + 1) // 2 - t_plus)
    return min(1.0, 2 * _null_cumulative(n)[tail] / (1 << n))


def _normal_p(t_plus: float, mean: float, variance: float) -> float:
    if variance <= 0.0:
        return 1.0
    z = abs(t_plus - mean) / math.sqrt(variance)
    return min(1.0, math.erfc(z / math.sqrt(2.0)))


def _untied_p(t_plus: int, n: int) -> float:
    """The test's p-value for untied data without zeros: exact up to EXACT_MAX_ROUNDS."""
    if n <= EXACT_MAX_ROUNDS:
        return _exact_p(t_plus, n)
    return _normal_p(t_plus, n * (n + 1) / 4.0, n * (n + 1) * (2 * n + 1) / 24.0)


# --- the signed-rank test ------------------------------------------------------------------


def _check_finite(d: Sequence[float]) -> None:
    if len(d) == 0:
        raise ValueError("no rounds: need at least one log-ratio")
    if not all(math.isfinite(x) for x in d):
        raise ValueError("log-ratios must be finite")


def wilcoxon_signed_rank(d: Sequence[float]) -> SignedRankResult:
    """Two-sided Wilcoxon signed-rank test of "the d are symmetric about 0".

    Same p-value as ``scipy.stats.wilcoxon(d)`` (scipy 1.17): zeros dropped, exact without
    ties or zeros up to ``EXACT_MAX_ROUNDS`` values (``method="exact"``), exact
    conditional on ties or zeros up to ``PERMUTATION_MAX_ROUNDS``, else normal with tie
    correction and no continuity correction. With no non-zero value, p = 1.
    """
    _check_finite(d)
    nonzero = [x for x in d if x != 0.0]
    ranks, groups = midranks([abs(x) for x in nonzero])
    t_plus = math.fsum(r for r, x in zip(ranks, nonzero, strict=True) if x > 0.0)
    n = len(nonzero)
    tied = any(size > 1 for size in groups) or n < len(d)
    method: Method
    if not tied and len(d) <= EXACT_MAX_ROUNDS:
        p_value, method = _exact_p(round(t_plus), n), "exact"
    elif tied and len(d) <= PERMUTATION_MAX_ROUNDS:
        p_value, method = _conditional_p(ranks, nonzero), "exact"
    else:
        variance = (n * (n + 1) * (2 * n + 1) - sum(g**3 - g for g in groups) / 2.0) / 24.0
        p_value, method = _normal_p(t_plus, n * (n + 1) / 4.0, variance), "asymptotic"
    return SignedRankResult(statistic=t_plus, p_value=p_value, method=method, n=n)


def _conditional_p(ranks: Sequence[float], nonzero: Sequence[float]) -> float:
    """Exact p-value given the mid-ranks: all 2^n sign flips, equally likely under H0.

    Mid-ranks are multiples of 1/2, so twice them are integers and the distribution of
    twice T+ is a subset-sum count, like the untied one.
    """
    doubled = [round(2 * r) for r in ranks]
    observed = sum(r for r, x in zip(doubled, nonzero, strict=True) if x > 0.0)
    counts = [1] + [0] * sum(doubled)
    reach = 0
    for r in doubled:
        reach += r
        for total in range(reach, r - 1, -1):
            counts[total] += counts[total - r]
    below = sum(counts[: observed + 1])
    above = sum(counts[observed:])
    return min(1.0, 2 * min(below, above) / (1 << len(doubled)))


# --- Hodges-Lehmann shift and Tukey's interval ---------------------------------------------


def walsh_averages(d: Sequence[float]) -> list[float]:
    """All (d_i + d_j) / 2 for i <= j, sorted."""
    ordered = sorted(d)
    walsh = [(a + b) / 2.0 for i, a in enumerate(ordered) for b in ordered[i:]]
    walsh.sort()
    return walsh


def tukey_bounds(walsh: Sequence[float], n: int, alpha: float) -> tuple[float, float] | None:
    """Tukey's interval ``[W_(k), W_(M+1-k)]`` at confidence ``1 - alpha`` from the sorted
    Walsh averages of ``n`` values, or None when no finite interval reaches it."""
    if not 0.0 < alpha < 1.0:
        return None
    k = _tukey_k(n, alpha)
    if k == 0:
        return None
    return walsh[k - 1], walsh[len(walsh) - k]


@functools.cache
def _tukey_k(n: int, alpha: float) -> int:
    """Largest k with p(T+ = k - 1) <= alpha under the test's own p-value, or 0.

    For k - 1 below the mean, p is twice the lower tail, so this is the largest k with
    P(T+ <= k - 1) <= alpha / 2; p grows with k there, hence the bisection.
    """
    low, high = 0, n * (n + 1) // 4  # p(t) <= alpha is searched for t in [low, high]
    if _untied_p(0, n) > alpha:
        return 0
    while low < high:
        middle = (low + high + 1) // 2
        if _untied_p(middle, n) <= alpha:
            low = middle
        else:
            high = middle - 1
    return low + 1


def paired_hodges_lehmann(d: Sequence[float], *, confidence: float = 0.95) -> PairedShift:
    """Median of the Walsh averages, with Tukey's interval ``[W_(k), W_(M+1-k)]``.

    ``M = n(n+1)/2``; ``k`` is the largest k with ``P(T+ <= k-1) <= (1-confidence)/2``
    (exact null distribution up to ``EXACT_MAX_ROUNDS`` values, else normal), at least 1.
    """
    _check_finite(d)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    n = len(d)
    if n > WALSH_MAX_ROUNDS:
        raise ValueError(f"{n} rounds: at most {WALSH_MAX_ROUNDS} (O(n^2) Walsh averages)")
    walsh = walsh_averages(d)
    k = max(1, _tukey_k(n, 1.0 - confidence))
    return PairedShift(
        estimate=median_sorted(walsh),
        low=walsh[k - 1],
        high=walsh[len(walsh) - k],
        confidence=confidence,
        coverage=1.0 - _untied_p(k - 1, n),
        n=n,
    )
