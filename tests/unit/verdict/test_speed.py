"""CPU time at the reference speed (``aiwf_ci.verdict.speed``): two separate runs, one taken
while the machine ran slow, are not a change; a real change still is; paired rounds, wall
time and files without the reference are judged as measured."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from aiwf_ci.models import BenchmarkResult, Metric, Results
from aiwf_ci.verdict.compare import compare
from aiwf_ci.verdict.model import GatePolicy
from aiwf_ci.verdict.pairing import RUN_ID
from aiwf_ci.verdict.speed import REFERENCE_NOMINAL, adjustable, adjusted
from aiwf_ci.verdict.spread import learn_history
from aiwf_ci.verdict.thresholds import build_rules, parse_threshold

FIVE = build_rules(overrides={"duration": parse_threshold("duration", "5%")})


def timed(
    cost: float,
    slow: list[float],
    *,
    seed: int,
    reference: bool = True,
    rounds: tuple[int, ...] = (),
    wait: float = 0.0,
) -> BenchmarkResult:
    """A CPU-bound benchmark whose every sample ran with the machine ``slow[i]`` times
    slower than usual (reference loop ~1.2 ms at the usual speed), small noise on each."""
    rng = random.Random(seed)
    cpu = [cost * s * (1 + rng.gauss(0, 0.01)) for s in slow]
    ref = [1.2e-3 * s * (1 + rng.gauss(0, 0.01)) for s in slow]
    metrics = {
        "duration": Metric.from_samples([c + wait for c in cpu], unit="s", rounds=rounds),
        "cpu_time": Metric.from_samples(cpu, unit="s", rounds=rounds),
        "run_queue_delay": Metric.from_samples([0.0] * len(cpu), unit="s", rounds=rounds),
    }
    if reference:
        metrics["reference_time"] = Metric.from_samples(ref, unit="s", rounds=rounds)
    return BenchmarkResult(name="b", kind="python", metrics=metrics, extra={"timer": "auto"})


def results(bench: BenchmarkResult, stamp: str) -> Results:
    environment = {"cpu_model": "x", "cores": 2}
    return Results(suite="s", benchmarks=(bench,), environment=environment, created_at=stamp)


def verdict(base: BenchmarkResult, head: BenchmarkResult) -> tuple[str, str]:
    comparison = compare(results(base, "2026-12-07T10:00:00Z"), results(head, "T2"), FIVE)
    [bench] = comparison.benchmarks
    row = next(m for m in bench.metrics if m.metric == "cpu_time")
    return row.verdict, row.note


def test_a_run_taken_while_the_machine_ran_slow_is_no_change() -> None:
    usual, slow = [1.0] * 10, [1.15] * 10
    base, head = timed(0.02, usual, seed=1), timed(0.02, slow, seed=2)
    got, note = verdict(base, head)
    assert got == "unchanged", note
    assert "reference speed" in note and "slower during head" in note and "base 1.20 ms" in note
    raw = verdict(timed(0.02, usual, seed=1, reference=False), timed(0.02, slow, seed=2))
    assert raw[0] == "regression"  # what the same samples said without the reference


def test_runs_at_speeds_too_far_apart_decide_nothing() -> None:
    base = timed(0.02, [1.0] * 10, seed=1)
    for speed, cost in ((1.45, 0.02), (0.7, 0.02), (1.45, 0.02 * 1.3)):
        got, note = verdict(base, timed(cost, [speed] * 10, seed=2))
        assert got == "inconclusive", (speed, cost)
        assert note.startswith("the machine's speed differed by more than 20%")


def test_a_slowdown_within_a_run_cancels_sample_by_sample() -> None:
    # head's second half ran 30% slower (a neighbour on the host): each sample's reference
    # moved with it
    base = timed(0.02, [1.0] * 10, seed=3)
    head = timed(0.02, [1.0] * 5 + [1.3] * 5, seed=4)
    assert verdict(base, head)[0] == "unchanged"


def test_a_real_change_is_still_found_at_any_machine_speed_within_the_gap() -> None:
    base = timed(0.02, [1.0] * 10, seed=5)
    for speed in (0.87, 1.0, 1.15):
        head = timed(0.02 * 1.3, [speed] * 10, seed=6)
        assert verdict(base, head)[0] == "regression", speed


def test_paired_rounds_wall_time_and_files_without_it_are_judged_as_measured() -> None:
    rounds = tuple(range(1, 11))
    base = timed(0.02, [1.0] * 10, seed=7, rounds=rounds)
    head = timed(0.02, [1.0] * 10, seed=8, rounds=rounds)
    one_run = {"interleaved": {RUN_ID: "run-1"}}  # one interleaved run: paired
    same = Results(suite="s", benchmarks=(base,), environment=one_run, created_at="t")
    comparison = compare(
        same, Results(suite="s", benchmarks=(head,), environment=one_run, created_at="t")
    )
    assert comparison.benchmarks[0].metrics[0].method != "Mann-Whitney"
    assert all("reference speed" not in m.note for m in comparison.benchmarks[0].metrics)
    without = timed(0.02, [1.0] * 10, seed=9, reference=False)
    assert not adjustable(without.metrics, head.metrics)
    assert adjusted(without.metrics) == dict(without.metrics)
    scaled = adjusted(base.metrics)
    cpu, ref = base.metrics["cpu_time"].samples, base.metrics["reference_time"].samples
    assert scaled["cpu_time"].samples[0] == pytest.approx(cpu[0] * REFERENCE_NOMINAL / ref[0])
    assert scaled["duration"] is base.metrics["duration"]  # wall time holds waits: as measured


def test_history_is_learned_on_the_same_scale() -> None:
    speeds = [1.0, 1.15, 0.9, 1.1, 1.0, 1.12]
    runs = [results(timed(0.02, [s] * 10, seed=20 + i), f"t{i}") for i, s in enumerate(speeds)]
    spread = learn_history(runs).of("b", "cpu_time")
    assert spread is not None and spread.relative < 0.05  # the speeds cancel
    head = results(timed(0.02, [1.15] * 10, seed=40), "t9")
    comparison = compare(runs[0], head, FIVE, policy=GatePolicy(history=learn_history(runs)))
    assert comparison.benchmarks[0].verdict == "unchanged"


def test_only_a_gated_cpu_time_is_left_open_by_the_speed_gap() -> None:
    base = timed(0.02, [1.0] * 10, seed=11)
    head = timed(0.02, [1.45] * 10, seed=12, wait=0.05)  # a sleeping benchmark: wall gated
    waits = replace(head, extra={"timer": "wall"})
    comparison = compare(
        results(replace(base, extra={"timer": "wall"}), "t1"), results(waits, "t2"), FIVE
    )
    rows = {m.metric: m for m in comparison.benchmarks[0].metrics}
    assert rows["cpu_time"].threshold is None and rows["cpu_time"].verdict != "inconclusive"
    assert "reference speed" in rows["cpu_time"].note
