"""The ``file-batch`` workload: a suite's file operations run through ``FileBatchProcessor``.

Per benchmark a fresh temporary folder stands in for ``{tmp}``; it is removed afterwards, also
when the benchmark fails. Writes and copies go only under ``{tmp}`` (the config refuses any
other ``to:``), so a run never touches the user's tree and every iteration starts from empty
destinations (they are emptied between iterations, untimed). Relative globs start at the
repository root; they are expanded once, before the first iteration, within the benchmark's
``timeout`` and up to ``MAX_GLOB_FILES`` matches each. The operations themselves are made
lazily, batch by batch, so a ``write`` of a million files never exists as a list.

Metrics per measured iteration: ``duration`` (s), ``throughput`` (files/s), ``throughput_bytes``
(B/s) and ``memory_peak`` (the process's peak RSS during the batch, sampled with psutil).
One failed operation fails the benchmark: the error names how many failed and the first few
paths and reasons; ``extra.errors`` counts them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

from aiwf_ci.config.models import BenchmarkConfig, FileBatchSpec, FileOp
from aiwf_ci.config.workloads import tmp_destination, tmp_relative
from aiwf_ci.config.yamlload import quote
from aiwf_ci.filebatch import (
    MAX_GLOB_FILES,
    BatchReport,
    FileBatchProcessor,
    FileOperation,
    PlanError,
    ProcessorOptions,
    copies,
    glob_paths,
    write_operations,
)
from aiwf_ci.metrics import measured
from aiwf_ci.models import BenchmarkResult, Metric
from aiwf_ci.workloads.base import RunContext, build_result, error_result

SHOWN_FAILURES = 5
Matches = list[tuple[str, str]]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Plan:
    """Each operation with its glob's matches and its destination, ready to be made."""

    steps: tuple[tuple[FileOp, Matches, Path | None], ...]
    tmp: Path

    @property
    def dests(self) -> tuple[Path, ...]:
        return tuple(dict.fromkeys(dest for _, _, dest in self.steps if dest is not None))

    def operations(self) -> Iterator[FileOperation]:
        """Every operation of one iteration, made as the processor takes them."""
        for op, matches, dest in self.steps:
            if op.op == "read":
                yield from (FileOperation.read(path) for path, _ in matches)
            elif op.op == "copy":
                assert dest is not None
                yield from copies(matches, dest, overwrite=op.overwrite)
            else:
                assert dest is not None
                yield from write_operations(
                    dest, count=op.count, size=op.size, overwrite=op.overwrite
                )

    @property
    def count(self) -> int:
        return sum(len(m) if op.op != "write" else op.count for op, m, _ in self.steps)


def run_file_batch_benchmark(bench: BenchmarkConfig, ctx: RunContext) -> BenchmarkResult:
    spec = bench.workload
    assert isinstance(spec, FileBatchSpec)
    deadline = time.monotonic() + bench.settings.timeout
    with tempfile.TemporaryDirectory(prefix="aiwf-filebatch-") as tmp:
        try:
            plan = _plan(spec, ctx, Path(tmp), deadline)
        except PlanError as exc:
            return error_result(bench, _plan_failure(bench, exc))
        except ValueError as exc:  # a FileOp built by code, not by the config's checks
            return error_result(bench, str(exc))
        return _iterate(bench, spec, ctx, plan, deadline)


def _plan(spec: FileBatchSpec, ctx: RunContext, tmp: Path, deadline: float) -> _Plan:
    steps: list[tuple[FileOp, Matches, Path | None]] = []
    for op in spec.operations:
        dest = _dest(op.to, tmp) if op.to is not None else None
        matches: Matches = []
        if op.op != "write":
            assert op.glob is not None
            pattern = op.glob.replace("{tmp}", str(tmp))
            matches = glob_paths(
                pattern, base_dir=ctx.root, limit=MAX_GLOB_FILES, deadline=deadline
            )
            if not matches:
                raise PlanError(_no_match(op, ctx))
        steps.append((op, matches, dest))
    return _Plan(steps=tuple(steps), tmp=tmp)


def _dest(value: str, tmp: Path) -> Path:
    """The folder under ``tmp`` a ``to:`` names (``ValueError`` for anywhere else)."""
    try:
        relative = tmp_relative(tmp_destination(value))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"to: {exc} (writes and copies go under {{tmp}} only)") from None
    return tmp / relative if relative else tmp


def _no_match(op: FileOp, ctx: RunContext) -> str:
    shown = quote(op.glob)
    return f"{op.op} glob {shown} matched no files (relative paths start at {ctx.root})"


def _plan_failure(bench: BenchmarkConfig, exc: PlanError) -> str:
    text = str(exc)
    if text.startswith("ran out of time"):
        return f"timed out after {bench.settings.timeout:g}s expanding the globs: {text}"
    return text


def _iterate(
    bench: BenchmarkConfig, spec: FileBatchSpec, ctx: RunContext, plan: _Plan, deadline: float
) -> BenchmarkResult:
    settings = bench.settings
    processor = FileBatchProcessor(_options(spec), dest_root=plan.tmp)
    samples: dict[str, list[float]] = {k: [] for k in ("duration", "files", "bytes", "rss")}
    for index in range(settings.warmup + settings.iterations):
        phase = "warmup" if index < settings.warmup else "iteration"
        _clear(plan.dests)  # every iteration starts from empty destinations
        processor.extend(plan.operations())
        with PeakRSS(settings.memory.interval if settings.memory.enabled else 0) as rss:
            start = ctx.clock_ns()
            report = processor.run(deadline=deadline, keep_results=False)
            seconds = (ctx.clock_ns() - start) / 1e9
        ctx.log(f"{phase} {index + 1}: {report.files} files, {report.nbytes} B in {seconds:.4f}s")
        if not report.ok:
            return _failed(bench, report, f"{phase} {index + 1}", samples)
        if index >= settings.warmup:
            _record(samples, seconds, report, rss.peak)
    return _result(bench, samples, plan.count)


def _options(spec: FileBatchSpec) -> ProcessorOptions:
    return ProcessorOptions(
        concurrency=spec.concurrency,
        batch_size=spec.batch_size,
        stream_threshold=spec.stream_threshold,
    )


def _record(samples: dict[str, list[float]], secs: float, report: BatchReport, rss: int) -> None:
    secs = max(secs, 1e-9)
    samples["duration"].append(secs)
    samples["files"].append(report.files / secs)
    samples["bytes"].append(report.nbytes / secs)
    if rss:
        samples["rss"].append(float(rss))


def _clear(folders: tuple[Path, ...]) -> None:
    """Empty each folder (keeping the folder: it may be ``{tmp}`` itself); never follows a
    symlink out of it."""
    for folder in folders:
        if not folder.is_dir():
            continue
        for child in os.scandir(folder):
            if child.is_dir(follow_symlinks=False):
                shutil.rmtree(child.path, ignore_errors=True)
            else:
                os.unlink(child.path)


def _metrics(samples: dict[str, list[float]]) -> dict[str, Metric]:
    if not samples["duration"]:
        return {}
    metrics = {
        "duration": measured("duration", samples["duration"]),
        "throughput": measured("throughput", samples["files"], counting="files"),
        "throughput_bytes": measured("throughput_bytes", samples["bytes"]),
    }
    if samples["rss"]:
        metrics["memory_peak"] = measured("memory_peak", samples["rss"])
    return metrics


def _result(bench: BenchmarkConfig, samples: dict[str, list[float]], ops: int) -> BenchmarkResult:
    extra = {"operations": ops, "errors": 0, **_counts(bench)}
    return build_result(bench, metrics=_metrics(samples), extra=extra)


def _counts(bench: BenchmarkConfig) -> dict[str, int]:
    return {"iterations": bench.settings.iterations, "warmup": bench.settings.warmup}


def _failed(
    bench: BenchmarkConfig, report: BatchReport, where: str, samples: dict[str, list[float]]
) -> BenchmarkResult:
    failures = report.failures
    timed_out = any(f.error_kind == "deadline" for f in failures)
    total = f"{report.settled:,}" if report.complete else f"the {report.settled:,} started"
    head = f"{report.failed:,} of {total} file operations failed in {where}"
    if timed_out:
        head += f" (timed out after {bench.settings.timeout:g}s)"
    messages = [head, *(f.describe() for f in failures[:SHOWN_FAILURES])]
    extra = {
        "errors": report.failed,
        "failures": [
            {
                "op": f.operation.kind,
                "path": str(f.operation.path),
                "kind": f.error_kind,
                "reason": f.reason,
            }
            for f in failures[:50]
        ],
        **_counts(bench),
    }
    return build_result(bench, metrics=_metrics(samples), errors=messages, extra=extra)


class PeakRSS:
    """Samples this process's RSS on a thread every ``interval`` s; ``peak`` after exit.
    An interval of 0 disables sampling (``peak`` stays 0)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._process = psutil.Process()

    def __enter__(self) -> PeakRSS:
        if self.interval > 0:
            self._sample()
            self._thread = threading.Thread(target=self._run, daemon=True, name="aiwf-rss")
            self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._sample()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        self.peak = max(self.peak, self._process.memory_info().rss)
