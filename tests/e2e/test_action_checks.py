"""The suite's check run in the merge box, end to end (see conftest.py): on the PR's head
commit, ``failure`` for a regression, ``neutral`` for an undecided run, updated in place on a
re-run, a notice without ``checks: write``, annotations past 50 sent in batches, and in the
fork-safe pair written by the comment side."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.e2e.conftest import Action, scaled
from tests.e2e.test_action import PR_HEAD, fork, measure_on_push, seed_baseline
from tests.fakegithub.zips import make_zip

CHECK = "aiwf-ci: e2e"
CONFIG = ".aiwf/bench.yml"
CALM = {"thresholds": "duration=500%"}


def spread(results: dict[str, Any]) -> dict[str, Any]:
    """Every time sample alternately a third and three times as long: the same medians
    around, far too noisy for any verdict."""
    data = json.loads(json.dumps(results))
    for bench in data["benchmarks"]:
        for name in ("duration", "cpu_time", "run_queue_delay"):
            metric = bench["metrics"].get(name)
            if metric:
                metric["samples"] = [
                    s * (3.0 if i % 2 else 1 / 3) for i, s in enumerate(metric["samples"])
                ]
    return data


def test_a_regression_fails_the_check_and_a_rerun_updates_it(action: Action) -> None:
    baseline = measure_on_push(action)
    seed_baseline(action, scaled(baseline, 0.5))
    event = action.event("pull_request.opened.json")
    first = action.run("pull_request", event)
    assert first.outputs["status"] == "regression", first.stdout + first.stderr
    (run,) = action.fake.checks_on(PR_HEAD)
    assert run["name"] == CHECK
    assert run["status"] == "completed"
    assert run["conclusion"] == "failure"
    assert run["output"]["title"].startswith("❌ ")
    assert run["output"]["summary"].startswith("### ❌")
    notes = action.fake.annotations[run["id"]]
    nap = next(n for n in notes if n["title"] == "Benchmark regression: nap")
    assert (nap["path"], nap["start_line"], nap["annotation_level"]) == (CONFIG, 5, "failure")
    assert any(f"check run {CHECK} created (failure)" in line for line in first.lines)

    second = action.run("pull_request", event, **CALM)
    assert second.code == 0, second.stdout + second.stderr
    (again,) = action.fake.checks_on(PR_HEAD)
    assert again["id"] == run["id"], "a re-run must update the check run, not add one"
    assert again["conclusion"] == "success"
    assert action.fake.count("POST", r"/check-runs$") == 1


def test_an_undecided_run_is_a_neutral_check_not_a_green_one(action: Action) -> None:
    baseline = measure_on_push(action)
    seed_baseline(action, spread(baseline))
    done = action.run("pull_request", action.event("pull_request.opened.json"))
    assert done.code == 0, done.stdout + done.stderr
    assert done.outputs["status"] == "inconclusive"
    (run,) = action.fake.checks_on(PR_HEAD)
    assert run["conclusion"] == "neutral"
    assert run["output"]["title"].startswith("⚠️")


def test_without_checks_write_a_notice_and_nothing_fails(action: Action) -> None:
    baseline = measure_on_push(action)
    seed_baseline(action, baseline)
    action.fake.checks_write = False
    done = action.run("pull_request", action.event("pull_request.opened.json"), **CALM)
    assert done.code == 0, done.stdout + done.stderr
    assert done.outputs["status"] == "pass"
    assert action.fake.checks_on(PR_HEAD) == []
    notices = [line for line in done.lines if line.startswith("::notice")]
    assert len([n for n in notices if "checks: write" in n]) == 1, notices
    assert not any(line.startswith(("::warning", "::error")) for line in done.lines)
    assert "checks: write" in done.summary
    assert len(action.fake.comment_bodies(2)) == 1  # the comment still went out


def test_check_run_false_writes_none(action: Action) -> None:
    done = action.run(
        "pull_request", action.event("pull_request.opened.json"), **{"check-run": "false"}
    )
    assert done.code == 0, done.stdout + done.stderr
    assert action.fake.count(path=r"check-runs") == 0


MANY = 60
MANY_SUITE = "suite: e2e\ndefaults: {warmup: 0, iterations: 6, memory: false, timeout: 30s}\n" + (
    "thresholds: {duration: 20%}\nbenchmarks:\n"
    + "".join(f"  - name: b{n:02d}\n    command: sleep 0.002\n" for n in range(MANY))
)


def test_more_than_50_annotations_are_sent_in_batches(action: Action) -> None:
    (action.workspace / CONFIG).write_text(MANY_SUITE)
    baseline = measure_on_push(action)
    seed_baseline(action, scaled(baseline, 0.2))  # every benchmark five times slower
    done = action.run("pull_request", action.event("pull_request.opened.json"))
    assert done.outputs["status"] == "regression", done.stdout + done.stderr
    regressed = int(done.outputs["regressions"])
    assert regressed > 50
    (run,) = action.fake.checks_on(PR_HEAD)
    notes = action.fake.annotations[run["id"]]
    assert len(notes) == regressed
    assert {n["start_line"] for n in notes} <= {5 + 2 * n for n in range(MANY)}
    assert action.fake.count("POST", r"/check-runs$") == 1
    assert action.fake.count("PATCH", r"/check-runs/\d+$") == 1
    assert run["conclusion"] == "failure"


def test_in_the_fork_pair_the_comment_side_writes_it(action: Action) -> None:
    baseline = measure_on_push(action)
    seed_baseline(action, scaled(baseline, 0.5))
    action.fake.read_only = True  # a fork's token
    pr_run = action.run("pull_request", action.event("pull_request.opened.json", fork), mode="run")
    assert pr_run.outputs["status"] == "regression", pr_run.stdout + pr_run.stderr
    assert action.fake.count(path=r"check-runs") == 0  # the run side does not try
    results_dir = Path(pr_run.outputs["results-path"]).parent
    comment = json.loads((results_dir / "comment.json").read_text())
    assert comment["check"] == {"path": CONFIG, "lines": {"nap": 5, comment_name(): 7}}

    action.fake.read_only = False
    pr_workflow = action.fake.add_run(head_sha=PR_HEAD, branch="changes", event="pull_request")
    files = {p.name: p.read_text() for p in results_dir.iterdir() if p.suffix in (".json", ".md")}
    action.fake.add_artifact(pr_workflow["id"], make_zip(files))
    action.fake.add_pull(2, head_sha=PR_HEAD)

    def triggered(event: dict[str, Any]) -> None:
        event["workflow_run"].update(id=pr_workflow["id"], head_sha=PR_HEAD, pull_requests=[])

    done = action.run(
        "workflow_run",
        action.event("workflow_run.completed.with-pull-requests.json", triggered),
        mode="comment",
    )
    assert done.code == 0, done.stdout + done.stderr
    (run,) = action.fake.checks_on(PR_HEAD)
    assert run["conclusion"] == "failure"
    notes = action.fake.annotations[run["id"]]
    assert any(n["path"] == CONFIG and n["start_line"] == 5 for n in notes)


def comment_name() -> str:
    return "<img src=x onerror=alert(1)> | @team"
