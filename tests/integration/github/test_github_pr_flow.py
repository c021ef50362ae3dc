"""The PR pass against the fake GitHub: cold, warm, expired; one comment; no token anywhere."""

from __future__ import annotations

import logging
import time

import pytest

from aiwf_ci.github.cache import CACHE_FILE
from tests.fakegithub import FakeGitHub
from tests.fakegithub.clients import ClientFactory
from tests.fakegithub.scenario import BASE_SHA, PR_NUMBER, pr_pass, seed_baseline


def test_cold_pass_finds_baseline_and_creates_comment(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    run_id = seed_baseline(fake)
    baseline, outcome = pr_pass(make_client())
    assert baseline.run_id == run_id
    assert baseline.head_sha == BASE_SHA
    assert baseline.exact
    assert baseline.results.suite == "demo-suite"
    assert outcome.action == "created"
    assert outcome.html_url.endswith(f"#issuecomment-{outcome.comment_id}")
    assert fake.count() <= 6, fake.counts()


def test_warm_pass_sends_no_request_and_leaves_one_comment(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    seed_baseline(fake)
    pr_pass(make_client())
    cold = fake.count()
    fake.reset_counts()
    warm_client = make_client()  # a new process: empty L1, same SQLite and artifact cache
    baseline, outcome = pr_pass(warm_client)
    assert fake.count() == 0, fake.counts()
    assert fake.storage.count() == 1  # the zip was downloaded once, in the cold pass
    assert outcome.action == "skipped"
    assert baseline.head_sha == BASE_SHA
    assert len(fake.comment_bodies(PR_NUMBER)) == 1
    stats = warm_client.stats()
    assert stats.requests_sent == 0
    assert stats.cache_hits >= 3  # runs, artifacts, comments (no /user for an app token)
    assert cold <= 6


def test_same_client_serves_repeats_from_the_cache(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    client = make_client()
    first = client.get_json(f"/repos/{fake.repo}")
    second = client.get_json(f"/repos/{fake.repo}")
    assert first == second
    assert fake.count("GET", r"^/repos/[^/]+/[^/]+$") == 1
    assert client.stats().cache_hits == 1


def test_expired_entries_are_revalidated_with_304(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    fake.max_age = 1
    seed_baseline(fake)
    pr_pass(make_client())
    time.sleep(1.2)
    fake.reset_counts()
    client = make_client()
    _, outcome = pr_pass(client)
    assert outcome.action == "skipped"
    revalidated = [r for r in fake.requests if r.headers.get("If-None-Match")]
    assert len(revalidated) == fake.count() >= 3
    assert client.stats().not_modified >= 2  # runs and artifacts are unchanged
    assert fake.count("POST") == fake.count("PATCH") == 0
    assert len(fake.comment_bodies(PR_NUMBER)) == 1


def test_changed_body_updates_the_same_comment(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    seed_baseline(fake)
    _, first = pr_pass(make_client(), body="v1")
    _, second = pr_pass(make_client(), body="v2")
    assert (first.action, second.action) == ("created", "updated")
    assert first.comment_id == second.comment_id
    bodies = fake.comment_bodies(PR_NUMBER)
    assert len(bodies) == 1
    assert bodies[0].split("\n")[1] == "v2"  # after the marker line
    _, third = pr_pass(make_client(), body="v2")
    assert third.action == "skipped"


def test_token_never_reaches_cache_file_or_logs(
    fake: FakeGitHub,
    make_client: ClientFactory,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    seed_baseline(fake)
    client = make_client()
    pr_pass(client)
    fake.fail(r"/issues/\d+/comments$", 502, method="GET", times=1)
    client.invalidate(f"/repos/{fake.repo}/issues/{PR_NUMBER}/comments")
    pr_pass(client, body="changed")
    client.close()
    cache_dir = client.settings.cache_dir
    blobs = b"".join(p.read_bytes() for p in cache_dir.rglob("*") if p.is_file())
    assert (cache_dir / CACHE_FILE).stat().st_size > 0
    assert fake.token.encode() not in blobs
    out, err = capsys.readouterr()
    assert caplog.records, "debug logging produced nothing to check"
    for text in (caplog.text, out, err, repr(client), repr(client.settings)):
        assert fake.token not in text
