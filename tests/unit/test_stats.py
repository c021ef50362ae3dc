from __future__ import annotations

import math
import random

import numpy as np
import pytest

from aiwf_ci import stats


@pytest.mark.parametrize("n", [1, 2, 3, 10, 101])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_summary_matches_numpy(n: int, seed: int) -> None:
    rng = random.Random(seed)
    samples = [rng.lognormvariate(0, 0.5) for _ in range(n)]
    arr = np.array(samples)
    summary = stats.summarize(samples)
    assert summary.min == arr.min()
    assert summary.max == arr.max()
    assert summary.mean == pytest.approx(arr.mean(), rel=1e-12)
    assert summary.median == pytest.approx(np.median(arr), rel=1e-12)
    assert summary.p95 == pytest.approx(np.percentile(arr, 95), rel=1e-12)
    assert summary.p99 == pytest.approx(np.percentile(arr, 99), rel=1e-12)
    expected_sd = arr.std(ddof=1) if n > 1 else 0.0
    assert summary.stddev == pytest.approx(expected_sd, rel=1e-9, abs=1e-15)
    iqr = np.percentile(arr, 75) - np.percentile(arr, 25)
    assert summary.iqr == pytest.approx(iqr, rel=1e-9, abs=1e-15)
    assert summary.cv == pytest.approx(expected_sd / arr.mean(), rel=1e-9, abs=1e-15)


def test_hand_computed_values() -> None:
    samples = [1.0, 2.0, 3.0, 4.0]
    # rank positions: p50 at 1.5 -> 2.5; p95 at 2.85 -> 3.85; sample sd = sqrt(5/3)
    assert stats.median(samples) == 2.5
    assert stats.percentile(samples, 95) == pytest.approx(3.85)
    assert stats.stddev(samples) == pytest.approx(math.sqrt(5 / 3))
    assert stats.iqr(samples) == pytest.approx(3.25 - 1.75)


def test_empty_and_bad_input_are_rejected() -> None:
    with pytest.raises(ValueError, match="at least one sample"):
        stats.summarize([])
    with pytest.raises(ValueError, match=r"0\.\.100"):
        stats.percentile([1.0], 101)


def test_cv_of_zero_mean_is_zero() -> None:
    assert stats.cv([-1.0, 1.0]) == 0.0


def test_percentile_of_sorted_data_is_the_percentile() -> None:
    rng = random.Random(3)
    samples = [rng.uniform(0, 10) for _ in range(101)]
    ordered = sorted(samples)
    for q in (0.0, 25.0, 50.0, 90.0, 99.0, 100.0):
        assert stats.percentile_sorted(ordered, q) == stats.percentile(samples, q)
    with pytest.raises(ValueError, match="at least one sample"):
        stats.percentile_sorted([], 50.0)
