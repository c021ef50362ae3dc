from __future__ import annotations

import pytest

from aiwf_ci.config.models import BenchmarkConfig, CommandSpec, Settings
from aiwf_ci.errors import ConfigError
from aiwf_ci.models import BenchmarkResult, Results
from aiwf_ci.run.merge import merge_results
from aiwf_ci.run.selection import Shard, matches, parse_shard, select


def benches(n: int) -> list[BenchmarkConfig]:
    return [
        BenchmarkConfig(
            name=f"b{i}", kind="command", workload=CommandSpec(command="true"), settings=Settings()
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("n", [0, 1, 5, 17])
@pytest.mark.parametrize("total", [1, 2, 3, 7])
def test_shards_cover_each_benchmark_exactly_once(n: int, total: int) -> None:
    items = benches(n)
    seen = [b.name for k in range(1, total + 1) for b in select(items, shard=Shard(k, total))]
    assert sorted(seen) == sorted(b.name for b in items)
    sizes = [len(select(items, shard=Shard(k, total))) for k in range(1, total + 1)]
    assert max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize("bad", ["0/2", "3/2", "1", "a/b", "1/0"])
def test_bad_shard(bad: str) -> None:
    with pytest.raises(ConfigError, match="K/N"):
        parse_shard(bad)


def test_only_patterns() -> None:
    items = benches(12)
    assert [b.name for b in select(items, only="b1*")] == ["b1", "b10", "b11"]
    assert [b.name for b in select(items, only="b2,b3")] == ["b2", "b3"]
    assert matches("json-encode", "json") and not matches("json-encode", "json-d*")
    with pytest.raises(ConfigError, match="no benchmark matches"):
        select(items, only="zzz")


def result(suite: str, *names: str) -> Results:
    return Results(
        suite=suite, benchmarks=tuple(BenchmarkResult(name=n, kind="command") for n in names)
    )


def test_merge_joins_and_rejects() -> None:
    merged = merge_results([result("s", "a", "c"), result("s", "b")], ["1.json", "2.json"])
    assert [b.name for b in merged.benchmarks] == ["a", "c", "b"]
    assert len(merged.environment["shards"]) == 2
    with pytest.raises(ConfigError, match="different suites"):
        merge_results([result("s", "a"), result("t", "b")], ["1.json", "2.json"])
    with pytest.raises(ConfigError, match=r"'a' is in both 1\.json and 2\.json"):
        merge_results([result("s", "a"), result("s", "a")], ["1.json", "2.json"])
