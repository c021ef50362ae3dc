"""Memory pass for Python callables, run inside the benchmark's worker process after the
timed samples (first cut; the memory issue extends it): tracemalloc peak per call."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from typing import Any


def callable_memory_pass(call: Callable[[], Any], settings: dict[str, Any]) -> dict[str, Any]:
    iterations = int(settings.get("iterations", 20))
    peaks: list[float] = []
    tracemalloc.start()
    try:
        for _ in range(iterations):
            gc.collect()
            tracemalloc.reset_peak()
            base, _ = tracemalloc.get_traced_memory()
            call()
            _, peak = tracemalloc.get_traced_memory()
            peaks.append(float(peak - base))
    finally:
        tracemalloc.stop()
    return {"metrics": {"memory_peak": {"unit": "bytes", "direction": "lower", "samples": peaks}}}
