"""Pytest fixtures around :class:`~tests.fakegithub.FakeGitHub`.

Import them into a ``conftest.py``::

    from tests.fakegithub.fixtures import fake_github  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakegithub.server import FakeGitHub


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    """A started fake GitHub API (and its storage host), stopped after the test."""
    with FakeGitHub() as fake:
        yield fake
