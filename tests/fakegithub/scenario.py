"""The PR scenario the tests and the benchmark replay: resolve the baseline, upsert the comment.

Kept here (not in a test module) so the cache benchmark and end-to-end tests run exactly the
same sequence of API calls as the integration tests.
"""

from __future__ import annotations

from typing import Any

from aiwf_ci.github.baseline import ArtifactBaselineStore, BaselineQuery
from aiwf_ci.github.client import GitHubClient
from aiwf_ci.github.comments import CommentOutcome, upsert_comment
from aiwf_ci.models import BenchmarkResult, Commit, Metric, Results, results_to_dict
from aiwf_ci.models.baseline import Baseline
from tests.fakegithub.server import FakeGitHub
from tests.fakegithub.zips import results_zip

BASE_SHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
PR_NUMBER = 2
SUITE = "demo-suite"


def results_dict(*, suite: str = SUITE, sha: str = BASE_SHA) -> dict[str, Any]:
    """A small valid ``aiwf-ci/results@1`` document."""
    metric = Metric.from_samples([0.101, 0.099, 0.1, 0.102, 0.098], unit="s")
    bench = BenchmarkResult(name="sort-1m", kind="command", metrics={"duration": metric})
    results = Results(suite=suite, benchmarks=(bench,), commit=Commit(sha=sha, ref="main"))
    return results_to_dict(results)


def seed_baseline(fake: FakeGitHub, *, sha: str = BASE_SHA, data: bytes | None = None) -> int:
    """A successful push run of ``bench.yml`` on main for ``sha``, with its results artifact."""
    run = fake.add_run(head_sha=sha)
    fake.add_artifact(run["id"], data if data is not None else results_zip(results_dict(sha=sha)))
    return int(run["id"])


def query(*, sha: str = BASE_SHA) -> BaselineQuery:
    return BaselineQuery(base_branch="main", base_sha=sha, workflow="bench.yml")


def pr_pass(
    client: GitHubClient, *, body: str = "## Benchmarks\n\nall good\n"
) -> tuple[Baseline, CommentOutcome]:
    """What the action does on a PR, GitHub-wise: baseline lookup, then the comment upsert."""
    baseline = ArtifactBaselineStore(client, query()).fetch()
    outcome = upsert_comment(client, client.settings.repository, PR_NUMBER, SUITE, body)
    return baseline, outcome
