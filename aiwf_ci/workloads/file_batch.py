"""The ``file-batch`` workload: a suite's file operations run through ``FileBatchProcessor``.

Per benchmark a fresh temporary folder stands in for ``{tmp}`` in globs and ``to:``; it is
removed afterwards, also when the benchmark fails. Globs are expanded once, before the
first iteration (relative ones against the config's folder). Each iteration runs every
operation once; destinations inside ``{tmp}`` are emptied between iterations (untimed), so
each iteration writes fresh files; destinations elsewhere need ``overwrite: true`` to be
written more than once. Writes are confined to the common folder of all ``to:`` values.

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
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import psutil

from aiwf_ci.config.models import BenchmarkConfig, FileBatchSpec, FileOp
from aiwf_ci.filebatch import (
    BatchReport,
    FileBatchProcessor,
    FileOperation,
    ProcessorOptions,
    copy_operations,
    read_operations,
    write_operations,
)
from aiwf_ci.models import BenchmarkResult, Metric
from aiwf_ci.workloads.base import RunContext, build_result, error_result

SHOWN_FAILURES = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class _Plan:
    operations: tuple[FileOperation, ...]
    dest_root: Path | None
    scratch: tuple[Path, ...]


def run_file_batch_benchmark(bench: BenchmarkConfig, ctx: RunContext) -> BenchmarkResult:
    spec = bench.workload
    assert isinstance(spec, FileBatchSpec)
    deadline = time.monotonic() + bench.settings.timeout
    with tempfile.TemporaryDirectory(prefix="aiwf-filebatch-") as tmp:
        plan, problem = _plan(spec, ctx, Path(tmp))
        if problem:
            return error_result(bench, problem)
        return _iterate(bench, spec, ctx, plan, deadline)


def _plan(spec: FileBatchSpec, ctx: RunContext, tmp: Path) -> tuple[_Plan, str]:
    operations: list[FileOperation] = []
    dests: list[Path] = []
    for op in spec.operations:
        planned = _operations(op, ctx, tmp)
        if not planned and op.op != "write":
            return _Plan(operations=(), dest_root=None, scratch=()), _no_match(op, ctx)
        operations.extend(planned)
        if op.to:
            dests.append(_path(op.to, ctx, tmp))
    root = Path(os.path.commonpath(dests)) if dests else None
    scratch = tuple(d for d in dests if d.is_relative_to(tmp))
    return _Plan(operations=tuple(operations), dest_root=root, scratch=scratch), ""


def _operations(op: FileOp, ctx: RunContext, tmp: Path) -> list[FileOperation]:
    base = ctx.root
    if op.op == "read":
        assert op.glob is not None
        return read_operations(_text(op.glob, tmp), base_dir=base)
    assert op.to is not None
    dest = _path(op.to, ctx, tmp)
    if op.op == "copy":
        assert op.glob is not None
        return copy_operations(
            _text(op.glob, tmp), base_dir=base, dest=dest, overwrite=op.overwrite
        )
    return write_operations(dest, count=op.count, size=op.size, overwrite=op.overwrite)


def _text(value: str, tmp: Path) -> str:
    return value.replace("{tmp}", str(tmp))


def _path(value: str, ctx: RunContext, tmp: Path) -> Path:
    return Path(os.path.normpath(ctx.resolve(_text(value, tmp))))


def _no_match(op: FileOp, ctx: RunContext) -> str:
    return f"{op.op} glob {op.glob!r} matched no files (relative paths start at {ctx.root})"


def _iterate(
    bench: BenchmarkConfig, spec: FileBatchSpec, ctx: RunContext, plan: _Plan, deadline: float
) -> BenchmarkResult:
    settings = bench.settings
    processor = FileBatchProcessor(_options(spec), dest_root=plan.dest_root)
    samples: dict[str, list[float]] = {k: [] for k in ("duration", "files", "bytes", "rss")}
    for index in range(settings.warmup + settings.iterations):
        phase = "warmup" if index < settings.warmup else "iteration"
        processor.extend(plan.operations)
        with PeakRSS(settings.memory.interval if settings.memory.enabled else 0) as rss:
            start = ctx.clock_ns()
            report = processor.run(deadline=deadline)
            seconds = (ctx.clock_ns() - start) / 1e9
        ctx.log(f"{phase} {index + 1}: {report.files} files, {report.nbytes} B in {seconds:.4f}s")
        if not report.ok:
            return _failed(bench, report, f"{phase} {index + 1}", samples)
        _clear(plan.scratch)
        if index >= settings.warmup:
            _record(samples, seconds, report, rss.peak)
    return _result(bench, samples, len(plan.operations))


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
    """Empty each folder (keeping the folder: it may be ``{tmp}`` itself)."""
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
        "duration": Metric.from_samples(samples["duration"], unit="s"),
        "throughput": Metric.from_samples(samples["files"], unit="files/s", direction="higher"),
        "throughput_bytes": Metric.from_samples(samples["bytes"], unit="B/s", direction="higher"),
    }
    if samples["rss"]:
        metrics["memory_peak"] = Metric.from_samples(samples["rss"], unit="B")
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
    head = f"{len(failures)} of {len(report.results)} file operations failed in {where}"
    if timed_out:
        head += f" (timed out after {bench.settings.timeout:g}s)"
    messages = [head, *(f.describe() for f in failures[:SHOWN_FAILURES])]
    extra = {
        "errors": len(failures),
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

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._sample()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        self.peak = max(self.peak, self._process.memory_info().rss)
