"""The check run upsert against the fake GitHub: found by name and head SHA, updated in place,
annotations in batches of 50, a token without ``checks: write`` a notice."""

from __future__ import annotations

import pytest

from aiwf_ci.errors import GitHubHTTPError
from aiwf_ci.github.checks import upsert_check_run
from aiwf_ci.report.checks import Annotation, CheckRunPlan
from tests.fakegithub import FakeGitHub
from tests.fakegithub.clients import ClientFactory

SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
OTHER_SHA = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"


def plan(conclusion: str = "failure", notes: int = 0, name: str = "aiwf-ci: e2e") -> CheckRunPlan:
    return CheckRunPlan(
        name=name,
        conclusion=conclusion,  # type: ignore[arg-type]
        title=f"title {conclusion}",
        summary=f"### summary {conclusion}\n",
        annotations=tuple(
            Annotation(
                path=".aiwf/bench.yml",
                line=n + 1,
                level="failure",
                title=f"b{n}",
                message=f"b{n} 30% slower",
            )
            for n in range(notes)
        ),
    )


def test_created_once_then_updated_in_place(fake: FakeGitHub, make_client: ClientFactory) -> None:
    client = make_client()
    first = upsert_check_run(client, fake.repo, SHA, plan("neutral"))
    assert first.action == "created"
    second = upsert_check_run(client, fake.repo, SHA, plan("failure"))
    assert second.action == "updated"
    assert second.check_run_id == first.check_run_id
    runs = fake.checks_on(SHA)
    assert len(runs) == 1
    assert runs[0]["conclusion"] == "failure"
    assert runs[0]["output"]["title"] == "title failure"
    assert fake.count("POST", r"/check-runs$") == 1
    assert fake.count("PATCH", r"/check-runs/\d+$") == 1


def test_a_new_client_on_the_same_cache_finds_it(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    """A re-run within the cache's lifetime: the write-through list shows our check run."""
    upsert_check_run(make_client(), fake.repo, SHA, plan("neutral"))
    again = upsert_check_run(make_client(), fake.repo, SHA, plan("success"))
    assert again.action == "updated"
    assert [r["conclusion"] for r in fake.checks_on(SHA)] == ["success"]


def test_other_names_and_commits_are_left_alone(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    client = make_client()
    upsert_check_run(client, fake.repo, SHA, plan(name="aiwf-ci: a"))
    upsert_check_run(client, fake.repo, SHA, plan(name="aiwf-ci: b"))
    upsert_check_run(client, fake.repo, OTHER_SHA, plan(name="aiwf-ci: a"))
    assert len(fake.checks_on(SHA)) == 2
    assert len(fake.checks_on(OTHER_SHA)) == 1
    assert fake.count("PATCH") == 0


def test_more_than_50_annotations_go_in_batches(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    outcome = upsert_check_run(make_client(), fake.repo, SHA, plan(notes=120))
    assert outcome.requests == 3
    assert fake.count("POST", r"/check-runs$") == 1
    assert fake.count("PATCH", r"/check-runs/\d+$") == 2
    (run,) = fake.checks_on(SHA)
    assert [a["title"] for a in fake.annotations[run["id"]]] == [f"b{n}" for n in range(120)]
    assert run["conclusion"] == "failure"


def test_without_checks_write_a_notice(fake: FakeGitHub, make_client: ClientFactory) -> None:
    fake.checks_write = False
    outcome = upsert_check_run(make_client(), fake.repo, SHA, plan())
    assert outcome.action == "notice"
    assert "checks: write" in outcome.notice
    assert fake.checks_on(SHA) == []


def test_other_errors_are_raised_for_the_caller_to_warn(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    fake.fail(r"/check-runs$", 422, method="POST", body={"message": "Validation Failed"})
    with pytest.raises(GitHubHTTPError, match=r"creating the check run.*422"):
        upsert_check_run(make_client(), fake.repo, SHA, plan())


def test_the_token_never_reaches_the_check_run(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    leaky = CheckRunPlan(
        name="aiwf-ci: e2e",
        conclusion="failure",
        title=f"failed with {fake.token}",
        summary=f"output: {fake.token}\n",
        annotations=(
            Annotation(path="b.yml", line=1, level="failure", title="t", message=fake.token),
        ),
    )
    upsert_check_run(make_client(), fake.repo, SHA, leaky)
    (run,) = fake.checks_on(SHA)
    assert fake.token not in str(run)
    assert fake.token not in str(fake.annotations[run["id"]])
