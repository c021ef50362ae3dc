from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiwf_ci.errors import ResultsFormatError
from aiwf_ci.models import (
    SCHEMA,
    Alert,
    BenchmarkResult,
    Commit,
    Metric,
    Results,
    Series,
    dumps,
    load_results,
    results_from_dict,
    write_results,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "results"


def sample_results() -> Results:
    bench = BenchmarkResult(
        name="a <b>",
        kind="python",
        metrics={"duration": Metric.from_samples([0.1, 0.2, 0.3], unit="s")},
        errors=("boom",),
        alerts=(
            Alert(
                kind="threshold_exceeded", metric="memory_peak", message="m", limit=1.0, value=2.0
            ),
        ),
        series={"memory_rss": Series(unit="B", t=(0.0, 0.01), values=(1.0, 2.0))},
        extra={"loops": 8},
    )
    return Results(suite="s", benchmarks=(bench,), commit=Commit(sha="abc", ref="main"))


def test_round_trip(tmp_path: Path) -> None:
    original = sample_results()
    path = write_results(original, tmp_path / "out" / "results.json")
    loaded = load_results(path)
    assert loaded == original
    data = json.loads(path.read_text())
    assert data["schema"] == SCHEMA
    bench = data["benchmarks"][0]
    assert bench["metrics"]["duration"]["samples"] == [0.1, 0.2, 0.3]
    assert bench["metrics"]["duration"]["stats"]["median"] == pytest.approx(0.2)
    assert bench["errors"] == {"count": 1, "messages": ["boom"]}


def test_recorded_thresholds_survive_a_file_and_older_files_have_none(tmp_path: Path) -> None:
    rules = {"suite": {"duration": {"relative": 0.1, "absolute": None}}, "ignore": []}
    recorded = Results(suite="s", benchmarks=sample_results().benchmarks, thresholds=rules)
    loaded = load_results(write_results(recorded, tmp_path / "results.json"))
    assert loaded.thresholds == rules
    assert "thresholds" not in json.loads(dumps(sample_results()))  # not recorded: left out
    assert load_results(DATA / "results@1.json").thresholds == {}


@pytest.mark.parametrize("path", sorted(DATA.glob("*.json")), ids=lambda p: p.name)
def test_every_stored_schema_version_stays_readable(path: Path) -> None:
    results = load_results(path)
    assert results.benchmarks
    for bench in results.benchmarks:
        for metric in bench.metrics.values():
            assert metric.stats.min <= metric.stats.median <= metric.stats.max


def test_summary_only_metric_keeps_its_stats() -> None:
    data = json.loads(dumps(sample_results()))
    metric = data["benchmarks"][0]["metrics"]["duration"]
    metric["samples"] = []
    metric["summary_only"] = True
    loaded = results_from_dict(data).benchmarks[0].metrics["duration"]
    assert loaded.summary_only and loaded.stats.median == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(schema="aiwf-ci/results@99"), "unknown schema"),
        (lambda d: d.pop("suite"), "missing key 'suite'"),
        (lambda d: d["benchmarks"][0]["metrics"]["duration"].update(direction="up"), "direction"),
        (lambda d: d.update(benchmarks={}), "benchmarks must be a list"),
        (lambda d: d.update(thresholds=["duration"]), "thresholds must be an object"),
    ],
)
def test_invalid_files_are_clear_errors(tmp_path: Path, mutate: object, message: str) -> None:
    data = json.loads(dumps(sample_results()))
    mutate(data)  # type: ignore[operator]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ResultsFormatError, match=message) as info:
        load_results(path)
    assert str(path) in str(info.value)


def test_not_json(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text("{nope")
    with pytest.raises(ResultsFormatError, match=r"r\.json:1: not valid JSON"):
        load_results(path)


@pytest.mark.parametrize("bad", ["nan", "inf", True, 1e308, float("nan"), "1.0"])
def test_samples_must_be_finite_numbers(tmp_path: Path, bad: object) -> None:
    data = json.loads(dumps(sample_results()))
    data["benchmarks"][0]["metrics"]["duration"]["samples"] = [0.1, bad, 0.2]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ResultsFormatError, match=r"r\.json"):
        load_results(path)


def test_hostile_files_are_format_errors(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    binary = tmp_path / "binary.json"
    binary.write_bytes(b'{"schema": "\xff"}')
    for path in (deep, binary):
        with pytest.raises(ResultsFormatError, match=path.name):
            load_results(path)


def test_write_refuses_a_directory_and_leaves_no_temp_file(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        write_results(sample_results(), tmp_path)
    write_results(sample_results(), tmp_path / "r.json")
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_a_lone_surrogate_in_a_name_is_made_valid_text() -> None:
    data = {
        "schema": "aiwf-ci/results@1",
        "suite": "s\ud800",
        "benchmarks": [{"name": "a\udc00b", "kind": "command", "metrics": {}}],
    }
    results = results_from_dict(data)
    assert results.benchmarks[0].name == "a\ufffdb" and results.suite == "s\ufffd"
    assert "\\ufffd" in dumps(results).encode("utf-8").decode("utf-8")  # writable again


@pytest.mark.parametrize("where", ["series", "alert"])
def test_non_finite_numbers_in_series_and_alerts_are_refused(where: str) -> None:
    bench: dict[str, object] = {"name": "a", "kind": "command", "metrics": {}}
    if where == "series":
        bench["series"] = {"rss": {"unit": "B", "t": [0, 1], "values": [1, float("nan")]}}
    else:
        bench["alerts"] = [{"kind": "k", "metric": "m", "message": "x", "value": float("inf")}]
    data = {"schema": "aiwf-ci/results@1", "suite": "s", "benchmarks": [bench]}
    with pytest.raises(ResultsFormatError, match="not a finite measurement"):
        results_from_dict(data)


def test_bytes_written_by_older_versions_read_as_b(tmp_path: Path) -> None:
    """Memory is in ``B`` now; a file from before, in ``bytes``, compares with a new one."""
    data = json.loads(dumps(sample_results()))
    bench = data["benchmarks"][0]
    bench["metrics"]["memory_peak"] = {"unit": "bytes", "direction": "lower", "samples": [1.0]}
    bench["metrics"]["io_rate"] = {"unit": "bytes/s", "direction": "higher", "samples": [2.0]}
    bench["series"]["memory_rss"]["unit"] = "bytes"
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data))
    loaded = load_results(path).benchmarks[0]
    assert loaded.metrics["memory_peak"].unit == "B"
    assert loaded.metrics["io_rate"].unit == "B/s"
    assert loaded.metrics["duration"].unit == "s"
    assert loaded.series["memory_rss"].unit == "B"
    written = json.loads(dumps(load_results(path)))["benchmarks"][0]
    assert written["metrics"]["memory_peak"]["unit"] == "B"  # and written back as today's


def test_the_stored_files_have_no_unit_spelt_bytes() -> None:
    for path in sorted(DATA.glob("*.json")):
        units = {
            unit
            for bench in load_results(path).benchmarks
            for unit in [m.unit for m in bench.metrics.values()]
            + [s.unit for s in bench.series.values()]
        }
        assert not units & {"bytes", "bytes/s"}, path.name
