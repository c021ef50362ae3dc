"""When workers start and how fast they may call: the ramp-up schedule and a token bucket.

Both take an injectable clock; the bucket's waits go through a ``threading.Event`` so a
stopping run wakes every waiting worker at once instead of letting them sleep on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


def ramp_offsets(concurrency: int, ramp_up: float) -> list[float]:
    """Start offsets (s) of each worker: evenly spread over ``ramp_up``, the first at 0."""
    if ramp_up <= 0 or concurrency == 1:
        return [0.0] * concurrency
    return [ramp_up * i / concurrency for i in range(concurrency)]


class TokenBucket:
    """At most ``rate`` takes per second on average, bursts of at most ``capacity``."""

    def __init__(
        self,
        rate: float,
        *,
        capacity: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.rate = rate
        self.capacity = max(1.0, capacity)
        self._clock = clock
        self._tokens = self.capacity
        self._stamp = clock()
        self._lock = threading.Lock()

    def try_take(self) -> float:
        """Take a token and return 0.0, or return how long to wait before trying again."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / self.rate

    def take(self, stop: threading.Event, deadline: float) -> bool:
        """Wait for a token; False if ``stop`` is set or ``deadline`` passes first."""
        while not stop.is_set():
            wait = self.try_take()
            if wait == 0.0:
                return True
            left = deadline - self._clock()
            if left <= 0 or stop.wait(min(wait, left)):
                return False
        return False
