"""CPU time at the machine's reference speed: what an unpaired comparison of two separate
runs gates, so that the machine's state of each run's moment cancels.

Why: on a shared host the same code's CPU time moves with the host's other tenants (by up
to 1.7× from one second to the next on this project's runner, with nothing else running in
the guest). Two separate runs each carry their own stretch of that, and an unpaired test on
their samples reads it as a change. Every timed sample of aiwf-ci's own benchmarks is taken
between two calls of a fixed reference loop (``bench.reference``); its CPU time moves with
the machine's speed, and the benchmark's moves with it, so

    adjusted CPU time of a sample = its CPU time × REFERENCE_NOMINAL / its reference time

is the CPU time the sample would have taken with the reference loop at its nominal 1 ms.

The adjustment is not exact: a benchmark does not slow down exactly as much as the loop does
(on this project's runner a ``python:`` callable moved with the loop, correlation 0.88-0.95
from run to run, a command about half as much). So when the two runs' median reference
times differ by more than ``MAX_SPEED_GAP`` (20%) either way, the CPU-time row is
inconclusive, "the machine ran N% slower during head": no change can be told from the
machine's there, whichever way it went.

Only CPU time is adjusted: it is the time that scales with the speed of the instructions;
wall time and wall time less the wait for a CPU also hold sleeps, I/O and locks, which a
slower CPU does not stretch (adjusting them would turn a slow moment into an improvement).
Only unpaired comparisons use it (``verdict.compare``): paired rounds are milliseconds apart,
their ratio cancels the machine's state by design. The adjustment needs a reference for
every sample on both sides (the same sample count and rounds as the CPU time); files
without it (other tools' numbers, older files) are compared as measured. The history of
earlier runs (``verdict.spread``) is learned on the same scale. Pure functions.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiwf_ci.metrics import CPU_TIME, REFERENCE_TIME
from aiwf_ci.models import Metric
from aiwf_ci.stats import median
from aiwf_ci.verdict.timer import aligned

REFERENCE_NOMINAL = 1e-3
"""Seconds the reference loop is scaled to: adjusted CPU time is CPU time at this speed."""
MAX_SPEED_GAP = 1.2
"""Beyond this ratio of the two runs' median reference times (either way), a change in CPU
time cannot be told from the machine's: the row is inconclusive (module docstring)."""


def _aligned(metrics: Mapping[str, Metric]) -> bool:
    """CPU time and a positive reference time for every wall-time sample, in its rounds."""
    return (
        aligned(metrics, CPU_TIME)
        and aligned(metrics, REFERENCE_TIME)
        and min(metrics[REFERENCE_TIME].samples, default=0.0) > 0
    )


def adjustable(base: Mapping[str, Metric], head: Mapping[str, Metric]) -> bool:
    """Whether both sides timed the reference beside every CPU-time sample."""
    return _aligned(base) and _aligned(head)


def adjusted(metrics: Mapping[str, Metric]) -> dict[str, Metric]:
    """``metrics`` with CPU time at the reference speed (see the module docstring); as given
    when the reference was not timed beside every sample."""
    if not _aligned(metrics):
        return dict(metrics)
    cpu, reference = metrics[CPU_TIME], metrics[REFERENCE_TIME]
    values = [
        c * REFERENCE_NOMINAL / r for c, r in zip(cpu.samples, reference.samples, strict=True)
    ]
    scaled = Metric.from_samples(values, unit=cpu.unit, direction=cpu.direction, rounds=cpu.rounds)
    return {**metrics, CPU_TIME: scaled}


def speed_ratio(base: Mapping[str, Metric], head: Mapping[str, Metric]) -> float:
    """Head's median reference time over base's: above 1, the machine ran slower during
    head."""
    return median(list(head[REFERENCE_TIME].samples)) / median(list(base[REFERENCE_TIME].samples))


def too_far_apart(ratio: float) -> bool:
    """Whether two runs' speeds differ too much to compare their CPU times at all."""
    return not 1.0 / MAX_SPEED_GAP <= ratio <= MAX_SPEED_GAP


def speed_note(base: Mapping[str, Metric], head: Mapping[str, Metric]) -> str:
    """What the report says of an adjusted row: the adjustment and how the machine's speed
    differed between the two runs (their median reference times)."""
    b = median(list(base[REFERENCE_TIME].samples))
    h = median(list(head[REFERENCE_TIME].samples))
    moved = h / b - 1.0
    how = f"; the machine ran {abs(moved):.0%} {'slower' if moved > 0 else 'faster'} during head"
    return (
        f"CPU time at the reference speed (× {REFERENCE_NOMINAL * 1e3:g} ms ÷ the reference "
        f"loop timed beside each sample: base {b * 1e3:.2f} ms, head {h * 1e3:.2f} ms"
        f"{how if abs(moved) >= 0.005 else ''})"
    )
