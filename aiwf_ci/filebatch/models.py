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
    "not-found", "exists", "outside-destination", "symlink", "deadline", "cancelled", "io-error"
]
KIB = 1024
MIB = 1024 * KIB


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


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchReport:
    """All operations of a run, settled (in submission order), and what it cost."""

    results: tuple[OpResult, ...]
    seconds: float
    peak_concurrency: int = 0
    buffers_allocated: int = 0

    @property
    def failures(self) -> tuple[OpResult, ...]:
        return tuple(r for r in self.results if not r.ok)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def files(self) -> int:
        """Operations that succeeded (each touches one file)."""
        return sum(1 for r in self.results if r.ok)

    @property
    def nbytes(self) -> int:
        return sum(r.nbytes for r in self.results)
