"""Workload kinds: how one benchmark is executed and turned into a ``BenchmarkResult``.

Each kind is a function ``(BenchmarkConfig, RunContext) -> BenchmarkResult``; the runner looks
it up by ``BenchmarkConfig.kind`` with ``get_workload``. Modules are imported on first use, so
a suite only pays for the kinds it uses, and a worker process (``python_worker``, run in the
project's own virtualenv) imports nothing but the standard library.

Modules:
    base           what every workload receives and returns; the timing metrics they share
    command        a shell command, run warmup + iterations times
    python         a ``module:callable`` timed in a worker process (a session of orders)
    python_worker  that worker process
    python_origin  whether what a worker imported is the tree's own code
    file_batch     a suite's file operations through the batch processor
    load           a load test or a concurrency burst, HTTP or a callable
    ingest         another harness's output file read into results
    instructions   ``measure: instructions``: counted under Valgrind and checked to repeat
    native         ordinary runs beside a count: native time and I/O
    count_worker   the worker counted under Valgrind for ``python:`` callables
    paths          the paths a suite names, checked before anything runs
    profiles       per-function profiles of one benchmark in one tree (cProfile, Callgrind)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiwf_ci.config.models import BenchmarkConfig
    from aiwf_ci.workloads.base import RunContext, Workload

_MODULES = {
    "command": "aiwf_ci.workloads.command:run_command_benchmark",
    "python": "aiwf_ci.workloads.python:run_python_benchmark",
    "file-batch": "aiwf_ci.workloads.file_batch:run_file_batch_benchmark",
    "load": "aiwf_ci.workloads.load:run_load_benchmark",
    "ingest": "aiwf_ci.workloads.ingest:run_ingest_benchmark",
    "instructions": "aiwf_ci.workloads.instructions:run_counted_benchmark",
}
"""Workload per kind; ``instructions`` runs ``command`` and ``python`` benchmarks measured
with ``measure: instructions`` (see ``workload_key``)."""


def workload_key(bench: BenchmarkConfig) -> str:
    """The ``get_workload`` key that runs ``bench``: its kind, or ``instructions``."""
    return "instructions" if bench.counts_instructions else bench.kind


def get_workload(kind: str) -> Workload:
    """The function that runs benchmarks of ``kind`` (imported on first use)."""
    module_name, _, attr = _MODULES[kind].partition(":")
    module = importlib.import_module(module_name)
    workload: Workload = getattr(module, attr)
    return workload


def __getattr__(name: str) -> Any:
    if name in ("RunContext", "Workload"):
        return getattr(importlib.import_module("aiwf_ci.workloads.base"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["RunContext", "Workload", "get_workload", "workload_key"]
