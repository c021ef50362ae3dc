"""Change-point detection over a metric's history: behaviour, statistics and Otava parity."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from aiwf_ci.history.changepoints import (
    ChangePoint,
    ChangePointOptions,
    _best_split,
    _within_table,
    detect,
    t_cdf,
    t_sf,
    ttest_pvalue,
)

DEFAULTS = ChangePointOptions()


def noise(seed: int, n: int = 30, sigma: float = 0.05) -> np.ndarray:
    """Benchmark-like history: lognormal run-to-run noise of about ``sigma`` around 1."""
    return np.random.default_rng(seed).lognormal(0.0, sigma, n)


def indexes(series: object, options: ChangePointOptions = DEFAULTS) -> list[int]:
    return [c.index for c in detect(np.asarray(series, dtype=float).tolist(), options)]


def positions(cp: ChangePoint, n: int, options: ChangePointOptions = DEFAULTS) -> int:
    """Split positions the search could pick between the change point's neighbours."""
    last = cp.index + cp.after_n == n
    after_min = max(options.min_segment, options.confirm) if last else options.min_segment
    return cp.before_n + cp.after_n - options.min_segment - after_min + 1


# --- Student t distribution and t-test against scipy -------------------------------------


@pytest.mark.parametrize("df", [0.5, 1, 2, 2.5, 3, 4, 7, 10, 28, 58, 100, 1000, 1e5])
@pytest.mark.parametrize(
    "t", [-40.0, -6.0, -2.0, -1.0, -0.3, 0.0, 0.1, 0.7, 1.0, 1.96, 3.5, 8.0, 25.0, 300.0, 1e5]
)
def test_t_sf_and_cdf_match_scipy(t: float, df: float) -> None:
    assert t_sf(t, df) == pytest.approx(stats.t.sf(t, df), rel=1e-9, abs=1e-300)
    assert t_cdf(t, df) == pytest.approx(stats.t.cdf(t, df), rel=1e-9, abs=1e-300)


def test_t_sf_far_tail_keeps_relative_accuracy() -> None:
    # p-values of real steps are tiny; a complement-based formula would return 0 here
    for t, df in [(20.0, 28), (40.0, 100), (60.0, 8)]:
        expected = stats.t.sf(t, df)
        assert expected < 1e-11
        assert t_sf(t, df) == pytest.approx(expected, rel=1e-9)


def test_t_sf_edges() -> None:
    assert t_sf(math.inf, 5) == 0.0
    assert t_sf(-math.inf, 5) == 1.0
    assert t_sf(0.0, 5) == pytest.approx(0.5, abs=1e-15)
    with pytest.raises(ValueError, match="df > 0"):
        t_sf(1.0, 0)
    with pytest.raises(ValueError, match="df > 0"):
        t_sf(math.nan, 3)


@pytest.mark.parametrize(("n1", "n2"), [(2, 1), (3, 3), (5, 25), (27, 3), (50, 50), (200, 7)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ttest_pvalue_matches_scipy_ttest_ind(n1: int, n2: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.lognormal(0.0, 0.05, n1)
    b = rng.lognormal(0.02 * seed, 0.05, n2)
    expected = stats.ttest_ind(a, b).pvalue  # Student, pooled variance
    assert ttest_pvalue(a.tolist(), b.tolist()) == pytest.approx(expected, rel=1e-9)


def test_ttest_pvalue_degenerate_cases() -> None:
    assert ttest_pvalue([1.0], [2.0]) == 1.0  # no degrees of freedom
    assert ttest_pvalue([1.0, 1.0, 1.0], [1.0, 1.0]) == 1.0  # identical constants
    assert ttest_pvalue([1.0, 1.0, 1.0], [2.0, 2.0]) == 0.0  # noiseless step
    with pytest.raises(ValueError, match="each side"):
        ttest_pvalue([], [1.0, 2.0])


def test_change_point_p_value_is_ttest_adjusted_for_the_search() -> None:
    series = noise(11, 40)
    series[15:] *= 1.15
    series[28:] /= 1.15
    found = detect(series.tolist())
    assert [c.index for c in found] == [15, 28]
    for cp in found:
        before = series[cp.index - cp.before_n : cp.index]
        after = series[cp.index : cp.index + cp.after_n]
        raw = stats.ttest_ind(before, after).pvalue
        assert cp.p_value == pytest.approx(min(1.0, raw * positions(cp, 40)), rel=1e-9)
        assert cp.before_mean == pytest.approx(before.mean(), rel=1e-12)
        assert cp.after_mean == pytest.approx(after.mean(), rel=1e-12)


def test_ci_is_welch_interval_over_the_before_mean() -> None:
    series = noise(5)
    series[20:] *= 1.2
    (cp,) = detect(series.tolist())
    before, after = series[: cp.index], series[cp.index :]
    welch = stats.ttest_ind(after, before, equal_var=False).confidence_interval(0.95)
    assert cp.ci == pytest.approx((welch.low / before.mean(), welch.high / before.mean()), rel=1e-7)
    assert cp.change == pytest.approx(after.mean() / before.mean() - 1.0, rel=1e-12)
    assert cp.ci is not None and cp.ci[0] < cp.change < cp.ci[1]


# --- behaviour on benchmark-like histories -----------------------------------------------


def test_step_at_20_gives_one_change_point_at_20() -> None:
    # 30 runs, 5% noise, +20% from run 20 on.  We accept 19..21: E-divisive puts the split
    # where the energy distance is largest, and a boundary run whose noise pulls it toward
    # the other level moves that by one.  Over 200 seeds all 200 gave exactly one change
    # point, 183 at 20 exactly and 199 within one of it.
    series = noise(0)
    series[20:] *= 1.2
    found = detect(series.tolist())
    assert len(found) == 1
    (cp,) = found
    assert abs(cp.index - 20) <= 1
    assert cp.index == 20  # what this seed gives
    assert cp.before_n == 20 and cp.after_n == 10
    assert cp.change == pytest.approx(0.2, abs=0.03)
    assert cp.p_value < DEFAULTS.max_pvalue


def test_step_at_20_over_many_seeds() -> None:
    exact = within_one = covered = 0
    for seed in range(100):
        series = noise(seed)
        series[20:] *= 1.2
        found = detect(series.tolist())
        assert len(found) == 1, (seed, found)
        exact += found[0].index == 20
        within_one += abs(found[0].index - 20) <= 1
        ci = found[0].ci
        covered += ci is not None and ci[0] <= 0.2 <= ci[1]
    assert exact >= 85
    assert within_one >= 97
    assert covered >= 88  # nominal 95%; the before mean is treated as exact


def test_pure_noise_has_no_change_point_in_99_percent() -> None:
    flagged = [seed for seed in range(200) if detect(noise(1000 + seed).tolist())]
    assert len(flagged) <= 2, flagged  # measured: 0 of these 200, 2 of 2,000


@pytest.mark.parametrize("at", [1, 15, 28, 29])
def test_single_spike_is_not_a_change_point(at: int) -> None:
    series = noise(3)
    series[at] *= 1.6
    assert detect(series.tolist()) == ()


def test_two_run_blip_is_not_a_change_point() -> None:
    series = noise(4)
    series[14:16] *= 1.4
    assert detect(series.tolist()) == ()


def test_two_steps_give_two_change_points() -> None:
    series = noise(7, 45)
    series[15:] *= 1.2
    series[30:] *= 1.15
    found = detect(series.tolist())
    assert [c.index for c in found] == [15, 30]
    assert [c.before_n for c in found] == [15, 15]
    assert [c.after_n for c in found] == [15, 15]


def test_temporary_regression_gives_two_change_points() -> None:
    series = noise(8, 45)
    series[15:30] *= 1.25  # a regression, fixed 15 runs later
    found = detect(series.tolist())
    assert [c.index for c in found] == [15, 30]
    assert found[0].change is not None and found[0].change > 0.15
    assert found[1].change is not None and found[1].change < -0.1


def test_step_in_the_last_runs_waits_for_confirmation() -> None:
    # 1% noise, so the rule rather than the noise decides: +20% from run 27 on is announced
    # once 3 runs (confirm) are on the new level, never with 1 or 2
    base = noise(9, 40, sigma=0.01)
    announced = []
    for n in range(28, 41):
        history = base[:n].copy()
        history[27:] *= 1.2
        found = detect(history.tolist())
        assert [c.index for c in found] in ([], [27])
        if found:
            announced.append(n - 27)
    assert announced == list(range(3, 14))


def test_two_last_runs_are_never_announced_alone() -> None:
    # Without counting runs on the new level, two extreme last runs got announced with the
    # change put one run early, an old-level run filling the 3-run segment.
    history = noise(10, 29, sigma=0.01)
    history[27:] *= 1.2
    assert detect(history.tolist()) == ()


def test_last_runs_rule_with_benchmark_noise() -> None:
    # 5% noise: one new run is never enough.  With two, a change is announced only when the
    # run before them happens to look like the new level (14 of 300 seeds), and then it is
    # placed there, so three runs past the midpoint of the two levels back it.
    early = 0
    for seed in range(300):
        history = noise(seed, 28)
        history[27:] *= 1.2
        assert detect(history.tolist()) == ()
        history = noise(seed, 29)
        history[27:] *= 1.2
        for cp in detect(history.tolist()):
            early += 1
            middle = (cp.before_mean + cp.after_mean) / 2
            assert cp.index < 27 and sum(history[cp.index :] > middle) >= 3
    assert early <= 20


def test_confirm_longer_than_min_segment() -> None:
    options = ChangePointOptions(confirm=5)
    base = noise(10, 32, sigma=0.01)
    base[27:] *= 1.2
    assert indexes(base[:31], options) == []  # 4 runs on the new level
    assert indexes(base[:32], options) == [27]  # 5 runs: announced
    assert indexes(base[:30]) == [27]  # the default (3) already announces it


def test_min_magnitude_drops_small_real_changes() -> None:
    series = noise(12, 60, sigma=0.01)
    series[30:] *= 1.04
    assert indexes(series) == [30]
    assert indexes(series, ChangePointOptions(min_magnitude=0.05)) == []
    assert indexes(series, ChangePointOptions(min_magnitude=0.03)) == [30]


def test_constant_and_short_series() -> None:
    assert detect([5.0] * 40) == ()
    assert detect([]) == ()
    assert detect([1.0, 1.0, 1.0, 2.0, 2.0]) == ()  # fewer than 2 * min_segment
    assert indexes([1.0, 1.0, 1.0, 2.0, 2.0, 2.0]) == [3]  # noiseless step, 3 + 3


def test_zero_before_mean_has_no_relative_change() -> None:
    found = detect([0.0] * 10 + [3.0, 3.1, 2.9, 3.0, 3.05], ChangePointOptions(min_magnitude=10))
    assert len(found) == 1
    (cp,) = found
    assert cp.index == 10 and cp.before_mean == 0.0
    assert cp.change is None and cp.ci is None  # min_magnitude not applied either
    assert cp.p_value < 1e-6


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_values_are_rejected(bad: float) -> None:
    with pytest.raises(ValueError, match=r"series\[4\] is .*finite values"):
        detect([1.0, 1.0, 1.0, 1.0, bad, 1.0, 1.0])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_pvalue": 0.0},
        {"max_pvalue": 1.5},
        {"min_magnitude": -0.1},
        {"min_segment": 1},
        {"confirm": 0},
        {"window": 5},
        {"ci_level": 1.0},
    ],
)
def test_invalid_options(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        ChangePointOptions(**kwargs)  # type: ignore[arg-type]


def test_deterministic_pure_and_accepts_ints() -> None:
    series = [10, 11, 10, 9, 10, 11, 10, 14, 15, 14, 15, 16, 14, 15]
    first = detect(series)
    assert first == detect(tuple(series))
    assert series == [10, 11, 10, 9, 10, 11, 10, 14, 15, 14, 15, 16, 14, 15]
    assert [c.index for c in first] == [7]


def close_to(found: list[int], truth: list[int], slack: int) -> bool:
    return len(found) == len(truth) and all(
        abs(f - t) <= slack for f, t in zip(found, truth, strict=True)
    )


@pytest.mark.parametrize("seed", [13, 14, 15])
def test_window_none_agrees_on_clear_steps(seed: int) -> None:
    # +10% steps are two noise sigmas: where exactly they start is uncertain by a run or two
    series = noise(seed, 300)
    for at in (60, 150, 240):
        series[at:] *= 1.1
    assert close_to(indexes(series), [60, 150, 240], slack=2)
    assert close_to(indexes(series, ChangePointOptions(window=None)), [60, 150, 240], slack=2)


def test_thousand_points_find_their_steps() -> None:
    # its speed is benchmarks/changepoints_speed.py's to show, not a test's
    series = noise(14, 1000)
    for at in (200, 500, 800):
        series[at:] *= 1.1
    found = detect(series.tolist())
    assert close_to([c.index for c in found], [200, 500, 800], slack=2)


# --- parity with Apache Otava ------------------------------------------------------------
# Series and expected results come from Otava's own docs and tests.

OTAVA_SEQUENCE = [0.3, 2.4, 1.5, -0.9, -0.5, 99.7, 98.3, 99.1]
OTAVA_SEQUENCE += [149.0, 149.7, 149.5, 149.1, 148.8, 150.0]

OTAVA_SINGLE = [1.02, 0.95, 0.99, 1.00, 1.12, 1.00, 1.01, 0.98, 1.01, 0.96]
OTAVA_SINGLE += [0.50, 0.51, 0.48, 0.48, 0.55, 0.50, 0.49, 0.51, 0.50, 0.49]


def test_otava_csv_example() -> None:
    # Otava's CSV example (docs and its end-to-end CSV test), analysed with Otava's defaults
    # (max_pvalue 0.001, min_magnitude 0, window 50): metric2 drops by 12.9% at the 7th run
    # (index 6, commit "aaa6"); metric1 has no change point.
    metric1 = [154023, 138455, 143112, 149190, 132098, 151344, 155145, 148889, 149466, 148209]
    metric2 = [10.43, 10.23, 10.29, 10.91, 10.34, 10.69, 9.23, 9.11, 9.13, 9.03]
    assert detect(metric1) == ()
    (cp,) = detect(metric2)
    assert cp.index == 6
    assert cp.change is not None and round(cp.change * 100, 1) == -12.9
    assert (round(cp.before_mean, 2), round(cp.after_mean, 2)) == (10.48, 9.12)


def test_otava_single_series() -> None:
    # Otava's analysis test: window_len=10, max_pvalue=0.0001 -> [10]
    assert indexes(OTAVA_SINGLE, ChangePointOptions(window=10, max_pvalue=0.0001)) == [10]
    # ... and with six more runs appended -> [10, 23].  Otava ran that with window_len=5;
    # here a window must hold two minimum segments, so it runs with the default window.
    longer = [*OTAVA_SINGLE, 0.47, 0.48, 0.45, 0.01, 0.1, 0.22]
    assert indexes(longer, ChangePointOptions(max_pvalue=0.0001)) == [10, 23]


def test_otava_divisive_sequence() -> None:
    # Otava's divisive-detector test with the t-test at 0.01 -> [5, 8]
    assert indexes(OTAVA_SEQUENCE, ChangePointOptions(max_pvalue=0.01)) == [5, 8]


def test_otava_significance_tester_examples() -> None:
    flat = [1.00, 1.02, 1.05, 0.95, 0.98, 1.00, 1.02, 1.05, 0.95, 0.98]
    assert 0.99 < ttest_pvalue(flat[:5], flat[5:]) <= 1.0
    step = [1.00, 1.02, 1.05, 0.95, 0.98, 0.80, 0.82, 0.85, 0.79, 0.77]
    assert 0.0 < ttest_pvalue(step[:5], step[5:]) < 0.001


def test_energy_statistic_matches_direct_computation() -> None:
    # Otava checks its vectorised Q against a brute-force double loop; same here for the
    # incremental table, on Otava's sequence and on noise, over every stretch and (tau, kappa).
    for series in (OTAVA_SEQUENCE, noise(15, 17).tolist()):
        table = _within_table(series)
        for lo in range(len(series)):
            for hi in range(lo + 4, len(series) + 1):
                expected = _brute_force_best(series, lo, hi, 2)
                actual = _best_split(table, lo, hi, 2, 2)
                if expected is None:
                    assert actual is None
                else:
                    assert actual is not None
                    assert actual[0] == pytest.approx(expected[0], rel=1e-12)
                    assert actual[1:] == expected[1:]


def _brute_force_best(
    z: list[float], lo: int, hi: int, min_size: int
) -> tuple[float, int, int] | None:
    best: tuple[float, int, int] | None = None
    for tau in range(lo + min_size, hi - min_size + 1):
        for kappa in range(tau + min_size, hi + 1):
            x, y = np.array(z[lo:tau]), np.array(z[tau:kappa])
            n, m = len(x), len(y)
            cross = np.abs(x[:, None] - y[None, :]).sum()
            within_x = np.abs(x[:, None] - x[None, :]).sum() / 2
            within_y = np.abs(y[:, None] - y[None, :]).sum() / 2
            q = 2 / (n + m) * cross
            q -= 2 * m / ((n + m) * (n - 1)) * within_x + 2 * n / ((n + m) * (m - 1)) * within_y
            if q > 0 and (best is None or q > best[0] * (1 + 1e-12)):
                best = (float(q), tau, kappa)
    return best


def test_deliberate_difference_sample_std() -> None:
    # Otava passes the population standard deviation (ddof=0) to its t-test, which gives
    # smaller p-values than the textbook Student test used here.
    before = [10.43, 10.23, 10.29, 10.91, 10.34, 10.69]
    after = [9.23, 9.11, 9.13, 9.03]
    otava_like = stats.ttest_ind_from_stats(
        np.mean(before), np.std(before), len(before), np.mean(after), np.std(after), len(after)
    ).pvalue
    ours = ttest_pvalue(before, after)
    assert ours == pytest.approx(stats.ttest_ind(before, after).pvalue, rel=1e-9)
    assert otava_like < ours
