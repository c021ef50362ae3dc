"""A sustained load run: workers ramped up, calling until the duration or the request budget
is spent, optionally rate-capped; always returns by ``hard_limit``.

Each worker thread builds its own target (its own session or connection), waits for its
ramp-up offset, then loops: claim a call from the shared budget, take a rate token, call,
record (a ``RawFactory`` runs on ``raw.run_raw`` instead). Worker threads are daemons: a
call stuck past the hard limit (a callable that never returns) cannot hold the run, it is
reported as ``abandoned``. Nothing a worker runs may raise out of its thread (a traceback on
stderr and a silent worker): a target that cannot be built is a ``not-started`` call, a
target whose ``call()`` raises an ``exception:<Type>`` one.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

from aiwf_ci.loadgen.models import MAX_WORKERS, LoadOptions, LoadReport
from aiwf_ci.loadgen.pacing import TokenBucket, ramp_offsets
from aiwf_ci.loadgen.raw import run_raw
from aiwf_ci.loadgen.tally import Tally, merge
from aiwf_ci.loadgen.targets import Outcome, RawFactory, Target, TargetFactory

GRACE = 1.0


class _Plan:
    """State shared by the workers of one run."""

    def __init__(self, options: LoadOptions, clock: Callable[[], float]) -> None:
        self.options = options
        self.clock = clock
        self.start = clock()
        self.stop_at = self.start + (options.duration or options.hard_limit)
        self.stop_at = min(self.stop_at, self.start + options.hard_limit)
        self.stop = threading.Event()
        self.bucket = TokenBucket(options.rate, clock=clock) if options.rate else None
        self._left = options.requests
        self._lock = threading.Lock()
        self.started = 0

    def count_start(self) -> None:
        with self._lock:
            self.started += 1

    def claim(self) -> bool:
        """May this worker issue one more call?"""
        if self.stop.is_set() or self.clock() >= self.stop_at:
            return False
        if self._left is not None:
            with self._lock:
                if self._left <= 0:
                    self.stop.set()
                    return False
                self._left -= 1
        return self.bucket is None or self.bucket.take(self.stop, self.stop_at)


def run_load(
    factory: TargetFactory,
    options: LoadOptions,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> LoadReport:
    """Run one sustained load test and report every call."""
    if isinstance(factory, RawFactory):
        return run_raw(factory.request, factory.timeout, options, clock=clock)
    if options.concurrency > MAX_WORKERS:
        raise ValueError(
            f"at most {MAX_WORKERS:,} workers (one thread each), got {options.concurrency:,}; "
            "the raw engine takes more connections"
        )
    plan = _Plan(options, clock)
    tallies = [Tally() for _ in range(options.concurrency)]
    offsets = ramp_offsets(options.concurrency, options.ramp_up)
    threads = [
        threading.Thread(
            target=_worker, args=(factory, plan, tally, offset), daemon=True, name="aiwf-load"
        )
        for tally, offset in zip(tallies, offsets, strict=True)
    ]
    for thread in threads:
        thread.start()
    settled, abandoned = _join(threads, tallies, plan)
    elapsed = clock() - plan.start
    return merge(
        settled,
        elapsed=elapsed,
        max_samples=options.max_samples,
        abandoned=abandoned,
        workers=plan.started,
    )


def _worker(factory: TargetFactory, plan: _Plan, tally: Tally, offset: float) -> None:
    if offset and plan.stop.wait(offset):
        return
    if plan.clock() >= plan.stop_at:
        return
    plan.count_start()
    try:
        target = factory()
    except Exception as exc:
        if plan.claim():
            tally.add(0.0, None, "not-started", f"{type(exc).__name__}: {exc}")
        return
    try:
        while plan.claim():
            tally.in_flight = True
            begin = time.perf_counter()
            status, error, detail = settle(target)
            latency = time.perf_counter() - begin
            tally.add(latency, status, error, detail)
            tally.in_flight = False
    finally:
        with contextlib.suppress(Exception):
            target.close()


def settle(target: Target) -> Outcome:
    """``target.call()``, with an exception it should not have raised counted as a failure."""
    try:
        return target.call()
    except Exception as exc:
        name = type(exc).__name__
        return None, f"exception:{name}", f"{name}: {exc}"


def _join(
    threads: list[threading.Thread], tallies: list[Tally], plan: _Plan
) -> tuple[list[Tally], int]:
    """Wait for the workers up to the hard limit: their tallies (snapshots of the ones still
    running) and the number of calls left in flight."""
    opts = plan.options
    soft = plan.stop_at + opts.request_timeout + GRACE
    limit = min(soft, plan.start + opts.hard_limit)
    for thread in threads:
        thread.join(max(0.0, limit - plan.clock()))
    plan.stop.set()
    settled: list[Tally] = []
    abandoned = 0
    for tally, thread in zip(tallies, threads, strict=True):
        alive = thread.is_alive()
        settled.append(tally.snapshot() if alive else tally)
        abandoned += alive and tally.in_flight
    return settled, abandoned
