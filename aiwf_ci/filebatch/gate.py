"""A concurrency semaphore that can be watched: a capacity, the number currently inside, and
the highest number ever inside at once (the run's report gives it, so the bound can be seen
to hold).

A ``threading.Semaphore`` does the limiting but exposes none of those counters.
"""

from __future__ import annotations

import threading


class ConcurrencyGate:
    """At most ``capacity`` holders at a time; ``with gate:`` to hold it."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self.current = 0
        self.peak = 0
        self._cond = threading.Condition()

    def __enter__(self) -> ConcurrencyGate:
        with self._cond:
            self._cond.wait_for(lambda: self.current < self.capacity)
            self.current += 1
            self.peak = max(self.peak, self.current)
        return self

    def __exit__(self, *_exc: object) -> None:
        with self._cond:
            self.current -= 1
            self._cond.notify()
