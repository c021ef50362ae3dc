"""The leak rule's maths against reference implementations and hand-made series."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from scipy import stats

from aiwf_ci.bench.memory.leak import (
    LinearTrend,
    assess_leak,
    assess_memory,
    linear_trend,
    warmup_iterations,
)

MB = 1_000_000


@pytest.mark.parametrize("seed", range(5))
def test_linear_trend_matches_scipy_linregress(seed: int) -> None:
    rng = random.Random(seed)
    values = [30 * MB + 12_345 * i + rng.gauss(0, 50_000) for i in range(rng.randint(3, 40))]
    ours = linear_trend(values)
    ref = stats.linregress(range(len(values)), values)
    slope, intercept = np.polyfit(range(len(values)), values, 1)
    assert ours.slope == pytest.approx(ref.slope, rel=1e-9)
    assert ours.slope == pytest.approx(slope, rel=1e-6)
    assert ours.intercept == pytest.approx(intercept, rel=1e-9)
    assert ours.stderr == pytest.approx(ref.stderr, rel=1e-6)


def test_linear_trend_edge_cases() -> None:
    assert linear_trend([5.0, 7.0]).stderr == math.inf
    flat = linear_trend([3.0] * 6)
    assert (flat.slope, flat.stderr, flat.t_stat) == (0.0, 0.0, 0.0)
    assert linear_trend([1.0, 2.0, 3.0, 4.0]).t_stat == math.inf
    assert LinearTrend(slope=-1.0, intercept=0.0, stderr=0.0, n=4).t_stat == -math.inf
    with pytest.raises(ValueError, match="at least 2"):
        linear_trend([1.0])


def test_a_steady_leak_is_suspected() -> None:
    values = [20 * MB + MB * i + (i % 3) * 4096 for i in range(8)]
    result = assess_leak(values, threshold=0.05)
    assert result.suspected
    assert result.growth == pytest.approx(7 * MB / (20 * MB), rel=0.01)
    assert result.trend is not None
    assert result.trend.slope == pytest.approx(MB, rel=0.01)
    assert "grew" in result.reason


def test_noise_without_trend_is_not_a_leak() -> None:
    rng = random.Random(1)
    for _ in range(200):
        values = [25 * MB + rng.gauss(0, 200_000) for _ in range(18)]
        assert not assess_leak(values, threshold=0.05).suspected


def test_small_growth_is_within_the_threshold() -> None:
    values = [100 * MB + 100_000 * i for i in range(18)]  # 1.7% over the window
    result = assess_leak(values, threshold=0.05)
    assert not result.suspected
    assert "within the 5% threshold" in result.reason


def test_a_one_off_step_is_not_a_leak() -> None:
    values = [20 * MB] * 9 + [24 * MB] * 9  # a cache filled once, mid-window
    result = assess_leak(values, threshold=0.05)
    assert not result.suspected
    assert "second half" in result.reason or "not significant" in result.reason


def test_an_insignificant_trend_is_not_a_leak() -> None:
    values = [20 * MB, 26 * MB, 19 * MB, 27 * MB, 20 * MB, 26 * MB]
    result = assess_leak(values, threshold=0.05)
    assert not result.suspected
    assert "not significant" in result.reason


def test_short_window_is_not_judged() -> None:
    result = assess_leak([1.0, 2.0, 3.0, 4.0], threshold=0.05)
    assert not result.suspected
    assert "too short" in result.reason


def test_details_are_json_safe() -> None:
    details = assess_leak([float(MB * (i + 10)) for i in range(6)], threshold=0.05).details()
    assert details["t_stat"] is None  # a perfect line: infinite t becomes None
    assert details["suspected"] is True
    assert all(not isinstance(v, float) or math.isfinite(v) for v in details.values())


def test_traced_heap_growth_counts_against_the_rss_base() -> None:
    rss = [40 * MB] * 10  # the allocator hides it from RSS (e.g. calloc'd pages)
    traced = [MB * i for i in range(10)]
    result = assess_memory(rss, traced, threshold=0.05)
    assert result.suspected
    assert result.signal == "traced"
    assert result.base == pytest.approx(40 * MB)
    small = assess_memory(rss, [100.0 * i for i in range(10)], threshold=0.05)
    assert not small.suspected  # 100 bytes per call is no 5% of 40 MB
    assert small.signal == "rss"


@pytest.mark.parametrize(("iterations", "skip"), [(3, 0), (4, 1), (10, 2), (100, 2)])
def test_warmup_iterations(iterations: int, skip: int) -> None:
    assert warmup_iterations(iterations) == skip
