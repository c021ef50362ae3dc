"""In-flight de-duplication: concurrent identical GETs share one request.

A second identical request made while the first is still pending waits for, and reuses,
the first one's result instead of going out again. Keys are the L2 cache keys, so two
requests only merge when the cache would treat them as the same resource (same URL, same
``Accept``, same token hash).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from aiwf_ci.github.cache import Snapshot


@dataclass(slots=True)
class _Flight:
    done: threading.Event = field(default_factory=threading.Event)
    result: Snapshot | None = None
    error: BaseException | None = None


class InFlight:
    """In-flight de-duplication: one request per key, every concurrent caller gets its result."""

    def __init__(self) -> None:
        self._active: dict[str, _Flight] = {}
        self._lock = threading.Lock()

    def run(self, key: str, fetch: Callable[[], Snapshot], on_join: Callable[[], None]) -> Snapshot:
        with self._lock:
            flight = self._active.get(key)
            leader = flight is None
            if flight is None:
                flight = self._active[key] = _Flight()
        if not leader:
            on_join()
            return self._wait(flight)
        try:
            flight.result = fetch()
            return flight.result
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                del self._active[key]
            flight.done.set()

    @staticmethod
    def _wait(flight: _Flight) -> Snapshot:
        flight.done.wait()
        if flight.error is not None:
            raise flight.error
        assert flight.result is not None
        return flight.result
