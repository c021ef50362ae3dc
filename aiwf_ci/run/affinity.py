"""Base and head of a round on one CPU.

Why: on a crowded machine the two sides of a round, even milliseconds apart, met the machine
on whichever core the scheduler gave each: one warm, one whose caches a neighbour had just
filled, one shared with a spinning process, one not. Started on the *same* CPU, both sides of
a round share its caches and its neighbours, and the per-round ratio cancels what they
share. Measured on this project's crowded 2-core machine (a bursty neighbour and a spinning
process, the same ``python:`` callable on both sides, rounds of the three ways interleaved):
the robust spread of the per-round CPU-time ratio was 10.9% unpinned, 4.8–5.9% pinned; of
wall time 13.2% against 5.9–8.6%.

Only benchmarks that run on one CPU are pinned: the first round (unpinned) shows it, CPU time
never above ``PARALLEL`` times the active time on either side; work spread over several
CPUs would be serialised by a pin, and that is not what it costs. The CPU changes from round
to round (round-robin over the CPUs this process may use), so the rounds sample every core.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from aiwf_ci.models import BenchmarkResult
from aiwf_ci.verdict.timer import CPU, QUEUE, WALL

__all__ = ["PARALLEL", "round_cpu", "runs_on_one_cpu"]

PARALLEL = 1.1


def runs_on_one_cpu(results: Iterable[BenchmarkResult]) -> bool:
    """Whether every sample of these results used at most one CPU at a time (``False`` when
    a result has no CPU time to tell, or failed)."""
    for result in results:
        metrics = result.metrics
        if result.failed or WALL not in metrics or CPU not in metrics:
            return False
        wall, cpu = metrics[WALL].samples, metrics[CPU].samples
        queue = metrics[QUEUE].samples if QUEUE in metrics else (0.0,) * len(wall)
        if not wall or len(cpu) != len(wall) or len(queue) != len(wall):
            return False
        for w, c, q in zip(wall, cpu, queue, strict=True):
            if c > PARALLEL * max(w - q, 1e-9):
                return False
    return True


def round_cpu(number: int, cpus: Sequence[int]) -> int | None:
    """The CPU of round ``number`` (round-robin), or ``None`` where none can be chosen."""
    return cpus[number % len(cpus)] if cpus else None
