"""The PR comment upsert: pages, authorship, App tokens, size cap."""

from __future__ import annotations

from aiwf_ci.github.comments import upsert_comment
from aiwf_ci.report import COMMENT_LIMIT
from aiwf_ci.report.escape import comment_marker as marker
from tests.fakegithub import FakeGitHub
from tests.fakegithub.clients import ClientFactory
from tests.fakegithub.scenario import PR_NUMBER, SUITE


def test_marker_on_a_later_page_is_found(fake: FakeGitHub, make_client: ClientFactory) -> None:
    for n in range(150):
        fake.add_comment(PR_NUMBER, f"chatter {n}", login="octocat")
    own = fake.add_comment(PR_NUMBER, f"old\n\n{marker(SUITE)}\n")
    outcome = upsert_comment(make_client(), fake.repo, PR_NUMBER, SUITE, "new")
    assert outcome.action == "updated"
    assert outcome.comment_id == own["id"]
    assert fake.count("GET", r"/comments$") == 2


def test_someone_elses_marker_comment_is_not_edited(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    theirs = fake.add_comment(PR_NUMBER, f"quoted\n\n{marker(SUITE)}\n", login="octocat")
    outcome = upsert_comment(make_client(), fake.repo, PR_NUMBER, SUITE, "mine")
    assert outcome.action == "created"
    assert outcome.comment_id != theirs["id"]
    assert fake.count("PATCH") == 0


def test_other_suites_are_left_alone(fake: FakeGitHub, make_client: ClientFactory) -> None:
    client = make_client()
    first = upsert_comment(client, fake.repo, PR_NUMBER, "suite-a", "a")
    second = upsert_comment(client, fake.repo, PR_NUMBER, "suite-b", "b")
    assert first.comment_id != second.comment_id
    assert len(fake.comment_bodies(PR_NUMBER)) == 2


def test_personal_token_user_is_read_from_user(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    fake.user_login = "monalisa"
    fake.token = "ghp_personalAccessToken0123456789"  # a PAT: GET /user answers
    client = make_client()
    assert client.authenticated_login() == "monalisa"
    assert fake.count("GET", "/user") == 1
    outcome = upsert_comment(client, fake.repo, PR_NUMBER, SUITE, "x")
    assert outcome.action == "created"


def test_app_token_falls_back_to_the_actions_bot(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    own = fake.add_comment(PR_NUMBER, f"old\n\n{marker(SUITE)}\n", login="github-actions[bot]")
    fake.user_login = None  # /user answers 403 for an installation token
    client = make_client()
    assert client.authenticated_login() == "github-actions[bot]"
    assert fake.count("GET", "/user") == 0  # an app token (ghs_) is not even asked
    outcome = upsert_comment(client, fake.repo, PR_NUMBER, SUITE, "new")
    assert outcome.action == "updated"
    assert outcome.comment_id == own["id"]


def test_body_is_hard_capped_and_keeps_the_marker(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    outcome = upsert_comment(make_client(), fake.repo, PR_NUMBER, SUITE, "x" * 100_000)
    assert outcome.action == "created"
    (body,) = fake.comment_bodies(PR_NUMBER)
    assert len(body) <= COMMENT_LIMIT
    assert body.rstrip().endswith(marker(SUITE))
    assert "truncated" in body


def test_an_app_token_finds_its_comment_under_the_app_s_own_bot_name(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    """A GitHub App's installation token writes as ``my-app[bot]``, not the Actions bot."""
    fake.user_login = "my-app[bot]"  # who the fake lets edit: the app's own comments
    fake.add_comment(PR_NUMBER, f"by a person\n\n{marker(SUITE)}\n", login="octocat")
    own = fake.add_comment(PR_NUMBER, f"old\n\n{marker(SUITE)}\n", login="my-app[bot]")
    outcome = upsert_comment(make_client(), fake.repo, PR_NUMBER, SUITE, "new")
    assert (outcome.action, outcome.comment_id) == ("updated", own["id"])
