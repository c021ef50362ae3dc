"""Harness files that are wrong in ways a parser can miss: negative measurements (all four
formats), summaries that contradict themselves, duplicate names, a go-test file cut in the
middle of a unit, more benchmarks than the limit, JSON that would decode to gigabytes. Each is
an ``IngestError`` naming the file, the entry and the problem, or a clean result."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aiwf_ci.errors import IngestError
from aiwf_ci.ingest import parse_text
from aiwf_ci.ingest.common import JSON_BUDGET, MAX_BENCHMARKS, dedupe_names, ingested


def pytest_benchmark(*stats: dict[str, Any], names: list[str] | None = None) -> str:
    names = names or [f"t.py::test_{i}" for i in range(len(stats))]
    rows = [{"fullname": n, "stats": s} for n, s in zip(names, stats, strict=True)]
    return json.dumps({"benchmarks": rows})


def hyperfine(*rows: dict[str, Any]) -> str:
    return json.dumps({"results": [{"command": f"c{i}", **r} for i, r in enumerate(rows)]})


def google(*rows: dict[str, Any]) -> str:
    base = {"name": "BM_A", "run_name": "BM_A", "run_type": "iteration", "time_unit": "ns"}
    return json.dumps({"benchmarks": [{**base, "real_time": 5.0, **r} for r in rows]})


SUMMARY = {"min": 1.0, "max": 3.0, "mean": 2.0, "median": 2.0, "stddev": 0.5}

REFUSED = {
    # name: (format, text, what the message says after "x.json: ")
    "pytest-benchmark-negative-sample": (
        "pytest-benchmark",
        pytest_benchmark({"data": [0.0105, -0.0105]}),
        "benchmarks[0].stats.data: negative value -0.0105",
    ),
    "pytest-benchmark-negative-summary": (
        "pytest-benchmark",
        pytest_benchmark({**SUMMARY, "min": -1.0}),
        "benchmarks[0].stats: negative min -1",
    ),
    "pytest-benchmark-min-above-max": (
        "pytest-benchmark",
        pytest_benchmark({**SUMMARY, "min": 5.0, "max": 1.0, "mean": 3.0, "median": 3.0}),
        "benchmarks[0].stats: min 5 is larger than max 1",
    ),
    "pytest-benchmark-mean-outside": (
        "pytest-benchmark",
        pytest_benchmark({**SUMMARY, "mean": 9.0}),
        "benchmarks[0].stats: mean 9 lies outside min 1 .. max 3",
    ),
    "pytest-benchmark-negative-stddev": (
        "pytest-benchmark",
        pytest_benchmark({**SUMMARY, "stddev": -0.5}),
        "benchmarks[0].stats: negative stddev -0.5",
    ),
    "pytest-benchmark-duplicate-name": (
        "pytest-benchmark",
        pytest_benchmark({"data": [1.0]}, {"data": [2.0]}, names=["t.py::a", "t.py::a"]),
        "benchmarks[1].fullname 't.py::a' is also benchmarks[0]'s",
    ),
    "hyperfine-negative-times": (
        "hyperfine",
        hyperfine({"times": [0.0105, -0.0105, 0.0105]}),
        "results[0].times: negative value -0.0105",
    ),
    "hyperfine-min-above-max": (
        "hyperfine",
        hyperfine({**SUMMARY, "min": 4.0, "max": 1.0, "mean": 2.0, "median": 2.0}),
        "results[0]: min 4 is larger than max 1",
    ),
    "google-negative-real-time": (
        "google-benchmark",
        google({"real_time": -10.5}),
        "BM_A duration: negative value -1.05e-08",
    ),
    "google-negative-counter": (
        "google-benchmark",
        google({"items_per_second": -3.0}),
        "BM_A throughput_items: negative value -3",
    ),
    "google-negative-aggregate": (
        "google-benchmark",
        google(
            {"run_type": "aggregate", "aggregate_name": "mean", "real_time": -2.0},
            {"run_type": "aggregate", "aggregate_name": "median", "real_time": -2.0},
            {"run_type": "aggregate", "aggregate_name": "stddev", "real_time": 0.1},
        ),
        "BM_A duration: negative mean -2e-09",
    ),
    "go-negative-ns": (
        "go-test",
        "BenchmarkA-8  1000  -10.5 ns/op\n",
        "BenchmarkA ns/op: negative value -1.05e-08",
    ),
    "go-negative-custom": (
        "go-test",
        "BenchmarkA-8  1000  10.5 ns/op  -3 widgets/op\n",
        "BenchmarkA widgets/op: negative value -3",
    ),
    "go-cut-mid-unit": (
        "go-test",
        "BenchmarkA-8  1000  10.5 ns/op  16 B/op\nBenchmarkA-8  1000  10.5 ns/op  2 al",
        "line 2: the file ends in the middle of a result line",
    ),
    "go-cut-mid-number": (
        "go-test",
        "BenchmarkA-8  1000  10.5 ns/op\nBenchmarkA-8  1000  10.5 ns/op  1",
        "line 2: the file ends in the middle of a result line",
    ),
    "go-endless-line": (
        "go-test",
        "BenchmarkA-8  1000  " + "1 x/op " * 20_000 + "\n",
        "line 1: a result line of 140,020 characters; expected at most 65,536",
    ),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_impossible_values_are_refused_naming_file_and_entry(name: str) -> None:
    fmt, text, expected = REFUSED[name]
    with pytest.raises(IngestError) as info:
        parse_text(fmt, text, source="x.json")
    message = str(info.value)
    assert message.startswith(f"x.json: {expected}"), message
    assert "\n" not in message and len(message) < 500


def test_the_same_values_without_the_damage_are_read() -> None:
    (result,) = parse_text("pytest-benchmark", pytest_benchmark({"data": [0.0105, 0.0]}))
    assert result.metrics["duration"].samples == (0.0105, 0.0)  # zero is a measurement
    (result,) = parse_text("hyperfine", hyperfine(SUMMARY))
    assert (result.metrics["duration"].stats.min, result.metrics["duration"].stats.max) == (1, 3)
    text = "BenchmarkA-8  1000  10.5 ns/op  2 allocs/op\nBenchmarkA-8  1000  11 ns/op  2 allocs"
    (result,) = parse_text("go-test", text + "/op\n")
    assert set(result.metrics) == {"duration", "allocs_per_op"}


def test_numbered_duplicates_never_take_a_name_already_in_the_file() -> None:
    results = [ingested(n, {}, fmt="x") for n in ("x", "x #2", "x", "y", "x", "x #2")]
    assert [r.name for r in dedupe_names(results)] == ["x", "x #2", "x #3", "y", "x #4", "x #2 #2"]


def test_hyperfine_may_run_one_command_twice() -> None:
    rows = [{"command": "x", "times": [1.0]}, {"command": "x #2", "times": [1.0]}]
    rows.append({"command": "x", "times": [2.0]})
    results = parse_text("hyperfine", json.dumps({"results": rows}))
    assert [r.name for r in results] == ["x", "x #2", "x #3"]
    assert results[2].metrics["duration"].samples == (2.0,)


def too_many_go() -> str:
    return "".join(f"BenchmarkA{i}  1  1 ns/op\n" for i in range(MAX_BENCHMARKS + 1))


TOO_MANY = {
    "pytest-benchmark": (
        pytest_benchmark(*[{"data": [1.0]}] * (MAX_BENCHMARKS + 1)),
        "'benchmarks' has 10,001 entries: more than 10,000 benchmarks in one file",
    ),
    "hyperfine": (
        hyperfine(*[{"times": [1.0]}] * (MAX_BENCHMARKS + 1)),
        "'results' has 10,001 entries: more than 10,000 benchmarks in one file",
    ),
    "google-benchmark": (
        json.dumps(
            {
                "benchmarks": [
                    {"name": f"BM_{i}", "real_time": 1.0} for i in range(MAX_BENCHMARKS + 1)
                ]
            }
        ),
        "benchmarks[10000]: more than 10,000 benchmarks in one file",
    ),
    "go-test": (too_many_go(), "line 10001: more than 10,000 benchmarks in one file"),
}


@pytest.mark.parametrize("fmt", list(TOO_MANY))
def test_more_benchmarks_than_the_limit_is_an_error_that_says_it(fmt: str) -> None:
    text, expected = TOO_MANY[fmt]
    with pytest.raises(IngestError) as info:
        parse_text(fmt, text, source="x.json")
    assert str(info.value).startswith(f"x.json: {expected}, the limit; split the run")


def test_go_repetitions_of_one_benchmark_are_not_benchmarks() -> None:
    text = "BenchmarkA-8  1  1 ns/op\n" * (MAX_BENCHMARKS + 5)
    (result,) = parse_text("go-test", text)
    assert len(result.metrics["duration"].samples) == MAX_BENCHMARKS + 5


@pytest.mark.parametrize("fmt", ["pytest-benchmark", "hyperfine", "google-benchmark"])
def test_json_that_would_decode_to_gigabytes_is_refused_before_decoding(fmt: str) -> None:
    text = '{"benchmarks": [' + ",".join(["{}"] * (JSON_BUDGET // 200)) + "]}"
    with pytest.raises(IngestError) as info:
        parse_text(fmt, text, source="x.json")
    assert "x.json: too many values to read (about " in str(info.value)
    assert "MiB limit)" in str(info.value)
