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
