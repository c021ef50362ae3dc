"""``aiwf_ci.verdict.timer`` and its use by ``compare``: which time carries the ``duration``
rule — CPU time for CPU-bound work, wall time less the wait for a CPU for work that waits,
wall time for parallel work — decided from both sides' own samples, fixed by the first rounds.
"""

from __future__ import annotations

import random

import pytest

from aiwf_ci.models import BenchmarkResult, Metric, Results
from aiwf_ci.verdict.compare import compare
from aiwf_ci.verdict.model import GatePolicy
from aiwf_ci.verdict.thresholds import Threshold, build_rules
from aiwf_ci.verdict.timer import (
    ACTIVE,
    CPU,
    QUEUE,
    WALL,
    active_metric,
    choose_timer,
    parse_timer,
)
from aiwf_ci.workloads.command import direct


def timings(
    cpu: list[float], waited: list[float], queued: list[float], rounds: list[int] | None = None
) -> dict[str, Metric]:
    """Samples whose wall time is CPU + other waiting + the wait for a CPU."""
    wall = [c + w + q for c, w, q in zip(cpu, waited, queued, strict=True)]
    keep = rounds or []
    return {
        WALL: Metric.from_samples(wall, unit="s", rounds=keep),
        CPU: Metric.from_samples(cpu, unit="s", rounds=keep),
        QUEUE: Metric.from_samples(queued, unit="s", rounds=keep),
    }


def busy(n: int = 9, cost: float = 0.02, wait: float = 0.0, seed: int = 1) -> dict[str, Metric]:
    """A benchmark on a crowded machine: up to +150% of its time queued for a CPU."""
    rng = random.Random(seed)
    cpu = [cost * (1 + rng.gauss(0, 0.01)) for _ in range(n)]
    queued = [cost * rng.uniform(0, 1.5) for _ in range(n)]
    return timings(cpu, [wait] * n, queued)


def test_cpu_bound_work_is_gated_on_cpu_time_however_long_it_waited_for_a_cpu() -> None:
    choice = choose_timer(busy(seed=1), busy(seed=2), "auto", 0.05)
    assert choice is not None and choice.gated == CPU
    assert "CPU-bound" in choice.reason
    assert choice.queued[0] is not None and choice.queued[0] > 0.2
    assert "of the wall time spent waiting for a CPU" in choice.describe()


def test_a_wait_on_either_side_gates_wall_time_less_the_queue() -> None:
    base, head = busy(seed=1), busy(seed=2, wait=0.004)  # head adds a 4 ms sleep: +20%
    choice = choose_timer(base, head, "auto", 0.05)
    assert choice is not None and choice.gated == ACTIVE
    assert "head on a CPU only" in choice.reason
    swapped = choose_timer(head, base, "auto", 0.05)
    assert swapped is not None and swapped.gated == ACTIVE and "base" in swapped.reason


def test_a_wait_below_half_the_threshold_still_counts_as_cpu_bound() -> None:
    small = busy(wait=0.0002)  # 1% of a 20 ms call
    choice = choose_timer(small, small, "auto", 0.05)
    assert choice is not None and choice.gated == CPU
    tight = choose_timer(small, small, "auto", 0.01)  # half of a 1% threshold: 0.5%
    assert tight is not None and tight.gated == ACTIVE


def test_parallel_work_is_gated_on_wall_time() -> None:
    two_cores = timings([0.04] * 9, [0.0] * 9, [0.0] * 9)
    wall = {WALL: Metric.from_samples([0.02] * 9, unit="s"), CPU: two_cores[CPU]}
    choice = choose_timer(wall, wall, "auto", 0.05)
    assert choice is not None and choice.gated == WALL and "several CPUs" in choice.reason


def test_without_the_queue_a_waiting_benchmark_is_gated_on_wall_time() -> None:
    metrics = busy(wait=0.01)
    del metrics[QUEUE]
    choice = choose_timer(metrics, metrics, "auto", 0.05)
    assert choice is not None and choice.gated == WALL
    assert choice.queued == (None, None)


def test_explicit_settings_and_kinds_without_cpu_time() -> None:
    metrics = busy(wait=0.01)
    wall = choose_timer(metrics, metrics, "wall", 0.05)
    cpu = choose_timer(metrics, metrics, "cpu", 0.05)
    assert wall is not None and wall.gated == WALL
    assert cpu is not None and cpu.gated == CPU
    only_wall = {WALL: metrics[WALL]}
    assert choose_timer(only_wall, only_wall, "auto") is None
    assert parse_timer("cpu") == "cpu"
    with pytest.raises(ValueError, match="is not a timer"):
        parse_timer("cycles")


def test_the_choice_reads_only_the_first_three_rounds() -> None:
    # CPU-bound in rounds 0-2; a (noisy) later round that waits must not flip the choice
    cpu = [0.02] * 12
    waited = [0.0] * 9 + [0.02] * 3
    metrics = timings(cpu, waited, [0.0] * 12, rounds=[r for r in range(4) for _ in range(3)])
    choice = choose_timer(metrics, metrics, "auto", 0.05)
    assert choice is not None and choice.gated == CPU


def test_active_time_is_wall_less_the_queue_sample_by_sample() -> None:
    metrics = timings([0.01, 0.02], [0.005, 0.0], [0.03, 0.0], rounds=[0, 1])
    active = active_metric(metrics)
    assert active is not None
    assert active.samples == pytest.approx((0.015, 0.02))
    assert active.rounds == (0, 1)
    assert active_metric({WALL: metrics[WALL]}) is None


def paired(name: str, cost: float, wait: float, seed: int, rounds: int = 30) -> BenchmarkResult:
    """Interleaved rounds of 3 samples, with a busy neighbour shared by the round."""
    rng = random.Random(seed)
    cpu, queued, wall, index = [], [], [], []
    for r in range(rounds):
        burst = rng.choice([0.0, 0.0, 1.0, 2.0])
        for _ in range(3):
            c = cost * (1 + rng.gauss(0, 0.01))
            q = cost * burst * rng.uniform(0.5, 1.5)
            cpu.append(c)
            queued.append(q)
            wall.append(c + q + wait)
            index.append(r)
    return BenchmarkResult(
        name=name,
        kind="python",
        metrics={
            WALL: Metric.from_samples(wall, unit="s", rounds=index),
            CPU: Metric.from_samples(cpu, unit="s", rounds=index),
            QUEUE: Metric.from_samples(queued, unit="s", rounds=index),
        },
        extra={"timer": "auto"},
    )


def results(*benches: BenchmarkResult) -> Results:
    environment = {
        "interleaved": {
            "run_id": "one-run",
            "design": {
                "alpha": 0.01,
                "beta": 0.05,
                "max_rounds": 100,
                "min_rounds": 11,
                "look_every": 2,
                "rho": 1.0,
            },
        }
    }
    return Results(suite="s", benchmarks=benches, environment=environment)


RULES = build_rules({"duration": Threshold(metric="duration", relative=0.05)})


def test_compare_gates_the_chosen_time_and_reports_wall_time_beside_it() -> None:
    base = results(paired("a", 0.02, 0.0, seed=1))
    head = results(paired("a", 0.022, 0.0, seed=2))  # +10% CPU, bursts independent per side
    bench = compare(base, head, RULES).benchmarks[0]
    assert bench.timer is not None and bench.timer.gated == CPU
    rows = {m.metric: m for m in bench.metrics}
    assert bench.metrics[0].metric == CPU  # the gated row first
    assert rows[CPU].threshold is not None and rows[CPU].verdict == "regression"
    assert "gated on CPU time (auto)" in rows[CPU].note
    assert rows[WALL].threshold is None and "which is gated" in rows[WALL].note
    assert QUEUE not in rows  # the wait is in the timer's line, not a row
    wall = compare(base, head, RULES, policy=GatePolicy(timer="wall")).benchmarks[0]
    assert wall.timer is not None and wall.timer.gated == WALL
    assert {m.metric: m for m in wall.metrics}[WALL].threshold is not None


def test_compare_gates_an_added_sleep_on_wall_time_less_the_queue() -> None:
    base = results(paired("a", 0.02, 0.0, seed=3))
    head = results(paired("a", 0.02, 0.004, seed=4))  # same CPU, +4 ms asleep
    bench = compare(base, head, RULES).benchmarks[0]
    assert bench.timer is not None and bench.timer.gated == ACTIVE
    rows = {m.metric: m for m in bench.metrics}
    assert rows[ACTIVE].verdict == "regression"
    assert rows[CPU].threshold is None  # CPU time would have hidden the sleep


@pytest.mark.parametrize(
    ("command", "runs"),
    [
        ("python -c 'sum(i*i for i in range(9))'", "exec python -c 'sum(i*i for i in range(9))'"),
        ('pytest -k "a or b"', 'exec pytest -k "a or b"'),
        ("ls *.py", "exec ls *.py"),
        ("a && b", "a && b"),
        ("a;b", "a;b"),
        ("a | b", "a | b"),
        ("x > out", "x > out"),
        ("sleep 1 &", "sleep 1 &"),
        ("FOO=1 python x", "FOO=1 python x"),
        ("cd sub", "cd sub"),
        ("if true; then x; fi", "if true; then x; fi"),
        ("one\ntwo", "one\ntwo"),
        ('x "unterminated', 'x "unterminated'),
    ],
)
def test_a_simple_command_is_execd_so_the_program_is_the_process_timed(
    command: str, runs: str
) -> None:
    assert direct(command) == runs


def test_every_report_names_the_gated_time_and_escapes_benchmark_names() -> None:
    from aiwf_ci.report.render import render_comment, render_html
    from aiwf_ci.report.text import render_text
    from aiwf_ci.verdict.model import Report

    hostile = "x|y <b>*z*</b>"
    base = results(paired(hostile, 0.02, 0.0, seed=1), paired("sleepy", 0.02, 0.004, seed=3))
    head = results(paired(hostile, 0.02, 0.0, seed=2), paired("sleepy", 0.02, 0.004, seed=4))
    report = Report.of(compare(base, head, RULES))
    markdown = render_comment(report)
    assert "Timed on: CPU time: x\\|y &lt;b&gt;\\*z\\*&lt;/b&gt; (CPU-bound)" in markdown
    assert "wall time less the wait for a CPU: sleepy (waits)" in markdown
    assert "of the wall time was spent waiting for a CPU" in markdown
    html = render_html(report)
    assert 'id="timer"' in html and "x|y &lt;b&gt;*z*&lt;/b&gt;" in html and "<b>*z*" not in html
    assert "timed: CPU time: x|y <b>*z*</b> (CPU-bound)" in render_text(report)
