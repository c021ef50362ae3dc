"""The GitHub side's time budget against a real action run (``run_action`` in this process,
the fake GitHub on 127.0.0.1, a client with a small budget): time spent on the suite is not
time spent on the API, and a base tarball that cannot be had, however its host misbehaves,
is a reason next to the artifact baseline, never an error or a hang."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from aiwf_ci.models import load_results
from tests.e2e.conftest import Action, without_reference
from tests.fakegithub.hostile import HostileHost, hostile_host
from tests.fakegithub.zips import make_zip

PR_BASE = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
BUDGET = 1.5  # seconds of API time per phase: less than the suite below takes
SLOW_SUITE = """\
suite: e2e
defaults: {warmup: 0, iterations: 6, memory: false, timeout: 30s}
thresholds: {duration: 500%}
benchmarks:
  - name: nap
    command: sleep 0.4
"""


def seed_artifact(action: Action, results: dict[str, Any]) -> int:
    run = action.fake.add_run(head_sha=PR_BASE, branch="master")
    artifact = action.fake.add_artifact(
        run["id"], make_zip({"results.json": json.dumps(without_reference(results))})
    )
    return int(artifact["id"])


def test_a_suite_longer_than_the_budget_still_gets_its_baseline_and_comment(
    action: Action,
) -> None:
    """Bug: the budget started with the client, so a suite longer than it left every API call
    unsent ("the API is not answering"): no baseline, no comment, exit 0."""
    (action.workspace / ".aiwf" / "bench.yml").write_text(SLOW_SUITE)
    push = action.run_here(
        "push",
        action.event("push.new-branch.json"),
        client={},
        **{"cache-dir": str(action.temp / "push-cache")},  # its own job, its own API cache
    )
    assert push.code == 0, push.stdout
    seed_artifact(action, json.loads(Path(push.outputs["results-path"]).read_text()))
    start = time.monotonic()
    run = action.run_here(
        "pull_request",
        action.event("pull_request.opened.json"),
        client={"time_budget": BUDGET, "timeout": 1.0},
        baseline="artifact",
    )
    took = time.monotonic() - start
    assert took > BUDGET  # the premise: the run outlasted the old budget
    assert run.code == 0, run.stdout
    assert run.outputs["status"] == "pass", run.stdout
    assert "time budget" not in run.stdout and "did not answer" not in run.stdout
    assert action.fake.count("GET", r"/actions/artifacts/\d+/zip") == 1
    bodies = action.fake.comment_bodies(2)
    assert len(bodies) == 1 and "nap" in bodies[0]
    assert load_results(Path(run.outputs["results-path"])).suite == "e2e"


@pytest.fixture
def host() -> Iterator[HostileHost]:
    with hostile_host(trickle_for=40.0, trickle_every=0.25) as server:
        yield server


HOSTILE = {
    "dropped-mid-body": ("/drop", "connection closed after 1024 bytes"),
    "bad-content-encoding": ("/encoded", "sent it encoded"),
    "redirect-loop": ("/loop", "more than 5 redirects"),
    "file-redirect": ("to:file:///etc/passwd", "a redirect to a file: URL"),
    "malformed-redirect": ("to:http://[::1/x", "a redirect to a malformed URL"),
    "trickle": ("/trickle", "the download did not finish within 4 s spent on the base tree phase"),
}


@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
def test_a_hostile_archive_host_falls_back_to_the_artifact_with_the_reason(
    action: Action, host: HostileHost, case: str
) -> None:
    """Bug: these ended the run with exit 2 "cannot use: None", a traceback, or a hang."""
    where, reason = HOSTILE[case]
    location = where[3:] if where.startswith("to:") else host.url(where)
    if where.startswith("to:"):
        location = host.url("/to?" + quote(location, safe=""))
    action.fake.redirect_tarball(PR_BASE, location)
    seed_artifact(action, {"schema": "aiwf-ci/results@1", "suite": "e2e", "benchmarks": []})
    start = time.monotonic()
    run = action.run_here(
        "pull_request",
        action.event("pull_request.opened.json"),
        client={"time_budget": 4.0, "timeout": 1.0, "backoff_base": 0.01},
        thresholds="duration=500%",
    )
    took = time.monotonic() - start
    assert run.code == 0, run.stdout
    said = "same-runner comparison not possible: the base commit's tree is not available"
    assert said in run.summary and reason in run.summary, run.summary
    assert "compared with the artifact" in run.summary
    assert reason in action.fake.comment_bodies(2)[0]
    assert action.fake.count("GET", r"/actions/artifacts/\d+/zip") == 1
    assert took < 60.0  # the suite, plus at most the phase's 4 s (with room); never a hang
