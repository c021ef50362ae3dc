"""Callables with known memory behaviour, imported by the memory tests' worker processes.

``leak_one_mb`` keeps ~1 MB per call (the leak the profiler must find, at a known line);
the ``steady_*`` callables allocate and free, some of it through cyclic garbage, and must
never be flagged; ``allocate_mb`` allocates a known amount per call and frees it.
"""

from __future__ import annotations

from typing import Any

MB = 1024 * 1024
_RETAINED: list[bytearray] = []


class Node:
    """A node of a reference cycle, so ``gc.collect()`` has something to free."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self.other: Node | None = None


def leak_one_mb() -> None:
    _RETAINED.append(bytearray(MB))  # LEAK-SITE


def steady_buffers() -> int:
    chunks = [bytearray(256 * 1024) for _ in range(8)]
    return sum(len(c) for c in chunks)


def steady_records() -> int:
    rows = [{"id": i, "name": f"row-{i}", "tags": [i, i + 1]} for i in range(5_000)]
    return len(rows)


def steady_cycles() -> None:
    for _ in range(200):
        a, b = Node(b"x" * 1000), Node(b"y" * 1000)
        a.other, b.other = b, a


def allocate_mb(size: int = 8) -> int:
    block = bytearray(size * MB)
    return len(block)


def make_size() -> int:
    return 8


def noop() -> Any:
    return None
