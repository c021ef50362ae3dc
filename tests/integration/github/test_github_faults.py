"""Every fault from issue 5 is survived with the right outcome and a bounded wait."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from aiwf_ci.errors import BaselineError, GitHubAPIError
from aiwf_ci.github.baseline import ArtifactBaselineStore
from aiwf_ci.github.comments import upsert_comment
from tests.fakegithub import FakeGitHub
from tests.fakegithub.clients import ClientFactory, SleepRecorder
from tests.fakegithub.scenario import PR_NUMBER, SUITE, pr_pass, query, seed_baseline

RUNS = r"/actions/workflows/[^/]+/runs$"
COMMENTS = r"/issues/\d+/comments$"


@pytest.mark.parametrize("status", [500, 502, 503])
def test_transient_5xx_is_retried(
    fake: FakeGitHub, make_client: ClientFactory, sleeps: SleepRecorder, status: int
) -> None:
    seed_baseline(fake)
    fake.fail(RUNS, status, times=2)
    client = make_client()
    baseline, _ = pr_pass(client)
    assert baseline.run_id is not None
    assert fake.count("GET", RUNS) == 3
    assert len(sleeps.calls) == 2
    assert sleeps.total < 1


def test_persistent_5xx_gives_a_no_baseline_reason_after_bounded_retries(
    fake: FakeGitHub, make_client: ClientFactory, sleeps: SleepRecorder
) -> None:
    seed_baseline(fake)
    fake.fail(RUNS, 503, times=100)
    client = make_client(max_retries=3)
    with pytest.raises(BaselineError, match="HTTP 503"):
        ArtifactBaselineStore(client, query()).fetch()
    assert fake.count("GET", RUNS) == 4
    assert sleeps.total < 1


def test_connection_reset_on_a_read_is_retried(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    seed_baseline(fake)
    fake.drop(RUNS, times=1)
    baseline, outcome = pr_pass(make_client())
    assert baseline.run_id is not None
    assert outcome.action == "created"
    assert fake.count("GET", RUNS) == 2


def test_primary_rate_limit_waits_for_the_reset(
    fake: FakeGitHub, make_client: ClientFactory, sleeps: SleepRecorder
) -> None:
    seed_baseline(fake)
    fake.primary_rate_limit(RUNS, reset_in=2)
    baseline, _ = pr_pass(make_client())
    assert baseline.run_id is not None
    assert 1 <= max(sleeps.calls) <= 4


def test_primary_rate_limit_past_the_wait_cap_fails_fast(
    fake: FakeGitHub, make_client: ClientFactory, sleeps: SleepRecorder
) -> None:
    seed_baseline(fake)
    fake.primary_rate_limit(RUNS, reset_in=3600, times=5)
    client = make_client(max_total_wait=5.0)
    with pytest.raises(BaselineError, match="rate limit exceeded"):
        ArtifactBaselineStore(client, query()).fetch()
    assert sleeps.total <= 5.0
    assert fake.count("GET", RUNS) == 1
    # the limit is known now: the next request is not even sent
    with pytest.raises(GitHubAPIError, match="rate limit exhausted"):
        client.get_json(f"/repos/{fake.repo}")
    assert fake.count() == 1


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_rate_limit_honours_retry_after(
    fake: FakeGitHub, make_client: ClientFactory, sleeps: SleepRecorder, status: int
) -> None:
    seed_baseline(fake)
    fake.secondary_rate_limit(RUNS, status=status, retry_after=3)
    baseline, _ = pr_pass(make_client())
    assert baseline.run_id is not None
    assert sleeps.calls[0] == 3


@pytest.mark.parametrize("status", [403, 429])
def test_secondary_rate_limit_without_retry_after_waits_a_minute_within_the_cap(
    fake: FakeGitHub, make_client: ClientFactory, sleeps: SleepRecorder, status: int
) -> None:
    seed_baseline(fake)
    fake.secondary_rate_limit(RUNS, status=status, retry_after=None)
    baseline, _ = pr_pass(make_client(max_total_wait=90.0))
    assert baseline.run_id is not None
    assert 60 <= sleeps.total <= 90


def test_secondary_rate_limit_without_retry_after_beyond_the_cap_gives_up(
    fake: FakeGitHub, make_client: ClientFactory, sleeps: SleepRecorder
) -> None:
    seed_baseline(fake)
    fake.secondary_rate_limit(RUNS, status=429, retry_after=None)
    with pytest.raises(BaselineError, match="429"):
        ArtifactBaselineStore(make_client(max_total_wait=5.0), query()).fetch()
    assert sleeps.total == 0


def test_rate_limited_comment_post_is_re_sent_once(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    fake.secondary_rate_limit(COMMENTS, retry_after=1, method="POST")
    outcome = upsert_comment(make_client(), fake.repo, PR_NUMBER, SUITE, "body")
    assert outcome.action == "created"
    assert fake.count("POST", COMMENTS) == 2
    assert len(fake.comment_bodies(PR_NUMBER)) == 1


@pytest.mark.parametrize("drop", [False, True])
def test_post_that_landed_but_failed_is_not_duplicated(
    fake: FakeGitHub, make_client: ClientFactory, drop: bool
) -> None:
    if drop:
        fake.drop(COMMENTS, method="POST", after_apply=True)
    else:
        fake.fail(COMMENTS, 502, method="POST", after_apply=True)
    outcome = upsert_comment(make_client(), fake.repo, PR_NUMBER, SUITE, "body")
    assert outcome.action == "created"
    assert fake.count("POST", COMMENTS) == 1
    assert len(fake.comment_bodies(PR_NUMBER)) == 1


def test_post_that_failed_before_landing_is_posted_again_after_checking(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    fake.fail(COMMENTS, 502, method="POST")
    outcome = upsert_comment(make_client(), fake.repo, PR_NUMBER, SUITE, "body")
    assert outcome.action == "created"
    assert fake.count("POST", COMMENTS) == 2
    assert fake.count("GET", COMMENTS) == 2  # listed, then re-listed before re-posting
    assert len(fake.comment_bodies(PR_NUMBER)) == 1


def test_read_only_token_on_comment_is_a_warning(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    fake.read_only = True
    outcome = upsert_comment(make_client(), fake.repo, PR_NUMBER, SUITE, "body")
    assert outcome.action == "warning"
    assert "read-only" in outcome.warning
    assert fake.comment_bodies(PR_NUMBER) == []


def test_bad_credentials_are_an_error_without_the_token(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    client = make_client(token="ghp_wrongTOKENwrongTOKENwrongTOKEN0000")
    with pytest.raises(GitHubAPIError, match="401") as info:
        client.get_json(f"/repos/{fake.repo}")
    assert "wrongTOKEN" not in str(info.value)


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("api_url", "why"),
    [
        (f"http://127.0.0.1:{closed_port()}", "connection refused"),
        ("http://aiwf-ci-test.invalid", "host name does not resolve"),
    ],
    ids=["refused", "no-such-host"],
)
def test_an_unreachable_api_is_given_up_on_once_for_the_whole_run(
    make_client: ClientFactory, sleeps: SleepRecorder, api_url: str, why: str
) -> None:
    client = make_client(api_url=api_url, max_retries=3)
    with pytest.raises(GitHubAPIError, match=f"after 4 attempts \\({why}\\)"):
        client.get_json("/repos/Codertocat/Hello-World/actions/runs")
    assert len(sleeps.calls) == 3  # its own retries, once
    host = api_url.removeprefix("http://")
    later = f"{host} is not reachable \\({why}, earlier in this run\\); not tried again"
    with pytest.raises(BaselineError, match=later):
        ArtifactBaselineStore(client, query()).fetch()
    with pytest.raises(GitHubAPIError, match=later):
        client.download(f"{api_url}/repos/o/r/tarball/x", Path("unused"), max_bytes=10)
    assert len(sleeps.calls) == 3  # no more retries, no more waits


def test_a_dead_storage_host_does_not_condemn_the_api(
    fake: FakeGitHub, make_client: ClientFactory, sleeps: SleepRecorder, tmp_path: Path
) -> None:
    fake.add_tarball("a" * 40, b"tarball")
    fake.storage.stop()
    client = make_client(max_retries=2)
    url = f"{fake.base_url}/repos/{fake.repo}/tarball/{'a' * 40}"
    with pytest.raises(GitHubAPIError, match="connection refused"):
        client.download(url, tmp_path / "t.tar.gz", max_bytes=100)
    assert len(sleeps.calls) == 2
    with pytest.raises(GitHubAPIError, match="connection refused"):
        client.download(url, tmp_path / "t.tar.gz", max_bytes=100)
    assert len(sleeps.calls) == 2  # the storage host is known dead: no retries
    assert fake.count("GET", r"/tarball/") == 4  # the API itself is still asked
    assert client.get_json(f"/repos/{fake.repo}")["full_name"] == fake.repo


def test_a_dropped_connection_is_not_taken_for_a_dead_host(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    seed_baseline(fake)
    fake.drop(RUNS, times=2)
    client = make_client(max_retries=1)
    with pytest.raises(BaselineError, match="connection failed after 2 attempts"):
        ArtifactBaselineStore(client, query()).fetch()
    baseline = ArtifactBaselineStore(client, query()).fetch()
    assert baseline.run_id is not None
