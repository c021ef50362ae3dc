"""Helpers for building real clients against the fake: a recording ``sleep``, a factory type."""

from __future__ import annotations

from collections.abc import Callable

from aiwf_ci.github.client import GitHubClient

ClientFactory = Callable[..., GitHubClient]


class SleepRecorder:
    """An injected ``sleep`` that records the waits instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)

    @property
    def total(self) -> float:
        return sum(self.calls)
