"""What the GitHub cache saves on the action's own request pattern, and what it could not.

Replays the GitHub side of the action's three jobs — ``pr`` (artifact baseline, then the PR
comment), ``push`` (artifact baseline, then the 30-run history) and ``comment`` (the
``workflow_run`` artifact, the pull request, the comment) — through the library functions the
action calls, with ``ClientSettings`` defaults (the ``GITHUB_TOKEN`` pacing: 10 requests/s,
bursts of 20), against the fake GitHub of ``tests/fakegithub`` on 127.0.0.1 (no network, no
token). Each job runs as a new process would, with a new client:

- **cold**: an empty cache folder; **warm**: the cache folder of the cold job restored (fresh
  answers come from SQLite, no request); **stale**: the same, every answer expired (each GET
  is revalidated with ``If-None-Match``; a ``304`` does not count against the rate limit);
- **repeat GETs**: identical GETs one job asks for (every one of them reaches the fake in the
  stale run): what an in-memory cache in front of SQLite, or in-flight de-duplication, could
  save; **peak**: the most requests the fake answered at once: what a concurrent fetch could
  overlap. Both are 0 and 1 on every job, which is why the client has neither.

    python benchmarks/github_cache.py            # targets: cold PR <= 6 requests, warm PR 0

Exit status 1 if a target is missed, so CI can run it as a check.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiwf_ci.github.artifacts import download_run_artifact
from aiwf_ci.github.baseline import ArtifactBaselineStore
from aiwf_ci.github.client import GitHubClient
from aiwf_ci.github.comments import upsert_comment
from aiwf_ci.github.history import fetch_history
from aiwf_ci.github.settings import ClientSettings
from tests.fakegithub import FakeGitHub
from tests.fakegithub.scenario import PR_NUMBER, SUITE, query, results_dict, seed_baseline
from tests.fakegithub.zips import results_zip

COLD_TARGET = 6
WARM_TARGET = 0
REPEATS = 5
HISTORY = 30
ARTIFACT = "aiwf-benchmark-results"
BODY = "## Benchmarks\n\nall good\n"

Job = Callable[[GitHubClient, int], object]


def pr_job(client: GitHubClient, _run: int) -> None:
    ArtifactBaselineStore(client, query()).fetch()
    upsert_comment(client, client.settings.repository, PR_NUMBER, SUITE, BODY)


def push_job(client: GitHubClient, _run: int) -> None:
    ArtifactBaselineStore(client, query()).fetch()
    fetch_history(client, branch="main", name=ARTIFACT, points=HISTORY)


def comment_job(client: GitHubClient, run: int) -> None:
    download_run_artifact(client, run, ARTIFACT)
    client.get_json(f"/repos/{client.settings.repository}/pulls/{PR_NUMBER}")
    upsert_comment(client, client.settings.repository, PR_NUMBER, SUITE, BODY)


JOBS: dict[str, Job] = {"pr": pr_job, "push": push_job, "comment": comment_job}


def seed(fake: FakeGitHub) -> int:
    """The base run, 30 push runs of history, the pull request; returns the newest run."""
    run = seed_baseline(fake)
    for i in range(HISTORY):
        sha = f"{i:040x}"
        run = int(fake.add_run(head_sha=sha)["id"])
        fake.add_artifact(run, results_zip(results_dict(sha=sha)))
    fake.add_pull(PR_NUMBER, head_sha="ab" * 20)
    return run


def one_job(fake: FakeGitHub, cache_dir: Path, job: Job, run: int) -> dict[str, float]:
    """One job as a new process runs it: a new client on ``cache_dir``, default settings."""
    fake.reset_counts()
    fake.storage.reset_counts()
    settings = ClientSettings(
        token=fake.token, api_url=fake.base_url, repository=fake.repo, cache_dir=cache_dir
    )
    with GitHubClient(settings) as client:
        start = time.perf_counter()
        job(client, run)
        took = time.perf_counter() - start
        not_modified = client.stats().not_modified
    gets = Counter(
        (r.path, tuple(sorted(r.query.items()))) for r in fake.requests if r.method == "GET"
    )
    return {
        "requests": fake.count() + fake.storage.count(),
        "ms": took * 1000,
        "304": not_modified,
        "repeats": sum(n - 1 for n in gets.values()),
        "peak": max(fake.peak_in_flight, fake.storage.peak_in_flight),
    }


def twice(job: Job, tmp: Path, *, max_age: int) -> tuple[dict[str, float], dict[str, float]]:
    """A first job and the next one on its cache folder, answers cached for ``max_age`` s."""
    with FakeGitHub(max_age=max_age) as fake:
        run = seed(fake)
        cache = Path(tempfile.mkdtemp(dir=tmp))
        return one_job(fake, cache, job, run), one_job(fake, cache, job, run)


def sample(job: Job, tmp: Path) -> dict[str, float]:
    cold, warm = twice(job, tmp, max_age=60)
    first, stale = twice(job, tmp, max_age=0)  # every GET of both reaches the fake
    return {
        "cold requests": cold["requests"],
        "cold ms": cold["ms"],
        "warm requests": warm["requests"],
        "warm ms": warm["ms"],
        "stale requests": stale["requests"],
        "stale 304": stale["304"],
        "stale ms": stale["ms"],
        "repeats": max(first["repeats"], stale["repeats"]),
        "peak": max(cold["peak"], warm["peak"], first["peak"], stale["peak"]),
    }


def main() -> int:
    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        samples: dict[str, list[dict[str, float]]] = {name: [] for name in JOBS}
        for _ in range(REPEATS):  # interleaved, so drift hits every job alike
            for name, job in JOBS.items():
                samples[name].append(sample(job, Path(tmp)))
    for name, runs in samples.items():
        rows[name] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"GitHub side of the action, ClientSettings defaults, median of {REPEATS}")
    print(
        f"{'job':8} {'cold req':>8} {'cold ms':>8} {'warm req':>8} {'warm ms':>8} "
        f"{'stale req':>9} {'of them 304':>11} {'stale ms':>8} {'repeat GETs':>11} {'peak':>4}"
    )
    for name, r in rows.items():
        print(
            f"{name:8} {r['cold requests']:8.0f} {r['cold ms']:8.1f} {r['warm requests']:8.0f} "
            f"{r['warm ms']:8.1f} {r['stale requests']:9.0f} {r['stale 304']:11.0f} "
            f"{r['stale ms']:8.1f} {r['repeats']:11.0f} {r['peak']:4.0f}"
        )
    cold, warm = rows["pr"]["cold requests"], rows["pr"]["warm requests"]
    print(f"targets: cold PR <= {COLD_TARGET} requests (got {cold:.0f}), warm PR {WARM_TARGET}")
    return 0 if cold <= COLD_TARGET and warm <= WARM_TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
