"""Ingested results go through the verdict exactly like native results with the same samples.

For each harness, a baseline fixture and a head file (the same tool's format, times scaled) are
ingested, round-tripped through results.json like ``aiwf-ci import`` does, and compared; the
same samples wrapped as native results must get the same verdict for every benchmark and metric.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aiwf_ci.ingest import ingest_results
from aiwf_ci.models import BenchmarkResult, Metric, Results, load_results, write_results
from aiwf_ci.verdict.model import NOTE_SUMMARY

compare_module = pytest.importorskip("aiwf_ci.verdict.compare")

DATA = Path(__file__).parents[1] / "data" / "ingest"


def _scale_hyperfine(doc: Any, k: float) -> Any:
    for row in doc["results"]:
        row["times"] = [t * k for t in row["times"]]
    return doc


def _scale_pytest_benchmark(doc: Any, k: float) -> Any:
    for bench in doc["benchmarks"]:
        bench["stats"]["data"] = [t * k for t in bench["stats"]["data"]]
    return doc


def _scale_google_benchmark(doc: Any, k: float) -> Any:
    for row in doc["benchmarks"]:
        if row.get("run_type") == "iteration" and not row.get("error_occurred"):
            row["real_time"] *= k
            row["cpu_time"] *= k
    return doc


def _scale_go(text: str, k: float) -> str:
    return re.sub(r"([0-9.]+)( ns/op)", lambda m: f"{float(m[1]) * k:.2f}{m[2]}", text)


def _json_scaler(scale: Callable[[Any, float], Any]) -> Callable[[str, float], str]:
    return lambda text, k: json.dumps(scale(json.loads(text), k))


CASES = {
    "hyperfine": ("hyperfine.json", _json_scaler(_scale_hyperfine)),
    "pytest-benchmark": ("pytest-benchmark-data.json", _json_scaler(_scale_pytest_benchmark)),
    "google-benchmark": ("google-benchmark.json", _json_scaler(_scale_google_benchmark)),
    "go-test": ("go-test.txt", _scale_go),
}


def _imported(fmt: str, path: Path, out: Path) -> Results:
    """What `aiwf-ci import FORMAT FILE --out results.json` writes, read back."""
    return load_results(write_results(ingest_results(fmt, path, suite="s"), out))


def _native(results: Results) -> Results:
    """The same samples as a native suite would record them (kind, extras and format gone)."""
    return Results(
        suite="s",
        benchmarks=tuple(
            BenchmarkResult(
                name=b.name,
                kind="command",
                errors=b.errors,
                metrics={
                    n: Metric.from_samples(m.samples, unit=m.unit, direction=m.direction)
                    for n, m in b.metrics.items()
                },
            )
            for b in results.benchmarks
        ),
    )


def _verdicts(comparison: Any) -> dict[tuple[str, str], str]:
    rows = {(b.name, ""): b.verdict for b in comparison.benchmarks}
    rows.update(
        {(m.benchmark, m.metric): m.verdict for b in comparison.benchmarks for m in b.metrics}
    )
    return rows


@pytest.mark.parametrize("fmt", sorted(CASES))
@pytest.mark.parametrize("factor", [1.0, 1.02, 2.0, 0.5])
def test_ingested_and_native_runs_get_the_same_verdict(
    fmt: str, factor: float, tmp_path: Path
) -> None:
    fixture, scale = CASES[fmt]
    head_file = tmp_path / f"head-{fixture}"
    head_file.write_text(scale((DATA / fixture).read_text(), factor))
    base = _imported(fmt, DATA / fixture, tmp_path / "base.json")
    head = _imported(fmt, head_file, tmp_path / "head.json")
    ingested = _verdicts(compare_module.compare(base, head))
    native = _verdicts(compare_module.compare(_native(base), _native(head)))
    assert ingested == native
    durations = {v for (_, metric), v in ingested.items() if metric == "duration"}
    if factor == 2.0:
        assert "regression" in durations
    elif factor == 0.5:
        assert "improvement" in durations
    else:  # never a false alarm; few or spread samples are honestly undecided
        assert durations <= {"unchanged", "inconclusive"} and "unchanged" in durations


def test_the_duration_samples_are_the_files_own_numbers(tmp_path: Path) -> None:
    base = _imported("hyperfine", DATA / "hyperfine.json", tmp_path / "r.json")
    raw = json.loads((DATA / "hyperfine.json").read_text())["results"]
    assert [list(b.metrics["duration"].samples) for b in base.benchmarks] == [
        r["times"] for r in raw
    ]


def test_summary_only_results_are_compared_without_a_significance_test(tmp_path: Path) -> None:
    doc = json.loads((DATA / "pytest-benchmark.json").read_text())
    for bench in doc["benchmarks"]:
        for key in ("min", "max", "mean", "median", "stddev", "iqr"):
            bench["stats"][key] *= 1 if key in ("stddev", "iqr") else 3
    head_file = tmp_path / "head.json"
    head_file.write_text(json.dumps(doc))
    base = _imported("pytest-benchmark", DATA / "pytest-benchmark.json", tmp_path / "b.json")
    head = _imported("pytest-benchmark", head_file, tmp_path / "h.json")
    assert all(b.metrics["duration"].summary_only for b in head.benchmarks)
    comparison = compare_module.compare(base, head)
    for bench in comparison.benchmarks:
        (duration,) = bench.metrics
        assert duration.note.startswith(NOTE_SUMMARY)
        assert duration.p_value is None
