"""Google Benchmark JSON: repetitions are samples, aggregates are not, counters kept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aiwf_ci.ingest import parse_file, parse_text

DATA = Path(__file__).parents[2] / "data" / "ingest"
TO_SECONDS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def _rows(name: str) -> list[dict[str, Any]]:
    return json.loads((DATA / name).read_text())["benchmarks"]  # type: ignore[no-any-return]


def _aggregate(rows: list[dict[str, Any]], run: str, which: str) -> dict[str, Any]:
    (row,) = [r for r in rows if r["run_name"] == run and r.get("aggregate_name") == which]
    return row


def test_one_result_per_run_name() -> None:
    results = parse_file("google-benchmark", DATA / "google-benchmark.json")
    expected = list(dict.fromkeys(r["run_name"] for r in _rows("google-benchmark.json")))
    assert [r.name for r in results] == expected
    assert expected == ["BM_Sort/64", "BM_Sort/512", "BM_StringAppend", "BM_Fails"]


def test_repetitions_are_samples_and_aggregates_are_not() -> None:
    rows = _rows("google-benchmark.json")
    assert any(r["run_type"] == "aggregate" for r in rows)
    for result in parse_file("google-benchmark", DATA / "google-benchmark.json")[:3]:
        reps = [r for r in rows if r["run_name"] == result.name and r["run_type"] == "iteration"]
        assert len(reps) == 5
        expected = [r["real_time"] * TO_SECONDS[r["time_unit"]] for r in reps]
        duration = result.metrics["duration"]
        assert duration.samples == pytest.approx(expected, rel=1e-12)
        assert duration.unit == "s"
        # Google Benchmark's own mean/median/stddev rows agree: nothing else was mixed in.
        for stat in ("mean", "median", "stddev"):
            row = _aggregate(rows, result.name, stat)
            seconds = row["real_time"] * TO_SECONDS[row["time_unit"]]
            assert getattr(duration.stats, stat) == pytest.approx(seconds, rel=1e-9)


def test_microsecond_and_nanosecond_units_are_converted() -> None:
    results = {r.name: r for r in parse_file("google-benchmark", DATA / "google-benchmark.json")}
    rows = _rows("google-benchmark.json")
    first_us = next(r for r in rows if r["run_name"] == "BM_Sort/512")
    assert first_us["time_unit"] == "us"
    assert results["BM_Sort/512"].metrics["duration"].samples[0] == pytest.approx(
        first_us["real_time"] / 1e6
    )
    first_ns = next(r for r in rows if r["run_name"] == "BM_StringAppend")
    assert first_ns["time_unit"] == "ns"
    assert results["BM_StringAppend"].metrics["cpu_time"].samples[0] == pytest.approx(
        first_ns["cpu_time"] / 1e9
    )


def test_counters_and_their_directions() -> None:
    results = {r.name: r for r in parse_file("google-benchmark", DATA / "google-benchmark.json")}
    sort = results["BM_Sort/64"].metrics
    assert (sort["throughput_items"].unit, sort["throughput_items"].direction) == (
        "items/s",
        "higher",
    )
    assert sort["swaps_per_second"].direction == "higher"
    assert sort["elements"].direction == "lower"
    assert sort["elements"].samples == (64.0,) * 5
    append = results["BM_StringAppend"].metrics
    assert (append["throughput_bytes"].unit, append["throughput_bytes"].direction) == (
        "B/s",
        "higher",
    )
    # 64 bytes per iteration: bytes/s x s/iteration = 64 (real time vs CPU time: within 5%).
    per_iteration = append["throughput_bytes"].stats.median * append["cpu_time"].stats.median
    assert per_iteration == pytest.approx(64, rel=0.05)


def test_error_occurred_becomes_an_error_without_metrics() -> None:
    results = {r.name: r for r in parse_file("google-benchmark", DATA / "google-benchmark.json")}
    failed = results["BM_Fails"]
    assert failed.errors == ("resource unavailable",)
    assert dict(failed.metrics) == {}


def test_a_single_run_is_one_sample() -> None:
    (result,) = parse_file("google-benchmark", DATA / "google-benchmark-single.json")
    (row,) = _rows("google-benchmark-single.json")
    assert result.metrics["duration"].samples == pytest.approx([row["real_time"] * 1e-9])


def test_aggregates_only_file_gives_summary_only_metrics() -> None:
    rows = _rows("google-benchmark-aggregates.json")
    assert {r["run_type"] for r in rows} == {"aggregate"}
    results = parse_file("google-benchmark", DATA / "google-benchmark-aggregates.json")
    assert [r.name for r in results] == ["BM_Sort/64", "BM_Sort/512"]
    for result in results:
        duration = result.metrics["duration"]
        assert duration.summary_only
        for stat in ("mean", "median", "stddev"):
            row = _aggregate(rows, result.name, stat)
            assert getattr(duration.stats, stat) == pytest.approx(row["real_time"] * 1e-6)
        assert "min" in result.extra["estimated_stats"]["duration"]


def test_old_files_without_run_name_group_by_name() -> None:
    rows = [
        {"name": "BM_X", "iterations": 10, "real_time": 2.0, "cpu_time": 2.0, "time_unit": "ms"},
        {"name": "BM_X", "iterations": 10, "real_time": 4.0, "cpu_time": 4.0, "time_unit": "ms"},
        {"name": "BM_X_mean", "aggregate_name": "mean", "real_time": 3.0, "time_unit": "ms"},
    ]
    (result,) = parse_text("google-benchmark", json.dumps({"benchmarks": rows}))
    assert result.name == "BM_X"
    assert result.metrics["duration"].samples == (0.002, 0.004)


def test_skipped_rows_and_non_finite_counters_are_ignored() -> None:
    rows = [
        {"name": "BM_S", "run_name": "BM_S", "skipped": True, "skip_message": "n/a"},
        {"name": "BM_Y", "run_name": "BM_Y", "real_time": 1.0, "time_unit": "s", "odd": 1e400},
    ]
    (result,) = parse_text("google-benchmark", json.dumps({"benchmarks": rows}))
    assert result.name == "BM_Y"
    assert set(result.metrics) == {"duration"}
