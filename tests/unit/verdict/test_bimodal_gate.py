"""``aiwf_ci.verdict.bimodal`` through ``compare``: two-peaked results get no single shift.

Paired rounds are refused when the per-round ratios split into groups; both sides
two-peaked alike (a bursty machine, cancelled by the pairing) is not, even when only one
side's groups are found. Separate blocks of runs are refused when either side is two-peaked.
"""

from __future__ import annotations

import random

from aiwf_ci.models import BenchmarkResult, Metric, Results
from aiwf_ci.verdict.compare import compare
from aiwf_ci.verdict.thresholds import Threshold, build_rules

RULES = build_rules({"duration": Threshold(metric="duration", relative=0.05)})
DESIGN = {"alpha": 0.01, "beta": 0.05, "max_rounds": 100, "min_rounds": 11, "look_every": 2}


def rounds_result(values: list[list[float]]) -> Results:
    samples = [v for chunk in values for v in chunk]
    index = [r for r, chunk in enumerate(values) for _ in chunk]
    bench = BenchmarkResult(
        name="b",
        kind="command",
        metrics={"duration": Metric.from_samples(samples, unit="s", rounds=index)},
    )
    environment = {"interleaved": {"run_id": "one-run", "design": {**DESIGN, "rho": 1.0}}}
    return Results(suite="s", benchmarks=(bench,), environment=environment)


def blocks_result(samples: list[float]) -> Results:
    bench = BenchmarkResult(
        name="b", kind="command", metrics={"duration": Metric.from_samples(samples, unit="s")}
    )
    return Results(suite="s", benchmarks=(bench,))


def noisy(rng: random.Random, centre: float, n: int = 3, sd: float = 0.005) -> list[float]:
    return [centre * (1 + rng.gauss(0, sd)) for _ in range(n)]


def row(base: Results, head: Results) -> tuple[str, str, float | None]:
    metric = compare(base, head, RULES).benchmarks[0].metrics[0]
    return metric.verdict, metric.note, metric.change


def test_a_head_with_two_modes_is_inconclusive_and_shows_both_groups() -> None:
    rng = random.Random(1)
    base = [noisy(rng, 0.020) for _ in range(30)]
    # head is fast in some processes and 30% slower in others (a hash seed, a cache)
    head = [noisy(rng, 0.020 if r % 3 else 0.026) for r in range(30)]
    verdict, note, change = row(rounds_result(base), rounds_result(head))
    assert verdict == "inconclusive" and change is None
    assert note.startswith("bimodal: base 1 group")
    assert "head 2 groups" in note and "around 20.0 ms" in note and "around 26.0 ms" in note
    assert "head/base per round 2 groups" in note


def test_both_sides_two_peaked_alike_is_a_busy_machine_and_is_judged() -> None:
    rng = random.Random(2)
    slow = [rng.random() < 0.4 for _ in range(30)]  # bursts hit both sides of a round
    base = [noisy(rng, 0.020 * (1.8 if s else 1.0)) for s in slow]
    head = [noisy(rng, 0.020 * (1.8 if s else 1.0)) for s in slow]
    verdict, note, _ = row(rounds_result(base), rounds_result(head))
    assert verdict == "unchanged" and "bimodal" not in note


def test_unpaired_blocks_with_a_two_peaked_side_are_inconclusive() -> None:
    rng = random.Random(3)
    base = noisy(rng, 0.020, n=20)
    head = noisy(rng, 0.020, n=10) + noisy(rng, 0.030, n=10)
    verdict, note, _ = row(blocks_result(base), blocks_result(head))
    assert verdict == "inconclusive" and note.startswith("bimodal: ")
    again, _, _ = row(blocks_result(base), blocks_result(noisy(rng, 0.030, n=20)))
    assert again == "regression"  # one clear shift is still a shift


def test_groups_closer_than_the_threshold_are_one() -> None:
    rng = random.Random(4)
    base = [noisy(rng, 0.020, sd=0.001) for _ in range(30)]
    head = [noisy(rng, 0.020 if r % 2 else 0.0206, sd=0.001) for r in range(30)]  # 3% apart
    verdict, note, _ = row(rounds_result(base), rounds_result(head))
    assert verdict == "unchanged" and "bimodal" not in note


def test_a_burst_level_found_on_one_side_only_is_not_a_reason_to_refuse() -> None:
    rng = random.Random(5)
    slow = [r % 4 == 0 for r in range(32)]  # a busy quarter of the rounds, on both sides
    base = [noisy(rng, 0.020 * (1.25 if s else 1.0)) for s in slow]
    head = [noisy(rng, 0.022 * (1.25 if s else 1.0)) for s in slow]  # +10%
    head[0] = noisy(rng, 0.022 * 1.12)  # one side's busy group is no longer clear
    head[4] = noisy(rng, 0.022 * 1.12)
    verdict, note, _ = row(rounds_result(base), rounds_result(head))
    assert verdict == "regression" and "bimodal" not in note
