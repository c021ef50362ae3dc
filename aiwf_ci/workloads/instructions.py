"""``measure: instructions``: a ``command`` or ``python`` benchmark counted under Valgrind.

Why: wall time on a shared runner moves 10-20 % between runs and far more beside a busy
neighbour; the number of executed instructions does not (``bench.instructions``). This module
turns counts into a result the verdict can gate exactly, and is honest where they cannot:

* **Counted at least three times, checked.** A command is counted ``MIN_RUNS`` (3) times,
  its whole process tree; a ``python:`` callable is counted *differentially*: the worker
  runs the body ``n`` times once and ``n + CALLS`` times ``MIN_RUNS`` times, and the
  difference divided by ``CALLS`` is the count per call (start-up, imports and ``setup``
  cancel). Counts that differ at all, even within the tolerance, or small runs are counted up
  to ``MAX_RUNS`` (5) times (``bench.instructions.more_runs``): two runs agreeing is not
  determinism. When the counts disagree by more than a tiny tolerance the benchmark is **not
  deterministic**: an alert says how many runs agreed ("2 of 3 runs agreed") and the spread,
  and the benchmark is measured in wall time instead (the statistical verdict), never gated
  on counts. Results record the check (``extra["determinism"]``: runs, agreed, summary).
* **What counts cannot see** is reported beside them: ``native_time`` (wall time of ordinary
  runs, without Valgrind), ``valgrind_time`` (the counted run's wall time, slowed some 50x
  by Valgrind) and the I/O of ordinary runs (``io_read_bytes``, ``io_write_bytes``,
  ``io_calls``: read/write system calls), so an I/O regression stays visible. They are
  reported, not gated, unless a threshold names them (the ordinary runs: ``workloads.native``).
* **Timeouts scale** with the slowdown (``timeout * SLOWDOWN`` per count), and a heartbeat
  line goes to the log while a long count runs.

Only the ``instructions`` metric is marked ``deterministic`` (compared exactly); the I/O
metrics are too when every ordinary run read and wrote exactly the same.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace

from aiwf_ci.bench.instructions import (
    DEFAULT_TOLERANCE,
    MAX_RUNS,
    MIN_RUNS,
    Determinism,
    ValgrindMissing,
    count_python,
    count_repeated,
    deterministic_env,
    find_valgrind,
    per_call_samples,
    relative_spread,
)
from aiwf_ci.bench.valgrind import COUNTER
from aiwf_ci.config.models import BenchmarkConfig, CommandSpec, PythonSpec, SuiteConfig
from aiwf_ci.errors import BenchmarkError, ConfigError
from aiwf_ci.metrics import INSTRUCTIONS, measured
from aiwf_ci.models import Alert, BenchmarkResult, JSONValue
from aiwf_ci.workloads.base import RunContext, build_result, error_result
from aiwf_ci.workloads.command import run_command_benchmark
from aiwf_ci.workloads.native import Native, command_cwd, io_metrics, native_runs, timed_config
from aiwf_ci.workloads.python import run_python_benchmark, worker_job

SLOWDOWN = 100
"""Timeout factor for a counted run: Valgrind's cachegrind without cache simulation ran a
Python program 40-60x slower than natively on the machines we measured, and callgrind, which
counts now (``bench.instructions``), takes up to twice cachegrind's time."""
CALLS = 2
"""Extra calls of a ``python:`` body in the large run; the count per call is their average.
The small run makes ``max(1, warmup)`` calls, so first-call costs (lazy imports, caches)
fall into both runs and cancel."""
PER_CALL_TOLERANCE = 1e-5
"""Largest spread of the per-call counts still called deterministic. Repeats of a
deterministic body measured exactly 0; a body iterating a set of 300 random strings moved by
0.02%, so the tolerance is as tight as for whole commands (0.001%)."""
HEARTBEAT = 15.0
"""Seconds between "still counting" lines."""


def check_valgrind(config: SuiteConfig, env: Mapping[str, str]) -> list[ConfigError]:
    """One error (exit 2, with the install hint) when a benchmark counts instructions and
    ``valgrind`` is not on ``PATH``; checked before anything runs."""
    wanting = [b for b in config.benchmarks if b.counts_instructions]
    if not wanting or find_valgrind(env) is not None:
        return []
    first = wanting[0]
    more = f" (and {len(wanting) - 1} more)" if len(wanting) > 1 else ""
    return [
        ValgrindMissing(field=f"{first.name}.measure{more}", where=f"{config.path}:{first.line}")
    ]


def run_counted_benchmark(bench: BenchmarkConfig, ctx: RunContext) -> BenchmarkResult:
    """Count, check, and report (module docstring); the timed run when counts disagree."""
    env = dict(ctx.env or os.environ)
    if find_valgrind(env) is None:
        return error_result(bench, str(ValgrindMissing(field=f"{bench.name}.measure")))
    try:
        with _heartbeat(ctx.log):
            count = _count(bench, ctx, env)
    except BenchmarkError as exc:
        return error_result(bench, str(exc))
    if not count.deterministic:
        return _fallback(bench, ctx, count)
    ctx.log(f"{count.describe()}: deterministic")
    native = native_runs(bench, ctx, env, calls=CALLS)
    return _result(bench, count, native)


@dataclass(frozen=True, slots=True, kw_only=True)
class Count:
    """The counts of one benchmark and whether they agree."""

    check: Determinism
    """The determinism check of the samples: how many runs, how many agreed."""
    raw: tuple[int, ...]
    """The whole-run counts behind them (python: the small run first)."""
    wall: float
    """Seconds the counted runs took under Valgrind (each; the slowest)."""
    unit: str

    @property
    def samples(self) -> tuple[float, ...]:
        """Instructions per run (command) or per call (python), one per repeat."""
        return self.check.counts

    @property
    def spread(self) -> float:
        return self.check.spread

    @property
    def tolerance(self) -> float:
        return self.check.tolerance

    @property
    def deterministic(self) -> bool:
        return self.check.ok

    def describe(self) -> str:
        return self.check.describe(self.unit)


def _count(bench: BenchmarkConfig, ctx: RunContext, env: Mapping[str, str]) -> Count:
    spec = bench.workload
    timeout = bench.settings.timeout * SLOWDOWN
    if isinstance(spec, CommandSpec):
        ctx.log(
            f"counting instructions under valgrind, {MIN_RUNS} to {MAX_RUNS} times "
            f"(timeout {timeout:g}s each)"
        )
        runs, check = count_repeated(
            spec.command,
            cwd=command_cwd(spec, ctx),
            env={**deterministic_env(env), **spec.env},
            timeout=timeout,
            tolerance=DEFAULT_TOLERANCE,
        )
        return Count(
            check=check,
            raw=tuple(r.instructions for r in runs),
            wall=max(r.wall for r in runs),
            unit="per run",
        )
    assert isinstance(spec, PythonSpec)
    return _count_python(bench, spec, ctx, env, timeout)


def _count_python(
    bench: BenchmarkConfig,
    spec: PythonSpec,
    ctx: RunContext,
    env: Mapping[str, str],
    timeout: float,
) -> Count:
    small = max(1, bench.settings.warmup)
    ctx.log(
        f"counting instructions under valgrind: {small} and {small + CALLS} calls "
        f"(the latter {MIN_RUNS} to {MAX_RUNS} times; timeout {timeout:g}s each)"
    )
    found = count_python(
        ctx.python or sys.executable,
        worker_job(spec, ctx),
        loops=(small, small + CALLS),
        cwd=ctx.root,
        env=deterministic_env(env),
        timeout=timeout,
        repeat=MIN_RUNS,
        tolerance=PER_CALL_TOLERANCE,
        package_path=ctx.worker_path,
    )
    assert found.determinism is not None  # asked for with a tolerance
    return Count(
        check=found.determinism,
        raw=(found.count_small, *found.large),
        wall=found.wall,
        unit="per call",
    )


# --- results ---------------------------------------------------------------------------------


def _result(bench: BenchmarkConfig, count: Count, native: Native) -> BenchmarkResult:
    metrics = {
        INSTRUCTIONS: measured(INSTRUCTIONS, count.samples, deterministic=True),
        "valgrind_time": measured("valgrind_time", [count.wall]),
    }
    if native.times:
        metrics["native_time"] = measured("native_time", native.times)
    metrics.update(io_metrics(native.io, native.per))
    extra: dict[str, JSONValue] = {
        "measure": "instructions",
        "counter": COUNTER,
        "counts": list(count.raw),
        "count_unit": count.unit,
        "spread": count.spread,
        "determinism": _determinism(count),
        "valgrind_slowdown": _slowdown(count, native),
    }
    return build_result(bench, metrics=metrics, errors=native.errors, extra=extra)


def _determinism(count: Count) -> dict[str, JSONValue]:
    """How many runs the check made and how many agreed, with the sentence that says so."""
    return {
        "runs": count.check.runs,
        "agreed": count.check.agreed,
        "deterministic": count.deterministic,
        "summary": count.describe(),
    }


def _slowdown(count: Count, native: Native) -> float | None:
    """Counted run's wall time over an ordinary run's (commands; python runs differ in size)."""
    if count.unit != "per run" or not native.times:
        return None
    typical = statistics.median(native.times)
    return round(count.wall / typical, 1) if typical > 0 else None


def _fallback(bench: BenchmarkConfig, ctx: RunContext, count: Count) -> BenchmarkResult:
    """Counts disagree: say so, and measure wall time instead (the statistical verdict)."""
    ctx.log(f"{count.describe()}; measuring wall time instead")
    config = timed_config(bench, memory=True)
    timed = (
        run_command_benchmark(config, ctx)
        if bench.kind == "command"
        else run_python_benchmark(config, ctx)
    )
    alert = Alert(
        kind="not_deterministic",
        metric=INSTRUCTIONS,
        message=(
            f"{count.describe()} (a spread of {count.spread:.3g}, over the "
            f"{count.tolerance:g} tolerance): the work depends on something that "
            "changes between runs (random input, set or dict order of objects hashed by "
            "address, threads, clocks); gated on wall time instead"
        ),
        limit=count.tolerance,
        value=count.spread if count.spread != float("inf") else None,
        details={
            "counts": list(count.raw),
            "unit": count.unit,
            "runs": count.check.runs,
            "agreed": count.check.agreed,
        },
    )
    extra: dict[str, JSONValue] = {
        **timed.extra,
        "measure": "time (instructions not deterministic)",
        "counts": list(count.raw),
        "determinism": _determinism(count),
    }
    return replace(timed, alerts=(alert, *timed.alerts), extra=extra)


@contextlib.contextmanager
def _heartbeat(log: Callable[[str], None], every: float = HEARTBEAT) -> Iterator[None]:
    """A "still counting" line every ``every`` seconds while the block runs."""
    stop = threading.Event()
    start = time.monotonic()

    def beat() -> None:
        while not stop.wait(every):
            log(f"still counting under valgrind ({time.monotonic() - start:.0f}s)")

    thread = threading.Thread(target=beat, name="aiwf-count-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


__all__ = [
    "CALLS",
    "SLOWDOWN",
    "check_valgrind",
    "per_call_samples",
    "relative_spread",
    "run_counted_benchmark",
]
