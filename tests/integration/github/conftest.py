"""Fixtures for the GitHub client tests: a fake GitHub and clients wired to it.

``tests.fakegithub`` must be importable; until the project's pytest config sets
``pythonpath = ["."]`` this conftest puts the repository root on ``sys.path`` itself.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[3])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from collections.abc import Iterator  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

from aiwf_ci.github.client import GitHubClient  # noqa: E402
from aiwf_ci.github.settings import ClientSettings  # noqa: E402
from tests.fakegithub import FakeGitHub  # noqa: E402
from tests.fakegithub.clients import ClientFactory, SleepRecorder  # noqa: E402


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def make_client(fake: FakeGitHub, tmp_path: Path, sleeps: SleepRecorder) -> Iterator[ClientFactory]:
    """Build clients against ``fake``; every client is closed after the test."""
    clients: list[GitHubClient] = []

    def build(**overrides: Any) -> GitHubClient:
        values: dict[str, Any] = {
            "token": fake.token,
            "api_url": fake.base_url,
            "repository": fake.repo,
            "cache_dir": tmp_path / "cache",
            "max_total_wait": 10.0,
            "backoff_base": 0.01,
        }
        values.update(overrides)
        client = GitHubClient(ClientSettings(**values), sleep=sleeps)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()
