"""Source trees on this machine: the workspace's git checkout, called the way a runner's file
ownership requires, and where the base commit's unpacked trees live.

On GitHub's runners a Docker action runs as root while ``actions/checkout`` made the workspace
as the runner's user (uid 1001), and git refuses a repository another user owns ("detected
dubious ownership") unless ``safe.directory`` names it. aiwf-ci never changes anyone's git
config: every git call it makes on a checkout passes ``-c safe.directory=<that checkout's top
folder>`` (command-line config, which git honours for this setting from 2.38 on), and the
set-up commands of a tree get the same setting through git's ``GIT_CONFIG_COUNT`` variables,
for their own processes only.

When git cannot give a commit, :func:`git_failure` says why in words a workflow can act on
(not in the history, git refused, not a checkout), never with git's own advice to run
``git config``, which a workflow cannot do inside the action's container.

Unpacked base trees are kept as ``<cache-dir>/trees/<scope>/<sha>/files``
(:func:`tree_dir`), so whoever sets a tree up can tell which commit it holds
(:func:`unpacked_commit`). Standard library only: cheap to import.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from pathlib import Path

SHA = re.compile(r"^[0-9a-f]{40}$")

FETCH_ALL = "use actions/checkout with fetch-depth: 0"
"""The one remedy a workflow has when the checkout lacks a commit."""

_NOT_IN_HISTORY = ("not a tree object", "not a valid object name", "bad object", "unknown revision")


def checkout_top(path: Path) -> Path | None:
    """The top folder of the git checkout ``path`` is in (the nearest folder, ``path``
    itself included, that holds ``.git``), resolved; ``None`` outside any checkout."""
    here = path.resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return None


def git_command(path: Path, *args: str) -> list[str] | None:
    """``git -c safe.directory=TOP -C path ARGS`` for the checkout ``path`` is in, where TOP
    is exactly that checkout's top folder; ``None`` when git is not installed."""
    git = shutil.which("git")
    if git is None:
        return None
    top = checkout_top(path) or path.resolve()
    return [git, "-c", f"safe.directory={top}", "-C", str(path), *args]


def safe_directory_env(env: Mapping[str, str], top: Path) -> dict[str, str]:
    """``env`` plus ``safe.directory=top`` as command-scope git config
    (``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n``/``GIT_CONFIG_VALUE_n``), after any entries
    ``env`` already has; nothing is written to a config file."""
    merged = dict(env)
    count = merged.get("GIT_CONFIG_COUNT", "0")
    index = int(count) if count.isdigit() else 0
    merged[f"GIT_CONFIG_KEY_{index}"] = "safe.directory"
    merged[f"GIT_CONFIG_VALUE_{index}"] = str(top)
    merged["GIT_CONFIG_COUNT"] = str(index + 1)
    return merged


def git_failure(stderr: str) -> str:
    """Why git could not give a commit, from its error output, in one line that suggests only
    what a workflow can do: the commit is not in the history, git refused the checkout, the
    workspace is not a checkout, or git's own error line (its hints left out)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith(("fatal:", "error:"))]
    first = (errors or lines or ["no error output"])[0]
    lowered = stderr.lower()
    if "dubious ownership" in lowered:
        return f"git refused to read the checkout, which belongs to another user ({first[:200]})"
    if "not a git repository" in lowered:
        return f"the workspace is not a git checkout; {FETCH_ALL}"
    if any(marker in lowered for marker in _NOT_IN_HISTORY):
        return f"the checkout's history does not have it (a shallow clone?); {FETCH_ALL}"
    return f"git failed ({first[:200]})"


def tree_dir(cache_dir: Path, scope: str, sha: str) -> Path:
    """Where the unpacked tree of commit ``sha`` is kept (its files in ``files/``)."""
    return cache_dir / "trees" / scope / sha


def unpacked_commit(root: Path) -> str | None:
    """The commit a tree unpacked by ``github.trees`` holds (``.../trees/<scope>/<sha>/files``);
    ``None`` for any other folder."""
    commit = root.parent.name
    if root.name == "files" and SHA.match(commit) and root.parent.parent.parent.name == "trees":
        return commit
    return None
