"""CLI defaults that could switch the gate off without a word, each tried through the real
command: the config's thresholds in compare/report (and said), unrelated results, a unitless
absolute minimum, --thresholds where nothing is compared or with a typo, a pipe closed early,
a harness file given as results."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from aiwf_ci.models import BenchmarkResult, Metric, Results, write_results
from tests.integration.cli_helpers import aiwf

DATA = Path(__file__).parents[1] / "data"


def results(path: Path, factor: float, *, suite: str = "s", name: str = "b") -> Path:
    samples = [factor * (1 + 0.002 * (i % 5)) for i in range(20)]
    bench = BenchmarkResult(
        name=name, kind="command", metrics={"duration": Metric.from_samples(samples, unit="s")}
    )
    return write_results(Results(suite=suite, benchmarks=(bench,)), path)


def project(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / ".aiwf").mkdir()
    (tmp_path / ".aiwf" / "bench.yml").write_text(
        "suite: s\nthresholds: {duration: 5%}\nbenchmarks:\n  - {name: b, command: 'true'}\n"
    )
    return results(tmp_path / "base.json", 1.0), results(tmp_path / "head.json", 1.1)


def test_compare_and_report_use_the_config_s_thresholds_and_say_so(tmp_path: Path) -> None:
    base, head = project(tmp_path)
    done = aiwf("compare", base, head, "--fail-on-regression", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr  # 10% slower: beyond the config's 5%
    assert "thresholds (the config .aiwf/bench.yml): duration +5%" in done.stderr
    loose = aiwf("compare", base, head, "--fail-on-regression", "--thresholds", "duration=20%",
                 cwd=tmp_path)  # fmt: skip
    assert loose.returncode == 0 and "(the config .aiwf/bench.yml + --thresholds)" in loose.stderr
    report = aiwf("report", head, "--baseline", base, "--markdown", tmp_path / "r.md", cwd=tmp_path)
    assert report.returncode == 0 and "regression" in (tmp_path / "r.md").read_text().lower()


def test_unrelated_results_are_refused(tmp_path: Path) -> None:
    base = results(tmp_path / "a.json", 1.0, suite="one")
    head = results(tmp_path / "b.json", 1.0, suite="two")
    other = results(tmp_path / "c.json", 1.0, suite="one", name="c")
    for left, right, why in ((base, head, "suite 'one', head is suite 'two'"),
                             (base, other, "no benchmark in common")):  # fmt: skip
        done = aiwf("compare", left, right, cwd=tmp_path)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2 and why in lines[-1] and len(lines) == 1, done.stderr


def test_a_unitless_absolute_minimum_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "bench.yml").write_text(
        "suite: s\nthresholds: {duration: {relative: 10%, absolute: 2}}\n"
        "benchmarks:\n  - {name: b, command: 'true'}\n"
    )
    done = aiwf("validate", "bench.yml", cwd=tmp_path)
    assert done.returncode == 2
    assert "give the unit, e.g. absolute: 2ms or 2s" in done.stderr


def test_thresholds_are_checked_before_anything_runs(tmp_path: Path) -> None:
    (tmp_path / "bench.yml").write_text("suite: s\nbenchmarks:\n  - {name: b, command: 'true'}\n")
    typo = aiwf("run", "bench.yml", "--baseline", "x.json", "--thresholds", "duraton=5%",
                cwd=tmp_path)  # fmt: skip
    assert typo.returncode == 2 and "did you mean 'duration'?" in typo.stderr
    assert typo.stdout == "" and len(typo.stderr.strip().splitlines()) == 1  # nothing ran
    alone = aiwf("run", "bench.yml", "--thresholds", "duration=5%", cwd=tmp_path)
    assert alone.returncode == 2 and "nothing to apply to without --baseline" in alone.stderr


def many(path: Path, factor: float) -> Path:
    benches = tuple(
        BenchmarkResult(
            name=f"bench-{i}",
            kind="command",
            metrics={"duration": Metric.from_samples([factor] * 5, unit="s")},
        )
        for i in range(3000)
    )
    return write_results(Results(suite="s", benchmarks=benches), path)


def test_a_pipe_closed_early_ends_quietly(tmp_path: Path) -> None:
    base, head = many(tmp_path / "a.json", 1.0), many(tmp_path / "b.json", 1.0)
    command = f"{sys.executable} -m aiwf_ci compare {base} {head} --format json | head -c 10"
    done = subprocess.run(command, shell=True, cwd=tmp_path, capture_output=True, text=True)
    assert len(done.stdout) == 10  # far more was written: the reader closed the pipe
    assert "Broken pipe" not in done.stderr and "Traceback" not in done.stderr


def test_a_harness_file_given_as_results_names_the_import(tmp_path: Path) -> None:
    base = results(tmp_path / "a.json", 1.0)
    raw = DATA / "ingest" / "pytest-benchmark.json"
    done = aiwf("compare", base, raw, cwd=tmp_path)
    assert done.returncode == 2
    assert f"aiwf-ci import pytest-benchmark {raw} --out results.json" in done.stderr
