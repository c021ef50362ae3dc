"""One token bucket for everything that paces itself: the load generator's request-rate cap
and the GitHub client's own request pacing. Thread-safe, with an injectable clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """At most ``rate`` takes per second on average, in bursts of at most ``capacity``.

    Two ways to take: ``try_take`` takes only when a token is there (the load generator
    retries after the returned wait), ``reserve`` always takes and returns how long the
    caller must wait before using its token (the GitHub client sleeps it off).
    """

    def __init__(
        self, rate: float, *, capacity: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.rate = rate
        self.capacity = max(1.0, capacity)
        self._clock = clock
        self._tokens = self.capacity
        self._stamp = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def try_take(self) -> float:
        """Take a token and return 0.0, or return how long to wait before trying again."""
        with self._lock:
            self._refill()
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / self.rate

    def reserve(self) -> float:
        """Take a token now (possibly in debt); return how long to wait before using it."""
        with self._lock:
            self._refill()
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

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
