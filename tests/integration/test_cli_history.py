"""``aiwf-ci compare --history``: separate runs judged by the base side's run-to-run spread,
from the command line: a folder of earlier runs in their recorded order, the rule and the
spread in the JSON, the design line naming the rule, and a bad history file a one-line error
(exit 2) before anything is judged."""

from __future__ import annotations

import json
import random
from pathlib import Path

from aiwf_ci.models import BenchmarkResult, Commit, Metric, Results, write_results
from tests.integration.cli_helpers import aiwf


def run(path: Path, centre: float, seed: int, stamp: str) -> Path:
    """One run of one benchmark: 10 samples around ``centre`` (1% noise)."""
    rng = random.Random(seed)
    values = [centre * (1 + rng.gauss(0, 0.01)) for _ in range(10)]
    bench = BenchmarkResult(
        name="b", kind="command", metrics={"duration": Metric.from_samples(values, unit="s")}
    )
    results = Results(
        suite="s",
        benchmarks=(bench,),
        commit=Commit(sha=f"{seed:040d}"),
        created_at=stamp,
        environment={"cpu_model": "x", "cores": 2},
    )
    return write_results(results, path)


def history(folder: Path, centres: list[float]) -> Path:
    folder.mkdir()
    for i, centre in enumerate(centres):
        # named against their order: the recorded time decides
        run(folder / f"{9 - i}.json", centre, seed=i, stamp=f"2026-12-0{i + 1}T10:00:00Z")
    return folder


ARGS = ("--thresholds", "duration=5%", "--format", "json")


def test_a_change_within_the_spread_is_inconclusive_and_beyond_it_a_regression(
    tmp_path: Path,
) -> None:
    base = run(tmp_path / "base.json", 1.0, seed=20, stamp="2026-12-07T10:00:00Z")
    head = run(tmp_path / "head.json", 1.09, seed=21, stamp="2026-12-07T11:00:00Z")
    alone = aiwf("compare", base, head, *ARGS, cwd=tmp_path)
    assert json.loads(alone.stdout)["benchmarks"][0]["verdict"] == "regression", alone.stderr
    data = json.loads(alone.stdout)
    assert data["design"]["unpaired_rule"] == "interval"
    assert "no history of the base side" in data["design"]["text"]

    wide = history(tmp_path / "wide", [1.0, 1.15, 0.9, 1.1, 0.92, 1.05, 0.95])
    judged = aiwf("compare", base, head, "--history", wide, *ARGS, cwd=tmp_path)
    data = json.loads(judged.stdout)
    row = data["benchmarks"][0]["metrics"][0]
    assert row["verdict"] == "inconclusive", judged.stderr
    assert row["note"].startswith("within this runner's run-to-run spread ±")
    assert row["spread"] > 0.09
    assert data["design"]["unpaired_rule"] == "history"
    assert data["policy"]["history"]["used"] == 7
    assert "with the base side's history (7 like-machine runs of 7)" in data["design"]["text"]

    narrow = history(tmp_path / "narrow", [1.0, 1.01, 0.99, 1.005, 0.995, 1.0])
    judged = aiwf("compare", base, head, "--history", narrow, *ARGS, cwd=tmp_path)
    assert json.loads(judged.stdout)["benchmarks"][0]["verdict"] == "regression"


def test_a_bad_history_file_is_a_one_line_error(tmp_path: Path) -> None:
    base = run(tmp_path / "base.json", 1.0, seed=20, stamp="2026-12-07T10:00:00Z")
    head = run(tmp_path / "head.json", 1.0, seed=21, stamp="2026-12-07T11:00:00Z")
    folder = history(tmp_path / "h", [1.0, 1.0])
    (folder / "notes.json").write_text('{"hello": 1}')
    done = aiwf("compare", base, head, "--history", folder, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "notes.json" in done.stderr and "Traceback" not in done.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    done = aiwf("compare", base, head, "--history", empty, cwd=tmp_path)
    assert done.returncode == 2 and "no *.json results files" in done.stderr
