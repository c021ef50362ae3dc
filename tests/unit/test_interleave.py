"""``aiwf_ci.run.interleave``: the chunk schedule, chunk joining and the orchestrator
(with a fake workload that records what it was asked to run)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from aiwf_ci.config.models import (
    BenchmarkConfig,
    CommandSpec,
    MemorySettings,
    Settings,
    SuiteConfig,
)
from aiwf_ci.errors import ConfigError
from aiwf_ci.models import Alert, BenchmarkResult, Metric, Results
from aiwf_ci.run.interleave import (
    InterleaveOptions,
    Side,
    SideSetup,
    chunk_config,
    join_chunks,
    pair_benchmarks,
    run_interleaved,
    schedule,
    split,
)
from aiwf_ci.run.project import plain_tree
from aiwf_ci.workloads import RunContext, Workload


def bench(
    name: str = "b", *, iterations: int = 10, warmup: int = 2, kind: str = "command"
) -> BenchmarkConfig:
    settings = Settings(warmup=warmup, iterations=iterations, memory=MemorySettings(enabled=True))
    return BenchmarkConfig(
        name=name,
        kind=kind,  # type: ignore[arg-type]
        workload=CommandSpec(command=f"echo {name}"),
        settings=settings,
    )


def suite(root: Path, *benches: BenchmarkConfig) -> SuiteConfig:
    return SuiteConfig(
        suite="s", path=root / "bench.yml", settings=Settings(), thresholds={}, benchmarks=benches
    )


@pytest.mark.parametrize(
    ("iterations", "chunks", "sizes"),
    [(15, 5, [3, 3, 3, 3, 3]), (10, 3, [4, 3, 3]), (3, 5, [1, 1, 1]), (1, 5, [1]), (7, 1, [7])],
)
def test_split_is_near_equal_with_at_least_one_iteration_per_chunk(
    iterations: int, chunks: int, sizes: list[int]
) -> None:
    assert split(iterations, chunks) == sizes
    assert sum(split(iterations, chunks)) == iterations


def test_schedule_alternates_sides_starting_with_first() -> None:
    assert schedule(5, 3, "base") == [
        ("base", 2),
        ("head", 2),
        ("base", 2),
        ("head", 2),
        ("base", 1),
        ("head", 1),
    ]
    assert [side for side, _ in schedule(4, 2, "head")] == ["head", "base", "head", "base"]


@pytest.mark.parametrize("iterations", [1, 2, 9, 15, 31])
@pytest.mark.parametrize("chunks", [1, 2, 5, 8])
def test_schedule_gives_each_side_all_its_iterations(iterations: int, chunks: int) -> None:
    plan = schedule(iterations, chunks, "base")
    for side in ("base", "head"):
        assert sum(n for s, n in plan if s == side) == iterations
    assert all(n >= 1 for _, n in plan)
    assert all(plan[i][0] != plan[i + 1][0] for i in range(len(plan) - 1))


def test_chunk_config_warms_up_first_and_profiles_memory_last() -> None:
    b = bench(iterations=10, warmup=2)
    first = chunk_config(b, 4, first=True, last=False)
    middle = chunk_config(b, 3, first=False, last=False)
    last = chunk_config(b, 3, first=False, last=True)
    assert (first.settings.warmup, first.settings.iterations) == (2, 4)
    assert (middle.settings.warmup, last.settings.warmup) == (0, 0)
    assert not first.settings.memory.enabled and not middle.settings.memory.enabled
    assert last.settings.memory.enabled
    assert b.settings.iterations == 10  # the original is untouched


def result(samples: list[float], **extra: object) -> BenchmarkResult:
    return BenchmarkResult(
        name="b",
        kind="command",
        metrics={"duration": Metric.from_samples(samples, unit="s")},
        extra=dict(extra),
    )


def test_join_concatenates_samples_and_recomputes_stats() -> None:
    memory = Metric.from_samples([5e6], unit="B")
    alert = Alert(kind="memory_leak_suspected", metric="memory_peak", message="grows")
    last = replace(result([5.0], loops=3), metrics={**result([5.0]).metrics, "memory_peak": memory})
    last = replace(last, alerts=(alert,), errors=("late failure",))
    joined = join_chunks(
        bench(iterations=5), [result([1.0, 2.0]), result([3.0, 4.0]), last], chunks=3
    )
    duration = joined.metrics["duration"]
    assert duration.samples == (1.0, 2.0, 3.0, 4.0, 5.0)
    assert duration.stats.median == 3.0 and duration.stats.max == 5.0
    assert joined.metrics["memory_peak"] is memory  # one chunk only: kept as measured
    assert joined.alerts == (alert,) and joined.errors == ("late failure",)
    assert joined.extra == {"loops": 3, "iterations": 5, "warmup": 2, "chunks": 3}


def test_join_of_nothing_is_an_error() -> None:
    assert join_chunks(bench(), [], chunks=0).failed


def test_pairs_match_by_name_and_note_the_rest() -> None:
    base = [bench("a"), bench("gone"), bench("b")]
    head = [bench("b"), bench("a"), bench("new")]
    pairs, note = pair_benchmarks(base, head)
    assert [(b.name, h.name) for b, h in pairs] == [("a", "a"), ("b", "b")]
    assert "only in base: gone" in note and "only in head: new" in note
    assert pair_benchmarks(base, base)[1] == ""
    with pytest.raises(ConfigError, match="no benchmark name in common"):
        pair_benchmarks([bench("x")], [bench("y")])


class FakeWorkload:
    """Records (tree, name, warmup, iterations, memory) per call; head takes 2 s a run."""

    def __init__(self, fail_on: tuple[str, int] | None = None) -> None:
        self.calls: list[tuple[str, str, int, int, bool]] = []
        self.fail_on = fail_on

    def __call__(
        self, bench: BenchmarkConfig, ctx: RunContext
    ) -> BenchmarkResult | tuple[BenchmarkResult, ...]:
        tree = ctx.root.name
        s = bench.settings
        self.calls.append((tree, bench.name, s.warmup, s.iterations, s.memory.enabled))
        if self.fail_on == (tree, sum(c[0] == tree for c in self.calls)):
            raise RuntimeError("boom")
        value = 2.0 if tree == "head" else 1.0
        return replace(result([value] * s.iterations), name=bench.name)

    def lookup(self, kind: str) -> Workload:
        return self


def run(tmp_path: Path, fake: FakeWorkload, *benches: BenchmarkConfig) -> dict[Side, Results]:
    sides: dict[Side, SideSetup] = {
        side: SideSetup(
            config=suite(tmp_path / side, *benches), tree=plain_tree(tmp_path / side, {})
        )
        for side in ("base", "head")
    }
    pairs = [(b, b) for b in benches]
    options = InterleaveOptions(chunks=3, workloads=fake.lookup, environment={"cores": 2})
    return run_interleaved(sides, pairs, options)


def test_orchestrator_interleaves_and_joins(tmp_path: Path) -> None:
    fake = FakeWorkload()
    out = run(tmp_path, fake, bench("one", iterations=7), bench("two", iterations=2))
    one = [c for c in fake.calls if c[1] == "one"]
    assert one == [
        ("base", "one", 2, 3, False),
        ("head", "one", 2, 3, False),
        ("base", "one", 0, 2, False),
        ("head", "one", 0, 2, False),
        ("base", "one", 0, 2, True),
        ("head", "one", 0, 2, True),
    ]
    two = [c[0] for c in fake.calls if c[1] == "two"]
    assert two == ["head", "base", "head", "base"]  # the other side goes first
    expected: list[tuple[Side, float]] = [("base", 1.0), ("head", 2.0)]
    for side, value in expected:
        results = out[side]
        assert results.environment == {"cores": 2, "interleaved": {"chunks": 3}}
        first = results.benchmarks[0]
        assert first.metrics["duration"].samples == (value,) * 7


def test_a_failed_chunk_stops_that_side_only(tmp_path: Path) -> None:
    fake = FakeWorkload(fail_on=("head", 2))
    out = run(tmp_path, fake, bench("one", iterations=6))
    assert [c[0] for c in fake.calls] == ["base", "head", "base", "head", "base"]
    head = out["head"].benchmarks[0]
    assert head.failed and "RuntimeError: boom" in head.errors[0]
    assert len(head.metrics["duration"].samples) == 2
    assert not out["base"].benchmarks[0].failed
