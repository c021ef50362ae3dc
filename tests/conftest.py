"""Shared fixtures. The autouse one keeps a runner's own GITHUB_*/INPUT_* variables out of
every test, so tests behave the same locally and inside GitHub Actions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def _clean_github_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("GITHUB_", "INPUT_", "RUNNER_", "AIWF_")) or name == "CI":
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
def repo_root() -> Path:
    return REPO
