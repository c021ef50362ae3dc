"""Loop calibration of the python worker (a pure function with an injected timer)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiwf_ci.config.models import BenchmarkConfig, PythonSpec, Settings
from aiwf_ci.workloads.python import Sample, short_samples
from aiwf_ci.workloads.python_worker import MAX_LOOPS, calibrate, next_loops


def fake_timer(ns_per_call: float) -> tuple[Callable[[Callable[[], Any], int], int], list[int]]:
    tried: list[int] = []

    def timer(_call: Callable[[], Any], loops: int) -> int:
        tried.append(loops)
        return int(loops * ns_per_call)

    return timer, tried


def test_loops_grow_by_the_missing_ratio_bounded_to_two_and_ten() -> None:
    assert next_loops(1, 0, 100) == 2  # nothing measurable yet: double
    assert next_loops(1, 50, 100) == 2  # half way: x2
    assert next_loops(10, 30, 100) == 40  # 3.3x missing: x4 (rounded up)
    assert next_loops(10, 1, 10**9) == 100  # far off: at most x10
    assert next_loops(MAX_LOOPS // 2 + 1, 1, 10**12) == MAX_LOOPS


def test_calibration_reaches_min_time() -> None:
    timer, tried = fake_timer(ns_per_call=1_000)  # 1 µs per call
    loops, reached = calibrate(lambda: None, 0.1, timer=timer)
    assert reached
    assert loops * 1_000 >= 0.1e9
    assert (loops // 10) * 1_000 < 0.1e9  # not overshot by more than one step of x10
    assert tried == sorted(tried) and tried[0] == 1


def test_a_callable_too_fast_for_the_loop_cap_is_reported_not_hidden() -> None:
    timer, tried = fake_timer(ns_per_call=0.001)  # unrealistically fast
    loops, reached = calibrate(lambda: None, 0.1, timer=timer)
    assert (loops, reached) == (MAX_LOOPS, False)
    assert tried[-1] == MAX_LOOPS


def test_the_short_sample_warning_names_the_numbers() -> None:
    bench = BenchmarkConfig(
        name="t", kind="python", workload=PythonSpec(target="m:f"), settings=Settings()
    )
    samples = [Sample(wall=w, cpu=w, queue=None) for w in (1e-11, 2e-11)]
    alert = short_samples(bench, samples, MAX_LOOPS)
    assert alert.kind == "min_time_not_reached"
    assert f"{MAX_LOOPS} calls" in alert.message
    assert alert.value is not None and alert.value < bench.settings.min_time
