"""How much the GitHub cache saves: requests for a cold and a warm PR run, cached vs uncached.

Runs the same PR scenario as the integration tests (baseline lookup + comment upsert) against
the fake GitHub of ``tests/fakegithub`` on 127.0.0.1, so it needs no network and no token.

    python benchmarks/github_cache.py            # targets: cold <= 6 requests, warm 0

Exit status 1 if a target is missed, so CI can run it as a check.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiwf_ci.github.client import GitHubClient
from aiwf_ci.github.settings import ClientSettings
from tests.fakegithub import FakeGitHub
from tests.fakegithub.scenario import pr_pass, seed_baseline

COLD_TARGET = 6
WARM_TARGET = 0
REPEATS = 50


def client_for(fake: FakeGitHub, cache_dir: Path, **overrides: object) -> GitHubClient:
    values: dict[str, object] = {
        "token": fake.token,
        "api_url": fake.base_url,
        "repository": fake.repo,
        "cache_dir": cache_dir,
    }
    values.update(overrides)
    return GitHubClient(ClientSettings(**values))  # type: ignore[arg-type]


def timed(
    call: Callable[[], object],
    repeats: int = REPEATS,
    before: Callable[[], object] = lambda: None,
) -> float:
    """Median seconds of ``call`` (``before`` runs untimed ahead of each call)."""
    samples = []
    for _ in range(repeats):
        before()
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def pr_runs(fake: FakeGitHub, cache_dir: Path) -> tuple[int, int]:
    seed_baseline(fake)
    with client_for(fake, cache_dir) as cold:
        pr_pass(cold)
        cold_sent = cold.stats().requests_sent
    with client_for(fake, cache_dir) as warm:  # a new job: same cache directory
        pr_pass(warm)
        warm_sent = warm.stats().requests_sent
    return cold_sent, warm_sent


def call_times(fake: FakeGitHub, cache_dir: Path) -> tuple[float, float, float]:
    path = f"/repos/{fake.repo}/actions/runs"
    unpaced = {"requests_per_second": 1e6, "burst": 10_000}
    with client_for(fake, cache_dir / "uncached", **unpaced) as uncached:
        cold = timed(lambda: uncached.get_json(path), before=lambda: uncached.invalidate(path))
    with client_for(fake, cache_dir / "l2", l1_size=0) as l2_only:
        l2_only.get_json(path)
        l2 = timed(lambda: l2_only.get_json(path))
    with client_for(fake, cache_dir / "l1") as l1:
        l1.get_json(path)
        hot = timed(lambda: l1.get_json(path))
    return cold, l2, hot


def main() -> int:
    with FakeGitHub() as fake, tempfile.TemporaryDirectory() as tmp:
        cold_sent, warm_sent = pr_runs(fake, Path(tmp) / "pr")
        uncached, l2, l1 = call_times(fake, Path(tmp))
    print(f"cold PR run: {cold_sent} requests sent (target <= {COLD_TARGET})")
    print(f"warm PR run: {warm_sent} requests sent (target {WARM_TARGET})")
    print(f"uncached call:          {uncached * 1000:8.3f} ms (median of {REPEATS})")
    print(f"cached call, L2 SQLite: {l2 * 1000:8.3f} ms")
    print(f"cached call, L1 memory: {l1 * 1000:8.3f} ms ({uncached / l1:.0f}x faster)")
    return 0 if cold_sent <= COLD_TARGET and warm_sent <= WARM_TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
