"""``aiwf_ci.run.interleave``: rounds, joining with rounds kept, and sampling until decided
(with a fake workload whose speed drifts from round to round, as a busy machine's does)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
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
from aiwf_ci.errors import BenchmarkError, ConfigError
from aiwf_ci.models import Alert, BenchmarkResult, Metric, Results, load_results, write_results
from aiwf_ci.run.interleave import (
    RoundsOptions,
    Side,
    SideSetup,
    chunk_config,
    join_chunks,
    pair_benchmarks,
    run_interleaved,
)
from aiwf_ci.run.project import plain_tree
from aiwf_ci.verdict.compare import compare
from aiwf_ci.verdict.pairing import DIFFERENT_RUNS, RUN_ID
from aiwf_ci.verdict.sequential import planned_looks
from aiwf_ci.verdict.thresholds import Threshold, ThresholdRules, build_rules
from aiwf_ci.workloads import RunContext, Workload
from aiwf_ci.workloads.python import Sample, WorkerDied


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


def test_chunk_config_warms_up_and_profiles_memory_in_the_first_chunk_only() -> None:
    b = bench(iterations=10, warmup=2)
    first = chunk_config(b, 3, first=True)
    later = chunk_config(b, 3, first=False)
    assert (first.settings.warmup, first.settings.iterations) == (2, 3)
    assert first.settings.memory.enabled and not later.settings.memory.enabled
    assert later.settings.warmup == 0
    assert b.settings.iterations == 10  # the original is untouched


def result(samples: list[float], **extra: object) -> BenchmarkResult:
    return BenchmarkResult(
        name="b",
        kind="command",
        metrics={"duration": Metric.from_samples(samples, unit="s")},
        extra=dict(extra),
    )


def test_join_keeps_the_round_of_every_sample_and_recomputes_stats() -> None:
    memory = Metric.from_samples([5e6], unit="B")
    alert = Alert(kind="memory_leak_suspected", metric="memory_peak", message="grows")
    first = replace(
        result([1.0, 2.0]), metrics={**result([1.0, 2.0]).metrics, "memory_peak": memory}
    )
    last = replace(result([5.0], loops=3), alerts=(alert,), errors=("late failure",))
    joined = join_chunks(bench(iterations=2), [first, result([3.0, 4.0]), last])
    duration = joined.metrics["duration"]
    assert duration.samples == (1.0, 2.0, 3.0, 4.0, 5.0)
    assert duration.rounds == (0, 0, 1, 1, 2)
    assert duration.by_round() == {0: [1.0, 2.0], 1: [3.0, 4.0], 2: [5.0]}
    assert duration.stats.median == 3.0 and duration.stats.max == 5.0
    assert joined.metrics["memory_peak"] is memory  # the one memory pass, kept as measured
    assert joined.alerts == (alert,) and joined.errors == ("late failure",)
    assert joined.extra == {"loops": 3, "samples_per_round": 2, "rounds": 3}


def test_join_of_nothing_is_an_error() -> None:
    assert join_chunks(bench(), []).failed


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
    """Records (tree, name, warmup, iterations, memory) per call. A run takes ``base`` s on
    the base tree and ``head`` s on the head tree, times a drift shared by both chunks of a
    round (a busy neighbour) and a little noise of its own."""

    def __init__(
        self, *, head: float = 2.0, noise: float = 0.01, fail_on: tuple[str, int] | None = None
    ) -> None:
        self.calls: list[tuple[str, str, int, int, bool]] = []
        self.head = head
        self.noise = noise
        self.fail_on = fail_on
        self.rng = random.Random(7)
        self.drift = 1.0

    def __call__(
        self, bench: BenchmarkConfig, ctx: RunContext
    ) -> BenchmarkResult | tuple[BenchmarkResult, ...]:
        tree = ctx.root.name
        s = bench.settings
        self.calls.append((tree, bench.name, s.warmup, s.iterations, s.memory.enabled))
        if self.fail_on == (tree, sum(c[0] == tree for c in self.calls)):
            raise RuntimeError("boom")
        if len(self.calls) % 2:  # a new round: the machine's speed changes, for both sides
            self.drift = self.rng.choice([1.0, 1.0, 1.8, 2.5])
        value = (self.head if tree == "head" else 1.0) * self.drift
        samples = [value * (1 + self.rng.gauss(0, self.noise)) for _ in range(s.iterations)]
        return replace(result(samples), name=bench.name)

    def lookup(self, kind: str) -> Workload:
        return self


def run(
    tmp_path: Path,
    fake: FakeWorkload,
    *benches: BenchmarkConfig,
    budget: float = 600.0,
    clock: Callable[[], float] = time.monotonic,
    until_decided: bool = True,
) -> dict[Side, Results]:
    sides: dict[Side, SideSetup] = {
        side: SideSetup(
            config=suite(tmp_path / side, *benches), tree=plain_tree(tmp_path / side, {})
        )
        for side in ("base", "head")
    }
    pairs = [(b, b) for b in benches]
    rules = build_rules({"duration": Threshold(metric="duration", relative=0.05)})
    options = RoundsOptions(
        samples=3,
        time_budget=budget,
        rules=rules,
        workloads=fake.lookup,
        environment={"cores": 2},
        clock=clock,
        until_decided=until_decided,
    )
    return run_interleaved(sides, pairs, options)


def test_runs_alternate_one_by_one_and_sampling_stops_once_decided(tmp_path: Path) -> None:
    fake = FakeWorkload(head=2.0)
    out = run(tmp_path, fake, bench("one", warmup=2), bench("two", warmup=1))
    one = [c for c in fake.calls if c[1] == "one"]
    assert one[:8] == [
        ("base", "one", 2, 1, True),  # round 1: warm-up and the memory pass, once per side
        ("head", "one", 2, 1, True),
        ("head", "one", 0, 1, False),  # the next pair the other way round
        ("base", "one", 0, 1, False),
        ("base", "one", 0, 1, False),
        ("head", "one", 0, 1, False),
        ("head", "one", 0, 1, False),  # round 2: the other side first
        ("base", "one", 0, 1, False),
    ]
    assert [c[0] for c in fake.calls if c[1] == "two"][:2] == ["head", "base"]
    design = RoundsOptions().design
    assert len(one) == 2 * 3 * design.min_rounds  # decided at the first look
    head = out["head"].benchmarks[0]
    assert head.metrics["duration"].rounds[-1] == design.min_rounds - 1
    assert head.extra["stopped"] == f"decided after {design.min_rounds} rounds"
    interleaved = out["head"].environment["interleaved"]
    assert interleaved["stopped"] == "decided" and out["head"].environment["cores"] == 2
    comparison = compare(out["base"], out["head"], run_rules())
    assert comparison.benchmarks[0].verdict == "regression"  # despite 1.8-2.5x drift


def run_rules() -> ThresholdRules:
    return build_rules({"duration": Threshold(metric="duration", relative=0.05)})


def test_identical_trees_are_shown_unchanged(tmp_path: Path) -> None:
    out = run(tmp_path, FakeWorkload(head=1.0), bench("same"))
    comparison = compare(out["base"], out["head"], run_rules())
    assert comparison.benchmarks[0].verdict == "unchanged"
    assert comparison.status == "pass"


def test_a_calibration_measures_a_decided_benchmark_on_to_the_last_look(tmp_path: Path) -> None:
    # identical trees decide "unchanged" at the first beta look; a calibration goes on
    decided = run(tmp_path / "gated", FakeWorkload(head=1.0), bench("same"))
    full = run(tmp_path / "full", FakeWorkload(head=1.0), bench("same"), until_decided=False)
    design = RoundsOptions().design
    assert decided["head"].environment["interleaved"]["rounds"] < design.max_rounds
    assert full["head"].environment["interleaved"]["rounds"] == design.max_rounds
    head = full["head"].benchmarks[0]
    assert head.extra["stopped"] == "max-rounds"
    assert head.metrics["duration"].rounds[-1] == design.max_rounds - 1
    assert isinstance(head.extra["seconds"], float) and head.extra["seconds"] >= 0.0


def test_both_files_of_a_run_carry_its_id_and_only_they_are_paired(tmp_path: Path) -> None:
    first = run(tmp_path / "1", FakeWorkload(head=1.0), bench("same"))
    second = run(tmp_path / "2", FakeWorkload(head=1.0), bench("same"))
    written = {
        f"{side}{n}": load_results(write_results(out, tmp_path / f"{side}{n}.json"))
        for n, one in enumerate((first, second))
        for side, out in one.items()
    }
    ids = {name: r.environment["interleaved"][RUN_ID] for name, r in written.items()}
    assert ids["base0"] == ids["head0"] != ids["base1"] == ids["head1"]
    own = compare(written["base0"], written["head0"], run_rules())
    assert own.benchmarks[0].metrics[0].rounds > 0 and not own.policy.unpaired
    crossed = compare(written["base0"], written["head1"], run_rules())
    assert crossed.benchmarks[0].metrics[0].rounds == 0
    assert crossed.policy.unpaired == DIFFERENT_RUNS


def test_an_undecided_benchmark_runs_to_max_rounds_and_is_inconclusive(tmp_path: Path) -> None:
    # 5% slower with 20% noise per run: neither shown beyond 5% nor shown within it
    out = run(tmp_path, FakeWorkload(head=1.05, noise=0.2), bench("close"))
    design = RoundsOptions().design
    assert out["head"].environment["interleaved"]["rounds"] == design.max_rounds
    verdict = compare(out["base"], out["head"], run_rules()).benchmarks[0].verdict
    assert verdict in ("inconclusive", "regression")


def test_the_budget_ends_sampling_and_what_is_open_is_inconclusive(tmp_path: Path) -> None:
    now = [0.0]

    def clock() -> float:
        now[0] += 1.0  # every look at the clock: one second later
        return now[0]

    out = run(tmp_path, FakeWorkload(head=1.05, noise=0.2), bench("slow"), budget=6, clock=clock)
    record = out["head"].environment["interleaved"]
    assert record["stopped"] == "budget"
    assert record["rounds"] < RoundsOptions().design.min_rounds
    comparison = compare(out["base"], out["head"], run_rules())
    assert comparison.benchmarks[0].verdict == "inconclusive"
    assert comparison.status == "inconclusive"


class FakeSampler:
    """A python worker of one tree: records every order as (tree, op, detail) in a log
    shared by both sides; a sample takes ``per_call`` s on this tree, times a drift shared
    by every sample taken within the same few orders (a busy stretch)."""

    def __init__(self, tree: str, log: list[tuple[str, str, object]], **options: object) -> None:
        self.tree, self.log = tree, log
        self.per_call = float(options.get("per_call", 1.0))  # type: ignore[arg-type]
        self.own_loops = int(options.get("loops", 10))  # type: ignore[call-overload]
        self.fail_at = options.get("fail_at")
        self.wall_noise = bool(options.get("wall_noise"))
        self.rng = random.Random(len(log))
        dies = options.get("dies", lambda name, start: False)
        self.dies = bool(dies(options["bench"], options["start"]))  # type: ignore[operator]

    def _note(self, op: str, detail: object = None) -> None:
        self.log.append((self.tree, op, detail))
        if self.fail_at == (op, sum(1 for t, o, _ in self.log if (t, o) == (self.tree, op))):
            raise BenchmarkError(f"{op} failed: ZeroDivisionError")

    def ready(self) -> None:
        self._note("ready")

    def calibrate(self) -> tuple[int, bool]:
        self._note("calibrate")
        return self.own_loops, True

    def samples(self, loops: int, count: int, *, warm: int = 0) -> list[Sample]:
        self._note("sample", (loops, count, warm))
        if self.dies:  # killed from outside while it works
            raise WorkerDied(
                "worker killed by signal 9, SIGKILL", how="killed by signal 9, SIGKILL"
            )
        drift = 2.0 if (len(self.log) // 4) % 3 == 0 else 1.0  # bursts shared by both sides
        if self.wall_noise:  # a wait for a CPU of its own, as long as the work or longer
            drift = 1.0 + self.rng.uniform(0.0, 2.0)
        value = self.per_call * drift * (1 + self.rng.gauss(0, 0.01))
        return [Sample(wall=value, cpu=value / drift, queue=value - value / drift)] * count

    def memory(self) -> object:
        self._note("memory")
        return None

    def close(self) -> None:
        self._note("close")

    def kill(self) -> None:
        return None


def python_run(
    tmp_path: Path, fakes: dict[str, dict[str, object]], *benches: BenchmarkConfig
) -> tuple[dict[Side, Results], list[tuple[str, str, object]]]:
    log: list[tuple[str, str, object]] = []
    starts: dict[tuple[str, str], int] = {}

    def sampler(bench: BenchmarkConfig, ctx: RunContext) -> FakeSampler:
        tree = ctx.root.name
        log.append((tree, "start", ctx.cpu))
        start = starts[tree, bench.name] = starts.get((tree, bench.name), 0) + 1
        return FakeSampler(tree, log, bench=bench.name, start=start, **fakes.get(tree, {}))

    sides: dict[Side, SideSetup] = {
        side: SideSetup(
            config=suite(tmp_path / side, *benches), tree=plain_tree(tmp_path / side, {})
        )
        for side in ("base", "head")
    }
    options = RoundsOptions(samples=3, rules=run_rules(), samplers=sampler, cpus=(0, 1))
    return run_interleaved(sides, [(b, b) for b in benches], options), log


def test_python_samples_alternate_between_two_live_workers_with_one_loop_count(
    tmp_path: Path,
) -> None:
    fakes: dict[str, dict[str, object]] = {
        "base": {"loops": 10},
        "head": {"loops": 50, "per_call": 1.5},
    }
    out, log = python_run(tmp_path, fakes, bench("py", warmup=2, kind="python"))
    first_round = log[: log.index(("head", "close", None)) + 1]
    assert first_round == [
        ("base", "start", None),  # both started before either is waited for, not pinned yet
        ("head", "start", None),
        ("base", "ready", None),
        ("head", "ready", None),
        ("base", "calibrate", None),  # base calibrates; head only to compare
        ("head", "calibrate", None),
        ("base", "sample", (10, 0, 2)),  # warm-up: the config's, in the first round
        ("head", "sample", (10, 0, 2)),
        ("base", "sample", (10, 1, 0)),  # then one sample each in turn, A B B A A B
        ("head", "sample", (10, 1, 0)),
        ("head", "sample", (10, 1, 0)),
        ("base", "sample", (10, 1, 0)),
        ("base", "sample", (10, 1, 0)),
        ("head", "sample", (10, 1, 0)),
        ("base", "memory", None),  # the memory pass once per side, after the first round
        ("head", "memory", None),
        ("base", "close", None),
        ("head", "close", None),
    ]
    second = log[len(first_round) : len(first_round) + 6]
    assert second[:4] == [
        ("head", "start", 1),  # fresh workers, head first, both on CPU 1 this round
        ("base", "start", 1),
        ("head", "ready", None),
        ("base", "ready", None),
    ]
    starts = [cpu for _, op, cpu in log if op == "start"]
    assert starts[:8] == [None, None, 1, 1, 0, 0, 1, 1]  # round-robin over the CPUs
    assert second[4:] == [("head", "sample", (10, 0, 1)), ("base", "sample", (10, 0, 1))]
    assert not any(op == "calibrate" for _, op, _ in log[len(first_round) :])
    head = out["head"].benchmarks[0]
    assert head.extra["loops"] == 10 and head.extra["loops_head_would_choose"] == 50
    assert head.extra["same_cpu"] is True
    assert [a.kind for a in head.alerts] == ["loop_count_mismatch"]
    assert {"duration", "cpu_time", "run_queue_delay"} <= set(head.metrics)
    comparison = compare(out["base"], out["head"], run_rules())
    assert comparison.benchmarks[0].verdict == "regression"  # +50% despite 2x bursts


def test_a_failing_base_worker_makes_the_benchmark_an_error_naming_the_side(
    tmp_path: Path,
) -> None:
    fakes: dict[str, dict[str, object]] = {"base": {"fail_at": ("sample", 3)}}
    out, _ = python_run(tmp_path, fakes, bench("py", kind="python"))
    assert out["base"].benchmarks[0].failed
    assert out["base"].benchmarks[0].errors == ("sample failed: ZeroDivisionError",)
    assert out["head"].benchmarks[0].extra["stopped"] == "failed"
    comparison = compare(out["base"], out["head"], run_rules())
    errored = comparison.benchmarks[0]
    assert errored.verdict == "errored" and comparison.status == "error"
    assert errored.errors == ("base tree: sample failed: ZeroDivisionError",)


def test_a_base_command_that_fails_is_an_error_not_a_new_benchmark(tmp_path: Path) -> None:
    out = run(tmp_path, FakeWorkload(fail_on=("base", 2)), bench("one"))
    comparison = compare(out["base"], out["head"], run_rules())
    assert comparison.benchmarks[0].verdict == "errored"
    assert comparison.benchmarks[0].errors[0].startswith("base tree: internal error")
    assert comparison.status == "error"


def test_a_failed_run_stops_that_benchmark(tmp_path: Path) -> None:
    fake = FakeWorkload(fail_on=("head", 2))
    out = run(tmp_path, fake, bench("one"))
    assert [c[0] for c in fake.calls] == ["base", "head", "head", "base", "base"]
    head = out["head"].benchmarks[0]
    assert head.failed and "RuntimeError: boom" in head.errors[0]
    assert len(head.metrics["duration"].samples) == 1
    assert not out["base"].benchmarks[0].failed


def test_benchmarks_counted_in_instructions_run_once_per_side(tmp_path: Path) -> None:
    counted = bench("count", warmup=1, kind="python")
    counted = replace(counted, settings=replace(counted.settings, measure="instructions"))
    fake = FakeWorkload(head=2.0)
    out = run(tmp_path, fake, counted, bench("timed"))
    assert [c for c in fake.calls if c[1] == "count"] == [
        ("base", "count", 1, 10, True),  # one whole run per side: counts need no rounds
        ("head", "count", 1, 10, True),
    ]
    assert len([c for c in fake.calls if c[1] == "timed"]) > 2  # the others still go in rounds
    assert out["head"].by_name()["count"].extra["stopped"] == "once"


def test_work_on_several_cpus_at_once_is_never_pinned(tmp_path: Path) -> None:
    # CPU time twice the active time: a parallel benchmark; a pin would serialise it
    fakes: dict[str, dict[str, object]] = {"base": {}, "head": {}}
    log: list[tuple[str, str, object]] = []

    class Parallel(FakeSampler):
        def samples(self, loops: int, count: int, *, warm: int = 0) -> list[Sample]:
            self._note("sample", (loops, count, warm))
            return [Sample(wall=1.0, cpu=2.0, queue=0.0)] * count

    def sampler(bench: BenchmarkConfig, ctx: RunContext) -> FakeSampler:
        log.append((ctx.root.name, "start", ctx.cpu))
        return Parallel(ctx.root.name, log, **fakes[ctx.root.name])

    sides: dict[Side, SideSetup] = {
        side: SideSetup(config=suite(tmp_path / side), tree=plain_tree(tmp_path / side, {}))
        for side in ("base", "head")
    }
    b = bench("par", kind="python")
    options = RoundsOptions(samples=3, rules=run_rules(), samplers=sampler, cpus=(0, 1))
    out = run_interleaved(sides, [(b, b)], options)
    assert {cpu for _, op, cpu in log if op == "start"} == {None}
    assert out["head"].benchmarks[0].extra["same_cpu"] is False


def test_sampling_stops_once_the_gated_time_is_decided(tmp_path: Path) -> None:
    # wall time waits for a CPU at random (never decidable at 5%), CPU time is steady
    noisy: dict[str, object] = {"wall_noise": True}
    out, _ = python_run(tmp_path, {"base": noisy, "head": noisy}, bench("py", kind="python"))
    first = planned_looks(RoundsOptions().design)[0]
    head = out["head"].benchmarks[0]
    assert head.extra["stopped"] == f"decided after {first} rounds"  # unchanged at the first
    bench_cmp = compare(out["base"], out["head"], run_rules()).benchmarks[0]
    assert bench_cmp.timer is not None and bench_cmp.timer.gated == "cpu_time"
    assert bench_cmp.verdict == "unchanged"


def test_a_benchmark_run_once_per_side_is_compared_unpaired(tmp_path: Path) -> None:
    """Bug: an ingest benchmark's one chunk per side carried round 0 on every sample, so the
    verdict paired it as one round, which can never decide: a 2x slower head was
    ``inconclusive``. Measured once per side, it is two blocks of runs."""
    fake = FakeWorkload(head=2.0)
    out = run(tmp_path, fake, bench("harness", kind="ingest", iterations=10))
    assert [c[:2] for c in fake.calls] == [("base", "harness"), ("head", "harness")]
    head = out["head"].benchmarks[0]
    assert head.extra["stopped"] == "once"
    assert head.metrics["duration"].rounds == ()
    comparison = compare(out["base"], out["head"], run_rules())
    (row,) = comparison.benchmarks[0].metrics
    assert (row.verdict, row.method, row.rounds) == ("regression", "Mann-Whitney", 0)


def test_memory_is_kept_as_measured_once_per_side() -> None:
    memory = Metric.from_samples([5e6, 6e6], unit="B")
    first = replace(result([1.0]), metrics={**result([1.0]).metrics, "memory_rss_after_gc": memory})
    joined = join_chunks(bench(), [first, result([2.0])])
    assert joined.metrics["memory_rss_after_gc"] is memory
    assert joined.metrics["duration"].rounds == (0, 1)


# Issue 24: one worker killed from outside turned whole benchmarks into errors and threw away
# the paired rounds already measured. Now the round is measured again with fresh workers;
# lost twice, the benchmark stops sampling and is decided on the rounds it has.


def test_a_round_whose_worker_was_killed_is_measured_again_with_fresh_workers(
    tmp_path: Path,
) -> None:
    fakes: dict[str, dict[str, object]] = {
        "base": {},
        "head": {"per_call": 1.5, "dies": lambda name, start: (name, start) == ("py", 4)},
    }
    out, _ = python_run(tmp_path, fakes, bench("py", kind="python"), bench("other", kind="python"))
    head, base = out["head"].by_name()["py"], out["base"].by_name()["py"]
    assert not head.failed and not base.failed
    rounds = head.metrics["duration"].rounds
    assert sorted(set(rounds)) == list(range(head.extra["rounds"]))  # no gap, none lost
    note = (
        "round 4: the head worker died (killed by signal 9, SIGKILL); the round was measured "
        "again with fresh workers (what the lost try measured is not used)"
    )
    assert [(a.kind, a.message) for a in head.alerts] == [("round_retried", note)]
    assert [a.message for a in base.alerts] == [note]  # the report shows head's: said on both
    assert not out["head"].by_name()["other"].alerts  # the other benchmark is untouched
    comparison = compare(out["base"], out["head"], run_rules())
    assert {b.name: b.verdict for b in comparison.benchmarks}["py"] == "regression"
    assert comparison.status == "regression"


def test_a_round_lost_twice_stops_the_benchmark_on_the_rounds_it_has(tmp_path: Path) -> None:
    fakes: dict[str, dict[str, object]] = {
        "base": {"dies": lambda name, start: name == "py" and start >= 3},
        "head": {"per_call": 1.5},
    }
    out, _ = python_run(tmp_path, fakes, bench("py", kind="python"), bench("other", kind="python"))
    head = out["head"].by_name()["py"]
    assert not head.failed
    assert set(head.metrics["duration"].rounds) == {0, 1}  # the two rounds measured are kept
    assert head.extra["stopped"] == "worker lost in round 3"
    (alert,) = head.alerts
    assert alert.kind == "sampling_stopped"
    assert alert.message == (
        "round 3 was lost twice (the base worker died (killed by signal 9, SIGKILL), also "
        "with fresh workers): sampling stopped, and the verdict rests on the 2 rounds "
        "measured before"
    )
    other = out["head"].by_name()["other"]
    assert other.extra["stopped"].startswith("decided after") and not other.alerts
    comparison = compare(out["base"], out["head"], run_rules())
    verdicts = {b.name: b.verdict for b in comparison.benchmarks}
    # 2 rounds decide nothing; never an error that discards them; the other one decided
    assert verdicts == {"py": "inconclusive", "other": "regression"}


def test_a_first_round_lost_once_calibrates_again_and_twice_is_an_error(
    tmp_path: Path,
) -> None:
    once: dict[str, dict[str, object]] = {"head": {"dies": lambda name, start: start == 1}}
    out, log = python_run(tmp_path / "once", once, bench("py", kind="python"))
    assert [op for tree, op, _ in log].count("calibrate") == 4  # both sides, both tries
    assert [op for tree, op, _ in log].count("memory") == 2  # the retry's memory pass
    assert [a.kind for a in out["head"].benchmarks[0].alerts] == ["round_retried"]
    twice: dict[str, dict[str, object]] = {"head": {"dies": lambda name, start: start <= 2}}
    out, _ = python_run(tmp_path / "twice", twice, bench("py", kind="python"))
    head = out["head"].benchmarks[0]
    assert head.errors == (
        "round 1 was lost twice (the head worker died (killed by signal 9, SIGKILL)): "
        "nothing was measured",
    )
    assert compare(out["base"], out["head"], run_rules()).status == "error"
