"""Joins the results of matrix shards into one results file (``aiwf-ci merge``).

Pure: the shards must come from the same suite and must not share a benchmark name. The
merged file keeps the first shard's commit and environment and records every shard's
environment under ``environment.shards`` so a reader can see they differed.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiwf_ci.errors import ConfigError
from aiwf_ci.models import BenchmarkResult, Results


def merge_results(shards: Sequence[Results], sources: Sequence[str]) -> Results:
    if not shards:
        raise ConfigError("nothing to merge", fix="pass at least one results.json")
    suites = {r.suite for r in shards}
    if len(suites) > 1:
        names = ", ".join(f"{src} ({r.suite})" for src, r in zip(sources, shards, strict=True))
        raise ConfigError(
            f"shards come from different suites: {names}", fix="merge shards of one suite only"
        )
    owner: dict[str, str] = {}
    benchmarks: list[BenchmarkResult] = []
    for source, shard in zip(sources, shards, strict=True):
        for bench in shard.benchmarks:
            if bench.name in owner:
                raise ConfigError(
                    f"benchmark {bench.name!r} is in both {owner[bench.name]} and {source}",
                    fix="each shard must run a distinct set of benchmarks (--shard K/N)",
                )
            owner[bench.name] = source
            benchmarks.append(bench)
    first = shards[0]
    environment = dict(first.environment)
    environment["shards"] = [dict(r.environment) for r in shards]
    return Results(
        suite=first.suite,
        benchmarks=tuple(benchmarks),
        commit=first.commit,
        environment=environment,
    )
