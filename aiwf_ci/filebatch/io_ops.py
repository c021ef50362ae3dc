"""How one operation touches the disk: read, write or copy a single file.

Small files (up to ``stream_threshold``) move in one call through one pooled buffer; larger
ones are streamed in ``chunk_size`` pieces, checking between pieces whether the batch was
cancelled or ran past its deadline. Copies go through the kernel (``copy_file_range``, then
``sendfile``) so no file data enters Python at all; a plain ``readinto`` loop over a pooled
buffer is the fallback when neither works for a pair of files (other file systems, old kernels).
Every failure comes back as an ``OpResult``; nothing here raises for a per-file problem.
Sources are opened non-blocking and must be regular files: a FIFO or a device put where a
file was planned would otherwise block the batch forever or never end.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from aiwf_ci.filebatch.buffers import BufferPool
from aiwf_ci.filebatch.confine import DestinationRoot, Refused
from aiwf_ci.filebatch.models import FileOperation, OpResult, ProcessorOptions, StrPath

Sink = Callable[[FileOperation, memoryview], None]
KERNEL_CHUNK = 64 * 1024 * 1024
_NO_KERNEL_COPY = (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF)


@dataclass(slots=True, kw_only=True)
class Toolkit:
    """What every operation of one processor shares (mutable: it learns fast-path support)."""

    options: ProcessorOptions
    pool: BufferPool
    root: DestinationRoot | None
    stopped: Callable[[], str]
    sink: Sink | None = None
    pattern: memoryview = field(default_factory=lambda: memoryview(b""))
    kernel_copy: bool = True


def execute(op: FileOperation, kit: Toolkit) -> OpResult:
    """Run one operation; any failure is returned, never raised."""
    why = kit.stopped()
    if why:
        return OpResult(operation=op, ok=False, error_kind="deadline", reason=why)
    try:
        nbytes = _RUNNERS[op.kind](op, kit)
    except Refused as exc:
        return OpResult(operation=op, ok=False, error_kind=exc.kind, reason=exc.reason)
    except FileNotFoundError as exc:
        return OpResult(operation=op, ok=False, error_kind="not-found", reason=_why(exc))
    except _Stopped as exc:
        return OpResult(operation=op, ok=False, error_kind="deadline", reason=str(exc))
    except OSError as exc:
        return OpResult(operation=op, ok=False, error_kind="io-error", reason=_why(exc))
    except Exception as exc:  # a failing sink is this operation's failure, not the batch's
        reason = f"{type(exc).__name__}: {exc}"
        return OpResult(operation=op, ok=False, error_kind="io-error", reason=reason)
    streamed = nbytes > kit.options.stream_threshold
    return OpResult(operation=op, ok=True, nbytes=nbytes, streamed=streamed)


class _Stopped(Exception):
    """The batch was cancelled or ran out of time in the middle of a large file."""


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _check(kit: Toolkit) -> None:
    why = kit.stopped()
    if why:
        raise _Stopped(why)


def _read(op: FileOperation, kit: Toolkit) -> int:
    assert op.source is not None
    fd = _open_source(op.source)
    try:
        size = os.fstat(fd).st_size
        if size <= kit.options.stream_threshold:
            return _read_whole(fd, size, op, kit)
        return _read_chunks(fd, op, kit)
    finally:
        os.close(fd)


def _open_source(path: StrPath) -> int:
    """A descriptor on a regular file to read, opened without blocking (opening a FIFO
    for reading would wait for a writer), back in blocking mode for the reads."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise Refused("not-a-file", "is not a regular file (a FIFO, device or socket)")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _read_whole(fd: int, size: int, op: FileOperation, kit: Toolkit) -> int:
    """One ``readv`` into a pooled buffer one byte larger than the file (so EOF is known)."""
    with kit.pool.borrowed(size + 1) as buffer:
        view = memoryview(buffer)
        total = 0
        while total < len(buffer):
            n = os.readv(fd, [view[total:]])
            total += n
            if n == 0 or total < len(buffer):
                break
        if total == len(buffer):  # the file grew since fstat: stream the rest
            total += _read_chunks(fd, op, kit)
        elif kit.sink is not None:
            kit.sink(op, view[:total])
        return total


def _read_chunks(fd: int, op: FileOperation, kit: Toolkit) -> int:
    return _pump(fd, kit, _drop if kit.sink is None else partial(kit.sink, op))


def _drop(chunk: memoryview) -> None:
    """Where a read's bytes go when nobody wants them: nowhere."""


def _pump(fd: int, kit: Toolkit, take: Callable[[memoryview], None]) -> int:
    """Read ``fd`` to its end through a pooled ``chunk_size`` buffer, handing each chunk to
    ``take`` (valid only during the call); stops between chunks when the batch is stopped.
    Returns the bytes read."""
    total = 0
    with kit.pool.borrowed(kit.options.chunk_size) as buffer:
        view = memoryview(buffer)
        while n := os.readv(fd, [view]):
            total += n
            take(view[:n])
            _check(kit)
    return total


def _write(op: FileOperation, kit: Toolkit) -> int:
    assert op.dest is not None
    root = _root(kit)
    fd = root.open_file(op.dest, overwrite=op.overwrite)
    try:
        if op.overwrite:
            os.ftruncate(fd, 0)
        return _write_bytes(fd, op, kit)
    except BaseException:
        _discard(root, op)
        raise
    finally:
        os.close(fd)


def _write_bytes(fd: int, op: FileOperation, kit: Toolkit) -> int:
    source = memoryview(op.data) if op.data is not None else kit.pattern
    step = len(source) if op.data is not None else kit.options.chunk_size
    written = 0
    while written < op.size:
        if op.data is not None:
            piece = source[written : written + step]
        else:
            piece = source[: min(step, op.size - written)]
        written += os.write(fd, piece)
        if op.size > kit.options.stream_threshold:
            _check(kit)
    return written


def _copy(op: FileOperation, kit: Toolkit) -> int:
    """Five system calls for a small file: open, fstat, openat (``O_EXCL``), one
    ``copy_file_range``, two closes. A new file made with ``O_EXCL`` cannot be the source, so
    only an overwrite compares the two inodes."""
    assert op.source is not None
    assert op.dest is not None
    root = _root(kit)
    src = _open_source(op.source)
    try:
        info = os.fstat(src)
        dst = root.open_file(op.dest, overwrite=op.overwrite, mode=info.st_mode & 0o777)
        if op.overwrite:
            try:
                _refuse_same_file(info, dst)
            except BaseException:
                os.close(dst)
                raise
        try:
            return _copy_data(src, dst, info.st_size, kit)
        except BaseException:
            _discard(root, op)
            raise
        finally:
            os.close(dst)
    finally:
        os.close(src)


def _refuse_same_file(info: os.stat_result, dst: int) -> None:
    other = os.fstat(dst)
    if (info.st_dev, info.st_ino) == (other.st_dev, other.st_ino):
        raise Refused("exists", "is the source file itself")
    os.ftruncate(dst, 0)


def _copy_data(src: int, dst: int, size: int, kit: Toolkit) -> int:
    if kit.kernel_copy:
        try:
            return _kernel_copy(src, dst, size, kit)
        except OSError as exc:
            if exc.errno not in _NO_KERNEL_COPY:
                raise
            kit.kernel_copy = False
            os.lseek(src, 0, os.SEEK_SET)
            os.ftruncate(dst, 0)
            os.lseek(dst, 0, os.SEEK_SET)
    return _loop_copy(src, dst, kit)


def _kernel_copy(src: int, dst: int, size: int, kit: Toolkit) -> int:
    """``copy_file_range`` in bounded steps. The first asks for one byte more than the file
    had at ``fstat``: getting less means the end was reached (one call for a small file);
    getting it all means the file grew, and the copy goes on until a call returns 0."""
    total = 0
    want = min(size + 1, KERNEL_CHUNK)
    while n := os.copy_file_range(src, dst, want):
        total += n
        if total > size:
            want = KERNEL_CHUNK
        elif n < want and total == size:
            break
        else:
            want = min(size + 1 - total, KERNEL_CHUNK)
        _check(kit)
    return total


def _loop_copy(src: int, dst: int, kit: Toolkit) -> int:
    return _pump(src, kit, partial(_write_all, dst))


def _write_all(fd: int, data: memoryview) -> None:
    written = 0
    while written < len(data):
        written += os.write(fd, data[written:])


def _root(kit: Toolkit) -> DestinationRoot:
    if kit.root is None:
        raise Refused("outside-destination", "the processor has no destination root for writes")
    return kit.root


def _discard(root: DestinationRoot, op: FileOperation) -> None:
    """Remove a half-written destination (best effort; the failure is reported anyway)."""
    assert op.dest is not None
    with contextlib.suppress(OSError, Refused):
        root.unlink(op.dest)


_RUNNERS: dict[str, Callable[[FileOperation, Toolkit], int]] = {
    "read": _read,
    "write": _write,
    "copy": _copy,
}
