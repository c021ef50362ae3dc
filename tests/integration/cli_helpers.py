"""Run the real ``aiwf-ci`` command in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def aiwf(
    *args: str | Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 180,
) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "AIWF_"))
    }
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "aiwf_ci", *map(str, args)],
        cwd=cwd or REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
