"""PyGithub sends through each client's own transport, by public API only, over real HTTP:
clients on one API or on two never cross, other PyGithub users are left alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from github import Auth, Github

from aiwf_ci.errors import GitHubAPIError, GitHubHTTPError
from aiwf_ci.github.client import ROUTE_HEADER, GitHubClient, api_errors
from aiwf_ci.github.settings import ClientSettings
from tests.fakegithub import FakeGitHub
from tests.fakegithub.clients import ClientFactory
from tests.fakegithub.scenario import pr_pass, seed_baseline

WRONG = "ghp_wrongTOKENwrongTOKENwrongTOKEN0000"


def issues(client: GitHubClient) -> int:
    with api_errors("listing issues"):
        return len(list(client.repo().get_issues()))


def test_two_clients_on_one_api_keep_their_own_transport(
    tmp_path: Path, fake: FakeGitHub, make_client: ClientFactory
) -> None:
    first = make_client(cache_dir=tmp_path / "first")
    second = make_client(cache_dir=tmp_path / "second", token=WRONG)
    assert issues(first) == 0  # made before `second`, still sent with its own token
    with pytest.raises(GitHubHTTPError, match="401"):
        issues(second)
    assert first.stats().requests_sent == second.stats().requests_sent == 1
    assert first.stats().cache_hits == 0


def test_clients_on_two_apis_reach_their_own(
    tmp_path: Path, fake: FakeGitHub, make_client: ClientFactory
) -> None:
    with FakeGitHub(prefix="/api/v3") as other:
        settings = ClientSettings(
            token=other.token, api_url=other.base_url, repository=other.repo, cache_dir=tmp_path
        )
        with GitHubClient(settings) as far:
            near = make_client()
            issues(near)
            issues(far)
            issues(near)
    assert fake.count("GET") == 1  # the second listing came from `near`'s cache
    assert [r.path for r in other.requests] == [f"/api/v3/repos/{other.repo}/issues"]


def test_the_route_header_never_reaches_github(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    seed_baseline(fake)
    pr_pass(make_client())
    sent = [*fake.requests, *fake.storage.requests]
    assert len(sent) >= 5
    assert not [r for r in sent if ROUTE_HEADER.lower() in map(str.lower, r.headers)]


def test_other_pygithub_users_are_sent_the_stock_way(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    client = make_client()
    plain = Github(base_url=fake.base_url, auth=Auth.Token(fake.token), retry=None)
    try:
        assert plain.get_repo(fake.repo).full_name == fake.repo
    finally:
        plain.close()
    assert client.stats().requests_sent == 0
    assert fake.requests[-1].headers["Authorization"] == f"token {fake.token}"


def test_a_closed_clients_objects_fail_cleanly(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    client = make_client()
    repo = client.repo()  # lazy: no request yet
    client.close()
    with pytest.raises(GitHubAPIError, match="client is closed") as info:
        list(repo.get_issues())
    assert fake.token not in str(info.value)
    assert fake.count() == 0
