"""The action end to end, as GitHub runs it (see conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aiwf_ci.models import load_results
from tests.e2e.conftest import Action, scaled, without_reference
from tests.fakegithub.zips import make_zip

PR_HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
PR_BASE = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
MARKER = "<!-- aiwf-ci:report suite=e2e -->"


# The machine is shared and noisy: tests that are about comments, not verdicts, use a wide
# threshold so that a busy neighbour cannot turn them into regressions.
CALM = {"thresholds": "duration=500%"}


def measure_on_push(action: Action) -> dict[str, Any]:
    """A push to master with no baseline yet: results written, status no-baseline, exit 0."""
    # its own job, its own RUNNER_TEMP: a fresh API cache
    run = action.run(
        "push",
        action.event("push.new-branch.json"),
        **{"cache-dir": str(action.temp / "push-cache")},
    )
    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["status"] == "no-baseline"
    results = Path(run.outputs["results-path"])
    assert results.is_file()
    assert load_results(results).suite == "e2e"
    assert "Nothing to compare with" in run.summary or "No baseline" in run.summary
    data: dict[str, Any] = json.loads(results.read_text())
    return data


def seed_baseline(
    action: Action, results: dict[str, Any], *, files: dict[str, str] | None = None
) -> int:
    run = action.fake.add_run(head_sha=PR_BASE, branch="master")
    archive = {"results.json": json.dumps(without_reference(results)), **(files or {})}
    action.fake.add_artifact(run["id"], make_zip(archive))
    return int(run["id"])


def test_push_then_pr_comment_created_then_updated(action: Action) -> None:
    baseline = measure_on_push(action)
    seed_baseline(action, baseline)
    event = action.event("pull_request.opened.json")

    first = action.run("pull_request", event, **CALM)
    assert first.code == 0, first.stdout + first.stderr
    assert first.outputs["status"] == "pass"
    assert first.outputs["regressions"] == "0"
    assert first.outputs["comment-url"].startswith("https://github.com/")
    bodies = action.fake.comment_bodies(2)
    assert len(bodies) == 1
    assert bodies[0].startswith(MARKER + "\n")
    assert "<img src=x" not in bodies[0]  # hostile benchmark name escaped
    assert bodies[0] == Path(first.outputs["report-path"]).read_text()  # the report, as posted

    second = action.run("pull_request", event, **CALM)
    assert second.code == 0, second.stdout + second.stderr
    bodies = action.fake.comment_bodies(2)
    assert len(bodies) == 1, "the same PR must keep exactly one comment"
    assert second.outputs["comment-url"] == first.outputs["comment-url"]
    assert action.fake.count("POST", r"/comments$") == 1
    assert action.fake.count("PATCH", r"/comments/\d+$") >= 1


def test_clearly_slower_head_is_a_regression(action: Action) -> None:
    baseline = measure_on_push(action)
    seed_baseline(action, scaled(baseline, 0.5))  # baseline twice as fast as head
    event = action.event("pull_request.opened.json")
    run = action.run("pull_request", event)
    assert run.code == 1, run.stdout + run.stderr
    assert run.outputs["status"] == "regression"
    assert int(run.outputs["regressions"]) >= 1
    errors = [line for line in run.lines if line.startswith("::error ")]
    # nap sleeps: its wall time less the wait for a CPU carries the duration rule
    assert any("title=Benchmark regression%3A nap::active_time" in line for line in errors), errors
    assert "regression" in action.fake.comment_bodies(2)[0].lower()

    relaxed = action.run("pull_request", event, **{"fail-on-regression": "false"})
    assert relaxed.code == 0
    assert relaxed.outputs["status"] == "regression"


def test_a_stand_in_run_is_named_in_the_report(action: Action) -> None:
    """The base commit has no run of its own: the newest older run stands in, and the
    report says which (the store's note used to be computed and dropped)."""
    baseline = measure_on_push(action)
    older = "0" * 39 + "1"
    run = action.fake.add_run(head_sha=older, branch="master", created_at="2026-01-01T00:00:00Z")
    action.fake.add_artifact(
        run["id"], make_zip({"results.json": json.dumps(without_reference(baseline))})
    )
    action.fake.add_commit(PR_BASE, "2026-02-01T00:00:00Z")
    event = action.event("pull_request.opened.json")
    done = action.run("pull_request", event, baseline="artifact", **CALM)
    assert done.code == 0, done.stdout + done.stderr
    note = f"has no successful run; using run {run['id']} of 0000000 instead"
    assert note in action.fake.comment_bodies(2)[0]
    assert note in done.summary


def fork(event: dict[str, Any]) -> None:
    event["pull_request"]["head"]["repo"]["full_name"] = "mallory/Hello-World"


def test_fork_pr_run_then_workflow_run_comment(action: Action) -> None:
    baseline = measure_on_push(action)
    seed_baseline(action, baseline)
    action.fake.read_only = True  # a fork's token cannot write
    pr_run = action.run(
        "pull_request", action.event("pull_request.opened.json", fork), mode="run", **CALM
    )
    assert pr_run.code == 0, pr_run.stdout + pr_run.stderr
    assert action.fake.comment_bodies(2) == []
    assert "unchanged" in pr_run.summary.lower()  # the report is in the job summary
    results_dir = Path(pr_run.outputs["results-path"]).parent
    comment = json.loads((results_dir / "comment.json").read_text())
    assert comment["pr_number"] == 2
    assert comment["body"].startswith(MARKER + "\n")

    # the workflow_run side: upload what the PR run wrote, then post it with a write token
    action.fake.read_only = False
    pr_workflow = action.fake.add_run(head_sha=PR_HEAD, branch="changes", event="pull_request")
    files = {p.name: p.read_text() for p in results_dir.iterdir() if p.suffix in (".json", ".md")}
    action.fake.add_artifact(pr_workflow["id"], make_zip(files))
    action.fake.add_pull(2, head_sha=PR_HEAD)
    measured_at = (results_dir / "results.json").stat().st_mtime_ns

    def triggered(event: dict[str, Any]) -> None:
        event["workflow_run"].update(id=pr_workflow["id"], head_sha=PR_HEAD, pull_requests=[])

    comment_run = action.run(
        "workflow_run",
        action.event("workflow_run.completed.with-pull-requests.json", triggered),
        mode="comment",
    )
    assert comment_run.code == 0, comment_run.stdout + comment_run.stderr
    bodies = action.fake.comment_bodies(2)
    assert len(bodies) == 1
    assert bodies[0].startswith(MARKER + "\n")
    assert comment_run.outputs["comment-url"]
    assert (results_dir / "results.json").stat().st_mtime_ns == measured_at, (
        "comment mode ran the suite"
    )
    assert not any(line.startswith("::group::") for line in comment_run.lines)


def test_fork_with_read_only_token_in_auto_mode_does_not_crash(action: Action) -> None:
    action.fake.read_only = True
    run = action.run("pull_request", action.event("pull_request.opened.json", fork))
    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["status"] == "no-baseline"
    assert (action.workspace / "aiwf-results" / "comment.json").is_file()
    assert action.fake.count("POST") == 0


def test_comment_side_refuses_a_pr_that_did_not_produce_the_run(action: Action) -> None:
    results = measure_on_push(action)
    comment = {
        "schema": "aiwf-ci/comment@1",
        "pr_number": 2,
        "suite": "e2e",
        "body": "@everyone pwned",
    }
    run_info = action.fake.add_run(head_sha=PR_HEAD, branch="changes", event="pull_request")
    action.fake.add_artifact(
        run_info["id"],
        make_zip({"results.json": json.dumps(results), "comment.json": json.dumps(comment)}),
    )
    action.fake.add_pull(2, head_sha="0" * 40)  # PR 2's head is another commit

    def triggered(event: dict[str, Any]) -> None:
        event["workflow_run"].update(id=run_info["id"], head_sha=PR_HEAD, pull_requests=[])

    run = action.run(
        "workflow_run",
        action.event("workflow_run.completed.with-pull-requests.json", triggered),
        mode="comment",
    )
    assert run.code == 0
    assert action.fake.comment_bodies(2) == []
    assert any("nothing posted" in line for line in run.lines)


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ({"config": "missing.yml"}, "config file not found"),
        ({"thresholds": "duration=fast"}, "input thresholds"),
        ({"mode": "sideways"}, "unknown mode 'sideways'"),
        ({"fail-on-regression": "maybe"}, "invalid boolean"),
    ],
)
def test_bad_inputs_exit_2_with_one_clear_line(
    action: Action, inputs: dict[str, str], expected: str
) -> None:
    run = action.run("push", action.event("push.new-branch.json"), **inputs)
    assert run.code == 2, run.stdout + run.stderr
    errors = [line for line in run.lines if line.startswith("::error")]
    assert len(errors) == 1, run.stdout
    assert expected in errors[0]
    assert "Traceback" not in run.stdout + run.stderr


def test_token_is_masked_and_never_written(action: Action) -> None:
    run = action.run("push", action.event("push.new-branch.json"))
    assert run.lines[0] == f"::add-mask::{action.fake.token}"
    files = [p for root in (action.workspace, action.temp) for p in root.rglob("*") if p.is_file()]
    assert any(p.suffix == ".sqlite" for p in files), "the API cache should be in RUNNER_TEMP"
    token = action.fake.token.encode()
    leaks = [p for p in files if token in p.read_bytes()]
    assert leaks == []
    assert action.fake.token not in run.stdout.replace(run.lines[0], "") + run.stderr + run.summary


def test_results_dir_that_is_a_file_fails_before_running(action: Action) -> None:
    (action.workspace / "taken").write_text("not a folder")
    run = action.run("push", action.event("push.new-branch.json"), **{"results-dir": "taken"})
    assert run.code == 2
    errors = [line for line in run.lines if line.startswith("::error")]
    assert len(errors) == 1
    assert "input results-dir" in errors[0]
    assert not any(line.startswith("::group::") for line in run.lines)
    assert (action.workspace / "taken").read_text() == "not a folder"


@pytest.mark.parametrize(
    "files",
    [
        {
            "results.json": '{"schema": "aiwf-ci/results@1", "suite": "e2e", "benchmarks": [{"name": "x", "kind": "command", "metrics": {"duration": {"unit": "s", "direction": "lower", "samples": [1e308, 1e308]}}}]}'
        },
        {"results.json": "{}", "results.json/x": "file and folder at once"},
        {"results.json": "[" * 50_000 + "]" * 50_000},
    ],
    ids=["overflowing-samples", "file-and-folder", "deep-json"],
)
def test_hostile_fork_artifact_never_crashes_the_comment_side(
    action: Action, files: dict[str, str]
) -> None:
    comment = {"schema": "aiwf-ci/comment@1", "pr_number": 2, "suite": "e2e", "body": "x"}
    run_info = action.fake.add_run(head_sha=PR_HEAD, branch="changes", event="pull_request")
    action.fake.add_artifact(
        run_info["id"], make_zip({**files, "comment.json": json.dumps(comment)})
    )
    action.fake.add_pull(2, head_sha=PR_HEAD)

    def triggered(event: dict[str, Any]) -> None:
        event["workflow_run"].update(id=run_info["id"], head_sha=PR_HEAD, pull_requests=[])

    event = action.event("workflow_run.completed.with-pull-requests.json", triggered)
    run = action.run("workflow_run", event, mode="comment")
    assert run.code == 0, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert any(line.startswith("::warning") and "nothing posted" in line for line in run.lines)
    assert action.fake.comment_bodies(2) == []


def test_a_token_echoed_by_the_api_is_redacted_everywhere(action: Action) -> None:
    """A misconfigured proxy or hostile server echoes the Authorization header: in an error
    body (which becomes the no-baseline reason) and in a 200 response (which is cached)."""
    token = action.fake.token
    echo = {"message": f"proxy saw Authorization: Bearer {token} (token {token})"}
    action.fake.fail(r"/actions/workflows/.*/runs", 404, body=echo, times=50)
    action.fake.fail(r"/tarball/", 404, body=echo, times=50)
    action.fake.add_comment(2, f"a 200 answer that echoes it: {token}", login="someone")
    run = action.run("pull_request", action.event("pull_request.opened.json"))
    assert run.code == 0, run.stdout + run.stderr
    assert "Bearer \\*\\*\\*" in run.summary  # the reason is shown, the token is not
    files = [p for root in (action.workspace, action.temp) for p in root.rglob("*") if p.is_file()]
    leaks = [p for p in files if token.encode() in p.read_bytes()]
    assert leaks == []
    assert token not in run.stdout.replace(run.lines[0], "") + run.stderr + run.summary
    ours = [body for body in action.fake.comment_bodies(2) if MARKER in body]
    assert ours and all(token not in body for body in ours)
