"""Threshold rules: parsing both grammars and looking a metric's rule up."""

from __future__ import annotations

import pytest

from aiwf_ci.errors import ConfigError
from aiwf_ci.verdict.thresholds import (
    DEFAULT_THRESHOLDS,
    Threshold,
    ThresholdRules,
    build_rules,
    metric_family,
    parse_threshold,
    parse_threshold_spec,
    rules_from_spec,
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
def test_bad_spec_is_a_config_error_with_an_example(bad: str) -> None:
    with pytest.raises(ConfigError, match="example: duration=10%"):
        rules_from_spec(bad)


def test_metric_family() -> None:
    assert metric_family("memory_peak") == "memory"
    assert metric_family("duration") == "duration"


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


def test_rules_from_spec_keeps_per_benchmark_rules() -> None:
    base = build_rules(per_benchmark={"b": {"duration": Threshold(metric="duration", relative=1)}})
    rules = rules_from_spec("duration=5%", base=base)
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
