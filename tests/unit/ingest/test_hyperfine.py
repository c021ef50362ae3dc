"""hyperfine --export-json: times as samples, single runs, failing commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiwf_ci.ingest import parse_file, parse_text

DATA = Path(__file__).parents[2] / "data" / "ingest"


def _raw(name: str) -> list[dict[str, object]]:
    return json.loads((DATA / name).read_text())["results"]  # type: ignore[no-any-return]


def test_one_result_per_command_with_times_as_samples() -> None:
    results = parse_file("hyperfine", DATA / "hyperfine.json")
    raw = _raw("hyperfine.json")
    assert [r.name for r in results] == ["sleep-5ms", "true", "seq 1 20000"]
    for result, command in zip(results, raw, strict=True):
        duration = result.metrics["duration"]
        assert (duration.unit, duration.direction, duration.summary_only) == ("s", "lower", False)
        assert list(duration.samples) == command["times"]
        assert duration.stats.mean == pytest.approx(command["mean"], rel=1e-9)
        assert duration.stats.median == pytest.approx(command["median"], rel=1e-9)
        assert duration.stats.stddev == pytest.approx(command["stddev"], rel=1e-9)
        assert result.extra["user_mean"] == command["user"]
        assert result.errors == ()


def test_the_sleep_command_measures_about_its_sleep() -> None:
    results = {r.name: r for r in parse_file("hyperfine", DATA / "hyperfine.json")}
    assert 0.005 <= results["sleep-5ms"].metrics["duration"].stats.min < 0.05


def test_a_single_run_has_null_stddev_and_one_sample() -> None:
    raw = _raw("hyperfine-single.json")[0]
    assert raw["stddev"] is None
    (result,) = parse_file("hyperfine", DATA / "hyperfine-single.json")
    duration = result.metrics["duration"]
    assert duration.samples == (raw["mean"],)
    assert duration.stats.stddev == 0.0
    assert duration.stats.cv == 0.0


def test_non_zero_exit_codes_are_errors() -> None:
    (result,) = parse_file("hyperfine", DATA / "hyperfine-failing.json")
    assert result.failed
    assert result.errors == ("the command failed in 3 of 3 runs (exit codes: 1)",)
    assert len(result.metrics["duration"].samples) == 3


def test_a_signal_is_a_null_exit_code() -> None:
    text = json.dumps({"results": [{"command": "x", "times": [0.1, 0.2], "exit_codes": [0, None]}]})
    (result,) = parse_text("hyperfine", text)
    assert result.errors == ("the command failed in 1 of 2 runs (exit codes: signal)",)


def test_without_times_the_summary_is_used() -> None:
    row = {"command": "old", "mean": 2.0, "stddev": None, "median": 1.5, "min": 1.0, "max": 3.0}
    (result,) = parse_text("hyperfine", json.dumps({"results": [row]}))
    duration = result.metrics["duration"]
    assert duration.summary_only
    assert (duration.stats.mean, duration.stats.median, duration.stats.stddev) == (2.0, 1.5, 0.0)
    assert (duration.stats.min, duration.stats.max) == (1.0, 3.0)


def test_duplicate_commands_get_unique_names() -> None:
    row = {"command": "same", "times": [0.1, 0.2]}
    results = parse_text("hyperfine", json.dumps({"results": [row, row, row]}))
    assert [r.name for r in results] == ["same", "same #2", "same #3"]
