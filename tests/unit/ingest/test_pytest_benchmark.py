"""pytest-benchmark JSON: raw samples from stats.data, summary-only stats without it."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

from aiwf_ci.ingest import parse_file

DATA = Path(__file__).parents[2] / "data" / "ingest"


def _raw(name: str) -> list[dict[str, object]]:
    return json.loads((DATA / name).read_text())["benchmarks"]  # type: ignore[no-any-return]


def test_every_benchmark_is_read_by_fullname() -> None:
    results = parse_file("pytest-benchmark", DATA / "pytest-benchmark-data.json")
    raw = _raw("pytest-benchmark-data.json")
    assert [r.name for r in results] == [b["fullname"] for b in raw]
    assert len(results) >= 4
    assert "test_pb.py::test_sum_range[1000]" in {r.name for r in results}
    assert all(r.kind == "ingest" and r.extra["format"] == "pytest-benchmark" for r in results)


def test_saved_data_become_raw_samples_in_seconds() -> None:
    results = parse_file("pytest-benchmark", DATA / "pytest-benchmark-data.json")
    for result, raw in zip(results, _raw("pytest-benchmark-data.json"), strict=True):
        stats = raw["stats"]
        assert isinstance(stats, dict)
        duration = result.metrics["duration"]
        assert not duration.summary_only
        assert duration.unit == "s"
        assert duration.direction == "lower"
        assert list(duration.samples) == stats["data"]
        assert len(duration.samples) == stats["rounds"]
        # pytest-benchmark's own statistics over the same rounds agree with ours.
        assert duration.stats.mean == pytest.approx(stats["mean"], rel=1e-9)
        assert duration.stats.median == pytest.approx(stats["median"], rel=1e-9)
        assert duration.stats.stddev == pytest.approx(stats["stddev"], rel=1e-9)
        assert duration.stats.min == stats["min"]
        assert duration.stats.max == stats["max"]


def test_per_iteration_times_are_not_multiplied_by_iterations() -> None:
    results = parse_file("pytest-benchmark", DATA / "pytest-benchmark-data.json")
    by_name = {r.name: r for r in results}
    joined = by_name["test_pb.py::test_join_strings"]
    assert joined.extra["iterations"] == 4
    assert joined.extra["rounds"] == 8
    # A 500-item join takes microseconds per call, never the milliseconds of a whole round.
    assert 1e-7 < joined.metrics["duration"].stats.median < 1e-4


def test_without_saved_data_the_metric_is_summary_only() -> None:
    results = parse_file("pytest-benchmark", DATA / "pytest-benchmark.json")
    for result, raw in zip(results, _raw("pytest-benchmark.json"), strict=True):
        stats = raw["stats"]
        assert isinstance(stats, dict)
        assert "data" not in stats
        duration = result.metrics["duration"]
        assert duration.summary_only
        assert duration.samples == ()
        for key in ("min", "max", "mean", "median", "stddev", "iqr"):
            assert getattr(duration.stats, key) == stats[key]
        assert duration.stats.cv == pytest.approx(stats["stddev"] / stats["mean"])
        assert duration.stats.p95 == duration.stats.p99 == stats["max"]
        assert result.extra["estimated_stats"] == {"duration": ["p95", "p99"]}


def test_parameters_are_kept_in_extra() -> None:
    results = parse_file("pytest-benchmark", DATA / "pytest-benchmark.json")
    params = {r.name: r.extra["params"] for r in results}
    assert params["test_pb.py::test_sum_range[10]"] == {"size": 10}
    assert params["test_pb.py::test_fib_15"] is None


def test_stats_are_consistent_with_the_raw_rounds() -> None:
    """Independent of pytest-benchmark: the statistics module over the same data."""
    results = parse_file("pytest-benchmark", DATA / "pytest-benchmark-data.json")
    for result, raw in zip(results, _raw("pytest-benchmark-data.json"), strict=True):
        data = raw["stats"]["data"]  # type: ignore[index]
        assert result.metrics["duration"].stats.median == pytest.approx(statistics.median(data))
