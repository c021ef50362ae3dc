"""go test -bench output: -count samples, procs suffix, -benchmem, custom metrics, FAIL."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiwf_ci.ingest import parse_file, parse_text

DATA = Path(__file__).parents[2] / "data" / "ingest"


def _column(name: str, line_name: str, unit: str) -> list[float]:
    """The values of one unit on every line of one benchmark, read with str.split."""
    values = []
    for line in (DATA / name).read_text().splitlines():
        fields = line.split()
        if fields and fields[0] == line_name and unit in fields:
            values.append(float(fields[fields.index(unit) - 1]))
    return values


def test_count_lines_are_samples_and_cpu_values_stay_apart() -> None:
    results = {r.name: r for r in parse_file("go-test", DATA / "go-test.txt")}
    assert list(results) == [
        "BenchmarkSort-1",
        "BenchmarkSort-2",
        "BenchmarkJoin-1",
        "BenchmarkJoin-2",
        "BenchmarkParallel-1",
        "BenchmarkParallel-2",
    ]
    for procs, line_name in ((1, "BenchmarkSort"), (2, "BenchmarkSort-2")):
        result = results[f"BenchmarkSort-{procs}"]
        expected = [v * 1e-9 for v in _column("go-test.txt", line_name, "ns/op")]
        assert len(expected) == 5
        assert result.metrics["duration"].samples == pytest.approx(expected, rel=1e-12)
        assert result.extra["procs"] == procs
        assert result.extra["iterations"] == [2000] * 5


def test_benchmem_and_custom_metrics() -> None:
    results = {r.name: r for r in parse_file("go-test", DATA / "go-test.txt")}
    join = results["BenchmarkJoin-2"].metrics
    assert list(join["memory_bytes_per_op"].samples) == _column(
        "go-test.txt", "BenchmarkJoin-2", "B/op"
    )
    assert (join["memory_bytes_per_op"].unit, join["memory_bytes_per_op"].direction) == (
        "B",
        "lower",
    )
    assert join["allocs_per_op"].samples == (1.0,) * 5
    assert (join["chars_per_op"].unit, join["chars_per_op"].direction) == ("chars/op", "lower")
    assert (join["chars_per_s"].unit, join["chars_per_s"].direction) == ("chars/s", "higher")
    assert list(join["chars_per_s"].samples) == _column("go-test.txt", "BenchmarkJoin-2", "chars/s")


def test_header_lines_go_to_extra() -> None:
    result = parse_file("go-test", DATA / "go-test.txt")[0]
    assert result.extra["pkg"] == "example.com/gobench"
    assert result.extra["goos"] == "linux"
    assert result.extra["goarch"] == "amd64"
    assert result.extra["format"] == "go-test"


def test_a_single_procs_value_is_stripped_from_the_name() -> None:
    results = {r.name: r for r in parse_file("go-test", DATA / "go-test-fail.txt")}
    assert "BenchmarkSort" in results
    assert results["BenchmarkSort"].extra["procs"] == 2
    expected = [v * 1e-9 for v in _column("go-test-fail.txt", "BenchmarkSort-2", "ns/op")]
    assert results["BenchmarkSort"].metrics["duration"].samples == pytest.approx(expected)


def test_fail_lines_are_errors_with_their_message() -> None:
    results = {r.name: r for r in parse_file("go-test", DATA / "go-test-fail.txt")}
    broken = results["BenchmarkBroken"]
    assert broken.errors == ("--- FAIL: BenchmarkBroken: fail_test.go:6: fixture missing",)
    assert dict(broken.metrics) == {}
    assert not results["BenchmarkSort"].failed


def test_the_json_event_stream_reads_like_the_text() -> None:
    (result,) = parse_file("go-test", DATA / "go-test.json")
    assert result.name == "BenchmarkJoin"
    assert len(result.metrics["duration"].samples) == 3
    assert result.metrics["chars_per_op"].samples == (9.0, 9.0, 9.0)


def test_mb_per_second_is_converted_to_bytes() -> None:
    text = "BenchmarkRead-4   \t  100\t  500 ns/op\t  2.50 MB/s\n"
    (result,) = parse_text("go-test", text)
    assert result.name == "BenchmarkRead"
    assert result.metrics["throughput_bytes"].samples == (2.5e6,)
    assert result.metrics["throughput_bytes"].direction == "higher"


def test_several_packages_prefix_the_names() -> None:
    text = (
        "pkg: example.com/a\nBenchmarkX-2  10  5 ns/op\nok  example.com/a 0.1s\n"
        "pkg: example.com/b\nBenchmarkX-2  10  7 ns/op\nok  example.com/b 0.1s\n"
    )
    results = parse_text("go-test", text)
    assert [r.name for r in results] == ["example.com/a.BenchmarkX", "example.com/b.BenchmarkX"]


def test_a_package_that_failed_without_benchmark_lines_is_an_error() -> None:
    text = "# example.com/a\n./a.go:3:1: syntax error\nFAIL\texample.com/a [build failed]\n"
    (result,) = parse_text("go-test", text)
    assert result.name == "example.com/a"
    assert result.failed


def test_chatty_name_lines_and_logs_are_ignored() -> None:
    text = (
        "BenchmarkLog\n--- BENCH: BenchmarkLog-2\n    b_test.go:10: hello\n"
        "BenchmarkLog-2  100  158.7 ns/op\n"
    )
    (result,) = parse_text("go-test", text)
    assert result.metrics["duration"].samples == pytest.approx([158.7e-9])
