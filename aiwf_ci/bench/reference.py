"""The machine's speed of the moment: a fixed reference loop timed beside every sample.

Why: two separate runs carry the machine's state of their moment, and on a shared host
that state moves a lot. Measured on this project's 2-core runner with nothing else running
in the guest, the CPU time of a fixed loop moved by up to 1.7× from one second to the next
(the host's other tenants share its cores and caches: the guest sees no steal time, only
slower instructions), and a benchmark's CPU time moved with it (correlation 0.92-0.98 of
one-second medians). Within one run that is noise; between two separate runs it is a
"change" no test on one run's samples can tell from a real one.

So every timed sample of a ``command:`` or ``python:`` benchmark is taken between two calls
of ``reference_ns``: the CPU time (of the calling thread, so no other thread of the process
is billed) of the same loop of pure-Python integer arithmetic. Their mean is the sample's
``reference_time`` metric. An unpaired comparison divides each sample's time by it
(``verdict.speed``), so a stretch in which the machine ran slow slows the reference too and
cancels. A paired comparison needs none of this (base and head are milliseconds apart) and
ignores it. Standard library only: it runs inside the benchmark's worker too.
"""

from __future__ import annotations

import time

REFERENCE_LOOPS = 20_000
"""Iterations of the reference loop: ~1 ms of CPU on a 2020s server core under CPython."""


def reference_ns() -> int:
    """CPU nanoseconds of one reference loop on this thread."""
    start = time.thread_time_ns()
    total = 0
    for i in range(REFERENCE_LOOPS):
        total += i * i
    elapsed = time.thread_time_ns() - start
    return elapsed if total >= 0 else 0
