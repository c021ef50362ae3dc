"""The fork-safe pair's comment side judges two separate runs as the run side does: with the
base branch's run-to-run spread, fetched with its own token (never taken from the fork's
artifact), and without it, as before, by the no-history rule (see conftest.py).

The results are built here, not measured: head's ``nap`` is 30% slower than the baseline's,
each side's samples within 1% of their level, so the no-history rule (the whole interval
beyond the 20% threshold) calls it a regression; the base branch's push runs move by up to
±30% from run to run, so with their spread it is not one."""

from __future__ import annotations

import json
import random
from typing import Any

from tests.e2e.conftest import Action, Run, nap_results
from tests.e2e.test_action import PR_BASE, PR_HEAD
from tests.fakegithub.zips import make_zip

LEVEL = 0.1
HISTORY = (1.0, 1.3, 0.75, 1.2, 0.8, 1.25, 0.9, 1.1)
"""The base branch's push runs' levels, in turn: no step, a wide run-to-run spread."""
THRESHOLDS = {
    "ignore": [],
    "suite": {"duration": {"relative": 0.2, "absolute": None}},
    "per_benchmark": {},
}


def results(level: float, sha: str, rng: random.Random) -> dict[str, Any]:
    """A results file of suite ``e2e``: ``nap`` taking ``level`` seconds, ±1%."""
    return nap_results(sha, [level * (1 + rng.uniform(-0.01, 0.01)) for _ in range(8)])


def push_runs(action: Action, rng: random.Random) -> None:
    """The base branch's push runs, each with its results artifact."""
    for i, factor in enumerate(HISTORY):
        run = action.fake.add_run(head_sha=f"{i + 100:040x}", branch="master")
        archive = {"results.json": json.dumps(results(LEVEL * factor, f"{i + 100:040x}", rng))}
        action.fake.add_artifact(run["id"], make_zip(archive))


def comment_side(action: Action, rng: random.Random, **extra: Any) -> tuple[Run, str]:
    """The fork's run's artifact (head 30% slower than its artifact baseline), then the
    ``workflow_run`` side on it; its run and the comment it posted."""
    head = results(LEVEL * 1.3, PR_HEAD, rng)
    baseline = results(LEVEL, PR_BASE, rng)
    comment = {
        "schema": "aiwf-ci/comment@1",
        "pr_number": 2,
        "suite": "e2e",
        "baseline": {"sha": PR_BASE, "design": "artifact"},
        "thresholds": THRESHOLDS,
        "body": "not posted",
        **extra,
    }
    files = {"results.json": head, "baseline.json": baseline, "comment.json": comment}
    run = action.fake.add_run(head_sha=PR_HEAD, branch="changes", event="pull_request")
    action.fake.add_artifact(
        run["id"], make_zip({name: json.dumps(data) for name, data in files.items()})
    )
    action.fake.add_pull(2, head_sha=PR_HEAD)

    def triggered(event: dict[str, Any]) -> None:
        event["workflow_run"].update(id=run["id"], head_sha=PR_HEAD, pull_requests=[])

    done = action.run(
        "workflow_run",
        action.event("workflow_run.completed.with-pull-requests.json", triggered),
        mode="comment",
    )
    assert done.code == 0, done.stdout + done.stderr
    assert done.outputs["comment-url"], done.stdout
    return done, action.fake.comment_bodies(2)[-1]


def test_the_comment_side_judges_the_artifact_baseline_with_the_base_history(
    action: Action,
) -> None:
    rng = random.Random(25)
    push_runs(action, rng)
    done, body = comment_side(action, rng)
    assert done.outputs["status"] == "inconclusive", body
    assert "with the base side's history (8 like-machine runs of 8)" in body
    assert "within this runner's run-to-run spread" in body
    assert "❌" not in body
    assert action.fake.count("GET", r"/actions/artifacts$") == 1  # the base branch's listing


def test_without_history_the_comment_side_judges_as_before(action: Action) -> None:
    rng = random.Random(25)
    levels = [LEVEL * f for f in HISTORY]
    sent = [{"nap": {"duration": level}} for level in levels]  # a fork's "history": not read
    done, body = comment_side(action, rng, history=sent)
    assert done.outputs["status"] == "regression", body
    assert "no history of the base side: only a change whose whole interval" in body
    assert action.fake.count("GET", r"/actions/artifacts$") == 1  # looked for, none found


def test_a_failed_history_fetch_judges_as_before_with_a_warning(action: Action) -> None:
    rng = random.Random(25)
    push_runs(action, rng)
    action.fake.fail(r"/actions/artifacts$", 403, times=10, body={"message": "Forbidden"})
    done, body = comment_side(action, rng)
    assert done.outputs["status"] == "regression", body
    assert "no history of the base side: only a change whose whole interval" in body
    assert any("history not available" in line for line in done.lines), done.stdout
