"""Are the rounds independent? If not, judge batch means of consecutive rounds instead.

Why: the stopping rule's error bounds (``verdict.sequential``) rest on the per-round log
ratios being independent. Fresh processes and fresh workers every round make them so, but
state that one side carries from round to round (a per-tree server, a warm cache, a file
system that fills) ties neighbouring rounds together: a stretch where head happened to be
slow lasts several rounds and looks like evidence. Simulated with a per-side AR(1) of 0.6
(lag-1 correlation of the log ratios 0.58), the rule without this check called a change of
half the threshold a regression in 4.4% of runs, and a change at the threshold "unchanged"
in 19% (``benchmarks/gate_promises.py``).

The diagnostic is the **lag-1 autocorrelation of the ranks** of the per-round log ratios
(Spearman's serial correlation: ranks, so a burst or an outlier cannot fake or hide it;
Wald & Wolfowitz 1943 for its null moments, mean ``-1/n`` and variance about ``1/n``). At
a look after which the run goes on it fires when ``r > 0.5 / sqrt(n) - 1/n``: a low bar on
purpose (about 30% of independent runs at 20 rounds), since a miss can cost a false alarm
and a false fire only delays the decision by a look or two. At a **final look before the
last planned one** (a time budget ended the run) a false fire would leave the benchmark
undecided for good, and with few rounds false fires are frequent and their batches long, so
it asks for ``r > 2 / sqrt(n) - 1/n`` there (about 2% of independent runs at 20 rounds): a
2%-noisy benchmark 10% slower was then found in 98% of 20-round runs instead of 79%. (At
the last planned look the rounds are many, and a weak correlation there batches by 1 or 2;
with the strict bar there too, a per-side AR(1) of 0.2 was said "unchanged" at the threshold
in 6.3% of runs instead of 5.6%.) When it fires, the lag-1 correlation of the
process is estimated, corrected for the small-sample bias of ``r`` (Marriott & Pope 1954:
``E r ~ rho - (1 + 3 rho) / n``), and the rounds are averaged in **batches** of ``m``
consecutive rounds, ``m`` the smallest power of two whose batch means an AR(1) of that
correlation leaves correlated by at most 0.1 (Law & Kelton, "Simulation modeling and
analysis", the method of batch means). A batch holds an even number of rounds, so the
first-side order effect cancels inside it.

The batch means are judged like rounds, with the look's share of each error unchanged (a
look's shares never depend on the data): with few batches the exact test cannot reach the
share, nothing is decided, and a final look says ``inconclusive`` with the reason
(``NOTE_DEPENDENT``). With a per-side AR(1) of 0.6, a change of half the threshold was then
called a regression in 0.6% of runs and a change at the threshold unchanged in 4.7%.

**Not before ``CHECK_FROM`` (16) rounds**, the first look that can reject. With fewer, the
rank autocorrelation's standard deviation is 0.25 or more: the check fired at random in a
third of independent runs (and a fired check at 10 rounds leaves too few batches to decide
anything), while it missed most correlated ones (a stretch stuck on one side looks like a
real shift, not like correlation). What this leaves open: a run that its time budget ends
after few rounds, with rounds that are not independent. With a per-side AR(1) of 0.6 and a
budget of 10 rounds, a change of half the threshold was called a regression in 7.9% of
runs, at 20 rounds 5.0%, at 40 rounds 1.3% (the README's budget table).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from aiwf_ci.verdict.significance import midranks

__all__ = [
    "BATCH_CORRELATION",
    "CHECK_FROM",
    "FIRE_Z",
    "FIRE_Z_FINAL",
    "NOTE_DEPENDENT",
    "batch_correlation",
    "batch_means",
    "batch_size",
    "rank_lag1",
]

#: The diagnostic fires when the rank lag-1 autocorrelation exceeds FIRE_Z / sqrt(n) - 1/n
#: at a look after which the run goes on, FIRE_Z_FINAL / sqrt(n) - 1/n at a final look.
FIRE_Z = 0.5
FIRE_Z_FINAL = 2.0
#: With fewer rounds the diagnostic is not run (module docstring).
CHECK_FROM = 16
#: Batches are made long enough that an AR(1) leaves their means at most this correlated.
BATCH_CORRELATION = 0.1
#: Why a benchmark whose rounds are not independent stayed undecided.
NOTE_DEPENDENT = "rounds not independent"
_MAX_RHO = 0.95


def rank_lag1(d: Sequence[float]) -> float:
    """Lag-1 autocorrelation of the ranks of ``d`` (mid-ranks for ties); 0 for fewer than
    three values or no spread."""
    n = len(d)
    if n < 3:
        return 0.0
    ranks, _ = midranks(d)
    centre = (n + 1) / 2.0
    deviations = [r - centre for r in ranks]
    total = math.fsum(x * x for x in deviations)
    if total <= 0.0:
        return 0.0
    return math.fsum(a * b for a, b in itertools.pairwise(deviations)) / total


def batch_correlation(rho: float, m: int) -> float:
    """Lag-1 correlation of the means of ``m`` consecutive values of a stationary AR(1)
    with lag-1 correlation ``rho`` (0 for ``rho <= 0``)."""
    if rho <= 0.0:
        return 0.0
    tail = 1.0 - rho**m
    covariance = rho * tail * tail / (1.0 - rho) ** 2
    variance = m * (1.0 + rho) / (1.0 - rho) - 2.0 * rho * tail / (1.0 - rho) ** 2
    return covariance / variance


def batch_size(d: Sequence[float], *, final: bool = False) -> tuple[int, float]:
    """How many consecutive rounds to average into one batch (1: the rounds are judged as
    they are), and the rank lag-1 autocorrelation that decided it; ``final``: at a final
    look cut short by a budget, which asks for stronger evidence (module docstring)."""
    n = len(d)
    r = rank_lag1(d)
    z = FIRE_Z_FINAL if final else FIRE_Z
    if n < CHECK_FROM or r <= z / math.sqrt(n) - 1.0 / n:
        return 1, r
    rho = min(_MAX_RHO, max(0.0, (n * r + 1.0) / (n - 3.0)))
    m = 1
    while batch_correlation(rho, m) > BATCH_CORRELATION:
        m *= 2
    return m, r


def batch_means(d: Sequence[float], m: int) -> list[float]:
    """Means of ``m`` consecutive values, from the first; a last partial batch is left out."""
    if m < 1:
        raise ValueError(f"batch size must be at least 1, got {m}")
    if m == 1:
        return list(d)
    return [sum(d[i : i + m]) / m for i in range(0, len(d) - m + 1, m)]
