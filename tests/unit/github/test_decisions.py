"""Pure decisions of the GitHub layer: which run, which artifact, retry or not, how long."""

from __future__ import annotations

import random
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from aiwf_ci.github.artifacts import (
    ArtifactError,
    ArtifactInfo,
    ExtractLimits,
    check_members,
    choose_artifact,
    safe_member_path,
)
from aiwf_ci.github.baseline import RunInfo, choose_run, take_newest_first, workflow_file_from_ref
from aiwf_ci.github.comments import is_own_comment, prepare_body, written_by
from aiwf_ci.github.ratelimit import (
    RateLimitState,
    WaitBudget,
    backoff,
    classify,
    may_retry,
    pacing_delay,
    retry_delay,
)
from aiwf_ci.pacing import TokenBucket
from aiwf_ci.report import COMMENT_LIMIT
from aiwf_ci.report.escape import comment_marker as marker

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def run(n: int, sha: str) -> RunInfo:
    return RunInfo(id=n, head_sha=sha, created_at=T0 + timedelta(hours=n))


RUNS = [run(3, "c"), run(2, "b"), run(1, "a")]  # newest first, as listed


def test_choose_run_prefers_the_base_sha() -> None:
    assert choose_run(RUNS, "b") == RUNS[1]


def test_choose_run_falls_back_to_newest_older_than_the_base_commit() -> None:
    assert choose_run(RUNS, "x", not_after=T0 + timedelta(hours=2, minutes=30)) == RUNS[1]
    assert choose_run(RUNS, "x") == RUNS[0]
    assert choose_run(RUNS, "x", not_after=T0) is None
    assert choose_run([], "x") is None


def test_take_newest_first_stops_at_base_or_limit() -> None:
    assert take_newest_first(iter(RUNS), "b", 10) == RUNS[:2]
    assert take_newest_first(iter(RUNS), "zz", 2) == RUNS[:2]


def test_workflow_file_from_ref() -> None:
    ref = "octo/repo/.github/workflows/bench.yml@refs/pull/2/merge"
    assert workflow_file_from_ref(ref) == "bench.yml"


def artifact(n: int, *, name: str = "r", expired: bool = False) -> ArtifactInfo:
    return ArtifactInfo(
        id=n, name=name, expired=expired, download_url="", size=1, created_at=T0 + timedelta(n)
    )


def test_choose_artifact() -> None:
    assert choose_artifact([artifact(1), artifact(2), artifact(3, expired=True)], "r") == (
        artifact(2)
    )
    assert "expired" in str(choose_artifact([artifact(1, expired=True)], "r"))
    assert "no artifact named" in str(choose_artifact([artifact(1, name="x")], "r"))


@pytest.mark.parametrize("name", ["/abs", "\\win", "C:/x", "a/../../b", "..", "a\\b", "", "nul\0"])
def test_unsafe_member_paths(name: str) -> None:
    with pytest.raises(ArtifactError):
        safe_member_path(name)


def test_safe_member_paths() -> None:
    assert safe_member_path("dir/results.json").parts == ("dir", "results.json")
    assert safe_member_path("a..b/c").name == "c"


def test_check_members_counts_and_sizes() -> None:
    infos = [zipfile.ZipInfo(f"f{n}") for n in range(3)]
    with pytest.raises(ArtifactError, match="members"):
        check_members(infos, ExtractLimits(max_members=2))
    infos[0].file_size = 100
    with pytest.raises(ArtifactError, match="cap"):
        check_members(infos, ExtractLimits(max_total_bytes=99))


def test_marker_cannot_close_the_html_comment() -> None:
    assert marker("my-project") == "<!-- aiwf-ci:report suite=my-project -->"
    hostile = marker("x --> <script>\n")
    assert hostile.count("-->") == 1
    assert hostile.endswith(" -->")
    assert "\n" not in hostile
    assert "<script>" not in hostile
    assert marker("a b") != marker("a_b")


def test_prepare_body_starts_with_the_marker_once() -> None:
    assert prepare_body("s", "hi") == f"{marker('s')}\nhi\n"
    assert prepare_body("s", f"hi\n\n{marker('s')}\n") == f"{marker('s')}\nhi\n"
    assert prepare_body("s", prepare_body("s", "hi")) == f"{marker('s')}\nhi\n"


@pytest.mark.parametrize("with_marker", [True, False])
def test_a_body_over_the_limit_keeps_its_marker(with_marker: bool) -> None:
    """The cap cuts the text after the marker: the next run must still find the comment."""
    body = "y" * (COMMENT_LIMIT * 2) + (f"\n\n{marker('s')}\n" if with_marker else "")
    capped = prepare_body("s", body)
    assert len(capped) == COMMENT_LIMIT
    assert capped.startswith(marker("s") + "\n")
    assert capped.count(marker("s")) == 1
    assert is_own_comment(capped, marker("s"))
    assert "truncated" in capped


def test_only_a_marker_line_first_or_at_the_end_makes_a_comment_ours() -> None:
    ours = f"{marker('a')}\nreport\n"
    legacy = f"report\n\n{marker('a')}\n"  # as earlier versions wrote it
    quoting = f"error output: {marker('a')}\nmore text\n\n{marker('b')}\n"
    assert is_own_comment(ours, marker("a")) and is_own_comment(legacy, marker("a"))
    assert not is_own_comment(quoting, marker("a"))
    assert is_own_comment(quoting, marker("b"))
    assert not is_own_comment(f"{marker('a')} and more\n", marker("a"))
    assert not is_own_comment(None, marker("a"))


@pytest.mark.parametrize(
    ("author", "login", "ours"),
    [
        ("github-actions[bot]", "github-actions[bot]", True),
        ("other-app[bot]", "github-actions[bot]", False),  # once: any bot was ours
        ("monalisa", "monalisa", True),
        ("octocat", "monalisa", False),
        (None, "github-actions[bot]", False),
        ("", "", False),
    ],
)
def test_authorship_is_the_login_exactly(author: str | None, login: str, ours: bool) -> None:
    assert written_by(author, login) is ours


def test_a_huge_suite_name_still_fits_a_comment() -> None:
    """A 70,000-character suite name: a short marker (hash of the whole name), a body
    within GitHub's limit, two such names told apart."""
    name = "s" * 70_000
    body = prepare_body(name, "report " * 20_000)
    assert len(body) <= COMMENT_LIMIT
    assert len(marker(name)) < 300 and body.startswith(marker(name) + "\n")
    assert marker(name) != marker(name[:-1] + "t")
    assert is_own_comment(body, marker(name))


@pytest.mark.parametrize(
    ("status", "headers", "body", "expected"),
    [
        (200, {}, "", "ok"),
        (304, {}, "", "ok"),
        (502, {}, "", "transient"),
        (404, {}, "", "fatal"),
        (403, {"x-ratelimit-remaining": "0"}, "API rate limit exceeded", "primary"),
        (
            403,
            {"x-ratelimit-remaining": "10"},
            "You have exceeded a secondary rate limit",
            "secondary",
        ),
        (429, {}, "", "secondary"),
        (403, {"retry-after": "5"}, "", "secondary"),
        (403, {"x-ratelimit-remaining": "100"}, "Resource not accessible by integration", "fatal"),
    ],
)
def test_classify(status: int, headers: dict[str, str], body: str, expected: str) -> None:
    assert classify(status, headers, body) == expected


def test_writes_are_only_retried_after_rate_limits() -> None:
    assert may_retry("GET", "transient")
    assert not may_retry("POST", "transient")
    assert may_retry("POST", "secondary")
    assert not may_retry("GET", "fatal")


def test_retry_delay_order_of_preference() -> None:
    rng = random.Random(1)
    kw = {"attempt": 0, "now": 1000.0, "base": 1.0, "cap": 30.0, "rng": rng}
    assert retry_delay("secondary", {"retry-after": "7"}, **kw) == 7  # type: ignore[arg-type]
    primary = {"x-ratelimit-reset": "1010", "x-ratelimit-remaining": "0"}
    assert retry_delay("primary", primary, **kw) == 11  # type: ignore[arg-type]
    assert retry_delay("secondary", {}, **kw) == 60  # type: ignore[arg-type]
    assert 0.5 <= retry_delay("transient", {}, **kw) <= 1.0  # type: ignore[arg-type]


def test_backoff_grows_and_is_capped() -> None:
    rng = random.Random(2)
    delays = [backoff(n, base=1, cap=8, rng=rng) for n in range(8)]
    assert all(0.5 <= d <= 8 for d in delays)
    assert delays[-1] >= 4


def test_wait_budget_refuses_what_it_cannot_afford() -> None:
    slept: list[float] = []
    budget = WaitBudget(5, slept.append)
    assert budget.take(3)
    assert not budget.take(3)
    assert budget.take(2)
    assert slept == [3, 2]


def test_token_bucket_with_a_fake_clock() -> None:
    now = [0.0]
    bucket = TokenBucket(2.0, capacity=2, clock=lambda: now[0])
    assert [bucket.reserve(), bucket.reserve()] == [0.0, 0.0]
    assert bucket.reserve() == pytest.approx(0.5)
    now[0] = 10.0
    assert bucket.reserve() == 0.0


def test_pacing_delay() -> None:
    state = RateLimitState.from_headers(
        {"x-ratelimit-remaining": "10", "x-ratelimit-reset": "1100", "x-ratelimit-limit": "1000"}
    )
    assert state is not None
    assert pacing_delay(state, now=1000, slow_below=50) == pytest.approx(10)
    assert pacing_delay(state, now=1000, slow_below=5) == 0
    assert pacing_delay(None, now=1000, slow_below=50) == 0
    assert RateLimitState.from_headers({}) is None


def test_comment_marker_cannot_close_early() -> None:
    for suite in ("my-suite", "a b", "x-->y", "ü/é", "--x--"):
        assert "-->" not in marker(suite)[4:-3]
