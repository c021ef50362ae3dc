"""Groups in timings (aiwf_ci.verdict.modes): seeded simulations of unimodal data that must
rarely be called bimodal, of two or three groups that must be found, the min_separation
merge, the edge cases, and the binned kernel estimate checked against scipy."""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable

import numpy as np
import pytest
from scipy import stats as sps

from aiwf_ci.verdict import modes
from aiwf_ci.verdict.modes import MIN_VALUES, Group, Peaks, find_peaks

Draw = Callable[[random.Random], float]
DRAWS = 200


# --- unimodal data: false positives --------------------------------------------------------


def _log_normal(sd: float) -> Draw:
    return lambda rng: math.exp(rng.gauss(0.0, sd))


def _lognormal_tail(rng: random.Random) -> float:
    """A 5% median overhead with a lognormal (sigma = 1) heavy right tail."""
    return 1.0 + math.exp(rng.gauss(math.log(0.05), 1.0))


def _student_t3(rng: random.Random) -> float:
    """Student-t with 3 degrees of freedom, scale 5% on the log scale."""
    chi2 = sum(rng.gauss(0.0, 1.0) ** 2 for _ in range(3))
    return math.exp(0.05 * rng.gauss(0.0, 1.0) / math.sqrt(chi2 / 3.0))


def _busy_machine(share: float) -> Draw:
    """Mostly at 1.0 (0.5% noise); ``share`` of the rounds slowed by an exponential
    amount (mean 5%), like a neighbour process stealing the CPU now and then."""

    def draw(rng: random.Random) -> float:
        value = math.exp(rng.gauss(0.0, 0.005))
        if rng.random() < share:
            value *= 1.0 + rng.expovariate(1.0 / 0.05)
        return value

    return draw


UNIMODAL: dict[str, Draw] = {
    "normal-1%": _log_normal(0.01),
    "normal-5%": _log_normal(0.05),
    "normal-20%": _log_normal(0.20),
    "lognormal-tail": _lognormal_tail,
    "student-t3": _student_t3,
    "busy-10%": _busy_machine(0.10),
    "busy-30%": _busy_machine(0.30),
}


@pytest.mark.parametrize("n", [11, 20, 40, 100])
@pytest.mark.parametrize("name", list(UNIMODAL))
def test_unimodal_data_is_rarely_called_bimodal(name: str, n: int) -> None:
    rng = random.Random(f"unimodal {name} {n}")
    draw = UNIMODAL[name]
    calls = sum(find_peaks([draw(rng) for _ in range(n)]).bimodal for _ in range(DRAWS))
    assert calls <= 2, f"{name}, n={n}: {calls} of {DRAWS} draws called bimodal"


def test_a_single_outlier_or_a_small_cluster_is_not_a_group() -> None:
    rng = random.Random("outliers")
    core = [math.exp(rng.gauss(0.0, 0.01)) for _ in range(95)]
    assert find_peaks([*core, 3.0]).count == 1
    # 5 of 100 values (under 10%) far away: too few to be reported as a group
    assert find_peaks([*core, 2.0, 2.01, 2.02, 2.03, 2.04]).count == 1


# --- two and three groups: detection -------------------------------------------------------


def _groups(rng: random.Random, centres: list[float], counts: list[int]) -> list[list[float]]:
    """``counts[i]`` values around ``centres[i]``, 2% sd on the log scale."""
    return [
        [c * math.exp(rng.gauss(0.0, 0.02)) for _ in range(k)]
        for c, k in zip(centres, counts, strict=True)
    ]


def _mixed(groups: list[list[float]], rng: random.Random) -> list[float]:
    values = [v for group in groups for v in group]
    rng.shuffle(values)
    return values


@pytest.mark.parametrize("share", [0.3, 0.5, 0.7])
@pytest.mark.parametrize("n", [20, 40])
def test_two_groups_twenty_percent_apart_are_found(share: float, n: int) -> None:
    """Found in >= 95% of draws; when found, exactly the generated groups come back (so
    each centre is its group's sample median, within 3% of the true centre but for the
    sampling error of a median of 6 values)."""
    rng = random.Random(f"two groups {share} {n}")
    first = round(share * n)
    found = near = 0
    for _ in range(DRAWS):
        groups = _groups(rng, [1.0, 1.2], [first, n - first])
        peaks = find_peaks(_mixed(groups, rng))
        if not peaks.bimodal:
            continue
        found += 1
        low, high = peaks.groups  # exactly two
        assert (low.count, high.count) == (first, n - first)
        assert (low.centre, high.centre) == (
            statistics.median(groups[0]),
            statistics.median(groups[1]),
        )
        assert (low.low, low.high) == (min(groups[0]), max(groups[0]))
        near += math.isclose(low.centre, 1.0, rel_tol=0.03) and math.isclose(
            high.centre, 1.2, rel_tol=0.03
        )
    assert found >= 0.95 * DRAWS, f"share {share}, n={n}: found in {found} of {DRAWS}"
    assert near >= 0.99 * found


def test_three_groups_are_at_least_two() -> None:
    rng = random.Random("three groups")
    counts = [
        find_peaks(_mixed(_groups(rng, [1.0, 1.2, 1.44], [20, 20, 20]), rng)).count
        for _ in range(DRAWS)
    ]
    assert sum(c >= 2 for c in counts) >= 0.95 * DRAWS
    assert max(counts) == 3
    assert sum(c == 3 for c in counts) >= 0.25 * DRAWS


def test_three_clear_groups_are_three() -> None:
    rng = random.Random("three clear groups")
    peaks = find_peaks(_mixed(_groups(rng, [1.0, 1.5, 2.25], [30, 30, 30]), rng))
    assert [g.centre for g in peaks.groups] == pytest.approx([1.0, 1.5, 2.25], rel=0.03)
    assert [g.count for g in peaks.groups] == [30, 30, 30]


def test_groups_are_sorted_and_hold_every_value() -> None:
    rng = random.Random("sorted")
    values = _mixed(_groups(rng, [1.3, 1.0], [15, 25]), rng)
    peaks = find_peaks(values)
    assert peaks.count == 2
    assert [g.count for g in peaks.groups] == [25, 15]
    assert sum(g.count for g in peaks.groups) == len(values)
    for g in peaks.groups:
        assert g.low <= g.centre <= g.high
    assert peaks.groups[0].high < peaks.groups[1].low
    assert min(values) == peaks.groups[0].low
    assert max(values) == peaks.groups[1].high


def test_scaling_all_values_changes_nothing_but_the_numbers() -> None:
    rng = random.Random("scale")
    values = _mixed(_groups(rng, [1.0, 1.2], [12, 18]), rng)
    peaks = find_peaks(values)
    scaled = find_peaks([v * 1e-6 for v in values])
    assert [g.count for g in scaled.groups] == [g.count for g in peaks.groups]
    for g, s in zip(peaks.groups, scaled.groups, strict=True):
        assert s.centre == pytest.approx(g.centre * 1e-6)


# --- min_separation ------------------------------------------------------------------------


def _four_percent_apart() -> list[float]:
    rng = random.Random("four percent")
    return [c * math.exp(rng.gauss(0.0, 0.002)) for c in (1.0, 1.04) for _ in range(20)]


def test_min_separation_merges_groups_closer_than_it() -> None:
    values = _four_percent_apart()
    assert find_peaks(values).count == 2
    assert find_peaks(values, min_separation=0.03).count == 2
    merged = find_peaks(values, min_separation=0.05)
    assert merged.count == 1
    assert merged.groups[0].count == 40
    assert (merged.groups[0].low, merged.groups[0].high) == (min(values), max(values))


def test_min_separation_merges_only_the_close_pair() -> None:
    rng = random.Random("close pair")
    values = [c * math.exp(rng.gauss(0.0, 0.002)) for c in (1.0, 1.15, 1.4) for _ in range(50)]
    assert find_peaks(values).count == 3
    # 15% apart, then 22%: only the first pair is closer than 18%
    assert [g.count for g in find_peaks(values, min_separation=0.18).groups] == [100, 50]
    # the merged group's centre is its median (about 1.07): 1.4 is 30% above it
    assert find_peaks(values, min_separation=0.25).count == 2
    assert find_peaks(values, min_separation=0.35).count == 1


# --- edge cases ----------------------------------------------------------------------------


def test_too_few_values_are_one_group() -> None:
    values = [1.0, 1.0, 1.01, 1.0, 2.0, 2.0, 2.01, 2.0, 2.0][: MIN_VALUES - 1]
    peaks = find_peaks(values)
    assert peaks.count == 1
    assert not peaks.bimodal
    assert peaks.groups[0] == Group(
        centre=sorted(values)[len(values) // 2], low=1.0, high=2.01, count=len(values)
    )
    assert find_peaks([5.0]).groups == (Group(centre=5.0, low=5.0, high=5.0, count=1),)


def test_enough_values_of_the_same_shape_are_two_groups() -> None:
    values = [1.0, 1.0, 1.01, 1.0, 1.02, 2.0, 2.0, 2.01, 2.0, 2.02]
    assert len(values) == MIN_VALUES
    assert find_peaks(values).count == 2


def test_equal_values_are_one_group() -> None:
    assert find_peaks([0.25] * 50).groups == (Group(centre=0.25, low=0.25, high=0.25, count=50),)


def test_values_differing_only_by_rounding_are_one_group() -> None:
    for value in (1.0, 5.0, 3e-9, 4e6):
        values = [value] * 10 + [math.nextafter(value, math.inf)] * 10
        assert find_peaks(values).count == 1


def test_tiny_and_huge_timings_work_alike() -> None:
    rng = random.Random("units")
    values = _mixed(_groups(rng, [1.0, 1.2], [20, 20]), rng)
    for unit in (1e-9, 1e-3, 1e6):
        assert [g.count for g in find_peaks([v * unit for v in values]).groups] == [20, 20]


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf, -math.inf])
def test_bad_values_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="positive and finite"):
        find_peaks([1.0] * 20 + [bad])


def test_no_values_or_a_bad_separation_are_refused() -> None:
    with pytest.raises(ValueError, match="no values"):
        find_peaks([])
    for bad in (-0.01, math.nan, math.inf):
        with pytest.raises(ValueError, match="min_separation"):
            find_peaks([1.0] * 20, min_separation=bad)


def test_describe() -> None:
    peaks = Peaks(
        groups=(
            Group(centre=0.0201, low=0.0198, high=0.0206, count=31),
            Group(centre=0.031, low=0.0302, high=0.0325, count=19),
        )
    )
    assert peaks.count == 2
    assert peaks.bimodal
    assert peaks.describe(lambda s: f"{s * 1000:.1f} ms") == (
        "2 groups: 62% around 20.1 ms (19.8–20.6), 38% around 31.0 ms (30.2–32.5)"
    )
    assert peaks.describe() == (
        "2 groups: 62% around 0.0201 (0.0198–0.0206), 38% around 0.031 (0.0302–0.0325)"
    )
    assert peaks.describe(lambda s: f"{s * 1e3:.3g}e-3 s") == (
        "2 groups: 62% around 20.1e-3 s (19.8e-3–20.6e-3), 38% around 31e-3 s (30.2e-3–32.5e-3)"
    )


def test_describe_found_groups() -> None:
    rng = random.Random("describe")
    groups = _groups(rng, [0.010, 0.012], [30, 20])
    text = find_peaks(_mixed(groups, rng)).describe(lambda s: f"{s * 1000:.2f} ms")
    ms = [[f"{1000 * f(g):.2f}" for f in (statistics.median, min, max)] for g in groups]
    assert text == (
        f"2 groups: 60% around {ms[0][0]} ms ({ms[0][1]}–{ms[0][2]}), "
        f"40% around {ms[1][0]} ms ({ms[1][1]}–{ms[1][2]})"
    )
    assert find_peaks([1.234567] * 12).describe() == "1 group: 100% around 1.235 (1.235–1.235)"
    assert Peaks(groups=()).describe() == "0 groups"


# --- the kernel estimate itself ------------------------------------------------------------


def test_binned_density_matches_scipy(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the adaptive widths pinned to 1, the grid density is scipy's Gaussian KDE
    (up to the linear binning error) at the same bandwidth."""
    monkeypatch.setattr(modes, "LAMBDA_MIN", 1.0)
    monkeypatch.setattr(modes, "LAMBDA_MAX", 1.0)
    rng = random.Random("scipy")
    logs = sorted(math.log(v) for v in _mixed(_groups(rng, [1.0, 1.2], [40, 60]), rng))
    h = modes._bandwidth(logs)
    assert h == pytest.approx(0.75 * np.std(logs, ddof=1) * len(logs) ** -0.2)
    origin, step, density = modes._density(logs, h)
    grid = origin + step * np.arange(len(density))
    kde = sps.gaussian_kde(logs, bw_method=h / np.std(logs, ddof=1))
    ours = np.asarray(density) / (len(logs) * step * math.sqrt(2.0 * math.pi))
    np.testing.assert_allclose(ours, kde(grid), rtol=0, atol=0.01 * kde(grid).max())
