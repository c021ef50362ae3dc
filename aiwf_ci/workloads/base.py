"""What every workload receives (``RunContext``) and returns, plus shared helpers.

The context carries the world a workload may touch: the source tree's root (relative paths
start there, as in a workflow's ``run:`` step), the config's folder (``python:`` modules are
looked up there first), the interpreter of the tree's environment, the environment for
child processes, a log callback (the CLI turns it into output or a ``::group::``) and a
monotonic clock, so tests can inject their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from aiwf_ci.config.models import BenchmarkConfig
from aiwf_ci.metrics import CPU_TIME, DURATION, REFERENCE_TIME, RUN_QUEUE_DELAY, measured
from aiwf_ci.models import Alert, BenchmarkResult, Metric, Series


def _no_log(_line: str) -> None:
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunContext:
    """The world a workload runs in; everything is injectable."""

    root: Path
    config_dir: Path
    env: Mapping[str, str] = field(default_factory=dict)
    log: Callable[[str], None] = _no_log
    clock_ns: Callable[[], int] = time.perf_counter_ns
    python: str = ""
    worker_path: str = ""
    cpu: int | None = None
    """The CPU the benchmark's processes are started on (an A/B round puts base and head on
    the same one), or ``None``: wherever the system schedules them."""
    isolated: bool = False
    """The tree has a virtualenv of its own (its set-up ran): what is installed there is its."""
    own_code: bool = False
    """An A/B side: its ``python:`` targets must come from this tree, its own virtualenv or
    the standard library, never from aiwf-ci's packages or the other tree
    (``python_origin``)."""

    def resolve(self, path: str) -> Path:
        """A path relative to the tree's root made absolute."""
        return resolve_in(self.root, path)


def resolve_in(root: Path, path: str) -> Path:
    """``path`` as a workload uses it: ``~`` expanded, relative to ``root`` unless absolute
    (``validate`` and ``run`` check the same folder this way)."""
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else root / candidate


class Workload(Protocol):
    """Runs one configured benchmark; ``ingest`` may return several results."""

    def __call__(
        self, bench: BenchmarkConfig, ctx: RunContext
    ) -> BenchmarkResult | tuple[BenchmarkResult, ...]: ...


def error_result(bench: BenchmarkConfig, message: str) -> BenchmarkResult:
    """A result that only says the benchmark failed, and why."""
    return BenchmarkResult(name=bench.name, kind=bench.kind, errors=(message,))


def build_result(
    bench: BenchmarkConfig,
    *,
    metrics: Mapping[str, Metric],
    errors: Sequence[str] = (),
    alerts: Sequence[Alert] = (),
    series: Mapping[str, Series] | None = None,
    extra: Mapping[str, object] | None = None,
) -> BenchmarkResult:
    return BenchmarkResult(
        name=bench.name,
        kind=bench.kind,
        metrics=dict(metrics),
        errors=tuple(errors),
        alerts=tuple(alerts),
        series=dict(series or {}),
        extra=dict(extra or {}),
    )


class Timed(Protocol):
    """One timed run or sample: wall and CPU seconds, and seconds spent waiting for a CPU
    (``None`` where Linux does not tell)."""

    @property
    def wall(self) -> float: ...

    @property
    def cpu(self) -> float: ...

    @property
    def queue(self) -> float | None: ...

    @property
    def reference(self) -> float | None:
        """CPU seconds of the reference loop beside the sample (``bench.reference``)."""
        ...


def timing_metrics(timed: Sequence[Timed]) -> dict[str, Metric]:
    """``duration``, ``cpu_time`` and (where every run or sample has it) ``run_queue_delay``,
    so the verdict can gate the time that fits the work (``verdict.timer``), and
    ``reference_time``, the machine's speed beside each (``verdict.speed``)."""
    metrics = {
        DURATION: measured(DURATION, [t.wall for t in timed]),
        CPU_TIME: measured(CPU_TIME, [t.cpu for t in timed]),
    }
    queues = [t.queue for t in timed]
    if timed and all(q is not None for q in queues):
        metrics[RUN_QUEUE_DELAY] = measured(RUN_QUEUE_DELAY, [q or 0.0 for q in queues])
    references = [t.reference for t in timed]
    if timed and all(r is not None for r in references):
        metrics[REFERENCE_TIME] = measured(REFERENCE_TIME, [r or 0.0 for r in references])
    return metrics
