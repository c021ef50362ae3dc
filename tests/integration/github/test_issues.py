"""The history issue (created once, found by label and marker, edited in place) and the
acceptance label's audit, against the fake GitHub."""

from __future__ import annotations

from aiwf_ci.github.issues import HISTORY_LABEL, label_event, upsert_history_issue
from tests.fakegithub import FakeGitHub
from tests.fakegithub.clients import ClientFactory

MARKER = "<!-- aiwf-ci:history suite=demo -->"


def test_the_history_issue_is_created_once_then_updated(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    fake.add_issue("a person's issue", f"quoting {MARKER} here", labels=(HISTORY_LABEL,))
    first = upsert_history_issue(make_client(), title="Benchmarks", body="v1", marker=MARKER)
    second = upsert_history_issue(make_client(), title="Benchmarks", body="v2", marker=MARKER)
    third = upsert_history_issue(make_client(), title="Benchmarks", body="v2", marker=MARKER)
    assert (first.action, second.action, third.action) == ("created", "updated", "skipped")
    assert first.number == second.number == third.number
    ours = [i for i in fake.issues.values() if i["body"].rstrip().endswith(MARKER)]
    assert len(ours) == 1 and ours[0]["body"].startswith("v2")
    assert ours[0]["labels"] == [{"name": HISTORY_LABEL}]
    assert fake.count("POST") == 1


def test_the_label_audit_names_who_added_it_last(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    fake.add_label_event(2, "other", actor="bot", at="2026-12-01T10:00:00Z")
    fake.add_label_event(
        2, "benchmark-regression-accepted", actor="alice", at="2026-12-01T11:00:00Z"
    )
    fake.add_label_event(2, "benchmark-regression-accepted", actor="bob", at="2026-12-02T09:30:00Z")
    event = label_event(make_client(), 2, "benchmark-regression-accepted")
    assert event is not None and (event.actor, event.at) == ("bob", "2026-12-02T09:30:00Z")
    assert label_event(make_client(), 2, "never-added") is None


def test_an_issue_someone_else_wrote_is_never_edited(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    """Anyone with triage rights can label an issue and paste the marker (even with our
    title): that issue stays as its author wrote it, and ours is created beside it."""
    theirs = fake.add_issue(
        "Benchmarks", f"mine\n\n{MARKER}\n", labels=(HISTORY_LABEL,), login="mallory"
    )
    other_bot = fake.add_issue(
        "Benchmarks", f"bot\n\n{MARKER}\n", labels=(HISTORY_LABEL,), login="other-app[bot]"
    )
    outcome = upsert_history_issue(make_client(), title="Benchmarks", body="v1", marker=MARKER)
    assert outcome.action == "created"
    assert outcome.number not in (theirs["number"], other_bot["number"])
    assert fake.issues[theirs["number"]]["body"] == f"mine\n\n{MARKER}\n"
    assert fake.issues[other_bot["number"]]["body"] == f"bot\n\n{MARKER}\n"
    assert fake.count("PATCH") == 0


def test_without_a_readable_login_the_title_must_be_ours_too(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    """``GITHUB_TOKEN`` cannot read its login: an issue by ``github-actions[bot]`` (another
    workflow's, say) with the marker but another title is not ours."""
    fake.add_issue("Something else", f"x\n\n{MARKER}\n", labels=(HISTORY_LABEL,))
    first = upsert_history_issue(make_client(), title="Benchmarks", body="v1", marker=MARKER)
    second = upsert_history_issue(make_client(), title="Benchmarks", body="v2", marker=MARKER)
    assert (first.action, second.action) == ("created", "updated")
    assert first.number == second.number


def test_with_a_readable_login_the_issue_must_be_its_own(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    fake.user_login = "monalisa"
    fake.token = "ghp_personalAccessToken0123456789"  # a PAT: GET /user answers
    bot = fake.add_issue(
        "Benchmarks", f"x\n\n{MARKER}\n", labels=(HISTORY_LABEL,), login="github-actions[bot]"
    )
    first = upsert_history_issue(make_client(), title="Benchmarks", body="v1", marker=MARKER)
    second = upsert_history_issue(make_client(), title="Benchmarks", body="v2", marker=MARKER)
    assert first.action == "created" and first.number != bot["number"]
    assert (second.action, second.number) == ("updated", first.number)
    assert fake.issues[first.number]["user"]["login"] == "monalisa"
