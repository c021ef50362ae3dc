"""Paired round analysis (aiwf_ci.verdict.paired), checked against scipy, numpy and brute
force enumeration of sign flips."""

from __future__ import annotations

import itertools
import math
import random
import warnings

import numpy as np
import pytest
from scipy import stats as sps

from aiwf_ci.models import Direction, Metric
from aiwf_ci.verdict.paired import (
    EXACT_MAX_ROUNDS,
    PERMUTATION_MAX_ROUNDS,
    WALSH_MAX_ROUNDS,
    min_rounds_for,
    paired_hodges_lehmann,
    wilcoxon_signed_rank,
)
from aiwf_ci.verdict.rounds import paired_rounds, worse_log_ratios

SIZES = [1, 2, 3, 5, 8, 12, 13, 14, 20, 35, 50, 51, 60, 120, 300]


def _log_ratios(seed: int, n: int, kind: str) -> list[float]:
    """Continuous, rounded (ties, including +x/-x ties) or with exact zeros."""
    rng = random.Random(seed)
    shift = rng.choice([0.0, 0.05, 0.3])
    d = [rng.gauss(shift, 0.2) for _ in range(n)]
    if kind == "ties":
        return [round(x, 1) for x in d]
    if kind == "zeros":
        return [0.0 if rng.random() < 0.25 else round(x, 2) for x in d]
    return d


def _scipy_wilcoxon(d: list[float]) -> tuple[float, float]:
    """scipy's p-value, exact for untied data without zeros up to ``EXACT_MAX_ROUNDS`` values
    (scipy's default is exact only up to 50)."""
    untied = len(set(map(abs, d))) == len(d) and 0.0 not in d
    method = "exact" if untied and len(d) <= EXACT_MAX_ROUNDS else "auto"
    with warnings.catch_warnings():  # scipy warns about ties/zeros with exact/asymptotic
        warnings.simplefilter("ignore")
        res = sps.wilcoxon(d, method=method)
    return float(res.statistic), float(res.pvalue)


def _cdf(n: int) -> np.ndarray:
    """P(T+ <= t) for n untied values, by numpy convolution of the pmf."""
    pmf = np.array([1.0])
    for r in range(1, n + 1):
        pmf = np.convolve(pmf, np.r_[0.5, np.zeros(r - 1), 0.5])
    return np.cumsum(pmf)


def _walsh(d: list[float]) -> np.ndarray:
    a = np.asarray(d)
    i, j = np.triu_indices(len(a))
    return np.sort((a[i] + a[j]) / 2.0)


def _reference_k(n: int, alpha: float) -> tuple[int, float]:
    """Tukey's k (at least 1) and its interval's coverage, independently: the exact pmf of
    T+ by numpy convolution, or the normal approximation."""
    m = n * (n + 1) // 2
    if n <= EXACT_MAX_ROUNDS:
        p = np.minimum(1.0, 2.0 * _cdf(n)[: m // 2 + 1])
    else:
        t = np.arange(m // 2 + 1)
        z = (n * (n + 1) / 4.0 - t) / math.sqrt(n * (n + 1) * (2 * n + 1) / 24.0)
        p = np.minimum(1.0, 2.0 * sps.norm.sf(z))
    ok = np.nonzero(p <= alpha)[0]
    k = int(ok[-1]) + 1 if ok.size else 1
    return k, 1.0 - float(p[k - 1])


# --- per-round log-ratios (verdict.rounds) -------------------------------------------------


def in_rounds(chunks: list[list[float]], direction: Direction = "lower") -> Metric:
    rounds = [r for r, chunk in enumerate(chunks) for _ in chunk]
    values = [x for chunk in chunks for x in chunk]
    return Metric.from_samples(values, unit="s", direction=direction, rounds=rounds)


def test_round_log_ratios_use_the_median_of_each_chunk() -> None:
    base = in_rounds([[1.0, 2.0, 30.0], [4.0, 1.0, 2.0, 3.0]])  # medians 2 and 2.5
    head = in_rounds([[4.0, 50.0, 1.0], [5.0, 5.0]])  # medians 4 and 5
    assert worse_log_ratios(base, head) == pytest.approx([math.log(2.0), math.log(2.0)])
    faster = in_rounds([[4.0, 50.0, 1.0], [5.0, 5.0]], "higher")
    assert worse_log_ratios(in_rounds([[2.0], [2.5]], "higher"), faster) == pytest.approx(
        [-math.log(2.0), -math.log(2.0)]
    )


def test_round_log_ratios_cancel_a_shared_drift() -> None:
    base = in_rounds([[1.0, 1.1, 0.9], [2.0, 2.2, 1.8]])  # round 2 runs 2x slower on both sides
    head = in_rounds([[1.1, 1.21, 0.99], [2.2, 2.42, 1.98]])
    assert worse_log_ratios(base, head) == pytest.approx([math.log(1.1)] * 2)


def test_only_rounds_both_sides_measured_are_paired() -> None:
    base, head = in_rounds([[1.0], [2.0], [3.0]]), in_rounds([[1.0], [2.0]])
    pairs = paired_rounds(base, head)
    assert pairs is not None and (pairs.base, pairs.head) == ((1.0, 2.0), (1.0, 2.0))
    assert pairs.scale == "log"
    assert paired_rounds(Metric.from_samples([1.0], unit="s"), head) is None
    assert paired_rounds(in_rounds([[1.0]]), in_rounds([[], [1.0]])) is None  # no round shared


def test_a_round_median_of_zero_or_less_stays_paired_as_differences() -> None:
    # the differences over the largest round median (4): positive is worse
    base, head = in_rounds([[0.0], [2.0], [1.0]]), in_rounds([[1.0], [4.0], [1.0]])
    pairs = paired_rounds(base, head)
    assert pairs is not None and pairs.scale == "difference"
    assert worse_log_ratios(base, head) == pytest.approx([0.25, 0.5, 0.0])
    more = in_rounds([[1.0], [4.0], [1.0]], "higher")
    assert worse_log_ratios(in_rounds([[0.0], [2.0], [1.0]], "higher"), more) == pytest.approx(
        [-0.25, -0.5, 0.0]
    )
    negative = paired_rounds(in_rounds([[1.0], [-1.0]]), in_rounds([[1.0], [2.0]]))
    assert negative is not None and negative.scale == "difference"
    assert worse_log_ratios(in_rounds([[0.0]]), in_rounds([[0.0]])) == [0.0]


# --- the signed-rank test ------------------------------------------------------------------


# scipy's permutation test (ties or zeros, at most 13 values) takes seconds above 10 values;
# the brute-force test below covers 11 to 13 with the same enumeration of sign flips.
SCIPY_CASES = [
    (n, kind)
    for n in SIZES
    for kind in ("continuous", "ties", "zeros")
    if kind == "continuous" or not 10 < n <= PERMUTATION_MAX_ROUNDS
]


@pytest.mark.parametrize(("n", "kind"), SCIPY_CASES)
def test_wilcoxon_matches_scipy(n: int, kind: str) -> None:
    for seed in range(8):
        d = _log_ratios(1000 * n + seed, n, kind)
        if not any(d):
            continue  # scipy returns nan for all zeros beyond 13 values
        mine = wilcoxon_signed_rank(d)
        statistic, p_value = _scipy_wilcoxon(d)
        total = mine.n * (mine.n + 1) / 2.0
        assert min(mine.statistic, total - mine.statistic) == pytest.approx(statistic, abs=1e-9)
        # scipy's exact tail loses its last digits below about 1e-12 (1.3e-15 for 1.1e-15)
        assert mine.p_value == pytest.approx(p_value, rel=1e-9, abs=1e-12)
        assert mine.n == sum(1 for x in d if x != 0.0)
        tied = len(set(map(abs, d))) < n or 0.0 in d
        exact = n <= PERMUTATION_MAX_ROUNDS or (n <= EXACT_MAX_ROUNDS and not tied)
        assert mine.method == ("exact" if exact else "asymptotic")
        if exact and not tied:  # the tiny tails too, against the exact pmf by convolution
            tail = round(min(mine.statistic, total - mine.statistic))
            assert mine.p_value == pytest.approx(min(1.0, 2.0 * _cdf(n)[tail]), rel=1e-9)


def test_wilcoxon_statistic_is_t_plus() -> None:
    result = wilcoxon_signed_rank([0.5, -0.1, 0.3, 0.0])  # |d| ranks 3, 1, 2; zero dropped
    assert result.statistic == 5.0
    assert result.n == 3
    # 8 equally likely sign patterns; T+ >= 5 for {3,2} and {3,2,1}: p = 2 * 2/8 (exact,
    # conditional on the zero, as scipy enumerates it).
    assert result.p_value == pytest.approx(0.5)
    assert result.method == "exact"


@pytest.mark.parametrize("n", [1, 4, 7, 10, 11, 12, 13])
@pytest.mark.parametrize("kind", ["continuous", "ties", "zeros"])
def test_wilcoxon_matches_brute_force_sign_flips(n: int, kind: str) -> None:
    """Exact p-value (conditional on ties and zeros) against all 2^n sign patterns."""
    for seed in range(3):
        d = np.asarray(_log_ratios(77 * n + seed, n, kind))
        nonzero = d[d != 0]
        ranks = sps.rankdata(np.abs(nonzero))
        observed = ranks[nonzero > 0].sum()
        patterns = np.array(list(itertools.product([0.0, 1.0], repeat=nonzero.size)))
        null = patterns @ ranks if nonzero.size else np.zeros(1)
        tail = min(np.mean(null <= observed + 1e-9), np.mean(null >= observed - 1e-9))
        result = wilcoxon_signed_rank(d.tolist())
        assert result.p_value == pytest.approx(min(1.0, 2 * tail), rel=1e-12)
        assert result.method == "exact"


def test_wilcoxon_all_zeros_is_no_evidence() -> None:
    for n in (3, 30):
        result = wilcoxon_signed_rank([0.0] * n)
        assert (result.p_value, result.n, result.statistic) == (1.0, 0, 0.0)


def test_wilcoxon_smallest_p_is_two_to_the_one_minus_n() -> None:
    for n in range(1, 21):
        assert wilcoxon_signed_rank([float(i + 1) for i in range(n)]).p_value == 2.0 ** (1 - n)


@pytest.mark.parametrize("d", [[], [1.0, math.nan], [math.inf, 1.0]])
def test_wilcoxon_rejects_empty_or_non_finite(d: list[float]) -> None:
    with pytest.raises(ValueError, match=r"rounds|finite"):
        wilcoxon_signed_rank(d)


# --- min_rounds_for ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alpha", "expected"), [(1.0, 1), (0.5, 2), (0.05, 6), (0.01, 8), (0.001, 11)]
)
def test_min_rounds_for_known_levels(alpha: float, expected: int) -> None:
    assert min_rounds_for(alpha) == expected


@pytest.mark.parametrize("alpha", [0.2, 0.05, 0.0123, 0.01, 0.0025, 1e-4, 1e-6])
def test_min_rounds_for_is_where_the_test_first_reaches_alpha(alpha: float) -> None:
    n = min_rounds_for(alpha)
    assert wilcoxon_signed_rank([1.0 + i for i in range(n)]).p_value <= alpha
    assert wilcoxon_signed_rank([1.0 + i for i in range(n - 1)]).p_value > alpha


@pytest.mark.parametrize("alpha", [0.0, -0.1, 1.5, math.nan])
def test_min_rounds_for_rejects_bad_alpha(alpha: float) -> None:
    with pytest.raises(ValueError, match="alpha"):
        min_rounds_for(alpha)


# --- Hodges-Lehmann and Tukey's interval ---------------------------------------------------


def test_hodges_lehmann_by_hand() -> None:
    # Walsh averages of 1, 2, 3: 1, 1.5, 2, 2, 2.5, 3 (M = 6); median 2. T+ takes 0..6 with
    # counts 1, 1, 1, 2, 1, 1, 1 over the 8 sign patterns. At 50%: 2 P(T+ <= 1) = 0.5 <= 0.5
    # and 2 P(T+ <= 2) = 0.75 > 0.5, so k = 2 and the interval is [W_(2), W_(5)].
    shift = paired_hodges_lehmann([3.0, 1.0, 2.0], confidence=0.5)
    assert (shift.estimate, shift.low, shift.high, shift.n) == (2.0, 1.5, 2.5, 3)
    assert shift.coverage == pytest.approx(0.5)


def test_hodges_lehmann_too_few_rounds_falls_back_to_min_max() -> None:
    # 80% is out of reach with 3 values (2 P(T+ = 0) = 0.25 > 0.2): k = 1, [min, max],
    # whose coverage 1 - 0.25 is reported.
    shift = paired_hodges_lehmann([0.1, -0.2, 0.4], confidence=0.8)
    assert (shift.low, shift.high) == (-0.2, 0.4)
    assert shift.coverage == pytest.approx(0.75) and shift.coverage < shift.confidence


@pytest.mark.parametrize("n", [s for s in SIZES if s > 1])
def test_hodges_lehmann_matches_numpy_walsh_averages(n: int) -> None:
    d = _log_ratios(7 * n, n, "continuous")
    walsh = _walsh(d)
    for confidence in (0.5, 0.9, 0.95, 0.99, 0.999):
        shift = paired_hodges_lehmann(d, confidence=confidence)
        k, coverage = _reference_k(n, 1.0 - confidence)
        assert shift.estimate == float(np.median(walsh))
        assert (shift.low, shift.high) == (walsh[k - 1], walsh[len(walsh) - k])
        assert shift.low <= shift.estimate <= shift.high
        assert shift.coverage == pytest.approx(coverage, rel=1e-9)
        assert (shift.coverage >= confidence) == (n >= min_rounds_for(1.0 - confidence))


def test_hodges_lehmann_moves_with_a_shift_and_ignores_order() -> None:
    d = _log_ratios(3, 25, "continuous")
    base = paired_hodges_lehmann(d, confidence=0.9)
    moved = paired_hodges_lehmann([x + 0.25 for x in reversed(d)], confidence=0.9)
    assert moved.estimate == pytest.approx(base.estimate + 0.25)
    assert (moved.low, moved.high) == pytest.approx((base.low + 0.25, base.high + 0.25))


DUALITY_CASES = [
    (n, confidence)
    for n in (8, 9, 12, 20, 33, 50, 51, 64, 150)
    for confidence in (0.8, 0.95, 0.99, 0.999)
    if n >= min_rounds_for(1.0 - confidence)  # else there is no finite interval
]


@pytest.mark.parametrize(("n", "confidence"), DUALITY_CASES)
def test_interval_is_the_set_of_shifts_the_test_does_not_reject(n: int, confidence: float) -> None:
    """Tukey's interval inverts the test: just inside each end p > 1 - confidence, just
    outside p <= 1 - confidence (the boundary is where p crosses the level)."""
    alpha = 1.0 - confidence
    d = _log_ratios(n * 31 + round(confidence * 1000), n, "continuous")
    shift = paired_hodges_lehmann(d, confidence=confidence)
    walsh = _walsh(d)
    lo_at = int(np.searchsorted(walsh, shift.low))
    hi_at = int(np.searchsorted(walsh, shift.high))

    def p_at(delta: float) -> float:
        return wilcoxon_signed_rank([x - delta for x in d]).p_value

    inside = [(walsh[lo_at] + walsh[lo_at + 1]) / 2, (walsh[hi_at - 1] + walsh[hi_at]) / 2]
    below = (walsh[lo_at - 1] + walsh[lo_at]) / 2 if lo_at > 0 else walsh[0] - 1.0
    above = (walsh[hi_at] + walsh[hi_at + 1]) / 2 if hi_at + 1 < len(walsh) else walsh[-1] + 1.0
    outside = [below, above]
    assert all(p_at(delta) > alpha for delta in inside)
    assert all(p_at(delta) <= alpha for delta in outside)
    assert p_at(shift.estimate) > 0.8


@pytest.mark.parametrize("confidence", [0.0, 1.0, -0.5, 1.5])
def test_hodges_lehmann_rejects_bad_confidence(confidence: float) -> None:
    with pytest.raises(ValueError, match="confidence"):
        paired_hodges_lehmann([0.1, 0.2], confidence=confidence)


def test_hodges_lehmann_caps_the_quadratic_work() -> None:
    with pytest.raises(ValueError, match=str(WALSH_MAX_ROUNDS)):
        paired_hodges_lehmann([0.0] * (WALSH_MAX_ROUNDS + 1))
    with pytest.raises(ValueError, match="rounds"):
        paired_hodges_lehmann([])
