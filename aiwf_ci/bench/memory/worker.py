"""Memory pass for Python callables, run INSIDE the benchmark's worker process after the
timed samples (``python_worker.memory_pass``), so tracemalloc never slows a timed sample.

Each of ``iterations`` calls is measured under tracemalloc (``NFRAMES`` frames deep), with
the automatic garbage collector off during the call as in the timed samples, so the numbers
do not depend on when a collection happens to trigger:

- ``peak``: tracemalloc peak during the call, above the traced memory before it;
- ``gc_freed``: after the call's result is dropped, the traced bytes a forced
  ``gc.collect()`` frees: the cyclic garbage the call produced (the "GC effect"),
  0 when the collection found nothing unreachable;
- ``rss``: the process RSS after that collection, minus tracemalloc's own memory;
- ``traced``: the traced heap after that collection.

The first ``warmup_iterations`` calls are excluded from the metrics and the trend (first-time
interning, allocator arenas). At the window's start the profiler takes a tracemalloc
snapshot; if the trend (``leak.assess_memory``) suspects a leak, ``evidence`` diffs it with
the end and counts the live objects allocated since, to name what grows. The parent
recomputes the same assessment from the returned columns (``convert``); the result here is
plain JSON. Readings are stored in preallocated arrays, so the profiler's bookkeeping does
not grow during the window, and ``evidence`` filters out what this package allocates.
"""

from __future__ import annotations

import gc
import os
import resource
import time
import tracemalloc
from array import array
from collections.abc import Callable
from typing import Any

from aiwf_ci.bench.memory.evidence import end_evidence, prepare, start_evidence
from aiwf_ci.bench.memory.leak import assess_memory, warmup_iterations

NFRAMES = 8
COLUMNS = ("t", "peak", "gc_freed", "rss", "traced")


def callable_memory_pass(call: Callable[[], Any], settings: dict[str, Any]) -> dict[str, Any]:
    """Measure ``call`` as described in the module docstring; never raises (a failure comes
    back as ``{"error": ...}`` so the timed samples survive)."""
    iterations = max(1, int(settings.get("iterations", 20)))
    threshold = float(settings.get("leak_threshold", 0.05))
    try:
        return _traced(lambda: _memory_pass(call, iterations, threshold))
    except Exception as exc:
        return {"error": f"memory pass failed: {type(exc).__name__}: {exc}"}


def _traced(body: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    already = tracemalloc.is_tracing()
    prepare()
    if not already:
        tracemalloc.start(NFRAMES)
    try:
        return body()
    finally:
        if not already:
            tracemalloc.stop()


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def current_rss() -> int:
    """This process's resident set size in bytes, from the standard library alone (the
    worker runs inside the project's virtualenv, where psutil may not be installed):
    ``/proc/self/statm`` on Linux, else the peak from ``getrusage`` as an upper bound."""
    try:
        with open("/proc/self/statm", "rb") as handle:  # bytes: no codec to import or decode
            return int(handle.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak) * (1 if os.uname().sysname == "Darwin" else 1024)


def _memory_pass(call: Callable[[], Any], iterations: int, threshold: float) -> dict[str, Any]:
    skip = warmup_iterations(iterations)
    columns = {name: array("d", [0.0]) * iterations for name in COLUMNS}
    start: tracemalloc.Snapshot | None = None
    evidence_seconds = 0.0
    origin = time.perf_counter()
    gc.collect()
    for index in range(iterations):
        if index == skip:
            before = time.perf_counter()
            start = start_evidence()
            evidence_seconds += time.perf_counter() - before
        _measure(call, columns, index, origin)
    before = time.perf_counter()
    grown = _grown(start, columns, skip, threshold)
    evidence_seconds += time.perf_counter() - before
    return {
        "iterations": iterations,
        "skip": skip,
        "nframes": tracemalloc.get_traceback_limit(),
        **{name: list(values) for name, values in columns.items()},
        "evidence": grown,
        "evidence_seconds": round(evidence_seconds, 6),
    }


def _measure(
    call: Callable[[], Any],
    columns: dict[str, array[float]],
    index: int,
    origin: float,
) -> None:
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    enabled = gc.isenabled()
    gc.disable()  # as in the timed samples: all of the call's cyclic garbage waits for us
    try:
        result = call()
    finally:
        if enabled:
            gc.enable()
    _, peak = tracemalloc.get_traced_memory()
    del result
    uncollected, _ = tracemalloc.get_traced_memory()
    found = gc.collect()
    traced, _ = tracemalloc.get_traced_memory()
    rss = current_rss() - tracemalloc.get_tracemalloc_memory()
    columns["t"][index] = time.perf_counter() - origin
    columns["peak"][index] = max(0, peak - base)
    # a full collection also empties the interpreter's free lists (~1 kB): count bytes only
    # when it found unreachable objects, so "no cyclic garbage" reads as 0
    columns["gc_freed"][index] = max(0, uncollected - traced) if found else 0
    columns["rss"][index] = rss
    columns["traced"][index] = traced


def _grown(
    start: tracemalloc.Snapshot | None,
    columns: dict[str, array[float]],
    skip: int,
    threshold: float,
) -> dict[str, object] | None:
    """What grew since ``start``, only when the trend suspects a leak (it costs a scan of
    every live object)."""
    if start is None or not _suspected(columns, skip, threshold):
        return None
    return end_evidence(start)


def _suspected(columns: dict[str, array[float]], skip: int, threshold: float) -> bool:
    rss, traced = columns["rss"][skip:], columns["traced"][skip:]
    return assess_memory(rss, traced, threshold=threshold).suspected
