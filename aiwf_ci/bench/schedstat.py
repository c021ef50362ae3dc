"""Time a process spent waiting for a CPU (the kernel's run-queue delay), and which CPU a
process runs on.

Why: on a crowded runner most of a benchmark's wall-time noise is time it was *runnable but
not running* — waiting in the run queue while a neighbour had the CPU. Wall time counts that
wait, CPU time does not, and the difference tells a CPU-bound benchmark (CPU time is its
cost) from one that sleeps, reads or waits for a lock (wall time minus the run-queue delay
is its cost). Linux exposes the delay per thread in ``/proc/<pid>/task/<tid>/schedstat``
(``run_ns wait_ns timeslices``, the second field is the run-queue delay); elsewhere, or where
``/proc`` is not mounted, every function here answers ``None`` and the caller falls back to
wall time.

``on_cpu`` starts processes on one given CPU: in an A/B round base and head run on the same
CPU, so they share its caches and its neighbours instead of each meeting the machine on a
different core (measured on a crowded 2-core machine: the spread of the per-round ratio
halved). A child inherits the CPU set of the thread that starts it, so the calling thread
is pinned for the moment of the start and set free again after.

Standard library only: the ``python:`` worker imports this inside the project's own
virtualenv.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

__all__ = ["available_cpus", "on_cpu", "process_queue_ns", "thread_queue_ns"]


def _read_wait(path: str) -> int | None:
    try:
        with open(path, "rb") as handle:
            fields = handle.read().split()
        return int(fields[1])
    except (OSError, IndexError, ValueError):
        return None


def process_queue_ns(pid: int | str = "self") -> int | None:
    """Run-queue delay (ns) summed over every thread of process ``pid`` (``"self"``: this
    one), or ``None`` where Linux does not tell. Threads that already ended are not in the
    sum; a process read while it is an unreaped zombie still answers for its main thread."""
    base = f"/proc/{pid}/task"
    try:
        tids = os.listdir(base)
    except OSError:
        return _read_wait(f"/proc/{pid}/schedstat")
    total = 0
    found = False
    for tid in tids:
        wait = _read_wait(f"{base}/{tid}/schedstat")
        if wait is not None:
            total += wait
            found = True
    if not found:
        return _read_wait(f"/proc/{pid}/schedstat")
    return total


def thread_queue_ns() -> int | None:
    """Run-queue delay (ns) of the calling thread alone, or ``None``."""
    return _read_wait("/proc/thread-self/schedstat")


def available_cpus() -> tuple[int, ...]:
    """The CPUs this process may run on, in order (empty where the platform cannot pin)."""
    getter = getattr(os, "sched_getaffinity", None)
    if getter is None:
        return ()
    return tuple(sorted(getter(0)))


@contextlib.contextmanager
def on_cpu(cpu: int | None) -> Iterator[None]:
    """Within the block, processes this thread starts run on ``cpu`` only (``None``, or a
    platform without CPU affinity: no change)."""
    setter = getattr(os, "sched_setaffinity", None)
    if cpu is None or setter is None:
        yield
        return
    before = os.sched_getaffinity(0)
    try:
        setter(0, {cpu})
    except OSError:  # the CPU went offline, or a container forbids it: start unpinned
        yield
        return
    try:
        yield
    finally:
        setter(0, before)
