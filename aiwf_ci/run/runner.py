"""Runs a suite: each selected benchmark through its workload, in config order, into one
``Results``. A benchmark that fails is recorded as an error and the run goes on.

Progress is reported through ``RunListener`` callbacks, so the CLI decides how it looks
(live lines, ``::group::`` blocks) and the library never prints.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from aiwf_ci.config.models import BenchmarkConfig, SuiteConfig
from aiwf_ci.errors import AiwfCIError
from aiwf_ci.models import BenchmarkResult, Commit, Results
from aiwf_ci.run.project import Tree
from aiwf_ci.workloads import RunContext, Workload, get_workload, workload_key


class RunListener(Protocol):
    def started(self, bench: BenchmarkConfig, index: int, total: int) -> None: ...

    def log(self, bench: BenchmarkConfig, line: str) -> None: ...

    def finished(self, result: BenchmarkResult, seconds: float) -> None: ...


class SilentListener:
    def started(self, bench: BenchmarkConfig, index: int, total: int) -> None:
        return None

    def log(self, bench: BenchmarkConfig, line: str) -> None:
        return None

    def finished(self, result: BenchmarkResult, seconds: float) -> None:
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOptions:
    tree: Tree
    commit: Commit = field(default_factory=Commit)
    environment: Mapping[str, object] = field(default_factory=dict)
    workloads: Callable[[str], Workload] = get_workload


def run_suite(
    config: SuiteConfig,
    benchmarks: Sequence[BenchmarkConfig],
    options: RunOptions,
    listener: RunListener | None = None,
) -> Results:
    events = listener or SilentListener()
    results = [
        result
        for index, bench in enumerate(benchmarks, start=1)
        for result in _run_one(bench, index, len(benchmarks), config, options, events)
    ]
    return Results(
        suite=config.suite,
        benchmarks=tuple(results),
        commit=options.commit,
        environment=dict(options.environment),
    )


def tree_context(
    tree: Tree,
    config: SuiteConfig,
    log: Callable[[str], None],
    *,
    cpu: int | None = None,
    own_code: bool = False,
) -> RunContext:
    """The world a workload of ``config`` sees when it runs in ``tree`` (started on ``cpu``,
    when given; ``own_code``: a side of an A/B run, whose targets must be its own code)."""
    return RunContext(
        root=tree.root,
        config_dir=config.config_dir,
        log=log,
        cpu=cpu,
        env=tree.env,
        python=tree.python,
        worker_path=tree.worker_path,
        isolated=tree.isolated,
        own_code=own_code,
    )


def call_workload(
    workloads: Callable[[str], Workload], bench: BenchmarkConfig, ctx: RunContext
) -> tuple[BenchmarkResult, ...]:
    """Run one benchmark's workload; any failure becomes an error result, so one broken
    benchmark (or a bug in a workload) never sinks the rest of the run."""
    try:
        outcome = workloads(workload_key(bench))(bench, ctx)
    except AiwfCIError as exc:
        outcome = BenchmarkResult(name=bench.name, kind=bench.kind, errors=(str(exc),))
    except Exception as exc:  # a workload bug must not sink the whole run
        message = f"internal error in the {bench.kind} workload: {type(exc).__name__}: {exc}"
        outcome = BenchmarkResult(name=bench.name, kind=bench.kind, errors=(message,))
    return outcome if isinstance(outcome, tuple) else (outcome,)


def _run_one(
    bench: BenchmarkConfig,
    index: int,
    total: int,
    config: SuiteConfig,
    options: RunOptions,
    events: RunListener,
) -> tuple[BenchmarkResult, ...]:
    events.started(bench, index, total)
    ctx = tree_context(options.tree, config, lambda line: events.log(bench, line))
    start = time.perf_counter()
    results = call_workload(options.workloads, bench, ctx)
    for result in results:
        events.finished(result, time.perf_counter() - start)
    return results
