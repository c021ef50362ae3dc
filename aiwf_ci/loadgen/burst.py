"""The burst concurrency test: N calls released at the same instant, results all-settled.

N threads each build their target, then wait on a ``threading.Barrier`` together with the
coordinator; when the last one arrives all are released at once. Each call settles (success
or a failure kind); the report counts them. A worker that is not ready within
``ready_timeout`` breaks the barrier: the others are not released into a half-sized burst,
every call is reported as ``not-started``. The run returns by ``hard_limit`` in any case.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

from aiwf_ci.loadgen.models import MAX_WORKERS, LoadReport
from aiwf_ci.loadgen.sustained import settle
from aiwf_ci.loadgen.tally import Tally, merge
from aiwf_ci.loadgen.targets import TargetFactory


def run_burst(
    factory: TargetFactory,
    calls: int,
    *,
    ready_timeout: float = 10.0,
    hard_limit: float = 60.0,
    max_samples: int = 10_000,
    clock: Callable[[], float] = time.monotonic,
) -> LoadReport:
    """Release ``calls`` simultaneous calls; ``elapsed`` is release to last settlement."""
    if not 1 <= calls <= MAX_WORKERS:
        raise ValueError(f"a burst takes 1 to {MAX_WORKERS:,} calls (a thread each), got {calls:,}")
    barrier = threading.Barrier(calls + 1, timeout=ready_timeout)
    tallies = [Tally() for _ in range(calls)]
    threads = [
        threading.Thread(
            target=_call_once, args=(factory, barrier, t), daemon=True, name="aiwf-burst"
        )
        for t in tallies
    ]
    start = clock()
    for thread in threads:
        thread.start()
    released = _release(barrier)
    begin = clock()
    for thread in threads:
        thread.join(max(0.0, start + hard_limit - clock()))
    elapsed = clock() - begin if released else 0.0
    alive = [thread.is_alive() for thread in threads]
    settled = [t.snapshot() if a else t for t, a in zip(tallies, alive, strict=True)]
    abandoned = sum(1 for t, a in zip(tallies, alive, strict=True) if a and t.in_flight)
    return merge(
        settled, elapsed=elapsed, max_samples=max_samples, abandoned=abandoned, workers=calls
    )


def _release(barrier: threading.Barrier) -> bool:
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        return False
    return True


def _call_once(factory: TargetFactory, barrier: threading.Barrier, tally: Tally) -> None:
    try:
        target = factory()
    except Exception as exc:
        barrier.abort()
        tally.add(0.0, None, "not-started", f"{type(exc).__name__}: {exc}")
        return
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        tally.add(0.0, None, "not-started", "the burst was not released: a worker was not ready")
        with contextlib.suppress(Exception):
            target.close()
        return
    try:
        tally.in_flight = True
        begin = time.perf_counter()
        status, error, detail = settle(target)
        tally.add(time.perf_counter() - begin, status, error, detail)
        tally.in_flight = False
    finally:
        with contextlib.suppress(Exception):
            target.close()
