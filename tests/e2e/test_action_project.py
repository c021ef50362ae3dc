"""The action on a real project, as GitHub runs it: a src-layout package whose dependency is
installed by the suite's own set-up (from a local wheel folder: no network), and files the
next workflow step — another user on the host — can read."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Action, without_reference
from tests.fakegithub.server import FakeGitHub
from tests.fakegithub.zips import make_zip
from tests.projects import make_project

PR_BASE = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"


@pytest.fixture
def project_action(tmp_path: Path) -> Iterator[Action]:
    workspace = make_project(tmp_path / "workspace")
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    old = os.umask(0o022)  # what a container's root shell has
    try:
        with FakeGitHub() as fake:
            yield Action(workspace=workspace, fake=fake, temp=temp)
    finally:
        os.umask(old)


def unreadable_by_others(*folders: Path) -> list[str]:
    """Files without o+r and folders without o+rx under ``folders`` (and the folders)."""
    bad = []
    for folder in folders:
        for path in [folder, *folder.rglob("*")]:
            mode = stat.S_IMODE(path.lstat().st_mode)
            need = stat.S_IROTH | (stat.S_IXOTH if path.is_dir() else 0)
            if not path.is_symlink() and mode & need != need:
                bad.append(f"{path} {oct(mode)}")
    return bad


def test_push_then_pr_on_a_src_layout_project(project_action: Action) -> None:
    action = project_action
    cache = action.workspace / ".aiwf-cache"
    push_cache = action.temp / "push-cache"  # the push ran in its own job, earlier
    push = action.run(
        "push", action.event("push.new-branch.json"), **{"cache-dir": str(push_cache)}
    )
    assert push.code == 0, push.stdout + push.stderr
    assert any(line.startswith("::group::aiwf-ci: setting up /") for line in push.lines)
    assert "$ pip install --no-index --find-links wheels -e ." in push.lines
    results = json.loads(Path(push.outputs["results-path"]).read_text())
    assert {b["name"]: b["errors"]["count"] for b in results["benchmarks"]} == {
        "render-doc": 0,
        "render-script": 0,
        "read-sources": 0,
    }

    run = action.fake.add_run(head_sha=PR_BASE, branch="master")
    action.fake.add_artifact(
        run["id"], make_zip({"results.json": json.dumps(without_reference(results))})
    )
    pr = action.run(
        "pull_request",
        action.event("pull_request.opened.json"),
        **{
            "cache-dir": str(cache),
            "thresholds": "duration=500%,throughput=-90%",
            "fail-on-regression": "false",
        },
    )
    assert pr.code == 0, pr.stdout + pr.stderr
    # about the project and the files, not the verdict: two separate runs on a crowded
    # machine (a file-batch read of ~250 µs measured 15x slower in the second) may say
    # anything, and the verdict's rules are tested on their own
    assert pr.outputs["status"] in ("pass", "inconclusive", "regression")
    out = action.workspace / "aiwf-results"
    for name in ("results.json", "report.md", "report.html", "comment.json", "baseline.json"):
        assert (out / name).is_file(), name
    assert list(cache.rglob("results.json")), "the unpacked baseline artifact is cached"
    assert unreadable_by_others(out, cache, push_cache) == []


def test_a_failing_setup_fails_the_step_with_the_command(project_action: Action) -> None:
    action = project_action
    config = action.workspace / ".aiwf" / "bench.yml"
    config.write_text(config.read_text().replace("-e .", "-e . no-such-package-xyz"))
    run = action.run("push", action.event("push.new-branch.json"))
    assert run.code == 3, run.stdout + run.stderr
    errors = [line for line in run.lines if line.startswith("::error")]
    assert len(errors) == 1, errors
    assert "set-up command 'pip install" in errors[0] and "exited with code 1" in errors[0]
    assert "::group::aiwf-ci: error details" in run.lines
    assert run.outputs["status"] == "error"
    assert not (action.workspace / "aiwf-results" / "results.json").exists()
