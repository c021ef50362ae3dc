"""Ordinary runs beside an instruction count: what the count cannot see.

Why a module of its own: ``workloads.instructions`` decides how to count and what to report;
this is the plain measuring it leans on: ``native_time`` (the benchmark run without Valgrind)
and the I/O the kernel accounts for (``io_read_bytes``, ``io_write_bytes``, ``io_calls``), per
run for a command and per call for a ``python:`` callable (the worker run with ``n`` calls,
then ``n + calls`` twice: the same difference as the count's, so start-up I/O cancels). Also
the small helpers both share: a command's folder and a benchmark's configuration for a timed
run.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from aiwf_ci.bench.instructions import deterministic_env, job_command
from aiwf_ci.bench.process import IoCounters, ProcessOutcome, run_process
from aiwf_ci.config.models import BenchmarkConfig, CommandSpec, PythonSpec
from aiwf_ci.metrics import measured
from aiwf_ci.models import Metric
from aiwf_ci.workloads.base import RunContext
from aiwf_ci.workloads.python import run_python_benchmark, worker_env, worker_job

NATIVE_RUNS = 3
"""Ordinary runs of a command for ``native_time`` and its I/O."""


def command_cwd(spec: CommandSpec, ctx: RunContext) -> Path:
    return ctx.resolve(spec.cwd) if spec.cwd else ctx.root


def timed_config(bench: BenchmarkConfig, *, memory: bool) -> BenchmarkConfig:
    settings = bench.settings
    memory_settings = settings.memory if memory else replace(settings.memory, enabled=False)
    return replace(bench, settings=replace(settings, measure="time", memory=memory_settings))


@dataclass(frozen=True, slots=True, kw_only=True)
class Native:
    """Ordinary (uncounted) runs: wall time, and I/O per run or per call."""

    times: tuple[float, ...] = ()
    io: tuple[IoCounters, ...] = ()
    per: int = 1
    """Divide the I/O by this (python: the extra calls of the large run)."""
    errors: tuple[str, ...] = ()


def native_runs(
    bench: BenchmarkConfig, ctx: RunContext, env: Mapping[str, str], *, calls: int
) -> Native:
    """Ordinary runs of a counted benchmark (``calls``: the extra calls of a python count)."""
    spec = bench.workload
    if isinstance(spec, CommandSpec):
        return _native_command(bench, spec, ctx, env)
    assert isinstance(spec, PythonSpec)
    return _native_python(bench, spec, ctx, env, calls)


def _native_command(
    bench: BenchmarkConfig, spec: CommandSpec, ctx: RunContext, env: Mapping[str, str]
) -> Native:
    outcomes: list[ProcessOutcome] = []
    for _ in range(NATIVE_RUNS):
        outcome = run_process(
            spec.command,
            cwd=command_cwd(spec, ctx),
            env={**deterministic_env(env), **spec.env},
            timeout=bench.settings.timeout,
            clock_ns=ctx.clock_ns,
        )
        if not outcome.ok:
            return Native(errors=(f"ordinary run {outcome.reason(bench.settings.timeout)}",))
        outcomes.append(outcome)
    ctx.log(f"{NATIVE_RUNS} ordinary runs: " + ", ".join(f"{o.wall:.4f}s" for o in outcomes))
    return Native(
        times=tuple(o.wall for o in outcomes),
        io=tuple(o.io for o in outcomes if o.io is not None),
    )


def _native_python(
    bench: BenchmarkConfig,
    spec: PythonSpec,
    ctx: RunContext,
    env: Mapping[str, str],
    calls: int,
) -> Native:
    """The ordinary timed run (``native_time`` per call) and the I/O per call, by the same
    difference as the counts: the worker with ``n`` calls once, ``n + calls`` twice."""
    timed = run_python_benchmark(timed_config(bench, memory=False), ctx)
    if timed.failed:
        return Native(errors=tuple(f"ordinary run: {e}" for e in timed.errors))
    duration = timed.metrics.get("duration")
    small = max(1, bench.settings.warmup)
    with tempfile.TemporaryDirectory(prefix="aiwf-native-") as tmp:
        runs: list[IoCounters] = []
        for index, loops in enumerate((small, small + calls, small + calls)):
            command = job_command(
                ctx.python or sys.executable, worker_job(spec, ctx), loops, Path(tmp, str(index))
            )
            outcome = run_process(
                command,
                cwd=ctx.root,
                env=worker_env(ctx, deterministic_env(env)),
                timeout=bench.settings.timeout,
                clock_ns=ctx.clock_ns,
            )
            if not outcome.ok or outcome.io is None:
                break
            runs.append(outcome.io)
    io = tuple(_minus(large, runs[0]) for large in runs[1:]) if len(runs) == 3 else ()
    return Native(times=duration.samples if duration else (), io=io, per=calls)


def _minus(a: IoCounters, b: IoCounters) -> IoCounters:
    return IoCounters(
        read_chars=a.read_chars - b.read_chars,
        write_chars=a.write_chars - b.write_chars,
        read_calls=a.read_calls - b.read_calls,
        write_calls=a.write_calls - b.write_calls,
        storage_read=a.storage_read - b.storage_read,
        storage_write=a.storage_write - b.storage_write,
    )


def io_metrics(io: Sequence[IoCounters], per: int = 1) -> dict[str, Metric]:
    """``io_read_bytes``, ``io_write_bytes``, ``io_calls`` (read + write system calls), per
    run or per call; ``deterministic`` when every run agrees exactly."""
    if not io:
        return {}
    columns = {
        "io_read_bytes": [c.read_chars / per for c in io],
        "io_write_bytes": [c.write_chars / per for c in io],
        "io_calls": [(c.read_calls + c.write_calls) / per for c in io],
    }
    return {
        name: measured(name, values, deterministic=len(values) > 1 and len(set(values)) == 1)
        for name, values in columns.items()
    }
