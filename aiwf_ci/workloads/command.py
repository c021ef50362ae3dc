"""The ``command`` workload: a shell command run warmup + iterations times.

Metrics: ``duration`` (wall seconds per run), ``cpu_time`` (user + system seconds of the
whole process tree per run) and, where Linux tells it, ``run_queue_delay`` (seconds the
command's main process was runnable but waiting for a CPU), so the verdict can gate the time
that fits the work (``verdict.timer``), and ``reference_time`` (a fixed loop timed in this
process right after each run, on the CPU the command last ran on: the machine's speed of the
moment, ``bench.reference``). The first failing run (non-zero exit or timeout) ends the benchmark
with an error that keeps the stderr tail; the runner then goes on with the next. Memory is
measured in a separate pass after the timed runs (``bench.memory.profiler``) so the sampler
never disturbs the timings.
"""

from __future__ import annotations

import shlex
from dataclasses import replace

from aiwf_ci.bench.memory.outcome import MemoryOutcome
from aiwf_ci.bench.process import ProcessOutcome, run_process
from aiwf_ci.bench.reference import reference_ns
from aiwf_ci.bench.schedstat import on_cpu
from aiwf_ci.config.models import BenchmarkConfig, CommandSpec
from aiwf_ci.models import BenchmarkResult
from aiwf_ci.workloads.base import RunContext, build_result, error_result, timing_metrics


def run_command_benchmark(bench: BenchmarkConfig, ctx: RunContext) -> BenchmarkResult:
    spec = bench.workload
    assert isinstance(spec, CommandSpec)
    timed = _timed_runs(bench, spec, ctx)
    if isinstance(timed, str):
        return error_result(bench, timed)
    settings = bench.settings
    memory = _memory_pass(bench, ctx)
    return build_result(
        bench,
        metrics={**timing_metrics(timed), **memory.metrics},
        errors=memory.errors,
        alerts=memory.alerts,
        series=memory.series,
        extra={
            "iterations": settings.iterations,
            "warmup": settings.warmup,
            "timer": settings.timer,
            **memory.extra,
        },
    )


def _timed_runs(
    bench: BenchmarkConfig, spec: CommandSpec, ctx: RunContext
) -> list[ProcessOutcome] | str:
    """Warmup + measured runs within ONE deadline (``timeout`` is per benchmark, so a huge
    ``iterations`` cannot turn into a hang); the reason of the first failure otherwise."""
    settings = bench.settings
    deadline = ctx.clock_ns() + int(settings.timeout * 1e9)
    outcomes: list[ProcessOutcome] = []
    for index in range(settings.warmup + settings.iterations):
        phase = "warmup" if index < settings.warmup else "run"
        left = (deadline - ctx.clock_ns()) / 1e9
        if left <= 0:
            return _out_of_time(bench, len(outcomes))
        outcome = _run_once(spec, ctx, left)
        outcome = replace(outcome, reference=_reference(outcome))
        ctx.log(f"{phase} {index + 1}: {outcome.wall:.4f}s wall, {outcome.cpu:.4f}s cpu")
        if outcome.timed_out and index > 0:
            return _out_of_time(bench, len(outcomes))
        if not outcome.ok:
            _log_output(ctx, outcome)
            return f"{phase} {index + 1} {outcome.reason(settings.timeout)}"
        if index >= settings.warmup:
            outcomes.append(outcome)
    _log_output(ctx, outcomes[-1])
    return outcomes


def _reference(outcome: ProcessOutcome) -> float:
    """Seconds of the reference loop on the CPU the command last ran on (a 2-vCPU guest's
    CPUs run at different speeds at one moment: timed on another CPU, the reference would
    follow the wrong one), the mean of two."""
    with on_cpu(outcome.last_cpu):
        return (reference_ns() + reference_ns()) / 2e9


def _out_of_time(bench: BenchmarkConfig, done: int) -> str:
    settings = bench.settings
    return (
        f"timed out after {settings.timeout:g}s with {done} of {settings.iterations} runs done "
        "(process tree killed; lower iterations or raise timeout)"
    )


OPERATOR_CHARS = frozenset("();<>|&")
SHELL_WORDS = frozenset(
    "if then else elif fi for while until do done case esac in function select time "  # noqa: SIM905
    "cd export set unset . source alias eval exec exit return shift trap umask ulimit wait "
    "read local readonly command builtin type hash jobs fg bg".split()
)
"""Keywords and builtins that ``exec`` cannot run as a program."""


def direct(command: str) -> str:
    """``exec`` prepended to a simple command (``python x.py --n 3``: one line, no operator
    or redirection outside quotes, no assignment, no shell keyword or builtin first), so the
    shell becomes the program: the process timed is the program itself, whose wait for a
    CPU the kernel reports, and no shell waits in between (``sh -c`` does not ``exec`` by
    itself). Anything else runs as written."""
    if "\n" in command:
        return command
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        words = list(lexer)
    except ValueError:
        return command
    if not words or "=" in words[0] or words[0] in SHELL_WORDS:
        return command
    if any(word and set(word) <= OPERATOR_CHARS for word in words):
        return command
    return f"exec {command}"


def _run_once(spec: CommandSpec, ctx: RunContext, timeout: float) -> ProcessOutcome:
    return run_process(
        direct(spec.command),
        cwd=ctx.resolve(spec.cwd) if spec.cwd else ctx.root,
        env={**ctx.env, **spec.env},
        timeout=timeout,
        clock_ns=ctx.clock_ns,
        cpu=ctx.cpu,
    )


def _log_output(ctx: RunContext, outcome: ProcessOutcome) -> None:
    for name, text in (("stdout", outcome.stdout), ("stderr", outcome.stderr)):
        if text.strip():
            ctx.log(f"--- {name} (tail) ---")
            for line in text.strip().splitlines()[-20:]:
                ctx.log(line)


def _memory_pass(bench: BenchmarkConfig, ctx: RunContext) -> MemoryOutcome:
    """Memory runs of the command under the process-tree sampler (``bench.memory.profiler``)."""
    spec = bench.workload
    assert isinstance(spec, CommandSpec)
    if not bench.settings.memory.enabled:
        return MemoryOutcome()
    from aiwf_ci.bench.memory.profiler import command_memory_pass

    timeout = bench.settings.timeout
    return command_memory_pass(
        lambda observer: run_process(
            spec.command,
            cwd=ctx.resolve(spec.cwd) if spec.cwd else ctx.root,
            env={**ctx.env, **spec.env},
            timeout=timeout,
            observer=observer,
            clock_ns=ctx.clock_ns,
        ),
        bench.settings.memory,
        timeout=timeout,
    )
