"""The file batch processor: queued file operations run in batches,
grouped by type, in parallel under a concurrency limit, large files streamed, buffers pooled,
writes confined to a destination folder, results all-settled.

Public API::

    processor = FileBatchProcessor(ProcessorOptions(concurrency=8), dest_root=out)
    processor.extend(copy_operations("data/**/*.csv", base_dir=repo, dest=out / "copy"))
    report = processor.run(deadline=time.monotonic() + 60)
    for failure in report.failures:
        print(failure.describe())

Used by the ``file-batch`` workload; usable by any code with bulk file work.

Modules:
    models     the operations, options and results
    plan       globs and counts turned into operations (no data moved)
    processor  ``FileBatchProcessor``: batches run in parallel, results all-settled
    io_ops     one operation on the disk: read, write or copy a file
    buffers    a pool of reusable buffers for ``readinto``
    gate       a concurrency semaphore that can be watched
    confine    every write kept inside one destination folder
"""

from __future__ import annotations

from aiwf_ci.filebatch.buffers import BufferPool
from aiwf_ci.filebatch.gate import ConcurrencyGate
from aiwf_ci.filebatch.models import (
    MAX_BATCH_SIZE,
    MAX_CONCURRENCY,
    MAX_STREAM_THRESHOLD,
    BatchReport,
    ErrorKind,
    FileOperation,
    OpKind,
    OpResult,
    ProcessorOptions,
)
from aiwf_ci.filebatch.plan import (
    MAX_GLOB_FILES,
    MAX_WRITE_COUNT,
    MAX_WRITE_SIZE,
    PlanError,
    copies,
    copy_operations,
    glob_files,
    glob_paths,
    iter_glob,
    read_operations,
    write_operations,
)
from aiwf_ci.filebatch.processor import FileBatchProcessor

__all__ = [
    "MAX_BATCH_SIZE",
    "MAX_CONCURRENCY",
    "MAX_GLOB_FILES",
    "MAX_STREAM_THRESHOLD",
    "MAX_WRITE_COUNT",
    "MAX_WRITE_SIZE",
    "BatchReport",
    "BufferPool",
    "ConcurrencyGate",
    "ErrorKind",
    "FileBatchProcessor",
    "FileOperation",
    "OpKind",
    "OpResult",
    "PlanError",
    "ProcessorOptions",
    "copies",
    "copy_operations",
    "glob_files",
    "glob_paths",
    "iter_glob",
    "read_operations",
    "write_operations",
]
