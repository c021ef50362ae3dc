"""Threshold rules as JSON: recorded in results.json so a replay judges by the run's rules,
read back as they were (where each rule came from included), untrusted input read safely."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiwf_ci.models import BenchmarkResult, Metric, Results, load_results, write_results
from aiwf_ci.verdict.rules_json import (
    other_rules_note,
    record_rules,
    recorded_rules,
    rules_from_dict,
    rules_to_dict,
)
from aiwf_ci.verdict.thresholds import build_rules, parse_threshold, parse_threshold_spec


def results() -> Results:
    metric = Metric.from_samples([1.0, 1.1, 1.2], unit="s")
    return Results(suite="s", benchmarks=(BenchmarkResult(name="b", kind="command",
                                                           metrics={"duration": metric}),))  # fmt: skip


def test_recorded_rules_come_back_from_a_results_file(tmp_path: Path) -> None:
    rules = build_rules(
        {"duration": parse_threshold("duration", "10%")},
        {"slow": {"memory": parse_threshold("memory", "50%")}},
        ignore=["flaky-*"],
    )
    path = write_results(record_rules(results(), rules), tmp_path / "results.json")
    back = recorded_rules(load_results(path))
    assert back == rules
    assert back is not None and back.describe() == rules.describe()
    assert "instructions +10% (from duration)" in back.describe()
    assert recorded_rules(results()) is None  # older files, imported results: nothing recorded


@pytest.mark.parametrize("source", ["../../etc", ["duration"], 3])
def test_an_unknown_source_reads_as_stated(source: object) -> None:
    data = {"suite": {"instructions": {"relative": 0.02, "absolute": None, "source": source}}}
    rule = rules_from_dict(data).resolve("b", "instructions")
    assert rule is not None and rule.stated and rule.relative == pytest.approx(0.02)


def test_a_baseline_judged_by_other_rules_is_said() -> None:
    used = build_rules(overrides=parse_threshold_spec("duration=10%"))
    same = record_rules(results(), used)
    other = record_rules(results(), build_rules())
    assert other_rules_note(same, used, "recorded in the head results") == ""
    assert other_rules_note(results(), used, "x") == ""  # nothing recorded: nothing to say
    note = other_rules_note(other, used, "recorded in the head results")
    assert "other thresholds (duration +20%" in note
    assert note.endswith("than this comparison (recorded in the head results)")
    assert rules_to_dict(used)["suite"]["instructions"]["source"] == "duration"
