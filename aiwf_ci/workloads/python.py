"""The ``python`` workload: a ``module:callable`` timed in its own worker process.

This side writes the job, starts ``python_worker`` (same interpreter, ``sys.path`` starting
with the config's folder, then the working directory), enforces the timeout by killing the
worker's process tree, and turns the worker's JSON into a ``BenchmarkResult``. A crash, an
import error or a timeout is an error of this benchmark only.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aiwf_ci.bench.memory.convert import memory_outcome_from_worker
from aiwf_ci.bench.memory.outcome import MemoryOutcome
from aiwf_ci.bench.process import run_process
from aiwf_ci.config.models import BenchmarkConfig, PythonSpec, SuiteConfig
from aiwf_ci.errors import BenchmarkError, ConfigError
from aiwf_ci.models import Alert, BenchmarkResult, Metric
from aiwf_ci.workloads.base import RunContext, build_result, error_result


def run_python_benchmark(bench: BenchmarkConfig, ctx: RunContext) -> BenchmarkResult:
    spec = bench.workload
    assert isinstance(spec, PythonSpec)
    job = _job(bench, spec, ctx)
    try:
        data = run_worker(job, ctx, timeout=bench.settings.timeout)
    except BenchmarkError as exc:
        return error_result(bench, str(exc))
    samples: list[float] = data["samples"]
    ctx.log(f"{len(samples)} samples of {data['loops']} loops each")
    memory = memory_outcome_from_worker(data.get("memory"), bench.settings.memory)
    short = () if data.get("min_time_reached", True) else (_short_samples(bench, data),)
    return _result(bench, samples, int(data["loops"]), memory, short)


def _short_samples(bench: BenchmarkConfig, data: Mapping[str, Any]) -> Alert:
    """The loop cap came before ``min-time``: the samples are shorter than asked for."""
    loops = int(data["loops"])
    sample = min(data["samples"], default=0.0) * loops
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


def _result(
    bench: BenchmarkConfig,
    samples: Sequence[float],
    loops: int,
    memory: MemoryOutcome,
    warnings: Sequence[Alert] = (),
) -> BenchmarkResult:
    return build_result(
        bench,
        metrics={"duration": Metric.from_samples(samples, unit="s"), **memory.metrics},
        errors=memory.errors,
        alerts=(*warnings, *memory.alerts),
        series=memory.series,
        extra={
            "loops": loops,
            "iterations": bench.settings.iterations,
            "warmup": bench.settings.warmup,
            **memory.extra,
        },
    )


def _job(bench: BenchmarkConfig, spec: PythonSpec, ctx: RunContext) -> dict[str, Any]:
    settings = bench.settings
    memory = settings.memory
    return {
        "sys_path": sys_path_for(ctx),
        "target": spec.target,
        "setup": spec.setup,
        "teardown": spec.teardown,
        "warmup": settings.warmup,
        "iterations": settings.iterations,
        "min_time": settings.min_time,
        "memory": {
            "iterations": memory.iterations,
            "leak_threshold": memory.leak_threshold,
            "interval": memory.interval,
        }
        if memory.enabled
        else None,
    }


def sys_path_for(ctx: RunContext) -> list[str]:
    """``sys.path`` entries for the worker: the config's folder, then the tree's root (never
    the directory aiwf-ci was started from: in ``ab`` that is the other tree)."""
    return list(dict.fromkeys([str(ctx.config_dir.resolve()), str(ctx.root.resolve())]))


def run_worker(job: Mapping[str, Any], ctx: RunContext, *, timeout: float) -> dict[str, Any]:
    """Run the worker on ``job``; its JSON answer, or ``BenchmarkError`` saying why not."""
    with tempfile.TemporaryDirectory(prefix="aiwf-worker-") as tmp:
        job_path, result_path = Path(tmp, "job.json"), Path(tmp, "result.json")
        job_path.write_text(json.dumps(job), encoding="utf-8")
        python = ctx.python or sys.executable
        argv = [python, "-m", "aiwf_ci.workloads.python_worker", str(job_path), str(result_path)]
        outcome = run_process(
            shlex.join(argv),
            cwd=ctx.root,
            env=_worker_env(ctx),
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


def _worker_env(ctx: RunContext) -> dict[str, str]:
    """The worker must import this very package, wherever it was installed from; only the
    ``aiwf_ci`` folder is added (``ctx.worker_path``), so aiwf-ci's own dependencies never
    shadow the project's in the project's virtualenv."""
    entry = ctx.worker_path or str(Path(__file__).resolve().parents[2])
    merged = dict(ctx.env or os.environ)
    existing = merged.get("PYTHONPATH")
    merged["PYTHONPATH"] = entry + (os.pathsep + existing if existing else "")
    return merged


def _import_failures(targets: list[str], ctx: RunContext) -> dict[str, str]:
    """Import the targets in one worker; when the worker itself dies (a module that calls
    ``os._exit`` or crashes the interpreter on import), each target in a worker of its own,
    so the culprit is named."""
    job = {"sys_path": sys_path_for(ctx), "check_only": True, "targets": targets}
    try:
        failures: dict[str, str] = run_worker(job, ctx, timeout=120)["check"]
        return failures
    except BenchmarkError as exc:
        if len(targets) == 1:
            return {targets[0]: f"importing it stopped the interpreter ({_first(exc)})"}
    found: dict[str, str] = {}
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
            f"cannot import {target!r}: {reason}",
            where=f"{config.path}:{owners[target][0].line}",
            field=f"{owners[target][0].name}.{owners[target][1]}",
            fix="check the module path (relative to the config's folder) and the name after ':'",
        )
        for target, reason in failures.items()
    ]
