"""A negative measurement is a damaged file, never a result: read as if real, ``-10.5 ms``
against ``10.5 ms`` was reported as "b 200% faster" with exit 0. Results files, baselines and
other harnesses' output all refuse one with a single line naming the file, the benchmark, the
metric and what to do; the CLI exits 2 (bad input) without a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aiwf_ci.cli.main import main
from aiwf_ci.errors import ImpossibleValueError, ResultsFormatError
from aiwf_ci.models import load_results, results_from_dict
from aiwf_ci.models.baseline import LocalBaselineStore

TIMES = [0.0105, 0.0107, 0.0104, 0.0106, 0.0105]
STATS = {
    "min": 1.0,
    "max": 3.0,
    "mean": 2.0,
    "median": 2.0,
    "p95": 3.0,
    "p99": 3.0,
    "stddev": 0.5,
    "iqr": 0.6,
    "cv": 0.25,
}


def results(metric: str = "duration", **fields: Any) -> dict[str, Any]:
    data = {"unit": "s", "direction": "lower", "samples": TIMES, **fields}
    bench = {"name": "b", "kind": "python", "metrics": {metric: data}}
    return {"schema": "aiwf-ci/results@1", "suite": "s", "benchmarks": [bench]}


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data))
    return path


# every metric aiwf-ci writes is a time, a size, a count or a rate
METRICS = ["duration", "cpu_time", "memory_peak", "instructions", "throughput", "error_rate"]


@pytest.mark.parametrize("metric", METRICS)
def test_a_negative_sample_in_a_results_file_is_refused(tmp_path: Path, metric: str) -> None:
    path = write(tmp_path / "b.json", results(metric, samples=[-x for x in TIMES]))
    with pytest.raises(ResultsFormatError) as info:
        load_results(path)
    message = str(info.value)
    assert message.startswith(
        f"{path}: benchmark 'b', metric '{metric}': negative value -0.0105 "
        "(a time, size, count or rate cannot be negative); the file is damaged: "
        "make it again with `aiwf-ci run`"
    ), message
    assert "\n" not in message


def test_one_negative_sample_among_good_ones_is_enough() -> None:
    with pytest.raises(ResultsFormatError, match="negative value -1e-06"):
        results_from_dict(results(samples=[*TIMES, -1e-6]))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"min": -1.0}, "negative min -1"),
        ({"stddev": -0.5}, "negative stddev -0.5"),
        ({"min": 4.0}, "min 4 is larger than max 3"),
        ({"median": 9.0}, "median 9 lies outside min 1 .. max 3"),
        ({"p95": 5.0}, "p95 5 lies outside min 1 .. max 3"),
        ({"p99": 0.5}, "p99 0.5 lies outside min 1 .. max 3"),
        ({"median": 2.5, "p95": 2.0}, "median 2.5 is larger than p95 2"),
        ({"p95": 3.0, "p99": 2.5}, "p95 3 is larger than p99 2.5"),
    ],
)
def test_impossible_summary_statistics_are_refused(change: dict[str, float], expected: str) -> None:
    data = results(samples=[], stats={**STATS, **change}, summary_only=True)
    with pytest.raises(ResultsFormatError) as info:
        results_from_dict(data, source="r.json")
    assert str(info.value).startswith(f"r.json: benchmark 'b', metric 'duration': {expected}")


def test_zero_is_a_measurement() -> None:
    loaded = results_from_dict(results(samples=[0.0, 0.0105]))
    assert loaded.benchmarks[0].metrics["duration"].samples == (0.0, 0.0105)


def test_other_errors_inside_a_metric_name_the_benchmark_and_metric() -> None:
    with pytest.raises(ResultsFormatError) as info:
        results_from_dict(results(direction="up"), source="r.json")
    assert str(info.value).startswith(
        "r.json: not a valid aiwf-ci/results@1 file (benchmark 'b', metric 'duration': "
        "direction must be 'lower' or 'higher', not 'up')"
    )


def test_a_huge_benchmark_name_is_cut_in_the_message() -> None:
    data = results(samples=[-1.0])
    data["benchmarks"][0]["name"] = "x" * 100_000
    with pytest.raises(ResultsFormatError) as info:
        results_from_dict(data)
    assert len(str(info.value)) < 400


def test_a_baseline_with_a_negative_sample_is_an_error_not_no_baseline(tmp_path: Path) -> None:
    """A baseline that cannot be right must not quietly become "no baseline" (exit 0)."""
    path = write(tmp_path / "base.json", results(samples=[-x for x in TIMES]))
    with pytest.raises(ImpossibleValueError) as info:
        LocalBaselineStore(path).fetch()
    assert "benchmark 'b', metric 'duration': negative value -0.0105" in str(info.value)
    assert info.value.exit_code == 2


def error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("aiwf-ci: error:")]


def test_compare_of_negative_samples_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = write(tmp_path / "a.json", results())
    head = write(tmp_path / "b.json", results(samples=[-x for x in TIMES]))
    code = main(["compare", str(base), str(head)])
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert "faster" not in out and "Traceback" not in err
    (line,) = error_lines(err)
    assert line.startswith(f"aiwf-ci: error: {head}: benchmark 'b', metric 'duration': negative")
    assert "aiwf-ci run" in line


HARNESS_FILES = {
    "pytest-benchmark": {"benchmarks": [{"fullname": "t.py::a", "stats": {"data": [-0.0105]}}]},
    "hyperfine": {"results": [{"command": "a", "times": [0.0105, -0.0105]}]},
    "google-benchmark": {
        "benchmarks": [{"name": "BM_A", "run_type": "iteration", "real_time": -10.5}]
    },
    "go-test": "BenchmarkA-8  1000  -10.5 ns/op\n",
}


@pytest.mark.parametrize("fmt", list(HARNESS_FILES))
def test_import_of_a_negative_value_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    content = HARNESS_FILES[fmt]
    source = tmp_path / "out.txt"
    source.write_text(content if isinstance(content, str) else json.dumps(content))
    code = main(["import", fmt, str(source), "--out", str(tmp_path / "r.json")])
    _, err = capsys.readouterr()
    assert code == 2 and "Traceback" not in err
    (line,) = error_lines(err)
    assert f"{source}: " in line and "negative value -" in line
    assert not (tmp_path / "r.json").exists()


def test_a_benchmark_name_twice_in_a_results_file_is_refused(tmp_path: Path) -> None:
    """Listed, compared and gated twice otherwise: the file is refused, in one line."""
    data = results()
    data["benchmarks"].append(dict(data["benchmarks"][0]))
    path = write(tmp_path / "dup.json", data)
    with pytest.raises(ResultsFormatError) as info:
        load_results(path)
    message = str(info.value)
    assert "benchmark name 'b' appears twice" in message and "\n" not in message
