"""A pool of reusable ``bytearray`` buffers, so reads go ``readinto`` a buffer that already
exists instead of allocating a fresh ``bytes`` object per file.

Buffers come in power-of-two size classes (from ``MIN_BUFFER``); each class keeps at most
``keep`` free buffers, so the pool's memory stays bounded however many operations run.
Thread-safe: ``list.append``/``list.pop`` are atomic under the GIL, the counters use a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

MIN_BUFFER = 64 * 1024


def size_class(nbytes: int) -> int:
    """The smallest power of two >= ``nbytes`` (and >= ``MIN_BUFFER``)."""
    return max(MIN_BUFFER, 1 << max(0, nbytes - 1).bit_length())


class BufferPool:
    """Hands out buffers of at least the requested size and takes them back for reuse."""

    def __init__(self, keep: int = 8) -> None:
        self.keep = keep
        self.allocated = 0
        self.reused = 0
        self._free: dict[int, list[bytearray]] = {}
        self._lock = threading.Lock()

    def acquire(self, nbytes: int) -> bytearray:
        cls = size_class(nbytes)
        free = self._free.get(cls)
        if free:
            try:
                buffer = free.pop()
            except IndexError:  # another thread took the last one
                pass
            else:
                self._count(reused=1)
                return buffer
        self._count(allocated=1)
        return bytearray(cls)

    def release(self, buffer: bytearray) -> None:
        free = self._free.setdefault(len(buffer), [])
        if len(free) < self.keep:
            free.append(buffer)

    @contextmanager
    def borrowed(self, nbytes: int) -> Iterator[bytearray]:
        buffer = self.acquire(nbytes)
        try:
            yield buffer
        finally:
            self.release(buffer)

    def _count(self, *, allocated: int = 0, reused: int = 0) -> None:
        with self._lock:
            self.allocated += allocated
            self.reused += reused
