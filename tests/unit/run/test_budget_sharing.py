"""A suite's time budget in ``aiwf_ci.run.interleave``: spent in pairs of rounds, shared by
the open benchmarks, said up front when too small, and never wasted (a run ended by the
budget gets a final look that spends the rest of alpha). The machine is simulated: every
run takes ``seconds`` on a clock the workload advances, so the budget is exact."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from aiwf_ci.config.models import BenchmarkConfig, CommandSpec, RoundsSpec, Settings, SuiteConfig
from aiwf_ci.models import BenchmarkResult, Metric, Results
from aiwf_ci.run.interleave import RoundsOptions, Side, SideSetup, run_interleaved
from aiwf_ci.run.project import plain_tree
from aiwf_ci.verdict.compare import compare
from aiwf_ci.verdict.thresholds import Threshold, ThresholdRules, build_rules
from aiwf_ci.workloads import RunContext, Workload


def bench(name: str) -> BenchmarkConfig:
    return BenchmarkConfig(
        name=name,
        kind="command",
        workload=CommandSpec(command=f"echo {name}"),
        settings=Settings(warmup=0, iterations=3),
    )


def rules() -> ThresholdRules:
    return build_rules({"duration": Threshold(metric="duration", relative=0.05)})


@dataclass
class Machine:
    """Every run of a benchmark takes ``seconds`` of simulated time; head is ``factor[name]``
    times slower than base, with 1% noise of its own."""

    seconds: float = 0.5
    factor: dict[str, float] = field(default_factory=dict)
    now: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(5))

    def clock(self) -> float:
        return self.now

    def __call__(
        self, config: BenchmarkConfig, ctx: RunContext
    ) -> BenchmarkResult | tuple[BenchmarkResult, ...]:
        n = config.settings.iterations
        self.now += self.seconds * n
        head = ctx.root.name == "head"
        scale = self.factor.get(config.name, 1.0) if head else 1.0
        samples = [scale * (1 + self.rng.gauss(0, 0.01)) for _ in range(n)]
        metric = Metric.from_samples(samples, unit="s")
        return BenchmarkResult(name=config.name, kind="command", metrics={"duration": metric})

    def lookup(self, kind: str) -> Workload:
        return self


def measure(
    tmp_path: Path, machine: Machine, names: list[str], budget: float, *, holm: bool = False
) -> dict[Side, Results]:
    benches = tuple(bench(n) for n in names)
    sides: dict[Side, SideSetup] = {}
    for side in ("base", "head"):
        config = SuiteConfig(
            suite="s",
            path=tmp_path / side / "bench.yml",
            settings=Settings(),
            thresholds={},
            benchmarks=benches,
            rounds=RoundsSpec(holm=holm),
        )
        sides[side] = SideSetup(config=config, tree=plain_tree(tmp_path / side, {}))  # type: ignore[index]
    options = RoundsOptions(
        samples=3,
        time_budget=budget,
        rules=rules(),
        workloads=machine.lookup,
        clock=machine.clock,
    )
    return run_interleaved(sides, [(b, b) for b in benches], options)


NAMES = [f"b{i:02d}" for i in range(20)]


def test_twenty_benchmarks_in_ten_minutes_find_a_ten_percent_regression(tmp_path: Path) -> None:
    """Bug: 20 benchmarks of 0.5 s runs and the default 10-minute budget gave every benchmark
    10 rounds, no look before round 11, and a final look that spent 0.01% of alpha: a +10%
    benchmark was never found, and the job was green."""
    machine = Machine(factor={"b07": 1.10})
    out = measure(tmp_path, machine, NAMES, budget=600)
    record = out["head"].environment["interleaved"]
    assert record["stopped"] == "budget"
    assert record["rounds"] == 10  # even: the look after an odd round would drop it
    assert machine.now <= 600
    comparison = compare(out["base"], out["head"], rules())
    verdicts = {b.name: b.verdict for b in comparison.benchmarks}
    assert verdicts.pop("b07") == "regression"
    assert set(verdicts.values()) == {"unchanged"}
    assert comparison.status == "regression"
    assert "budget_note" not in record  # 10 rounds each is enough for a verdict


def test_a_budget_too_small_for_every_benchmark_is_said_and_shared(tmp_path: Path) -> None:
    """At 200 s each of the 20 benchmarks could get ~3 rounds, and no regression can be
    shown in fewer than 8: said up front, and the rounds go to the benchmarks that can get
    8, instead of 3 rounds each and nothing decided."""
    machine = Machine(factor={"b01": 1.10})
    out = measure(tmp_path, machine, NAMES, budget=200)
    record = out["head"].environment["interleaved"]
    note = record["budget_note"]
    assert isinstance(note, str)
    assert note.startswith("this budget cannot show a regression: it allows ~3 rounds of each")
    assert "a regression needs at least 8" in note
    assert "rounds went to the first 4, the other 16 stopped" in note
    rounds = {b.name: b.extra["rounds"] for b in out["head"].benchmarks}
    assert [rounds[n] for n in NAMES[:4]] == [8] * 4 and {rounds[n] for n in NAMES[4:]} == {2}
    assert machine.now <= 200
    comparison = compare(out["base"], out["head"], rules())
    verdicts = {b.name: b.verdict for b in comparison.benchmarks}
    assert verdicts["b01"] == "regression"
    assert [verdicts[n] for n in NAMES[4:]] == ["inconclusive"] * 16
    assert comparison.warnings == (note,)


def test_a_budget_no_benchmark_can_use_is_said_and_nothing_stops_early(tmp_path: Path) -> None:
    machine = Machine(seconds=2.0)
    out = measure(tmp_path, machine, ["only"], budget=30)
    record = out["head"].environment["interleaved"]
    assert record["budget_note"] == (
        "this budget cannot show a regression: it allows ~2 rounds of each of the "
        "1 benchmarks, a regression needs at least 8"
    )
    assert record["rounds"] == 2 and record["stopped"] == "budget"


def test_holm_in_the_config_is_recorded_and_applied_by_compare(tmp_path: Path) -> None:
    machine = Machine(factor={"b00": 1.2})
    out = measure(tmp_path, machine, NAMES[:3], budget=6 * 3600, holm=True)
    assert out["head"].environment["interleaved"]["design"]["holm"] is True
    comparison = compare(out["base"], out["head"], rules())
    assert set(comparison.policy.holm_alpha) == {(n, "duration") for n in NAMES[:3]}
    assert comparison.policy.holm_alpha["b00", "duration"] == pytest.approx(0.01 / 3)
    assert comparison.policy.holm_alpha["b01", "duration"] == pytest.approx(0.01 / 2)
    assert [b.verdict for b in comparison.benchmarks] == ["regression", "unchanged", "unchanged"]
    plain = replace(out["head"], environment={})
    assert not compare(out["base"], plain, rules()).policy.holm_alpha
