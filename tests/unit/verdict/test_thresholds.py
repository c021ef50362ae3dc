"""Threshold rules: parsing both grammars and looking a metric's rule up."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiwf_ci.config import load_config
from aiwf_ci.metrics import family_of
from aiwf_ci.usecases import threshold_rules
from aiwf_ci.verdict.exact import exact_verdict
from aiwf_ci.verdict.thresholds import (
    DEFAULT_THRESHOLDS,
    Threshold,
    ThresholdRules,
    build_rules,
    parse_threshold,
    parse_threshold_spec,
)

FLOOR = 64 * 1024  # the default absolute minimum of memory rules


def test_spec_and_config_grammar_give_the_same_rules() -> None:
    spec = parse_threshold_spec("duration=10%, memory=25%,throughput=-10%")
    assert spec["duration"] == parse_threshold("duration", "10%")
    assert spec["memory"] == Threshold(metric="memory", relative=0.25)
    assert spec["throughput"].relative == pytest.approx(0.10)


def test_absolute_minimum_is_parsed_in_the_metric_unit() -> None:
    rule = parse_threshold("duration", {"relative": "10%", "absolute": "2ms"})
    assert rule.absolute == pytest.approx(0.002)
    assert parse_threshold("memory_peak", {"relative": "5%", "absolute": "1KiB"}).absolute == 1024


@pytest.mark.parametrize("bad", ["duration", "duration=10", "=5%", "duration=fast"])
def test_bad_spec_is_an_error_with_an_example(bad: str) -> None:
    with pytest.raises(ValueError, match="example: duration=10%"):
        parse_threshold_spec(bad)


def test_metric_family() -> None:
    assert family_of("memory_peak") == "memory"
    assert family_of("duration") == "duration"


def test_lookup_order_benchmark_then_suite_exact_then_family() -> None:
    rules = ThresholdRules(
        suite={
            "duration": Threshold(metric="duration", relative=0.2),
            "memory": Threshold(metric="memory", relative=0.3),
            "memory_uss": Threshold(metric="memory_uss", relative=0.05),
        },
        per_benchmark={"big": {"memory": Threshold(metric="memory", relative=0.5)}},
    )
    assert rules.resolve("x", "memory_peak") == Threshold(
        metric="memory", relative=0.3, absolute=FLOOR
    )
    assert rules.resolve("x", "memory_uss") == Threshold(
        metric="memory_uss", relative=0.05, absolute=FLOOR
    )
    assert rules.resolve("big", "memory_peak") == Threshold(
        metric="memory", relative=0.5, absolute=FLOOR
    )
    assert rules.resolve("big", "duration") == Threshold(metric="duration", relative=0.2)
    assert rules.resolve("x", "latency") == Threshold(metric="duration", relative=0.2)
    assert rules.resolve("x", "error_rate") is None
    assert rules.resolve("x", "cpu_time") is None


def test_build_rules_layers_defaults_config_and_overrides() -> None:
    rules = build_rules(
        {"duration": Threshold(metric="duration", relative=0.15)},
        overrides=parse_threshold_spec("memory=25%"),
    )
    assert rules.resolve("a", "duration") == Threshold(metric="duration", relative=0.15)
    assert rules.resolve("a", "memory_peak") == Threshold(
        metric="memory", relative=0.25, absolute=FLOOR
    )
    assert rules.resolve("a", "throughput") == DEFAULT_THRESHOLDS["throughput"]


def test_overrides_keep_per_benchmark_rules() -> None:
    base = build_rules(per_benchmark={"b": {"duration": Threshold(metric="duration", relative=1)}})
    rules = base.with_overrides(parse_threshold_spec("duration=5%"))
    assert rules.resolve("a", "duration") == Threshold(metric="duration", relative=0.05)
    assert rules.resolve("b", "duration") == Threshold(metric="duration", relative=1)


def test_memory_rules_get_a_64kib_floor_unless_set() -> None:
    from aiwf_ci.verdict.thresholds import build_rules, parse_threshold

    rules = build_rules({"memory": parse_threshold("memory", "30%")})
    floor = rules.resolve("b", "memory_peak")
    assert floor is not None
    assert floor.absolute == 64 * 1024
    explicit = build_rules(
        {"memory": parse_threshold("memory", {"relative": "30%", "absolute": 0})}
    )
    rule = explicit.resolve("b", "memory_gc_freed")
    assert rule is not None
    assert rule.absolute == 0
    duration = rules.resolve("b", "duration")
    assert duration is not None
    assert duration.absolute is None


@pytest.mark.parametrize(
    ("spec", "suggestion"),
    [("duraton=90%", "duration"), ("memroy=10%", "memory"), ("latncy=5%", "latency")],
)
def test_typos_in_metric_names_are_errors(spec: str, suggestion: str) -> None:
    with pytest.raises(ValueError, match=f"did you mean '{suggestion}'"):
        parse_threshold_spec(spec)


def test_custom_metric_names_are_allowed() -> None:
    assert set(parse_threshold_spec("bytes_per_op=3%,my_counter=5%,memory_peak=10%")) == {
        "bytes_per_op",
        "my_counter",
        "memory_peak",
    }


@pytest.mark.parametrize(
    ("metric", "value", "fix"),
    [("duration", 2, "2ms or 2s"), ("memory", 64, "64KiB or 64MB"), ("cpu_time", 1.5, "1.5ms")],
)
def test_a_unitless_absolute_minimum_asks_for_a_unit(metric: str, value: float, fix: str) -> None:
    """``absolute: 2`` would be 2 seconds and switch the gate off for fast benchmarks."""
    with pytest.raises(ValueError, match="give the unit") as caught:
        parse_threshold(metric, {"relative": "10%", "absolute": value})
    assert fix in str(caught.value)
    assert parse_threshold(metric, {"relative": "10%", "absolute": 0}).absolute == 0.0


def test_the_sign_of_a_rule_says_which_way_is_worse() -> None:
    """Bug: the thresholds line said ``throughput +10%`` where a drop is the regression."""
    assert Threshold(metric="throughput", relative=0.10).describe() == "throughput -10%"
    assert Threshold(metric="throughput_bytes", relative=0.05).describe() == (
        "throughput_bytes -5%"
    )
    assert Threshold(metric="duration", relative=0.2).describe() == "duration +20%"
    assert Threshold(metric="my_counter", relative=0.2).describe() == "my_counter +20%"
    line = ThresholdRules().describe()
    assert "throughput -10%" in line
    assert "duration +20%" in line


def test_an_absolute_minimum_is_read_in_the_catalogue_unit() -> None:
    assert parse_threshold("native_time", {"relative": "5%", "absolute": "2ms"}).absolute == (
        pytest.approx(0.002)
    )
    assert parse_threshold("io_read_bytes", {"relative": "5%", "absolute": "1KiB"}).absolute == (
        1024
    )
    assert parse_threshold("io", {"relative": "5%", "absolute": 3}).absolute == 3
    assert parse_threshold("error_rate", {"relative": "5%", "absolute": 0.01}).absolute == 0.01


# --- a duration rule is the tolerance for the work: instruction counts follow it ------------


def config_rules(tmp_path: Path, thresholds: str, overrides: str = "") -> ThresholdRules:
    """The rules of a real config file, as ``run``, ``ab`` and the action layer them."""
    path = tmp_path / "bench.yml"
    path.write_text(
        f"suite: s\nthresholds: {thresholds}\nbenchmarks:\n  - {{name: b, command: 'true'}}\n"
    )
    return threshold_rules(load_config(path), parse_threshold_spec(overrides) or None)


def test_a_config_stating_only_duration_sets_the_rule_for_counts(tmp_path: Path) -> None:
    """Bug: ``duration: 10%`` alone failed a +1.0% instruction change at a hidden 0.5%."""
    rules = config_rules(tmp_path, "{duration: 10%}")
    rule = rules.resolve("b", "instructions")
    assert rule is not None and rule.relative == pytest.approx(0.10)
    assert "instructions +10% (from duration)" in rules.describe()
    assert exact_verdict(0.010, "lower", rule, 1.0, 1.01) == "unchanged"
    assert exact_verdict(0.12, "lower", rule, 1.0, 1.12) == "regression"


def test_a_stated_count_rule_wins_and_the_defaults_stay_without_a_stated_duration(
    tmp_path: Path,
) -> None:
    stated = config_rules(tmp_path, "{duration: 10%, instructions: 1%}")
    assert stated.resolve("b", "instructions") == Threshold(metric="instructions", relative=0.01)
    assert "(from duration)" not in stated.describe()
    untouched = config_rules(tmp_path, "{memory: 40%}")
    assert untouched.resolve("b", "instructions") == DEFAULT_THRESHOLDS["instructions"]
    # an override of the config's stated count rule leaves it alone; of the default, not
    assert config_rules(tmp_path, "{instructions: 1%}", "duration=5%").resolve(
        "b", "instructions"
    ) == Threshold(metric="instructions", relative=0.01)
    followed = build_rules().with_overrides(parse_threshold_spec("duration=5%"))
    assert followed.resolve("b", "instructions") == Threshold(metric="instructions", relative=0.05)


def test_a_benchmark_s_own_duration_rule_sets_its_counts_without_the_absolute() -> None:
    own = {"b": {"duration": parse_threshold("duration", {"relative": "3%", "absolute": "2ms"})}}
    rules = build_rules(per_benchmark=own)
    assert rules.resolve("b", "instructions") == Threshold(metric="instructions", relative=0.03)
    assert rules.resolve("other", "instructions") == DEFAULT_THRESHOLDS["instructions"]
    suite_counts = {"instructions": parse_threshold("instructions", "1%")}
    assert (
        build_rules(suite_counts, own).resolve("b", "instructions") == suite_counts["instructions"]
    )


def test_an_absolute_minimum_is_described_in_its_unit() -> None:
    rule = parse_threshold("memory", {"relative": "10%", "absolute": "64KiB"})
    assert rule.describe() == "memory +10% (min 64.0 KiB)"
