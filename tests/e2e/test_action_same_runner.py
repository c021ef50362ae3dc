"""The PR verdict measured on the same runner, as GitHub runs the action: the base commit's
tree fetched through the tarball endpoint of the fake GitHub (cached by SHA), base and
head interleaved in rounds, sampled until decided, and the fallbacks with their reasons."""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path

import pytest

from aiwf_ci.models import load_results
from tests.e2e.conftest import Action
from tests.fakegithub.zips import make_zip, tree_tarball

PR_BASE = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
SUITE = """\
suite: e2e
rounds: {samples: 2}
defaults: {warmup: 0, iterations: 6, memory: false, timeout: 30s}
thresholds: {duration: 20%}
benchmarks:
  - name: nap
    command: sleep {nap}
"""


def workspace_with(action: Action, nap: float) -> None:
    (action.workspace / ".aiwf" / "bench.yml").write_text(SUITE.replace("{nap}", str(nap)))


def seed_base_tree(action: Action, nap: float, *, extra: list[tarfile.TarInfo] = ()) -> None:
    base = action.temp / "base-src"
    (base / ".aiwf").mkdir(parents=True)
    (base / ".aiwf" / "bench.yml").write_text(SUITE.replace("{nap}", str(nap)))
    action.fake.add_tarball(PR_BASE, tree_tarball(base, extra=list(extra)))


def pr(action: Action, **inputs: str):  # type: ignore[no-untyped-def]
    return action.run("pull_request", action.event("pull_request.opened.json"), **inputs)


def test_a_clearly_slower_head_is_a_regression_on_the_same_runner(action: Action) -> None:
    workspace_with(action, 0.12)
    seed_base_tree(action, 0.03)
    run = pr(action)
    assert run.code == 1, run.stdout + run.stderr
    assert run.outputs["status"] == "regression"
    assert "aiwf-ci: base tree of f95f852 from tarball" in run.lines
    storage = action.fake.storage.requests
    assert storage and all("Authorization" not in r.headers for r in storage)
    head = load_results(Path(run.outputs["results-path"]))
    rounds = head.environment["interleaved"]["rounds"]
    assert head.benchmarks[0].metrics["duration"].rounds  # the pairing survives in the file
    assert rounds < 100  # decided before the last round
    body = action.fake.comment_bodies(2)[0]
    assert "same runner" in body.lower()


def test_identical_trees_pass_and_a_warm_run_downloads_no_tree(action: Action) -> None:
    workspace_with(action, 0.05)
    seed_base_tree(action, 0.05)
    cache = {"cache-dir": str(action.workspace / ".aiwf-cache")}
    first = pr(action, **cache)
    assert first.code == 0, first.stdout + first.stderr
    assert first.outputs["status"] == "pass"
    tarball_gets = action.fake.count("GET", f"/repos/{action.fake.repo}/tarball/{PR_BASE}")
    assert tarball_gets == 1
    second = pr(action, **cache)
    assert second.outputs["status"] == "pass"
    assert "aiwf-ci: base tree of f95f852 from cache" in second.lines
    assert action.fake.count("GET", f"/repos/{action.fake.repo}/tarball/{PR_BASE}") == 1


def hostile(name: str, kind: bytes, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ([], "the base commit has no .aiwf/bench.yml"),
        ([hostile("top/evil", tarfile.SYMTYPE, "/etc/passwd")], "points outside the tree"),
        (
            [
                hostile("top/l0", tarfile.SYMTYPE, "."),
                hostile("top/l1", tarfile.SYMTYPE, "l0/.."),  # `.` by name, one folder up
                hostile("top/l2", tarfile.SYMTYPE, "l1/.."),
            ],
            "link 'l1' points outside the tree",
        ),
        ([hostile("/abs", tarfile.REGTYPE)], "absolute path"),
        ([hostile("top/../../x", tarfile.REGTYPE)], "escapes"),
        (None, "HTTP 404"),
    ],
    ids=["no-config", "link", "link-chain", "absolute", "dotdot", "no-tarball"],
)
def test_without_a_usable_base_tree_the_artifact_is_used_and_the_reason_shown(
    action: Action, extra: list[tarfile.TarInfo] | None, reason: str
) -> None:
    workspace_with(action, 0.05)
    if extra is not None:
        base = action.temp / "base-src"
        base.mkdir()
        (base / "README").write_text("no suite here\n")
        action.fake.add_tarball(PR_BASE, tree_tarball(base, top="top", extra=extra))
    if extra:  # a config, so that only the hostile member stops it
        (base / ".aiwf").mkdir()
        (base / ".aiwf" / "bench.yml").write_text(SUITE.replace("{nap}", "0.05"))
        action.fake.add_tarball(PR_BASE, tree_tarball(base, top="top", extra=extra))
    results = {"schema": "aiwf-ci/results@1", "suite": "e2e", "benchmarks": []}
    run_info = action.fake.add_run(head_sha=PR_BASE, branch="master")
    action.fake.add_artifact(run_info["id"], make_zip({"results.json": json.dumps(results)}))
    run = pr(action, thresholds="duration=500%")
    assert run.code == 0, run.stdout + run.stderr
    notices = [line for line in run.lines if line.startswith("::notice")]
    assert any("same-runner comparison not possible" in n and reason in n for n in notices)
    assert not (action.temp / "x").exists()
    assert "same-runner comparison not possible" in action.fake.comment_bodies(2)[0]


def test_an_undecided_comparison_is_inconclusive_never_a_green_check(action: Action) -> None:
    (action.workspace / ".aiwf" / "bench.yml").write_text(
        SUITE.replace("{nap}", "1.0").replace("rounds: {samples: 2}", "rounds: {samples: 1}")
    )
    seed_base_tree(action, 1.0)
    run = pr(action, **{"time-budget": "10s"})
    assert run.code == 0, run.stdout + run.stderr  # fail-on-inconclusive is off by default
    assert run.outputs["status"] == "inconclusive"
    first = action.fake.comment_bodies(2)[0].splitlines()[1]  # after the marker line
    assert first.startswith("### ⚠️") and "nap" in first
    strict = pr(action, **{"time-budget": "10s", "fail-on-inconclusive": "true"})
    assert strict.code == 1


def comment_json(run) -> dict:  # type: ignore[no-untyped-def, type-arg]
    return json.loads((Path(run.outputs["results-path"]).parent / "comment.json").read_text())


def test_without_same_runner_and_artifact_every_reason_is_where_people_look(
    action: Action,
) -> None:
    """Bug: the summary gave only the artifact's reason and promised a baseline from the next
    base-branch run; comment.json said "compared with the artifact" with nothing compared."""
    workspace_with(action, 0.05)  # no tarball of the base commit, no push run: nothing at all
    run = pr(action)
    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["status"] == "no-baseline"
    chain = re.compile(
        r"same-runner comparison not possible: .*HTTP 404.*; "
        r"artifact baseline not available: no successful push run of"
    )
    assert chain.search(run.summary), run.summary
    assert chain.search(action.fake.comment_bodies(2)[0])
    assert "next run on the base branch" not in run.summary
    data = comment_json(run)
    assert chain.search(data["baseline"]["reason"])
    assert data["baseline"]["note"] == "" and data["baseline"]["design"] == ""
    assert "compared with the artifact" not in json.dumps(data)
    assert "compared with the artifact" not in run.summary


def test_same_runner_failed_and_the_artifact_used_both_are_said(action: Action) -> None:
    workspace_with(action, 0.05)  # no tarball: same-runner fails; a push run's artifact is there
    baseline = {
        "schema": "aiwf-ci/results@1",
        "suite": "e2e",
        "benchmarks": [],
        "thresholds": {"suite": {"duration": {"relative": 0.5, "absolute": None}}},
    }
    run_info = action.fake.add_run(head_sha=PR_BASE, branch="master")
    action.fake.add_artifact(run_info["id"], make_zip({"results.json": json.dumps(baseline)}))
    run = pr(action)
    assert run.code == 0, run.stdout + run.stderr
    said = re.compile(
        r"same-runner comparison not possible: .*HTTP 404.*; compared with the artifact"
    )
    assert said.search(run.summary), run.summary
    assert said.search(comment_json(run)["baseline"]["note"])
    assert comment_json(run)["baseline"]["reason"] == ""
    # the rules judged by, from where, and that the baseline's run had others
    assert "Thresholds: duration +20%" in run.summary
    assert "the config .aiwf/bench.yml" in run.summary
    assert "judged by other thresholds (duration +50%" in run.summary
    recorded = load_results(Path(run.outputs["results-path"])).thresholds
    assert recorded["suite"]["duration"]["relative"] == 0.2  # type: ignore[index]
