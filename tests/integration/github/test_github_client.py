"""Client mechanics over real HTTP: pacing, counters, a GitHub Enterprise Server base path."""

from __future__ import annotations

from pathlib import Path

from aiwf_ci.github.client import GitHubClient
from aiwf_ci.github.settings import ClientSettings
from tests.fakegithub import FakeGitHub
from tests.fakegithub.clients import ClientFactory, SleepRecorder
from tests.fakegithub.scenario import pr_pass, seed_baseline


def test_pacing_slows_down_near_the_limit(
    fake: FakeGitHub, make_client: ClientFactory, sleeps: SleepRecorder
) -> None:
    fake.rate_remaining = 10
    client = make_client(slow_below_remaining=50, max_total_wait=10_000)
    client.get_json("/rate_limit")
    client.get_json(f"/repos/{fake.repo}")
    assert sleeps.calls, "no pacing delay before the second request"
    assert sleeps.calls[-1] > 60  # about an hour spread over the 9 requests left
    assert client.stats().rate_limit_remaining == 8


def test_stats_are_reportable(fake: FakeGitHub, make_client: ClientFactory) -> None:
    client = make_client()
    client.get_json("/rate_limit")
    client.get_json("/rate_limit")
    stats = client.stats().as_dict()
    assert stats["requests_sent"] == 1
    assert stats["cache_hits"] == 1
    assert stats["hit_rate"] == 0.5


def test_token_bucket_paces_bursts(
    fake: FakeGitHub, make_client: ClientFactory, sleeps: SleepRecorder
) -> None:
    client = make_client(requests_per_second=1.0, burst=2)
    for path in ("/rate_limit", "/user", f"/repos/{fake.repo}"):
        client.get_json(path)
    assert len(sleeps.calls) == 1
    assert 0.5 < sleeps.calls[0] <= 1.0


def test_enterprise_server_base_path(tmp_path: Path, sleeps: SleepRecorder) -> None:
    with FakeGitHub(prefix="/api/v3") as ghes:
        seed_baseline(ghes)
        settings = ClientSettings(
            token=ghes.token, api_url=ghes.base_url, repository=ghes.repo, cache_dir=tmp_path
        )
        with GitHubClient(settings, sleep=sleeps) as client:
            baseline, outcome = pr_pass(client)
            assert baseline.run_id is not None
            assert outcome.action == "created"
        assert all(r.path.startswith("/api/v3/") for r in ghes.requests)
