"""``aiwf-ci calibrate`` end to end through the real CLI: a tiny suite measured against
itself writes calibration.json and says its reach in words; ``compare --calibration`` warns
where a threshold is below it; a bad calibration file is one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

from aiwf_ci.models.calibration import load_calibration
from tests.integration.cli_helpers import aiwf

CONFIG = """\
suite: calib
defaults: {warmup: 1, iterations: 2, memory: false}
thresholds: {duration: 20%}
benchmarks:
  - name: sleepy
    command: sleep 0.02
"""


def suite(root: Path) -> Path:
    config = root / ".aiwf" / "bench.yml"
    config.parent.mkdir(parents=True)
    config.write_text(CONFIG, encoding="utf-8")
    return root


def test_calibrate_writes_the_file_and_one_line_per_benchmark(tmp_path: Path) -> None:
    root = suite(tmp_path / "tree")
    out = tmp_path / "out"
    done = aiwf("calibrate", "--max-rounds", "10", "--samples", "1", "--output", out, cwd=root)
    assert done.returncode == 0, done.stderr
    calibration = load_calibration(out / "calibration.json")
    (bench,) = calibration.benchmarks
    assert bench.name == "sleepy" and bench.seconds_per_round > 0.0
    (metric,) = bench.metrics
    assert metric.rounds == 10  # decided or not, measured to the last look: no gating
    assert metric.threshold == 0.2 and metric.verdict in ("unchanged", "inconclusive")
    assert "on this machine `sleepy` can" in done.stdout
    assert "at threshold" in done.stdout  # the table's header
    raw = json.loads((out / "calibration.json").read_text())
    assert raw["version"] == 1 and raw["benchmarks"][0]["name"] == "sleepy"


def results(tmp_path: Path) -> tuple[Path, Path]:
    root = suite(tmp_path / "tree")
    done = aiwf("run", "--out", tmp_path / "run", cwd=root)
    assert done.returncode == 0, done.stderr
    path = tmp_path / "run" / "results.json"
    return path, path


def calibration_file(tmp_path: Path, floor: float) -> Path:
    metric = {
        "metric": "duration",
        "threshold": 0.2,
        "rounds": 40,
        "spread": 0.1,
        "lag1": 0.0,
        "verdict": "unchanged",
        "change": 0.0,
        "detectable": floor + 0.2,
        "noise_floor": floor,
        "rounds_unchanged": 24,
        "rounds_twice": 30,
    }
    data = {
        "version": 1,
        "suite": "calib",
        "time_budget": 180,
        "budget_rounds": 20,
        "rounds": 40,
        "seconds": 170.0,
        "design": {},
        "environment": {},
        "benchmarks": [{"name": "sleepy", "seconds_per_round": 0.1, "metrics": [metric]}],
    }
    path = tmp_path / f"calibration-{floor}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_compare_warns_where_the_threshold_is_below_the_runners_reach(tmp_path: Path) -> None:
    base, head = results(tmp_path)
    noisy = aiwf("compare", base, head, "--calibration", calibration_file(tmp_path, 0.3))
    assert noisy.returncode == 0, noisy.stderr
    assert (
        "warning: sleepy duration: threshold 20.0% is below what this runner can detect "
        "within the budget (≈30.0%" in noisy.stdout
    )
    quiet = aiwf("compare", base, head, "--calibration", calibration_file(tmp_path, 0.05))
    assert quiet.returncode == 0 and "below what this runner" not in quiet.stdout


def test_a_bad_calibration_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    base, head = results(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 7}', encoding="utf-8")
    done = aiwf("compare", base, head, "--calibration", bad)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("aiwf-ci: error: ")
    assert "version 7" in done.stderr and "Traceback" not in done.stderr


def test_ab_reads_its_calibration_before_measuring_anything(tmp_path: Path) -> None:
    root = suite(tmp_path / "tree")
    missing = tmp_path / "nowhere.json"
    done = aiwf("ab", "--base-dir", root, "--head-dir", root, "--calibration", missing)
    assert done.returncode == 2
    assert str(missing) in done.stderr and "sleepy [base r1]" not in done.stdout + done.stderr
