"""The data the file batch processor takes and gives back: operations, options, results.

Kept apart from the execution code so callers (the ``file-batch`` workload, the action's own
bulk file work, tests) can build and inspect operations and reports without threads or I/O.
All frozen: a report is a value, safe to pass around after the batch is over.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

OpKind = Literal["read", "write", "copy"]
StrPath = str | Path  # planned operations carry str paths (cheaper by far than Path objects)
ErrorKind = Literal[
    "not-found",
    "exists",
    "outside-destination",
    "symlink",
    "not-a-file",
    "deadline",
    "io-error",
]
KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

# Upper bounds no real batch comes near; beyond them a typo (an extra three zeros) would only
# exhaust threads or memory before the first file moved.
MAX_CONCURRENCY = 1024
MAX_BATCH_SIZE = 100_000
MAX_STREAM_THRESHOLD = 1 * GIB
MAX_KEPT_FAILURES = 50


@dataclass(frozen=True, slots=True, kw_only=True)
class FileOperation:
    """One queued operation. Build with ``read``, ``write`` or ``copy``.

    ``dest`` of ``write``/``copy`` is absolute or relative to the processor's destination root,
    and must stay inside it. ``write`` writes ``data`` if given, else ``size`` synthetic bytes.
    """

    kind: OpKind
    source: StrPath | None = None
    dest: StrPath | None = None
    size: int = 0
    data: bytes | None = None
    overwrite: bool = False

    @classmethod
    def read(cls, source: StrPath) -> FileOperation:
        return cls(kind="read", source=source)

    @classmethod
    def write(
        cls, dest: StrPath, *, size: int = 0, data: bytes | None = None, overwrite: bool = False
    ) -> FileOperation:
        length = len(data) if data is not None else size
        return cls(kind="write", dest=dest, size=length, data=data, overwrite=overwrite)

    @classmethod
    def copy(cls, source: StrPath, dest: StrPath, *, overwrite: bool = False) -> FileOperation:
        return cls(kind="copy", source=source, dest=dest, overwrite=overwrite)

    @property
    def path(self) -> Path:
        """The path a failure is reported against (the destination for writes and copies)."""
        target = self.dest if self.kind != "read" else self.source
        assert target is not None
        return Path(target)


@dataclass(frozen=True, slots=True, kw_only=True)
class OpResult:
    """How one operation settled: ``ok`` with the bytes moved, or a kind and a reason."""

    operation: FileOperation
    ok: bool
    nbytes: int = 0
    error_kind: ErrorKind | None = None
    reason: str = ""
    streamed: bool = False

    def describe(self) -> str:
        """``kind path: reason`` (``copy source -> dest: reason``), a report's failure line."""
        op = self.operation
        where = f"{op.source} -> {op.dest}" if op.kind == "copy" else str(op.path)
        return f"{op.kind} {where}: {self.reason}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessorOptions:
    """Tuning of a ``FileBatchProcessor``.

    ``stream_threshold``: files larger than this are moved in ``chunk_size`` pieces; smaller
    ones in one call into one pooled buffer. Buffer memory is bounded by about
    ``concurrency * max(stream_threshold, chunk_size)`` in the worst case (all workers reading
    files just under the threshold), and by ``concurrency * chunk_size`` when streaming.
    """

    concurrency: int = 8
    batch_size: int = 100
    stream_threshold: int = 10 * 1000**2
    chunk_size: int = 1 * MIB

    def __post_init__(self) -> None:
        for name in ("concurrency", "batch_size", "stream_threshold", "chunk_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        limits = {
            "concurrency": MAX_CONCURRENCY,
            "batch_size": MAX_BATCH_SIZE,
            "stream_threshold": MAX_STREAM_THRESHOLD,
            "chunk_size": MAX_STREAM_THRESHOLD,
        }
        for name, limit in limits.items():
            if getattr(self, name) > limit:
                raise ValueError(f"{name} must be at most {limit:,}, got {getattr(self, name):,}")


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchReport:
    """The operations of a run, settled (in submission order), and what it cost.

    ``results`` holds every outcome when the run kept them (``run(keep_results=True)``, the
    default); a run of millions of operations keeps only the counts and the first
    ``MAX_KEPT_FAILURES`` failures, so its report stays small. ``complete`` is False when the
    run stopped (its deadline) before it had taken every queued operation.
    """

    results: tuple[OpResult, ...]
    seconds: float
    peak_concurrency: int = 0
    buffers_allocated: int = 0
    settled: int = 0
    files: int = 0
    nbytes: int = 0
    failed: int = 0
    failures: tuple[OpResult, ...] = ()
    complete: bool = True

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.complete
