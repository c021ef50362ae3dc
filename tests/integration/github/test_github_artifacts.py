"""Artifact download and unpacking: the token stays home, hostile zips are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiwf_ci.errors import ArtifactError, BaselineError
from aiwf_ci.github.artifacts import ExtractLimits, download_run_artifact
from aiwf_ci.github.baseline import ArtifactBaselineStore, BaselineQuery
from aiwf_ci.models.baseline import LocalBaselineStore
from tests.fakegithub import FakeGitHub, bomb_zip, corrupt_zip, make_zip, results_zip, symlink_zip
from tests.fakegithub.clients import ClientFactory
from tests.fakegithub.scenario import BASE_SHA, query, results_dict, seed_baseline


def fetch(make_client: ClientFactory, **limits: int) -> None:
    ArtifactBaselineStore(make_client(), query(), limits=ExtractLimits(**limits)).fetch()


def test_storage_host_never_sees_the_token(fake: FakeGitHub, make_client: ClientFactory) -> None:
    seed_baseline(fake)
    ArtifactBaselineStore(make_client(), query()).fetch()
    zip_requests = [r for r in fake.requests if r.path.endswith("/zip")]
    assert zip_requests[0].headers["Authorization"] == f"Bearer {fake.token}"
    assert fake.storage.count("GET") == 1
    (blob,) = fake.storage.requests
    assert "Authorization" not in blob.headers
    assert fake.token not in json.dumps(blob.headers)


def test_expired_flag_is_a_reason(fake: FakeGitHub, make_client: ClientFactory) -> None:
    run = fake.add_run(head_sha=BASE_SHA)
    fake.add_artifact(run["id"], results_zip(results_dict()), expired=True)
    with pytest.raises(BaselineError, match="expired"):
        fetch(make_client)
    assert fake.count("GET", r"/zip$") == 0


def test_http_410_is_a_reason(fake: FakeGitHub, make_client: ClientFactory) -> None:
    seed_baseline(fake)
    fake.fail(r"/zip$", 410, body={"message": "Artifact has expired"})
    with pytest.raises(BaselineError, match=r"expired \(HTTP 410\)"):
        fetch(make_client)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (corrupt_zip(), "corrupt"),
        (make_zip({"../evil.json": "{}", "results.json": "{}"}), "escapes"),
        (make_zip({"/etc/evil.json": "{}"}), "absolute"),
        (symlink_zip(), "symbolic link"),
        (make_zip({"report.md": "no results here"}), "no results.json"),
        (make_zip({"results.json": '{"schema": "nope"}'}), "unusable results.json"),
    ],
    ids=["corrupt", "dotdot", "absolute", "symlink", "missing", "invalid"],
)
def test_hostile_or_broken_zips_are_refused(
    fake: FakeGitHub, make_client: ClientFactory, tmp_path: Path, data: bytes, reason: str
) -> None:
    seed_baseline(fake, data=data)
    with pytest.raises(BaselineError, match=reason):
        fetch(make_client)
    assert not (tmp_path / "evil.json").exists()
    assert not list(tmp_path.rglob("evil.json"))


def test_zip_bomb_is_refused_before_inflating(fake: FakeGitHub, make_client: ClientFactory) -> None:
    seed_baseline(fake, data=bomb_zip(32 * 1024 * 1024))
    with pytest.raises(ArtifactError, match="cap"):
        fetch(make_client, max_total_bytes=1024 * 1024)


def test_download_size_cap(fake: FakeGitHub, make_client: ClientFactory) -> None:
    seed_baseline(fake, data=results_zip(results_dict(), extra={"big.bin": b"x" * 4096}))
    with pytest.raises(ArtifactError, match="cap"):
        fetch(make_client, max_download_bytes=512)


def test_no_runs_is_a_reason(fake: FakeGitHub, make_client: ClientFactory) -> None:
    with pytest.raises(BaselineError, match="no successful push run"):
        fetch(make_client)


def test_other_workflows_branches_and_events_are_ignored(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    data = results_zip(results_dict())
    for run in (
        fake.add_run(head_sha=BASE_SHA, path=".github/workflows/other.yml", workflow_id=7),
        fake.add_run(head_sha=BASE_SHA, branch="feature"),
        fake.add_run(head_sha=BASE_SHA, event="pull_request"),
        fake.add_run(head_sha=BASE_SHA, conclusion="failure"),
    ):
        fake.add_artifact(run["id"], data)
    with pytest.raises(BaselineError, match="no successful push run"):
        fetch(make_client)


def test_falls_back_to_the_newest_run_older_than_the_base_commit(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    older = seed_baseline(fake, sha="a" * 40)  # created 2026-01-01T00:00
    seed_baseline(fake, sha="b" * 40)  # created 2026-01-01T00:01, after the base commit
    fake.add_commit(BASE_SHA, "2026-01-01T00:00:30Z")
    baseline = ArtifactBaselineStore(make_client(), query()).fetch()
    assert baseline.run_id == older
    assert not baseline.exact
    assert "has no successful run" in baseline.note


def test_page_walk_is_bounded_and_finds_the_base_run_on_page_two(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    target = seed_baseline(fake)
    for n in range(5):
        fake.add_run(head_sha=f"{n:040d}")
    client = make_client(per_page=2)
    baseline = ArtifactBaselineStore(client, query()).fetch()
    assert baseline.run_id == target
    assert fake.count("GET", r"/runs$") == 3
    fake.reset_counts()
    short_walk = BaselineQuery(
        base_branch="main", base_sha="f" * 40, workflow="bench.yml", max_pages=1
    )
    fake.add_commit("f" * 40, "2020-01-01T00:00:00Z")
    with pytest.raises(BaselineError, match="older than base"):
        ArtifactBaselineStore(client, short_walk).fetch()
    assert fake.count("GET", r"/runs$") <= 1


def test_download_run_artifact_for_comment_mode(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    run = fake.add_run(head_sha=BASE_SHA, event="pull_request")
    fake.add_artifact(run["id"], make_zip({"comment.json": '{"pr": 2}'}), name="aiwf-comment")
    folder = download_run_artifact(make_client(), run["id"], "aiwf-comment")
    assert json.loads((folder / "comment.json").read_text()) == {"pr": 2}
    with pytest.raises(ArtifactError, match="no artifact named"):
        download_run_artifact(make_client(), run["id"], "missing")


def test_local_store(tmp_path: Path) -> None:
    path = tmp_path / "base.json"
    with pytest.raises(BaselineError, match="does not exist"):
        LocalBaselineStore(path).fetch()
    path.write_text(json.dumps(results_dict()))
    assert LocalBaselineStore(path).fetch().results.suite == "demo-suite"
    path.write_text("{not json")
    with pytest.raises(BaselineError, match="unusable"):
        LocalBaselineStore(path).fetch()
