"""A concurrency semaphore that can be watched: a capacity, the number currently inside, the number
waiting, and the highest number ever inside at once (so a test can prove the bound holds).

A ``threading.Semaphore`` does the limiting but exposes none of those counters.
"""

from __future__ import annotations

import threading
from types import TracebackType


class ConcurrencyGate:
    """At most ``capacity`` holders at a time; ``with gate:`` to hold it."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self.current = 0
        self.waiting = 0
        self.peak = 0
        self._cond = threading.Condition()

    def __enter__(self) -> ConcurrencyGate:
        with self._cond:
            self.waiting += 1
            self._cond.wait_for(lambda: self.current < self.capacity)
            self.waiting -= 1
            self.current += 1
            self.peak = max(self.peak, self.current)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._cond:
            self.current -= 1
            self._cond.notify()
