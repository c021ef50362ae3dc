"""``aiwf-ci ab`` end to end: two tiny source trees run interleaved through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from aiwf_ci.models import load_results
from tests.integration.cli_helpers import aiwf

CONFIG = """\
suite: ab
defaults: {{warmup: 1, iterations: 6, memory: false}}
benchmarks:
  - name: sleep
    command: sleep {sleep}
  - name: call
    python: mod:work
"""
MODULE = """\
import time
def work():
    time.sleep({sleep} / 10)
"""


def tree(root: Path, sleep: float, extra: str = "") -> Path:
    config = root / ".aiwf" / "bench.yml"
    config.parent.mkdir(parents=True)
    config.write_text(CONFIG.format(sleep=sleep) + extra, encoding="utf-8")
    (root / ".aiwf" / "mod.py").write_text(MODULE.format(sleep=sleep), encoding="utf-8")
    return root


def ab(tmp_path: Path, base: Path, head: Path, *extra: str) -> tuple[int, str, str]:
    done = aiwf("ab", "--base-dir", base, "--head-dir", head, "--out", tmp_path / "out", *extra)
    return done.returncode, done.stdout, done.stderr


def test_a_slower_head_is_a_regression(tmp_path: Path) -> None:
    # 4x slower: far beyond the noise of a busy machine (sleeps stretch, they do not shrink)
    base, head = tree(tmp_path / "a", 0.03), tree(tmp_path / "b", 0.12)
    code, out, err = ab(tmp_path, base, head, "--samples", "2", "--fail-on-regression")
    assert code == 1, err
    assert "sleep [base r1]" in out and "sleep [head r2]" in out
    assert "2 regressions" in out
    for side in ("base", "head"):
        results = load_results(tmp_path / "out" / side / "results.json")
        record = results.environment["interleaved"]
        assert record["stopped"] == "decided" and record["samples_per_round"] == 2
        for bench in results.benchmarks:
            duration = bench.metrics["duration"]
            assert not bench.errors
            assert len(duration.samples) == 2 * len(set(duration.rounds))
            assert bench.extra["stopped"].startswith("decided after")


def test_identical_trees_pass_and_differing_names_are_noted(tmp_path: Path) -> None:
    more = '  - name: only-here\n    command: "true"\n'
    base, head = tree(tmp_path / "a", 0.02), tree(tmp_path / "b", 0.02, more)
    code, out, err = ab(tmp_path, base, head, "--fail-on-regression", "--format", "json")
    assert code == 0, out + err
    verdicts = {b["name"]: b["verdict"] for b in json.loads(out)["benchmarks"]}  # pure JSON
    assert set(verdicts) == {"sleep", "call"} and "regression" not in verdicts.values()
    assert "sleep [head r1]" in err  # progress goes to stderr with --format json
    assert "skipped only in head: only-here" in err


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    base = tree(tmp_path / "a", 0.01)
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [
        ((tmp_path / "missing", base), "base dir"),
        ((base, empty), "no config .aiwf/bench.yml in the head tree"),
        ((base, base, "--max-rounds", "5"), "--max-rounds: must be a whole number from 10 to"),
        # one range for the time budget, whichever input gives it (config, input, flag)
        ((base, base, "--budget", "1s"), "--time-budget/--budget: must be between 10s and 6h"),
        ((base, base, "--time-budget", "7h"), "must be between 10s and 6h"),
    ]
    for (b, h, *rest), message in cases:
        code, _, err = ab(tmp_path, Path(b), Path(h), *map(str, rest))
        assert code == 2 and message in err, err
        assert len(err.strip().splitlines()) == 1
