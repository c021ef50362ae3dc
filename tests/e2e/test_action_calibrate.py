"""The action's ``calibrate: true``: on a push the suite is measured against itself after
it ran and ``calibration.json`` is kept in the results folder (uploaded with the results);
never on a pull request, and the step's status is the run's."""

from __future__ import annotations

import json
from pathlib import Path

from aiwf_ci.models.calibration import load_calibration
from tests.e2e.conftest import Action
from tests.e2e.test_action import seed_baseline


def test_a_push_keeps_its_calibration_with_the_results(action: Action) -> None:
    run = action.run(
        "push",
        action.event("push.new-branch.json"),
        calibrate="true",
        **{"time-budget": "10s", "cache-dir": str(action.temp / "push-cache")},
    )
    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["status"] == "no-baseline"
    path = Path(run.outputs["results-path"]).parent / "calibration.json"
    calibration = load_calibration(path)
    assert {b.name for b in calibration.benchmarks} == {
        "nap",
        "<img src=x onerror=alert(1)> | @team",
    }
    assert all(b.metrics[0].rounds >= 2 for b in calibration.benchmarks)
    assert calibration.time_budget == 10.0
    assert "::group::aiwf-ci calibrate: this runner's reach" in run.stdout
    assert "on this machine `nap` can" in run.stdout
    assert json.loads(path.read_text())["version"] == 1


def test_a_pull_request_is_never_calibrated(action: Action) -> None:
    run = action.run(
        "pull_request",
        action.event("pull_request.opened.json"),
        calibrate="true",
        baseline="artifact",
    )
    assert run.code == 0, run.stdout + run.stderr
    assert not (Path(run.outputs["results-path"]).parent / "calibration.json").exists()
    assert "calibrate" not in run.stdout


def test_a_bad_calibrate_input_is_one_line_and_exit_2(action: Action) -> None:
    run = action.run("push", action.event("push.new-branch.json"), calibrate="maybe")
    assert run.code == 2
    assert "calibrate" in run.stdout + run.stderr and "use true or false" in run.stdout + run.stderr


def test_a_pull_request_warns_of_thresholds_below_the_base_runners_reach(action: Action) -> None:
    push = action.run(
        "push",
        action.event("push.new-branch.json"),
        calibrate="true",
        **{"time-budget": "10s", "cache-dir": str(action.temp / "push-cache")},
    )
    assert push.code == 0, push.stdout + push.stderr
    folder = Path(push.outputs["results-path"]).parent
    calibration = (folder / "calibration.json").read_text()
    seed_baseline(
        action,
        json.loads((folder / "results.json").read_text()),
        files={"calibration.json": calibration},
    )
    pr = action.event("pull_request.opened.json")
    tight = action.run("pull_request", pr, baseline="artifact", thresholds="duration=0.1%")
    assert tight.code in (0, 1), tight.stdout + tight.stderr
    warned = [line for line in tight.summary.splitlines() if "can detect" in line]
    assert any("nap" in line and "threshold 0.1% is below" in line for line in warned), warned
    assert "below what this runner can detect" in action.fake.comment_bodies(2)[0]
    assert not any("<img" in line for line in warned)  # a benchmark's name escaped
