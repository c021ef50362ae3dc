"""Workload kinds: how one benchmark is executed and turned into a ``BenchmarkResult``.

Each kind is a function ``(BenchmarkConfig, RunContext) -> BenchmarkResult`` registered in
``REGISTRY``; the runner looks the function up by ``BenchmarkConfig.kind``. Kinds whose
modules need heavy imports are loaded lazily, so a suite only pays for the kinds it uses.
"""

from __future__ import annotations

import importlib

from aiwf_ci.workloads.base import RunContext, Workload

_MODULES = {
    "command": "aiwf_ci.workloads.command:run_command_benchmark",
    "python": "aiwf_ci.workloads.python:run_python_benchmark",
    "file-batch": "aiwf_ci.workloads.file_batch:run_file_batch_benchmark",
    "load": "aiwf_ci.workloads.load:run_load_benchmark",
    "ingest": "aiwf_ci.workloads.ingest:run_ingest_benchmark",
}


def get_workload(kind: str) -> Workload:
    """The function that runs benchmarks of ``kind`` (imported on first use)."""
    module_name, _, attr = _MODULES[kind].partition(":")
    module = importlib.import_module(module_name)
    workload: Workload = getattr(module, attr)
    return workload


__all__ = ["RunContext", "Workload", "get_workload"]
