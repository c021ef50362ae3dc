"""The base branch's history in the action, as GitHub runs it: change points in a push
run's job summary, the dashboard, the history issue kept up to date, a pooled baseline, and
a regression accepted on purpose by a label (with its audit line)."""

from __future__ import annotations

import json
import random
from typing import Any

from tests.e2e.conftest import Action, nap_results, scaled
from tests.e2e.test_action import measure_on_push, seed_baseline
from tests.fakegithub.zips import make_zip

ACCEPT = "benchmark-regression-accepted"


def stored_run(action: Action, i: int, level: float, rng: random.Random, sha: str = "") -> None:
    """A push run on master with a results artifact: ``nap`` around ``level`` seconds, of
    commit ``sha`` (else a made-up one from ``i``)."""
    sha = sha or f"{i:040x}"
    samples = [level * (1 + rng.gauss(0, 0.01)) for _ in range(6)]
    results = nap_results(sha, samples)
    run = action.fake.add_run(head_sha=sha, branch="master")
    action.fake.add_artifact(run["id"], make_zip({"results.json": json.dumps(results)}))


def test_a_push_reports_change_points_writes_the_dashboard_and_keeps_one_issue(
    action: Action,
) -> None:
    rng = random.Random(3)
    for i in range(30):
        stored_run(action, i, 0.08 if i < 15 else 0.104, rng)
    push = action.event("push.new-branch.json")
    first = action.run("push", push, **{"history-issue": "true"})
    assert first.code == 0, first.stdout + first.stderr
    assert "change point" in first.summary
    assert "between 0000000 and " in first.summary  # the step, in commits
    dashboard = action.workspace / "aiwf-results" / "dashboard.html"
    assert dashboard.is_file() and "nap" in dashboard.read_text()
    second = action.run("push", push, **{"history-issue": "true"})
    assert second.code == 0
    issues = list(action.fake.issues.values())
    assert len(issues) == 1 and "change point" in issues[0]["body"]
    assert action.fake.count("POST", r"/issues$") == 1  # created once, then edited
    off = action.run("push", push, **{"history-runs": "0"})
    assert "change point" not in off.summary


def test_a_label_accepts_a_regression_with_an_audit_line(action: Action) -> None:
    baseline = measure_on_push(action)
    seed_baseline(action, scaled(baseline, 0.5))  # head twice as slow as the baseline
    action.fake.add_label_event(2, ACCEPT, actor="octocat", at="2026-12-02T10:00:00Z")
    action.fake.set_labels(2, ACCEPT)

    def labelled(event: dict[str, Any]) -> None:
        event["pull_request"]["labels"].append({"name": ACCEPT})

    run = action.run(
        "pull_request",
        action.event("pull_request.opened.json", labelled),
        baseline="artifact",
    )
    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["status"] == "pass"
    assert int(run.outputs["regressions"]) >= 1  # still counted and shown
    first = action.fake.comment_bodies(2)[0].splitlines()[1]  # after the marker line
    assert first.startswith("### ✅ Accepted on purpose:")
    assert "octocat at 2026-12-02T10:00:00Z" in first  # (the @ kept from mentioning)
    unlabelled = action.run(
        "pull_request", action.event("pull_request.opened.json"), baseline="artifact"
    )
    assert unlabelled.code == 1 and unlabelled.outputs["status"] == "regression"


def test_a_pooled_baseline_comes_from_the_runs_after_the_last_step(action: Action) -> None:
    rng = random.Random(4)
    for i in range(20):
        stored_run(action, i, 0.05 if i < 10 else 0.1, rng)  # the sleep is 0.1 s now
    run = action.run(
        "pull_request",
        action.event("pull_request.opened.json"),
        baseline="artifact",
        **{"pooled-baseline": "5", "thresholds": "duration=50%"},  # 2x is +100%; load adds ~25%
    )
    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["status"] in ("pass", "inconclusive")  # not the old 2x "regression"
    body = action.fake.comment_bodies(2)[0]
    assert "pooled baseline: the last 5 push runs after the latest change point" in body
    assert "with the base side's history (10 like-machine runs of 10)" in body  # after the step


def _labelled(event: dict[str, Any]) -> None:
    event["pull_request"]["labels"].append({"name": ACCEPT})


def test_a_label_removed_since_the_event_accepts_nothing(action: Action) -> None:
    """The event still lists the label; the pull request no longer carries it."""
    baseline = measure_on_push(action)
    seed_baseline(action, scaled(baseline, 0.5))
    action.fake.add_label_event(2, ACCEPT, actor="octocat", at="2026-12-02T10:00:00Z")
    action.fake.set_labels(2)  # removed a minute after it was added
    event = action.event("pull_request.opened.json", _labelled)
    run = action.run("pull_request", event, baseline="artifact")
    assert run.code == 1 and run.outputs["status"] == "regression", run.stdout + run.stderr
    assert "was removed since the event: not accepted" in run.stdout
    assert "Accepted on purpose" not in action.fake.comment_bodies(2)[0]


def test_unreadable_events_accept_with_an_audit_line_saying_so(action: Action) -> None:
    baseline = measure_on_push(action)
    seed_baseline(action, scaled(baseline, 0.5))
    action.fake.set_labels(2, ACCEPT)
    action.fake.fail(r"/issues/2/events$", 403, times=10, body={"message": "Forbidden"})
    event = action.event("pull_request.opened.json", _labelled)
    run = action.run("pull_request", event, baseline="artifact")
    assert run.code == 0 and run.outputs["status"] == "pass", run.stdout + run.stderr
    first = action.fake.comment_bodies(2)[0].splitlines()[1]
    assert first.startswith("### ✅ Accepted on purpose:")
    assert "(who/when unknown: events not readable)" in first


def test_an_artifact_baseline_is_judged_by_the_push_runs_spread(action: Action) -> None:
    """A pull request that falls back to the artifact baseline reads the base branch's last
    push runs and judges by their run-to-run spread; with ``history-runs: 0`` it needs the
    whole interval beyond the threshold, and says so."""
    measured = measure_on_push(action)
    for i, factor in enumerate((1.0, 1.02, 0.98, 1.01, 0.99, 1.0)):
        run = action.fake.add_run(head_sha=f"{i + 100:040x}", branch="master")
        archive = {"results.json": json.dumps(scaled(measured, factor))}
        action.fake.add_artifact(run["id"], make_zip(archive))
    seed_baseline(action, measured)
    event = action.event("pull_request.opened.json")
    judged = action.run("pull_request", event, baseline="artifact")
    assert judged.code in (0, 1), judged.stdout + judged.stderr
    body = action.fake.comment_bodies(2)[-1]
    assert "with the base side's history (7 like-machine runs of 7)" in body
    alone = action.run("pull_request", event, baseline="artifact", **{"history-runs": "0"})
    assert alone.code in (0, 1), alone.stdout + alone.stderr
    body = action.fake.comment_bodies(2)[-1]
    assert "no history of the base side: only a change whose whole interval" in body
