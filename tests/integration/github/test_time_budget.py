"""The GitHub side's time budget, per phase: an API that accepts connections and never
answers, or a port that refuses them, ends the phase within its budget with a message saying
what the time went on, and the next phase still has its own."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiwf_ci.errors import GitHubAPIError
from aiwf_ci.github.client import GitHubClient
from aiwf_ci.github.settings import ClientSettings
from tests.fakegithub import FakeGitHub
from tests.fakegithub.clients import ClientFactory


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts every connection and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


def client(api_url: str, tmp_path: Path, budget: float) -> GitHubClient:
    settings = ClientSettings(
        token="ghs_budgettest0123456789",
        api_url=api_url,
        repository="o/r",
        cache_dir=tmp_path / "cache",
        timeout=1.0,
        time_budget=budget,
        backoff_base=0.05,
        max_total_wait=5.0,
    )
    return GitHubClient(settings)


def test_an_api_that_never_answers_ends_within_the_budget(
    silent_server: str, tmp_path: Path
) -> None:
    start = time.monotonic()
    with pytest.raises(GitHubAPIError, match=r"time budget|timed out|Timeout"):
        client(silent_server, tmp_path, budget=3.0).get_json("/repos/o/r/actions/runs")
    assert time.monotonic() - start < 3.0 + 15.0  # within the budget (not minutes), with slack


def test_a_closed_port_ends_within_the_budget(tmp_path: Path) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    start = time.monotonic()
    with pytest.raises(GitHubAPIError):
        client(f"http://127.0.0.1:{port}", tmp_path, budget=2.0).get_json("/repos/o/r")
    assert time.monotonic() - start < 2.0 + 15.0


def test_a_phase_that_spent_its_budget_does_not_starve_the_next(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    """Bug: one budget for the client's whole life, so a slow baseline left the comment none."""
    runs = f"/repos/{fake.repo}/actions/runs"
    fake.set_latency(runs + "$", 30.0)  # this path never answers in time
    client = make_client(time_budget=2.0, timeout=1.0)
    start = time.monotonic()
    with client.phase("baseline"), pytest.raises(GitHubAPIError) as failed:
        client.get_json(runs)
    assert time.monotonic() - start < 3 * 2.0  # bounded, never a hang
    said = str(failed.value)
    assert said.startswith(f"GET {runs}: the API did not answer within 2 s spent on the baseline")
    assert re.search(
        r"phase \([1-9] requests?, [1-9] retr(y|ies)\); the last attempt: ReadTimeout$", said
    ), said
    with client.phase("comment"):
        assert client.get_json(f"/repos/{fake.repo}")["full_name"] == fake.repo
    with client.phase("baseline"), pytest.raises(GitHubAPIError, match="baseline phase"):
        client.get_json(f"/repos/{fake.repo}")  # the spent phase stays spent
