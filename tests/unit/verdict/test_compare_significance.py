"""The gate's statistical tests, checked against scipy (a test-only dependency)."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from scipy import stats as sps

from aiwf_ci.verdict.significance import (
    bootstrap_median_atoms,
    bootstrap_ratio_ci,
    hodges_lehmann_ratio,
    mann_whitney_u,
    median_ratio_ci_normal,
    midranks,
    moses_rank,
    u_distribution,
)


def _samples(seed: int, n: int, centre: float, *, rounded: bool = False) -> list[float]:
    rng = random.Random(seed)
    values = [rng.gauss(centre, 0.15 * centre) for _ in range(n)]
    return [round(v, 1) for v in values] if rounded else values


@pytest.mark.parametrize(
    ("n1", "n2", "shift", "rounded"),
    [
        (5, 5, 1.0, False),
        (5, 12, 1.1, False),
        (8, 30, 1.2, False),
        (3, 40, 1.0, False),
        (30, 30, 1.1, False),
        (10, 10, 1.2, True),
        (50, 7, 0.9, True),
        (200, 150, 1.02, False),
    ],
)
def test_mann_whitney_matches_scipy(n1: int, n2: int, shift: float, rounded: bool) -> None:
    x = _samples(n1 * 7 + n2, n1, 1.0, rounded=rounded)
    y = _samples(n1 + n2 * 11, n2, shift, rounded=rounded)
    ours = mann_whitney_u(x, y)
    ref = sps.mannwhitneyu(x, y, alternative="two-sided")
    assert ours.u == pytest.approx(float(ref.statistic))
    assert ours.p_value == pytest.approx(float(ref.pvalue), rel=1e-9, abs=1e-12)


def test_mann_whitney_asymptotic_branch_matches_scipy_asymptotic() -> None:
    x, y = _samples(1, 25, 1.0), _samples(2, 25, 1.05)
    ref = sps.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")
    result = mann_whitney_u(x, y)
    assert result.method == "asymptotic"
    assert result.p_value == pytest.approx(float(ref.pvalue), rel=1e-9)


def test_mann_whitney_identical_values_give_p_one() -> None:
    assert mann_whitney_u([1.0] * 6, [1.0] * 6).p_value == 1.0


def test_mann_whitney_needs_samples() -> None:
    with pytest.raises(ValueError):
        mann_whitney_u([], [1.0])


def test_midranks_average_ties() -> None:
    ranks, ties = midranks([3.0, 1.0, 3.0, 2.0])
    assert ranks == [3.5, 1.0, 3.5, 2.0]
    assert sorted(ties) == [1, 1, 2]
    assert ranks == list(sps.rankdata([3.0, 1.0, 3.0, 2.0]))


@pytest.mark.parametrize(("m", "n"), [(1, 1), (3, 4), (5, 5), (8, 20)])
def test_u_distribution_counts_every_arrangement(m: int, n: int) -> None:
    counts = u_distribution(m, n)
    assert sum(counts) == math.comb(m + n, m)
    assert counts == counts[::-1]  # symmetric around m*n/2


def _scipy_ci(base: list[float], head: list[float]) -> tuple[float, float]:
    def ratio(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.median(b, axis=axis) / np.median(a, axis=axis)  # type: ignore[no-any-return]

    res = sps.bootstrap(
        (base, head), ratio, method="percentile", n_resamples=20_000, random_state=1
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


@pytest.mark.parametrize(("n", "shift"), [(15, 1.0), (30, 1.1), (41, 0.8)])
def test_bootstrap_ratio_ci_agrees_with_scipy(n: int, shift: float) -> None:
    base, head = _samples(n, n, 1.0), _samples(n + 1, n, shift)
    lo, hi = bootstrap_ratio_ci(base, head, resamples=4000, seed=3)
    ref_lo, ref_hi = _scipy_ci(base, head)
    # Medians of small resamples are lumpy: a percentile may land on a neighbouring atom.
    tolerance = 0.15 * (ref_hi - ref_lo)
    assert lo == pytest.approx(ref_lo, abs=tolerance)
    assert hi == pytest.approx(ref_hi, abs=tolerance)
    assert lo < (sorted(head)[n // 2] / sorted(base)[n // 2]) < hi


def test_bootstrap_is_deterministic_for_a_seed() -> None:
    base, head = _samples(1, 20, 1.0), _samples(2, 20, 1.1)
    first = bootstrap_ratio_ci(base, head, seed=7)
    assert first == bootstrap_ratio_ci(base, head, seed=7)
    assert first != bootstrap_ratio_ci(base, head, seed=8)


def test_bootstrap_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        bootstrap_ratio_ci([], [1.0])
    with pytest.raises(ValueError):
        bootstrap_ratio_ci([1.0], [1.0], confidence=1.0)


@pytest.mark.parametrize("n", [5, 6, 15, 30])
def test_exact_bootstrap_median_distribution_matches_resampling(n: int) -> None:
    data = _samples(n, n, 1.0)
    values, probs = bootstrap_median_atoms(data)
    assert math.fsum(probs) == pytest.approx(1.0, abs=1e-9)
    rng = np.random.default_rng(5)
    resampled = np.median(rng.choice(data, size=(40_000, n), replace=True), axis=1)
    for q in (0.1, 0.5, 0.9):
        point = float(np.quantile(resampled, q))
        exact = math.fsum(p for v, p in zip(values, probs, strict=True) if v <= point + 1e-12)
        empirical = float(np.mean(resampled <= point + 1e-12))
        assert exact == pytest.approx(empirical, abs=0.01)


def test_large_samples_use_the_normal_interval_which_agrees_with_the_bootstrap() -> None:
    base, head = _samples(1, 150, 1.0), _samples(2, 150, 1.1)
    boot = bootstrap_ratio_ci(base, head, resamples=4000)
    normal = median_ratio_ci_normal(base, head)
    assert normal == pytest.approx(boot, abs=0.01)
    assert bootstrap_ratio_ci([*base, 1.0], [*head, 1.1]) == median_ratio_ci_normal(
        [*base, 1.0], [*head, 1.1]
    )


# --- Hodges-Lehmann with Moses' interval -------------------------------------------------


@pytest.mark.parametrize(("n1", "n2"), [(5, 5), (6, 9), (15, 15), (30, 30), (12, 40)])
def test_hodges_lehmann_is_the_median_of_pairwise_log_ratios(n1: int, n2: int) -> None:
    base = _samples(n1, n1, 1.0)
    head = _samples(n2 + 100, n2, 1.1)
    shift = hodges_lehmann_ratio(base, head)
    diffs = np.subtract.outer(np.log(head), np.log(base)).ravel()
    assert shift.ratio == pytest.approx(math.exp(np.median(diffs)))
    k = moses_rank(n1, n2, 0.95)
    ordered = np.sort(diffs)
    assert shift.low == pytest.approx(math.exp(ordered[k - 1]))
    assert shift.high == pytest.approx(math.exp(ordered[-k]))
    assert shift.low <= shift.ratio <= shift.high


@pytest.mark.parametrize(("m", "n"), [(3, 4), (5, 5), (4, 8), (8, 8)])
def test_moses_rank_is_the_exact_mann_whitney_quantile(m: int, n: int) -> None:
    counts = np.array(u_distribution(m, n), dtype=float)
    cdf = np.cumsum(counts) / counts.sum()
    for confidence in (0.9, 0.95, 0.99):
        k = moses_rank(m, n, confidence)
        tail = (1 - confidence) / 2
        if cdf[0] > tail:  # too few samples for this confidence: the widest interval
            assert k == 1
            continue
        # coverage 1 - 2 P(U <= k - 1) >= confidence, and k + 1 would fall short
        assert cdf[k - 1] <= tail + 1e-12
        assert cdf[k] > tail


def test_moses_rank_normal_approximation_for_larger_samples() -> None:
    m, n = 20, 30
    expected = math.floor(m * n / 2 - sps.norm.ppf(0.975) * math.sqrt(m * n * (m + n + 1) / 12))
    assert moses_rank(m, n, 0.95) == expected


def test_moses_interval_inverts_the_mann_whitney_test() -> None:
    base, head = _samples(3, 20, 1.0), _samples(4, 20, 1.2)
    shift = hodges_lehmann_ratio(base, head, confidence=0.95)
    # shifting head by a ratio well inside the interval: not rejected at 5%;
    # by a ratio just outside it: rejected (scipy's asymptotic p-value, no ties)
    inside = [h / shift.ratio for h in head]
    assert sps.mannwhitneyu(base, inside, method="asymptotic").pvalue > 0.05
    for outside in (shift.low * 0.97, shift.high * 1.03):
        moved = [h / outside for h in head]
        assert sps.mannwhitneyu(base, moved, method="asymptotic").pvalue < 0.05


def test_moses_interval_covers_the_true_ratio_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(400):
        base = rng.lognormal(0.0, 0.2, 15)
        head = rng.lognormal(math.log(1.1), 0.2, 15)
        shift = hodges_lehmann_ratio(list(base), list(head))
        hits += shift.low <= 1.1 <= shift.high
    assert 0.92 <= hits / 400 <= 0.99


def test_hodges_lehmann_interval_is_narrower_than_the_median_bootstrap() -> None:
    # the efficiency argument: same data, tighter interval than the ratio of medians
    widths_hl, widths_median = [], []
    for seed in range(40):
        base, head = _samples(seed, 15, 1.0), _samples(seed + 500, 15, 1.0)
        shift = hodges_lehmann_ratio(base, head)
        lo, hi = bootstrap_ratio_ci(base, head, seed=seed)
        widths_hl.append(math.log(shift.high / shift.low))
        widths_median.append(math.log(hi / lo))
    assert np.median(widths_hl) < 0.9 * np.median(widths_median)


def test_hodges_lehmann_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="both sides"):
        hodges_lehmann_ratio([], [1.0])
    with pytest.raises(ValueError, match="positive"):
        hodges_lehmann_ratio([0.0, 1.0], [1.0])
    with pytest.raises(ValueError, match="confidence"):
        hodges_lehmann_ratio([1.0], [1.0], confidence=1.0)
