"""The PR comment upsert: pages, authorship, App tokens, size cap."""

from __future__ import annotations

import pytest

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
    assert body.startswith(marker(SUITE) + "\n")
    assert "truncated" in body


@pytest.mark.parametrize(
    "body",
    [
        f"{marker(SUITE)}\nanother bot's report\n",  # the marker first, as ours is
        f"another bot's report\n\n{marker(SUITE)}\n",  # the marker last, as ours was
        f"> quoting: {marker(SUITE)}\n",
    ],
)
def test_another_bot_s_marker_comment_is_never_ours(
    fake: FakeGitHub, make_client: ClientFactory, body: str
) -> None:
    """The token writes as ``github-actions[bot]`` (its login unreadable); another app's
    comment with the marker is neither edited nor blamed on a read-only token."""
    theirs = fake.add_comment(PR_NUMBER, body, login="other-app[bot]")
    outcome = upsert_comment(make_client(), fake.repo, PR_NUMBER, SUITE, "new")
    assert (outcome.action, outcome.warning) == ("created", "")
    assert outcome.comment_id != theirs["id"]
    assert fake.count("PATCH") == 0
    assert fake.comment_bodies(PR_NUMBER)[0] == body


def test_an_app_s_own_bot_name_is_not_taken_for_ours(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    """A GitHub App's token writes as ``my-app[bot]``, a login it cannot read: telling that
    app from any other is not possible, so its old comment is left and a new one posted
    (documented; a personal token or the workflow's ``GITHUB_TOKEN`` find theirs)."""
    fake.user_login = "my-app[bot]"  # who the fake lets write: the app itself
    old = fake.add_comment(PR_NUMBER, f"{marker(SUITE)}\nold\n", login="my-app[bot]")
    outcome = upsert_comment(make_client(), fake.repo, PR_NUMBER, SUITE, "new")
    assert outcome.action == "created" and outcome.comment_id != old["id"]
    assert fake.count("PATCH") == 0


def test_a_refused_edit_of_our_comment_does_not_blame_a_read_only_token_alone(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    own = fake.add_comment(PR_NUMBER, f"{marker(SUITE)}\nold\n")
    fake.user_login = "someone-else[bot]"  # the fake now refuses our edit (403)
    outcome = upsert_comment(make_client(), fake.repo, PR_NUMBER, SUITE, "new")
    assert outcome.action == "warning" and outcome.comment_id == own["id"]
    assert "could not update the PR comment" in outcome.warning
    assert "not its own" in outcome.warning
