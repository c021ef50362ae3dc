"""``aiwf_ci.verdict.reach``: the spread, the smallest detectable change (checked against the
stopping rule itself, seeded), the round counts, and the warnings of a threshold below the
noise floor."""

from __future__ import annotations

import pytest

from aiwf_ci.models.calibration import BenchmarkCalibration, Calibration, MetricCalibration
from aiwf_ci.verdict.design import SequentialDesign
from aiwf_ci.verdict.reach import (
    below_floor,
    reach,
    rounds_to_show,
    rounds_to_unchanged,
    simulated_detection,
    smallest_detectable,
    spread,
)
from aiwf_ci.verdict.thresholds import Threshold, build_rules

DESIGN = SequentialDesign()


def test_spread_is_the_mad_times_1_4826_and_ignores_one_burst() -> None:
    values = [0.0, 0.01, -0.01, 0.02, -0.02, 0.0, 5.0]  # one round hit by a burst
    assert spread(values) == pytest.approx(1.4826 * 0.01)
    assert spread([0.3]) == 0.0


@pytest.mark.parametrize(("sigma", "threshold", "rounds"), [(0.05, 0.05, 20), (0.1, 0.05, 30)])
def test_the_predicted_change_is_found_about_90_percent_of_the_time_by_the_rule(
    sigma: float, threshold: float, rounds: int
) -> None:
    predicted = smallest_detectable(sigma, threshold, DESIGN, rounds)
    assert predicted is not None and predicted > threshold

    def found(change: float) -> float:
        return simulated_detection(
            change, sigma, threshold=threshold, design=DESIGN, rounds=rounds, draws=300, seed=5
        )

    assert 0.84 <= found(predicted) <= 0.97  # 300 draws: about +-2% around the 90% aimed at
    assert found(0.5 * predicted) < 0.2
    assert found(2.0 * predicted) > 0.97


def test_more_noise_or_fewer_rounds_detect_only_larger_changes() -> None:
    quiet = smallest_detectable(0.02, 0.05, DESIGN, 40)
    noisy = smallest_detectable(0.2, 0.05, DESIGN, 40)
    short = smallest_detectable(0.2, 0.05, DESIGN, 16)
    assert quiet is not None and noisy is not None and short is not None
    assert quiet < noisy < short


def test_no_noise_detects_just_beyond_the_threshold_and_the_floor_is_zero() -> None:
    figures = reach(0.0, 0.05, DESIGN, 20)
    assert figures.detectable == pytest.approx(0.05)
    assert figures.noise_floor == pytest.approx(0.0)


def test_too_few_rounds_can_show_nothing() -> None:
    assert smallest_detectable(0.01, 0.05, DESIGN, 6) is None  # the exact test needs 8
    assert smallest_detectable(0.01, 0.05, DESIGN, 7) is None  # looks at even counts only
    assert smallest_detectable(0.01, 0.05, DESIGN, 8) is not None


def test_the_figure_is_the_same_for_the_same_seed() -> None:
    assert smallest_detectable(0.07, 0.05, DESIGN, 24) == smallest_detectable(
        0.07, 0.05, DESIGN, 24
    )


def test_rounds_grow_with_the_noise_and_stop_at_the_design() -> None:
    assert rounds_to_unchanged(0.01, 0.05, DESIGN) == 12  # the first beta look
    quiet, noisy = rounds_to_show(0.1, 0.02, 0.05, DESIGN), rounds_to_show(0.1, 0.1, 0.05, DESIGN)
    assert quiet is not None and noisy is not None and quiet < noisy
    assert rounds_to_unchanged(1.0, 0.05, DESIGN) is None  # never within 100 rounds
    assert rounds_to_unchanged(0.01, 0.0, DESIGN) is None  # nothing is "within" 0


def calibration(floor: float | None, threshold: float = 0.05) -> Calibration:
    metric = MetricCalibration(
        metric="cpu_time",
        threshold=threshold,
        rounds=40,
        spread=0.03,
        lag1=0.0,
        verdict="unchanged",
        change=0.001,
        detectable=None if floor is None else floor + threshold,
        noise_floor=floor,
        rounds_unchanged=12,
        rounds_twice=16,
    )
    bench = BenchmarkCalibration(name="parse-json", seconds_per_round=1.0, metrics=(metric,))
    return Calibration(
        suite="s",
        time_budget=180.0,
        budget_rounds=40,
        rounds=40,
        seconds=170.0,
        design={},
        environment={},
        benchmarks=(bench,),
    )


def test_a_threshold_below_the_noise_floor_is_warned_about_once() -> None:
    rules = build_rules({"duration": Threshold(metric="duration", relative=0.02)})
    (warning,) = below_floor(calibration(0.04), rules)
    assert warning.startswith("parse-json cpu_time: threshold 2.0% is below what this runner")
    assert "≈4.0%" in warning and "40 rounds" in warning
    assert below_floor(calibration(0.01), rules) == ()  # the runner can show 2%
    looser = build_rules({"duration": Threshold(metric="duration", relative=0.05)})
    assert below_floor(calibration(0.04), looser) == ()
    (none,) = below_floor(calibration(None), rules)  # a budget too short for anything
    assert "no change at all" in none


def test_an_ignored_benchmark_gets_no_warning() -> None:
    rules = build_rules(
        {"duration": Threshold(metric="duration", relative=0.02)}, ignore=["parse*"]
    )
    assert below_floor(calibration(0.04), rules) == ()
