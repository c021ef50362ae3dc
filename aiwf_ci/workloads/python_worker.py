"""The worker process of the ``python`` workload (``python -m aiwf_ci.workloads.python_worker
JOB.json RESULT.json``).

Each Python benchmark runs in a fresh interpreter, as pyperf does, so imports, garbage and
crashes of one benchmark never affect another or the runner. The job says what to import and
how to measure; the worker writes its samples (or a structured error) to the result file,
never to stdout, which belongs to the user's code.

Timing: loops are calibrated until one sample takes at least ``min_time``: starting from one
loop, each try multiplies the count by the ratio still missing (at least 2, at most 10, so a
noisy first try cannot overshoot wildly; ``timeit``'s autorange steps 1, 2, 5, 10, ...). When
``MAX_LOOPS`` is reached first the sample is shorter than ``min_time``, and the result says
so (``min_time_reached: false``) instead of pretending. A sample is the mean time per call
over ``loops`` calls measured
with ``perf_counter_ns``; the garbage collector is collected before and disabled during a
sample (as ``timeit`` does) so a collection triggered by earlier work is not billed to it.
Memory is measured afterwards in its own pass, never during timed samples.
"""

from __future__ import annotations

import gc
import importlib
import itertools
import json
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

MAX_LOOPS = 1 << 30
"""A billion calls: beyond it a sample of a no-op callable would take minutes."""


def resolve(target: str) -> Callable[..., Any]:
    """Import ``module:attr.path`` and return the callable."""
    module_name, _, attr_path = target.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr_path.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError(f"{target} is not callable")
    return obj  # type: ignore[no-any-return]


def bind(func: Callable[..., Any], setup_value: Any) -> Callable[[], Any]:
    """The callable to time: ``func()`` or ``func(setup_value)`` when setup returned one."""
    if setup_value is None:
        return func
    return lambda: func(setup_value)


def time_loops(call: Callable[[], Any], loops: int) -> int:
    """Nanoseconds for ``loops`` calls, GC disabled for the duration."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        repeat = itertools.repeat(None, loops)
        start = time.perf_counter_ns()
        for _ in repeat:
            call()
        return time.perf_counter_ns() - start
    finally:
        if enabled:
            gc.enable()


def next_loops(loops: int, elapsed_ns: int, target_ns: int) -> int:
    """The next loop count to try: ``loops`` times the missing ratio, bounded to x2..x10."""
    factor = 2 if elapsed_ns <= 0 else min(10, max(2, -(-target_ns // elapsed_ns)))
    return min(MAX_LOOPS, loops * factor)


def calibrate(
    call: Callable[[], Any], min_time: float, *, timer: Callable[[Callable[[], Any], int], int]
) -> tuple[int, bool]:
    """The loop count whose sample takes at least ``min_time``, and whether it got there
    (``False`` only when ``MAX_LOOPS`` was reached first)."""
    loops = 1
    target_ns = int(min_time * 1e9)
    while True:
        elapsed = timer(call, loops)
        if elapsed >= target_ns:
            return loops, True
        if loops >= MAX_LOOPS:
            return loops, False
        loops = next_loops(loops, elapsed, target_ns)


def measure(call: Callable[[], Any], job: dict[str, Any]) -> dict[str, Any]:
    loops, reached = calibrate(call, float(job["min_time"]), timer=time_loops)
    for _ in range(int(job["warmup"])):
        time_loops(call, loops)
    samples = [time_loops(call, loops) / loops / 1e9 for _ in range(int(job["iterations"]))]
    return {"loops": loops, "samples": samples, "min_time_reached": reached}


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    for entry in reversed(job["sys_path"]):
        sys.path.insert(0, entry)
    if job.get("check_only"):
        return {"check": check_targets(job["targets"])}
    func = resolve(job["target"])
    setup = resolve(job["setup"]) if job.get("setup") else None
    teardown = resolve(job["teardown"]) if job.get("teardown") else None
    setup_value = setup() if setup else None
    try:
        call = bind(func, setup_value)
        result = measure(call, job)
        if job.get("memory"):
            result["memory"] = memory_pass(call, job["memory"])
        return result
    finally:
        if teardown:
            teardown()


def memory_pass(call: Callable[[], Any], settings: dict[str, Any]) -> dict[str, Any]:
    """Seam for the memory profiler; runs after timing in this same worker."""
    from aiwf_ci.bench.memory.worker import callable_memory_pass

    return callable_memory_pass(call, settings)


def check_targets(targets: list[str]) -> dict[str, str]:
    """Import every target; map the failing ones to a one-line reason."""
    failures: dict[str, str] = {}
    for target in targets:
        try:
            resolve(target)
        except BaseException as exc:
            failures[target] = f"{type(exc).__name__}: {exc}"
    return failures


def main(argv: list[str]) -> int:
    job_path, result_path = Path(argv[1]), Path(argv[2])
    job = json.loads(job_path.read_text(encoding="utf-8"))
    try:
        result: dict[str, Any] = {"ok": True, **run_job(job)}
    except BaseException as exc:
        lines = traceback.format_exception(exc)
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}", "traceback": lines[-6:]}
    result_path.write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
