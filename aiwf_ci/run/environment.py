"""The environment fingerprint stored in results.json, so a comparison can tell whether
baseline and head ran on like machines (CPU model, cores, memory, OS, Python, runner)."""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psutil

from aiwf_ci.github.checkout import git_command
from aiwf_ci.models import Commit


def fingerprint(env: Mapping[str, str]) -> dict[str, Any]:
    """What machine this is; ``env`` supplies the runner/container names."""
    memory = psutil.virtual_memory().total
    return {
        "os": platform.platform(),
        "cpu_model": cpu_model(),
        "cores": os.cpu_count() or 0,
        "physical_cores": psutil.cpu_count(logical=False) or 0,
        "memory_bytes": memory,
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "runner": env.get("RUNNER_NAME", ""),
        "runner_os": env.get("RUNNER_OS", ""),
        "runner_arch": env.get("RUNNER_ARCH", platform.machine()),
        "container_image": env.get("AIWF_IMAGE", "") or _container_hint(),
    }


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    try:
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Model", "Hardware"):
                return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _container_hint() -> str:
    return (
        "container" if Path("/.dockerenv").exists() or Path("/run/.containerenv").exists() else ""
    )


def detect_commit(cwd: Path, env: Mapping[str, str]) -> Commit:
    """The commit under test: GitHub's variables, else ``git`` in ``cwd``, else empty."""
    if env.get("GITHUB_SHA"):
        return Commit(sha=env["GITHUB_SHA"], ref=env.get("GITHUB_REF", ""))
    return Commit(
        sha=_git(cwd, "rev-parse", "HEAD"), ref=_git(cwd, "rev-parse", "--abbrev-ref", "HEAD")
    )


def _git(cwd: Path, *args: str) -> str:
    """git's answer in ``cwd`` (a checkout another user may own), ``""`` when it has none."""
    command = git_command(cwd, *args)
    if command is None:
        return ""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""
