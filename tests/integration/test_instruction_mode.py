"""``measure: instructions`` through the real CLI and a real Valgrind (skipped without it):
counts that repeat, the I/O beside them, the fallback for a body that is not deterministic,
and the exact gate in ``aiwf-ci ab``."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aiwf_ci.bench.instructions import MAX_RUNS, MIN_RUNS, SMALL_RUN

pytestmark = pytest.mark.skipif(shutil.which("valgrind") is None, reason="needs valgrind")

WORK = """\
import os
import random

N = {n}


def body():
    total = 0
    for i in range(N):
        total += i % 7
    return total


def chaos():
    words = {{str(random.random()) for _ in range(300)}}
    return sorted(w.upper() for w in words)


if __name__ == "__main__":
    with open(os.devnull, "wb") as handle:  # not into the tree: its listing is read at start
        handle.write(b"x" * 10000)
    body()
"""
SUITE = """\
suite: counted
defaults: {{measure: instructions, warmup: 1, iterations: 3, memory: false, timeout: 60s}}
benchmarks:
{benchmarks}
"""
PY = "  - {name: py, python: 'work:body'}"
# the interpreter itself, not a `python3` on PATH that may be a shell shim (pyenv's seeds
# bash's $RANDOM, whose count wanders: the check would rightly call it non-deterministic)
CMD = f"  - {{name: cmd, command: '{sys.executable} work.py'}}"
CHAOS = "  - {name: chaos, python: 'work:chaos'}"


def tree(path: Path, *benchmarks: str, n: int = 3000) -> Path:
    (path / ".aiwf").mkdir(parents=True)
    (path / "work.py").write_text(WORK.format(n=n))
    (path / ".aiwf" / "bench.yml").write_text(SUITE.format(benchmarks="\n".join(benchmarks)))
    return path


def aiwf(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aiwf_ci", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "AIWF_"))},
    )


def benchmarks(path: Path) -> dict[str, dict[str, Any]]:
    data = json.loads(path.read_text())
    return {b["name"]: b for b in data["benchmarks"]}


def test_counts_repeat_and_what_they_cannot_see_is_reported(tmp_path: Path) -> None:
    root = tree(tmp_path / "t", PY, CMD)
    done = aiwf("run", "--out", "out", cwd=root)
    assert done.returncode == 0, done.stderr[-3000:]
    found = benchmarks(root / "out" / "results.json")
    for name in ("py", "cmd"):
        metrics = found[name]["metrics"]
        count = metrics["instructions"]
        assert count["deterministic"] is True and count["unit"] == "instr"
        # checked: the repeats agree (exactly, or within a few instructions of a hundred
        # million: a pid's width, measured 2 here)
        assert max(count["samples"]) - min(count["samples"]) <= 1e-5 * min(count["samples"])
        assert {"valgrind_time", "native_time", "io_read_bytes", "io_calls"} <= set(metrics)
        assert found[name]["extra"]["measure"] == "instructions"
        assert found[name]["extra"]["counter"] == "callgrind"  # counts of another tool differ
    py, cmd = found["py"], found["cmd"]
    # the body: ~3,000 iterations of a few bytecodes, far less than a whole interpreter run
    assert 10_000 < py["metrics"]["instructions"]["samples"][0] < 5_000_000
    assert cmd["metrics"]["instructions"]["samples"][0] > 10_000_000  # start-up included
    assert cmd["metrics"]["io_write_bytes"]["samples"][0] >= 10_000  # out.bin, natively
    # never decided on two runs: 3 at least, 5 for runs under SMALL_RUN instructions or
    # counts that differ at all
    for result, counts in ((cmd, cmd["extra"]["counts"]), (py, py["extra"]["counts"][1:])):
        check = result["extra"]["determinism"]
        differ = len(set(result["metrics"]["instructions"]["samples"])) > 1
        small = statistics.median(counts) < SMALL_RUN
        runs = MAX_RUNS if small or differ else MIN_RUNS
        assert len(counts) == check["runs"] == check["agreed"] == runs
        assert check["deterministic"] is True
        agreed = f"{runs} of {runs} runs {'agreed within' if differ else 'counted'} "
        assert check["summary"].startswith(agreed)
    assert "instructions" in done.stdout and "(repeats agree)" in done.stdout


def test_a_body_that_is_not_deterministic_is_timed_instead(tmp_path: Path) -> None:
    root = tree(tmp_path / "t", CHAOS)
    done = aiwf("run", "--out", "out", cwd=root)
    assert done.returncode == 0, done.stderr[-3000:]
    chaos = benchmarks(root / "out" / "results.json")["chaos"]
    assert "instructions" not in chaos["metrics"]  # never gated on counts that wander
    assert len(chaos["metrics"]["duration"]["samples"]) == 3  # the statistical verdict's data
    (alert,) = [a for a in chaos["alerts"] if a["kind"] == "not_deterministic"]
    assert alert["value"] > alert["limit"]
    runs, agreed = alert["details"]["runs"], alert["details"]["agreed"]
    assert runs >= 3 and agreed < runs  # never decided on two runs; how many agreed, said
    assert f"{agreed} of {runs} runs agreed" in alert["message"]
    assert chaos["extra"]["determinism"]["runs"] == runs


def test_ab_gates_exact_counts_without_a_test(tmp_path: Path) -> None:
    base = tree(tmp_path / "base", PY)
    same = tree(tmp_path / "same", PY)
    more = tree(tmp_path / "more", PY, n=3090)  # 3% more work
    args = ("ab", "--base-dir", str(base), "--format", "json", "--fail-on-regression")
    slower = aiwf(*args, "--head-dir", str(more), "--out", "ab1", cwd=tmp_path)
    assert slower.returncode == 1, slower.stderr[-3000:]
    (row,) = [m for m in json.loads(slower.stdout)["benchmarks"][0]["metrics"]
              if m["metric"] == "instructions"]  # fmt: skip
    assert row["verdict"] == "regression" and row["method"] == "exact counts"
    assert 0.02 < row["change"] < 0.035 and row["p_value"] is None
    unchanged = aiwf(*args, "--head-dir", str(same), "--out", "ab2", cwd=tmp_path)
    assert unchanged.returncode == 0, unchanged.stderr[-3000:]
    report = json.loads(unchanged.stdout)
    (row,) = [m for m in report["benchmarks"][0]["metrics"] if m["metric"] == "instructions"]
    assert row["verdict"] == "unchanged" and abs(row["change"]) < 0.005
    # counted once per side: no rounds to sample once the counts are checked
    head = benchmarks(tmp_path / "ab2" / "head" / "results.json")["py"]
    assert head["extra"]["stopped"] == "once"
