"""The ``python`` workload: a ``module:callable`` timed in its own worker process.

This side starts ``python_worker`` (the tree's interpreter, ``sys.path`` starting with the
config's folder, then the tree's root, then a src layout's ``src/`` when the tree has no
virtualenv of its own; what it imports checked to be the tree's own code by
``python_origin``) as a **session** (``WorkerSession``) that takes orders
— calibrate the loop count, take samples, run the memory pass — so the caller decides when
each sample is taken: ``aiwf-ci run`` takes a benchmark's samples back to back, the
interleaved A/B run (``run.python_rounds``) alternates two sessions, one per tree, sample by
sample. The session enforces the benchmark's timeout by killing the worker's process tree;
whatever the callables started (a ``Popen``, a daemon) ends with the session; and a crash,
an import error or a timeout is an error of this benchmark only.

Each sample is timed three ways (wall, CPU, and the wait for a CPU where Linux tells it):
the metrics ``duration``, ``cpu_time`` and ``run_queue_delay`` (seconds per call), so the
verdict can gate the time that fits the work (``verdict.timer``).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shlex
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from aiwf_ci.bench.memory.convert import memory_outcome_from_worker
from aiwf_ci.bench.memory.outcome import MemoryOutcome
from aiwf_ci.bench.process import cause_line, run_process
from aiwf_ci.bench.reaper import end_tree, kill_tree, start_session, tracked
from aiwf_ci.bench.schedstat import on_cpu
from aiwf_ci.config.models import BenchmarkConfig, PythonSpec, SuiteConfig
from aiwf_ci.errors import BenchmarkError, ConfigError
from aiwf_ci.models import Alert, BenchmarkResult
from aiwf_ci.workloads import python_origin
from aiwf_ci.workloads.base import RunContext, build_result, error_result, timing_metrics

OUTPUT_LINES = 20
"""Lines of the worker's own output (the user's prints, warnings) kept in the log."""


@dataclass(frozen=True, slots=True)
class Sample:
    """One sample, per call: wall and CPU seconds, and seconds spent waiting for a CPU
    (``None`` where Linux does not tell)."""

    wall: float
    cpu: float
    queue: float | None
    reference: float | None = None
    """CPU seconds of the reference loop beside the sample (not per call: the machine's
    speed, ``bench.reference``)."""


class WorkerDied(BenchmarkError):
    """The worker ended without answering: killed by a signal (from outside: the OOM killer,
    a person; or a crash) or exited on its own (``os._exit``). ``how`` says which, in words
    (``killed by signal 9, SIGKILL``, ``exited with code 3``)."""

    def __init__(self, message: str, *, how: str) -> None:
        super().__init__(message)
        self.how = how


def ended(code: int | None) -> str:
    """How a worker process ended, from its return code, in words."""
    if code is None:
        return "stopped"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by signal {-code}, {signal.Signals(-code).name}"
        return f"killed by signal {-code}"
    return f"exited with code {code}"


class Sampler(Protocol):
    """What takes a python benchmark's samples: a ``WorkerSession``, or a test's fake."""

    def ready(self) -> None: ...

    def calibrate(self) -> tuple[int, bool]: ...

    def samples(self, loops: int, count: int, *, warm: int = 0) -> list[Sample]: ...

    def memory(self) -> Any: ...

    def close(self) -> None: ...

    def kill(self) -> None: ...


def run_python_benchmark(bench: BenchmarkConfig, ctx: RunContext) -> BenchmarkResult:
    """Calibrate, warm up and take the samples back to back, then the memory pass."""
    settings = bench.settings
    session = WorkerSession(bench, ctx)
    try:
        session.ready()
        loops, reached = session.calibrate()
        samples = session.samples(loops, settings.iterations, warm=settings.warmup)
        memory = session.memory() if settings.memory.enabled else None
        session.close()
    except BenchmarkError as exc:
        session.kill()
        return error_result(bench, str(exc))
    ctx.log(f"{len(samples)} samples of {loops} loops each")
    alerts = () if reached else (short_samples(bench, samples, loops),)
    return python_result(bench, samples, loops, memory, alerts)


def short_samples(bench: BenchmarkConfig, samples: Sequence[Sample], loops: int) -> Alert:
    """The loop cap came before ``min-time``: the samples are shorter than asked for."""
    sample = min((s.wall for s in samples), default=0.0) * loops
    return Alert(
        kind="min_time_not_reached",
        metric="duration",
        message=(
            f"a sample of {loops} calls took {sample:.3g}s, under min-time "
            f"{bench.settings.min_time:g}s (the loop cap): timings of so fast a callable are "
            "dominated by the loop; time a larger unit of work per call"
        ),
        limit=bench.settings.min_time,
        value=sample,
    )


def python_result(
    bench: BenchmarkConfig,
    samples: Sequence[Sample],
    loops: int,
    memory_data: Any,
    alerts: Sequence[Alert] = (),
    extra: Mapping[str, object] | None = None,
) -> BenchmarkResult:
    """The result of a python benchmark: its samples, memory pass and settings."""
    memory: MemoryOutcome = memory_outcome_from_worker(memory_data, bench.settings.memory)
    return build_result(
        bench,
        metrics={**timing_metrics(samples), **memory.metrics},
        errors=memory.errors,
        alerts=(*alerts, *memory.alerts),
        series=memory.series,
        extra={
            "loops": loops,
            "iterations": bench.settings.iterations,
            "warmup": bench.settings.warmup,
            "timer": bench.settings.timer,
            **memory.extra,
            **(extra or {}),
        },
    )


class WorkerSession:
    """One worker process serving orders over two pipes (``python_worker --serve``).

    Started at once (``ready`` waits for the import and ``setup``), so two sessions start
    side by side. Every answer is awaited at most until the session's deadline (the
    benchmark's ``timeout`` from the start); past it, or when the worker dies, the process
    tree is killed and ``BenchmarkError`` says why, with the worker's last output line.
    """

    def __init__(self, bench: BenchmarkConfig, ctx: RunContext) -> None:
        spec = bench.workload
        assert isinstance(spec, PythonSpec)
        self.bench, self.ctx = bench, ctx
        self.timeout = bench.settings.timeout
        self.deadline = ctx.clock_ns() + int(self.timeout * 1e9)
        self._stack = contextlib.ExitStack()
        folder = Path(self._stack.enter_context(tempfile.TemporaryDirectory(prefix="aiwf-w-")))
        job = folder / "job.json"
        job.write_text(json.dumps(worker_job(spec, ctx)), encoding="utf-8")
        self._out = self._stack.enter_context(tempfile.TemporaryFile())  # noqa: SIM115
        orders_r, self._orders = os.pipe()
        self._answers, answers_w = os.pipe()
        python = ctx.python or sys.executable
        argv = [python, "-m", "aiwf_ci.workloads.python_worker", "--serve", str(job)]
        try:
            with on_cpu(ctx.cpu):
                self.proc = start_session(
                    [*argv, str(orders_r), str(answers_w)],
                    cwd=ctx.root,
                    env=worker_env(ctx),
                    stdout=self._out,
                    stderr=subprocess.STDOUT,
                    pass_fds=(orders_r, answers_w),
                )
        finally:
            os.close(orders_r)
            os.close(answers_w)
        self._stack.enter_context(tracked(self.proc.pid))
        self._buffer = b""
        self._closed = False

    def ready(self) -> None:
        self._answer()

    def calibrate(self) -> tuple[int, bool]:
        data = self._order({"op": "calibrate", "min_time": self.bench.settings.min_time})
        return int(data["loops"]), bool(data["reached"])

    def samples(self, loops: int, count: int, *, warm: int = 0) -> list[Sample]:
        data = self._order({"op": "sample", "loops": loops, "count": count, "warm": warm})
        return [_sample(raw, loops) for raw in data["samples"]]

    def memory(self) -> Any:
        memory = self.bench.settings.memory
        settings = {
            "iterations": memory.iterations,
            "leak_threshold": memory.leak_threshold,
            "interval": memory.interval,
        }
        return self._order({"op": "memory", "settings": settings})["memory"]

    def close(self) -> None:
        """``teardown`` and a clean exit; the worker's own output goes to the log."""
        if self._closed:
            return
        try:
            self._order({"op": "quit"})
            self.proc.wait(timeout=max(1.0, self._left()))
        except (BenchmarkError, subprocess.TimeoutExpired):
            self.kill()
            raise
        self._finish()

    def kill(self) -> None:
        """End the worker's whole tree now (a failure, an interrupt, the other side's error)."""
        if self._closed:
            return
        kill_tree(self.proc.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5.0)
        self._finish()

    def __enter__(self) -> WorkerSession:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.kill()

    def _finish(self) -> None:
        """What the worker's callables left running (a ``Popen``, a daemon) ends with it."""
        self._closed = True
        end_tree(self.proc.pid, group=False)  # reaped already: its group id may be reused
        for line in self._output().strip().splitlines()[-OUTPUT_LINES:]:
            self.ctx.log(line)
        for fd in (self._orders, self._answers):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._stack.close()

    def _output(self) -> str:
        self._out.seek(0)
        return self._out.read().decode("utf-8", errors="replace")

    def _left(self) -> float:
        return (self.deadline - self.ctx.clock_ns()) / 1e9

    def _order(self, order: Mapping[str, Any]) -> dict[str, Any]:
        try:
            os.write(self._orders, json.dumps(order).encode("utf-8") + b"\n")
        except OSError:
            raise self._died() from None
        return self._answer()

    def _answer(self) -> dict[str, Any]:
        while b"\n" not in self._buffer:
            left = self._left()
            ready, _, _ = select.select([self._answers], [], [], max(0.0, left))
            if not ready:
                self.kill()
                raise BenchmarkError(
                    f"worker timed out after {self.timeout:g}s (process tree killed)"
                )
            chunk = os.read(self._answers, 1 << 16)
            if not chunk:
                raise self._died()
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        data: dict[str, Any] = json.loads(line)
        if not data.get("ok"):
            self.kill()
            trace = "".join(data.get("traceback", [])).strip()
            raise BenchmarkError(f"{data.get('error')}\n{trace}".strip())
        return data

    def _died(self) -> WorkerDied:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5.0)
        how = ended(self.proc.returncode)
        output = self._output().strip()
        self.kill()
        head = f"worker {how}"
        message = f"{head}: {cause_line(output)}\n{output[-2000:]}" if output else head
        return WorkerDied(message, how=how)


def _sample(raw: Sequence[int | None], loops: int) -> Sample:
    wall, cpu, queue, reference = raw
    return Sample(
        wall=(wall or 0) / loops / 1e9,
        cpu=(cpu or 0) / loops / 1e9,
        queue=None if queue is None else queue / loops / 1e9,
        reference=None if reference is None else reference / 1e9,
    )


def worker_job(spec: PythonSpec, ctx: RunContext) -> dict[str, Any]:
    """What a worker (timing or counting) imports and calls: the callable, its ``setup`` and
    ``teardown``, and the ``sys.path`` to find them on."""
    return {
        "sys_path": sys_path_for(ctx),
        "origin": origin_rules(ctx),
        "target": spec.target,
        "setup": spec.setup,
        "teardown": spec.teardown,
    }


def open_session(bench: BenchmarkConfig, ctx: RunContext) -> Sampler:
    """The default ``Sampler`` factory: a real worker process."""
    return WorkerSession(bench, ctx)


SamplerFactory = Callable[[BenchmarkConfig, RunContext], Sampler]


def sys_path_for(ctx: RunContext) -> list[str]:
    """``sys.path`` entries for the worker, ahead of the installed packages: the config's
    folder, then the tree's root (never the directory aiwf-ci was started from: in ``ab``
    that is the other tree), then, for a tree without a virtualenv of its own, a src
    layout's ``src/``, so its code wins over a package of the same name among aiwf-ci's.
    A tree with its own virtualenv imports its package as its set-up installed it (a
    non-editable install may hold built extensions its ``src/`` lacks)."""
    entries = [ctx.config_dir.resolve(), ctx.root.resolve()]
    src = ctx.root.resolve() / "src"
    if not ctx.isolated and src.is_dir():
        entries.append(src)
    return list(dict.fromkeys(str(entry) for entry in entries))


def origin_rules(ctx: RunContext) -> dict[str, object]:
    """What the worker counts as the tree's own code (``python_origin``): the tree's
    folders, the folders its packages live in, whether its virtualenv is its own, and
    whether targets must come from the tree (an A/B side)."""
    root = ctx.root.resolve()
    folders = [ctx.config_dir.resolve(), root, root / "src"]
    return {
        "tree": list(dict.fromkeys(str(p) for p in (ctx.config_dir.resolve(), root))),
        "folders": list(dict.fromkeys(str(p) for p in folders)),
        "own_env": ctx.isolated,
        "own_code": ctx.own_code,
    }


def run_worker(
    job: Mapping[str, Any],
    ctx: RunContext,
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Run a one-shot worker job (the import check, a profile) in ``env`` (default: the
    tree's); its JSON answer, or ``BenchmarkError`` saying why not."""
    with tempfile.TemporaryDirectory(prefix="aiwf-worker-") as tmp:
        job_path, result_path = Path(tmp, "job.json"), Path(tmp, "result.json")
        job_path.write_text(json.dumps(job), encoding="utf-8")
        python = ctx.python or sys.executable
        argv = [python, "-m", "aiwf_ci.workloads.python_worker", str(job_path), str(result_path)]
        outcome = run_process(
            shlex.join(argv),
            cwd=ctx.root,
            env=worker_env(ctx, env),
            timeout=timeout,
            clock_ns=ctx.clock_ns,
        )
        for line in (outcome.stdout + outcome.stderr).strip().splitlines()[-20:]:
            ctx.log(line)
        if not outcome.ok or not result_path.exists():
            raise BenchmarkError(f"worker {outcome.reason(timeout)}")
        data: dict[str, Any] = json.loads(result_path.read_text(encoding="utf-8"))
    if not data.get("ok"):
        trace = "".join(data.get("traceback", [])).strip()
        raise BenchmarkError(f"{data.get('error')}\n{trace}".strip())
    return data


def worker_env(ctx: RunContext, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: the tree's) for a worker, which must import this very package,
    wherever it was installed from; only the ``aiwf_ci`` folder is added
    (``ctx.worker_path``), so aiwf-ci's own dependencies never shadow the project's in the
    project's virtualenv."""
    entry = ctx.worker_path or str(Path(__file__).resolve().parents[2])
    merged = dict(env if env is not None else ctx.env or os.environ)
    existing = merged.get("PYTHONPATH")
    merged["PYTHONPATH"] = entry + (os.pathsep + existing if existing else "")
    return merged


FIX_IMPORT = "check the module path (relative to the config's folder) and the name after ':'"
FIX_FOREIGN = python_origin.FIX


def _import_failures(targets: list[str], ctx: RunContext) -> dict[str, tuple[str, str]]:
    """Import the targets in one worker: each failing one with its reason and the fix (it
    does not import, or it imported other code than the tree's). When the worker itself
    dies (a module that calls ``os._exit`` or crashes the interpreter on import), each
    target in a worker of its own, so the culprit is named."""
    job = {
        "sys_path": sys_path_for(ctx),
        "origin": origin_rules(ctx),
        "check_only": True,
        "targets": targets,
    }
    try:
        answer = run_worker(job, ctx, timeout=120)
    except BenchmarkError as exc:
        if len(targets) == 1:
            why = f"importing it stopped the interpreter ({_first(exc)})"
            return {targets[0]: (f"cannot import {targets[0]!r}: {why}", FIX_IMPORT)}
    else:
        problems = {
            t: (f"cannot import {t!r}: {why}", FIX_IMPORT) for t, why in answer["check"].items()
        }
        for t, why in answer.get("foreign", {}).items():  # a tree's own older worker
            problems[t] = (f"{t!r} is not this tree's code: {why}", FIX_FOREIGN)
        return problems
    found: dict[str, tuple[str, str]] = {}
    for target in targets:
        found.update(_import_failures([target], ctx))
    return found


def _first(exc: BaseException) -> str:
    return (str(exc).splitlines() or ["no answer"])[0][:200]


def check_python_targets(config: SuiteConfig, ctx: RunContext) -> list[ConfigError]:
    """Import every ``python:``/``setup``/``teardown`` target in one worker; one error each."""
    owners: dict[str, tuple[BenchmarkConfig, str]] = {}
    for bench in config.benchmarks:
        spec = bench.workload
        if isinstance(spec, PythonSpec):
            for key, value in (
                ("python", spec.target),
                ("setup", spec.setup),
                ("teardown", spec.teardown),
            ):
                if value:
                    owners.setdefault(value, (bench, key))
    if not owners:
        return []
    failures = _import_failures(list(owners), ctx)
    return [
        ConfigError(
            message,
            where=f"{config.path}:{owners[target][0].line}",
            field=f"{owners[target][0].name}.{owners[target][1]}",
            fix=fix,
        )
        for target, (message, fix) in failures.items()
    ]
