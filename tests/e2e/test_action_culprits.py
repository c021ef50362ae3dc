"""Culprits for change points, as a push run finds them: a newly confirmed slowdown between
two stored runs several commits apart is bisected in the checkout, and the culprit goes into
the job summary and the history issue."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

from tests.e2e.conftest import Action
from tests.e2e.test_action_history import stored_run

SUITE = """\
suite: e2e
rounds: {samples: 1}
defaults: {warmup: 0, iterations: 6, memory: false, timeout: 30s}
thresholds: {duration: 50%}
benchmarks:
  - name: nap
    command: sh nap.sh
"""
FAST, SLOW = 0.02, 0.08  # 4x: far beyond a busy machine's noise


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def history_in(workspace: Path, slow_from: int) -> list[str]:
    """The workspace as a checkout of 9 commits; from ``slow_from`` on, ``nap`` sleeps 4x
    as long. The SHAs, oldest first."""
    (workspace / ".aiwf" / "bench.yml").write_text(SUITE, encoding="utf-8")
    git(workspace, "init", "-q")
    git(workspace, "config", "user.email", "t@example.com")
    git(workspace, "config", "user.name", "t")
    shas = []
    for i in range(9):
        nap = SLOW if i >= slow_from else FAST
        (workspace / "nap.sh").write_text(f"sleep {nap}\n", encoding="utf-8")
        (workspace / "notes.txt").write_text(f"change {i}\n", encoding="utf-8")
        git(workspace, "add", "-A")
        git(workspace, "commit", "-q", "-m", f"change {i}")
        shas.append(git(workspace, "rev-parse", "HEAD"))
    return shas


def test_a_new_slowdown_over_several_commits_is_bisected_to_its_commit(action: Action) -> None:
    shas = history_in(action.workspace, slow_from=5)
    rng = random.Random(5)
    for _ in range(12):  # the old level, all stored as the first commit's runs
        stored_run(action, 0, FAST * 1.1, rng, sha=shas[0])
    for sha in shas[6:8]:  # the new level from the sixth commit on: confirmed by this push
        stored_run(action, 0, SLOW * 1.05, rng, sha=sha)
    push = action.event("push.new-branch.json")
    done = action.run("push", push, **{"bisect-on-change": "true", "history-issue": "true"})
    assert done.code == 0, done.stdout + done.stderr
    line = f"culprit {shas[5][:7]} change 5 (bisected in"
    assert line in done.summary, done.summary
    assert f"between {shas[0][:7]} and {shas[6][:7]}" in done.summary
    [issue] = action.fake.issues.values()
    assert line in issue["body"]
    off = action.run("push", push)  # bisect-on-change is off by default
    assert "culprit" not in off.summary
