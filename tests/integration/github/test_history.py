"""The base branch's history from artifacts, through a real client against the fake GitHub:
few requests cold, almost none warm, only this branch's own push runs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from aiwf_ci.github import history as history_module
from aiwf_ci.github.history import fetch_history
from tests.fakegithub import FakeGitHub
from tests.fakegithub.clients import ClientFactory
from tests.fakegithub.scenario import SUITE, results_dict
from tests.fakegithub.zips import make_zip, results_zip

NAME = "aiwf-benchmark-results"


def push_runs(fake: FakeGitHub, count: int, start: int = 0) -> list[str]:
    shas = []
    for i in range(start, start + count):
        sha = f"{i:040x}"
        run = fake.add_run(head_sha=sha, branch="main")
        fake.add_artifact(run["id"], results_zip(results_dict(sha=sha)))
        shas.append(sha)
    return shas


def test_thirty_runs_cold_then_warm(
    tmp_path: Path, fake: FakeGitHub, make_client: ClientFactory
) -> None:
    fake.max_age = 0  # the next run comes minutes later: every cached listing is stale
    shas = push_runs(fake, 40)
    history = fetch_history(make_client(), branch="main", name=NAME, points=30)
    assert [p.sha for p in history.points] == shas[-30:]  # the last 30, oldest first
    assert fake.count() <= 35, fake.counts()
    fake.reset_counts()
    new = push_runs(fake, 2, start=40)
    warm = fetch_history(make_client(), branch="main", name=NAME, points=30)
    assert [p.sha for p in warm.points][-2:] == new
    assert fake.count() <= 2 + 2, fake.counts()  # the listing, plus the two new artifacts


def test_other_branches_forks_expired_and_unreadable_are_left_out(
    fake: FakeGitHub, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="aiwf_ci.github.history")
    good = push_runs(fake, 3)
    other = fake.add_run(head_sha="b" * 40, branch="feature")
    fake.add_artifact(other["id"], results_zip(results_dict(sha="b" * 40)))
    expired = fake.add_run(head_sha="c" * 40, branch="main")
    fake.add_artifact(expired["id"], results_zip(results_dict()), expired=True)
    forked = fake.add_run(head_sha="e" * 40, branch="main", fork=True)  # a fork's "main"
    fake.add_artifact(forked["id"], results_zip(results_dict(sha="e" * 40)))
    broken = fake.add_run(head_sha="d" * 40, branch="main")
    fake.add_artifact(broken["id"], make_zip({"results.json": "{not json"}))
    history = fetch_history(make_client(), branch="main", name=NAME, points=30)
    assert [p.sha for p in history.points] == good
    left_out = [r.getMessage() for r in caplog.records if "left out" in r.getMessage()]
    assert len(left_out) == 1 and f"run {broken['id']}" in left_out[0]
    assert "not valid JSON" in left_out[0]


def test_another_suite_under_the_same_name_is_left_out_and_counted(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    """Two suites upload under the default artifact name: each history holds its own runs
    only (a 3x step of the other suite must not show up here), and the note says so."""
    mine = push_runs(fake, 4)
    for i in range(3):
        run = fake.add_run(head_sha=f"{i:x}" * 40, branch="main")
        fake.add_artifact(run["id"], results_zip(results_dict(suite="other", sha=f"{i:x}" * 40)))
    history = fetch_history(make_client(), branch="main", name=NAME, suite=SUITE, points=30)
    assert [p.sha for p in history.points] == mine
    assert {p.results.suite for p in history.points} == {SUITE}
    assert (history.other_suite, history.unreadable) == (3, 0)
    assert history.notes == (
        "3 stored run(s) of another suite under the same artifact name left out",
    )


def test_an_unreadable_artifact_is_counted_in_a_note(
    fake: FakeGitHub, make_client: ClientFactory
) -> None:
    good = push_runs(fake, 2)
    broken = fake.add_run(head_sha="d" * 40, branch="main")
    fake.add_artifact(broken["id"], make_zip({"results.json": "{not json"}))
    history = fetch_history(make_client(), branch="main", name=NAME, suite=SUITE, points=30)
    assert [p.sha for p in history.points] == good
    assert history.unreadable == 1
    assert len(history.notes) == 1 and "1 stored run(s) left out" in history.notes[0]


def test_history_holds_at_most_the_cap_and_only_what_the_trend_needs(
    fake: FakeGitHub, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the caller asks, no more than ``MAX_POINTS`` runs, each cut down to medians,
    samples and machine keys (no series, extras, alerts or other environment)."""
    monkeypatch.setattr(history_module, "MAX_POINTS", 3)
    for i in range(5):
        data = results_dict(sha=f"{i:040x}")
        data["environment"] = {"cpu_model": "x", "cores": 2, "huge": "y" * 100_000}
        bench = data["benchmarks"][0]
        bench["extra"] = {"blob": "z" * 100_000}
        bench["series"] = {"rss": {"unit": "B", "t": [0.0] * 5000, "values": [1.0] * 5000}}
        run = fake.add_run(head_sha=f"{i:040x}", branch="main")
        fake.add_artifact(run["id"], results_zip(data))
    history = fetch_history(make_client(), branch="main", name=NAME, suite=SUITE, points=10_000)
    assert [p.sha for p in history.points] == [f"{i:040x}" for i in (2, 3, 4)]
    for point in history.points:
        assert point.results.environment == {"cpu_model": "x", "cores": 2}
        (bench,) = point.results.benchmarks
        assert (dict(bench.series), dict(bench.extra)) == ({}, {})
        assert bench.metrics["duration"].stats.median == pytest.approx(0.1)
