"""``aiwf-ci bisect`` end to end: a small git history, each step real paired rounds."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.integration.cli_helpers import aiwf

CONFIG = """\
suite: bisect
rounds: {samples: 1}
thresholds: {duration: 50%}
defaults: {warmup: 1, memory: false}
benchmarks:
  - name: nap
    command: sh nap.sh
"""
FAST, SLOW = "sleep 0.01\n", "sleep 0.04\n"  # 4x: far beyond a busy machine's noise


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def history(
    root: Path, slow_from: int | None, broken: int | None = None, commits: int = 9
) -> list[str]:
    """A repository: a good first commit, then 8 commits; from ``slow_from`` on the
    benchmark sleeps 4x as long, commit ``broken`` alone has an unreadable config. The
    SHAs, oldest first (index 0 is the good commit)."""
    root.mkdir()
    git(root, "init", "-q")
    git(root, "config", "user.email", "t@example.com")
    git(root, "config", "user.name", "t")
    (root / ".aiwf").mkdir()
    shas = []
    for i in range(commits):
        (root / ".aiwf" / "bench.yml").write_text(
            "suite: [broken\n" if i == broken else CONFIG, encoding="utf-8"
        )
        slow = slow_from is not None and i >= slow_from
        (root / "nap.sh").write_text(SLOW if slow else FAST, encoding="utf-8")
        (root / "notes.txt").write_text(f"change {i}\n", encoding="utf-8")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", f"change {i}")
        shas.append(git(root, "rev-parse", "HEAD"))
    return shas


def bisect(repo: Path, good: str, bad: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return aiwf("bisect", "--good", good, "--bad", bad, "--no-setup", *extra, cwd=repo, timeout=900)


def steps_of(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("step ")]


def test_the_slow_commit_is_named_in_at_most_four_steps(tmp_path: Path) -> None:
    shas = history(tmp_path / "repo", slow_from=6)
    done = bisect(tmp_path / "repo", shas[0], "HEAD")
    assert done.returncode == 0, done.stdout + done.stderr
    steps = steps_of(done.stdout)
    assert 1 < len(steps) <= 4, done.stdout
    assert steps[0].startswith(f"step 1  {shas[8][:7]}  regression")
    assert done.stdout.splitlines()[-1].startswith(f"first bad commit: {shas[6][:7]} change 6")


def test_a_long_search_keeps_the_good_tree(tmp_path: Path) -> None:
    """Six trees and more: the tree cache's eviction must not take the good commit's tree,
    in use at every step (each step then failed as an error and was skipped)."""
    shas = history(tmp_path / "repo", slow_from=16, commits=17)
    done = bisect(tmp_path / "repo", shas[0], shas[16])
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(steps_of(done.stdout)) >= 5 and "skipped" not in done.stdout
    assert done.stdout.splitlines()[-1].startswith(f"first bad commit: {shas[16][:7]}")


def test_a_history_without_a_regression_says_so(tmp_path: Path) -> None:
    shas = history(tmp_path / "repo", slow_from=None)
    done = bisect(tmp_path / "repo", shas[0], shas[8])
    assert done.returncode == 1, done.stdout + done.stderr
    assert len(steps_of(done.stdout)) == 1
    last = done.stdout.splitlines()[-1]
    assert last.startswith(f"no regression between {shas[0][:7]} and {shas[8][:7]}")


def test_a_commit_that_cannot_be_read_is_skipped_and_named(tmp_path: Path) -> None:
    shas = history(tmp_path / "repo", slow_from=6, broken=4)  # 4 is the first midpoint
    done = bisect(tmp_path / "repo", shas[0], shas[8])
    assert done.returncode == 0, done.stdout + done.stderr
    skipped = [s for s in steps_of(done.stdout) if "skipped" in s]
    assert len(skipped) == 1 and skipped[0].split()[2] == shas[4][:7], done.stdout
    assert "cannot be set up" in skipped[0]
    assert done.stdout.splitlines()[-1].startswith(f"first bad commit: {shas[6][:7]}")


def test_refs_that_are_not_a_range_are_bad_input(tmp_path: Path) -> None:
    shas = history(tmp_path / "repo", slow_from=None)
    backwards = bisect(tmp_path / "repo", shas[8], shas[0])
    unknown = bisect(tmp_path / "repo", "no-such-ref", shas[8])
    for done, words in ((backwards, "is not an ancestor of"), (unknown, "is not a commit")):
        assert done.returncode == 2, done.stdout + done.stderr
        assert words in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
