"""The worker process of the ``python`` workload.

Each Python benchmark runs in a fresh interpreter, as pyperf does, so imports, garbage and
crashes of one benchmark never affect another or the runner. Two ways to start it:

- ``python -m aiwf_ci.workloads.python_worker --serve JOB.json CMD_FD ANSWER_FD``: a worker
  that imports the target, runs ``setup`` and then takes orders, one JSON line at a time, on
  the file descriptor ``CMD_FD`` and answers each on ``ANSWER_FD`` (never on stdout, which
  belongs to the user's code): ``calibrate``, ``sample`` (``count`` samples of ``loops`` calls,
  ``warm`` ones discarded first), ``memory`` (the memory pass) and ``quit`` (``teardown``).
  The parent (``workloads.python.WorkerSession``) decides *when* each sample is taken, so
  two workers, one per source tree, can take their samples alternately, milliseconds apart.
  What the target, ``setup`` and the first calls imported is checked to be the tree's own
  code (``python_origin``) before anything is timed.
- ``python -m aiwf_ci.workloads.python_worker JOB.json RESULT.json`` with ``check_only``: import
  every target and report the ones that fail, or that import other code than the tree's
  (``aiwf-ci validate``, and the import check before every run); with ``profile`` or
  ``bytecode``: profile the target's calls to explain a verdict (``workloads.profiles``).

Timing: loops are calibrated until one sample takes at least ``min_time``: starting from one
loop, each try multiplies the count by the ratio still missing (at least 2, at most 10, so a
noisy first try cannot overshoot wildly; ``timeit``'s autorange steps 1, 2, 5, 10, ...). When
``MAX_LOOPS`` is reached first the sample is shorter than ``min_time``, and the answer says
so (``reached: false``) instead of pretending. A sample is ``loops`` calls timed three ways:
wall time (``perf_counter_ns``), the process's CPU time (``process_time_ns``) and, where Linux
tells it, the time its threads waited for a CPU (``bench.schedstat``), with a reference loop
timed just before and after (``bench.reference``: the machine's speed); the garbage collector
is collected before and disabled during a sample (as ``timeit`` does) so a collection
triggered by earlier work is not billed to it. Memory is measured in its own pass, never
during timed samples.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import itertools
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from aiwf_ci.bench.reference import reference_ns
from aiwf_ci.bench.schedstat import process_queue_ns
from aiwf_ci.workloads.python_origin import OwnCode

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


@contextlib.contextmanager
def _collector_off() -> Iterator[None]:
    """Garbage collected first, then the collector off for the block (as ``timeit`` does),
    so a collection triggered by earlier work is not billed to it."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def time_loops(call: Callable[[], Any], loops: int) -> int:
    """Nanoseconds for ``loops`` calls, GC disabled for the duration."""
    with _collector_off():
        repeat = itertools.repeat(None, loops)
        start = time.perf_counter_ns()
        for _ in repeat:
            call()
        return time.perf_counter_ns() - start


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


def time_sample(call: Callable[[], Any], loops: int) -> list[int | None]:
    """One sample of ``loops`` calls: ``[wall_ns, cpu_ns, queue_ns, reference_ns]``
    (``queue_ns`` is ``None`` where Linux does not tell; ``reference_ns``: the mean of the
    reference loop timed just before and just after, ``bench.reference``), the GC disabled
    for the duration."""
    before = reference_ns()
    with _collector_off():
        repeat = itertools.repeat(None, loops)
        queue = process_queue_ns()
        cpu = time.process_time_ns()
        start = time.perf_counter_ns()
        for _ in repeat:
            call()
        wall = time.perf_counter_ns() - start
        cpu = time.process_time_ns() - cpu
        after = process_queue_ns()
    waited = None if queue is None or after is None else max(0, after - queue)
    return [wall, cpu, waited, (before + reference_ns()) // 2]


class Served:
    """The target imported and set up, answering the parent's orders."""

    def __init__(self, job: dict[str, Any]) -> None:
        before = set(sys.modules)
        for entry in reversed(job["sys_path"]):
            sys.path.insert(0, entry)
        func = resolve(job["target"])
        setup = resolve(job["setup"]) if job.get("setup") else None
        self.teardown = resolve(job["teardown"]) if job.get("teardown") else None
        self.call = bind(func, setup() if setup else None)
        targets = [t for t in (job["target"], job.get("setup"), job.get("teardown")) if t]
        self.checked = _Checked(OwnCode.from_job(job.get("origin", {})), before, targets)
        self.checked.check()

    def handle(self, order: dict[str, Any]) -> dict[str, Any]:
        op = order["op"]
        if op == "calibrate":
            loops, reached = calibrate(self.call, float(order["min_time"]), timer=time_loops)
            self.checked.check()  # what the calls imported on first use
            return {"loops": loops, "reached": reached}
        if op == "sample":
            loops = int(order["loops"])
            for _ in range(int(order.get("warm", 0))):
                time_sample(self.call, loops)
            return {"samples": [time_sample(self.call, loops) for _ in range(int(order["count"]))]}
        if op == "memory":
            return {"memory": memory_pass(self.call, order["settings"])}
        if op == "quit":
            if self.teardown:
                self.teardown()
            return {}
        raise ValueError(f"unknown order {op!r}")


@dataclass(slots=True)
class _Checked:
    """The modules a benchmark imported (after ``before``), checked to be the tree's own
    code (``python_origin``); each module is checked once."""

    own: OwnCode
    before: set[str]
    targets: list[str]

    def check(self) -> None:
        new = set(sys.modules) - self.before
        self.before |= new
        self.own.check(new, self.targets)


def serve(job: dict[str, Any], orders: IO[bytes], answers: IO[bytes]) -> None:
    """Set up, then answer orders until ``quit``, end of input or the first error."""

    def answer(data: dict[str, Any]) -> None:
        answers.write(json.dumps(data).encode("utf-8") + b"\n")
        answers.flush()

    try:
        served = Served(job)
        answer({"ok": True})
        for line in orders:
            order = json.loads(line)
            answer({"ok": True, **served.handle(order)})
            if order["op"] == "quit":
                return
    except BaseException as exc:
        answer(failure(exc))


def failure(exc: BaseException) -> dict[str, Any]:
    lines = traceback.format_exception(exc)
    return {"ok": False, "error": f"{type(exc).__name__}: {exc}", "traceback": lines[-6:]}


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """A one-shot job: import every target (``check_only``), profile the target's calls
    (``profile``) or count their bytecode instructions (``bytecode``)."""
    for entry in reversed(job["sys_path"]):
        sys.path.insert(0, entry)
    if "profile" in job:
        return profile_calls(job)
    if "bytecode" in job:
        return count_bytecode(job)
    return check_targets(job["targets"], OwnCode.from_job(job.get("origin", {})))


def _bound_call(job: dict[str, Any]) -> Callable[[], Any]:
    """The job's target bound to its ``setup``'s value, called once unmeasured (first-call
    imports and caches are not the body's)."""
    func = resolve(job["target"])
    setup = resolve(job["setup"]) if job.get("setup") else None
    call = bind(func, setup() if setup else None)
    call()
    return call


def _teardown(job: dict[str, Any]) -> None:
    if job.get("teardown"):
        resolve(job["teardown"])()


def profile_calls(job: dict[str, Any]) -> dict[str, Any]:
    """Calls of the target under ``cProfile``, in ``profile.blocks`` blocks, each written to
    ``profile.dest`` with the block's number before the suffix (``profile.0.pstats``) and all
    of them merged into ``profile.dest`` itself (the file a person opens). ``profile.clock``
    is what the profiler and the blocks' length count: ``cpu`` (CPU time: on a busy machine
    the time a call waits for a CPU is billed to no function) or ``wall`` (for code that
    waits: a sleep costs no CPU). Each block runs until it has counted
    ``profile.min_time / blocks`` seconds (at least one call), and at most ``WALL_FACTOR``
    times that in wall time: on a busy machine a wall-time bound alone would leave a
    handful of calls, a CPU-time bound alone would never end for code that waits. The
    answer says how many calls each block holds."""
    import cProfile
    import pstats

    settings = job["profile"]
    dest = Path(settings["dest"])
    call = _bound_call(job)
    blocks = max(1, int(settings.get("blocks", 1)))
    least = float(settings["min_time"]) / blocks
    wall = settings.get("clock") == "wall"
    clock_ns = time.perf_counter_ns if wall else time.process_time_ns
    counts, merged = [], None
    for block in range(blocks):
        profiler = cProfile.Profile(clock_ns, 1e-9)
        calls, start, started = 0, clock_ns(), time.perf_counter_ns()
        with _collector_off():
            while calls == 0 or (
                (clock_ns() - start) / 1e9 < least
                and (time.perf_counter_ns() - started) / 1e9 < least * WALL_FACTOR
                and calls < MAX_LOOPS
            ):
                profiler.enable()
                call()
                profiler.disable()
                calls += 1
        path = block_path(dest, block)
        profiler.dump_stats(path)
        merged = pstats.Stats(str(path)) if merged is None else merged.add(str(path))
        counts.append(calls)
    if merged is not None:
        merged.dump_stats(dest)
    _teardown(job)
    return {"calls": sum(counts), "blocks": counts}


WALL_FACTOR = 4
"""A profile block's wall time, at most, in multiples of the time it is to count."""


def block_path(dest: Path, block: int) -> Path:
    """Where block ``block`` of a timed profile is written (beside the merged file)."""
    return dest.with_name(f"{dest.stem}.{block}{dest.suffix}")


def count_bytecode(job: dict[str, Any]) -> dict[str, Any]:
    """One call of the target with its Python bytecode instructions counted per function
    (``profile.bytecode``), written to ``bytecode.dest`` in Callgrind's format."""
    from aiwf_ci.profile.bytecode import BytecodeCounter

    call = _bound_call(job)
    counter = BytecodeCounter(skip={__file__})
    with _collector_off():
        counter.run(call)
    counter.write(Path(job["bytecode"]["dest"]))
    _teardown(job)
    return {"instructions": counter.total}


def memory_pass(call: Callable[[], Any], settings: dict[str, Any]) -> dict[str, Any]:
    """Seam for the memory profiler; runs after timing in this same worker."""
    from aiwf_ci.bench.memory.worker import callable_memory_pass

    return callable_memory_pass(call, settings)


def check_targets(targets: list[str], own: OwnCode) -> dict[str, dict[str, str]]:
    """Import every target: ``check`` maps the failing ones to a one-line reason,
    ``foreign`` the ones that imported other code than the tree's (``python_origin``)."""
    failures: dict[str, str] = {}
    foreign: dict[str, str] = {}
    for target in targets:
        before = set(sys.modules)
        try:
            resolve(target)
        except BaseException as exc:
            failures[target] = f"{type(exc).__name__}: {exc}"
            continue
        lines = own.problems(set(sys.modules) - before, [target])
        if lines:
            foreign[target] = "; ".join(lines)
    return {"check": failures, "foreign": foreign}


def main(argv: list[str]) -> int:
    if argv[1:2] == ["--serve"]:
        job = json.loads(Path(argv[2]).read_text(encoding="utf-8"))
        with os.fdopen(int(argv[3]), "rb") as orders, os.fdopen(int(argv[4]), "wb") as answers:
            serve(job, orders, answers)
        return 0
    job_path, result_path = Path(argv[1]), Path(argv[2])
    job = json.loads(job_path.read_text(encoding="utf-8"))
    try:
        result: dict[str, Any] = {"ok": True, **run_job(job)}
    except BaseException as exc:
        result = failure(exc)
    result_path.write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
