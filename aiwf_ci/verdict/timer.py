"""Which time gates a benchmark: wall time, CPU time, or wall time less the wait for a CPU.

Why: on a crowded runner most of the noise in wall time is time the benchmark was runnable
but waiting for a CPU while a neighbour had it. CPU time does not count that wait, so for
work that is CPU-bound it is the cost of the code with most of the machine's mood taken out.
It cannot see waiting that *is* the code's cost — a sleep, a lock, I/O, an idle child — so a
benchmark that waits is gated on its wall time less the run-queue delay (``active_time``,
where Linux tells the delay), else on wall time. Wall time is always reported beside it.

``timer`` (suite ``defaults:``, per benchmark, ``--timer``, the ``timer`` input):

- ``wall``: wall time (``duration``), as measured;
- ``cpu``: CPU time (``cpu_time``), whatever the benchmark does;
- ``auto`` (default): decided from the benchmark's own samples on **both** sides. A side is
  CPU-bound when the time it was neither on a CPU nor queued for one is at most
  ``min(3%, threshold / 2)`` of its active time; both sides CPU-bound → CPU time. A side
  that waits more than that → ``active_time`` (if either side waits, the waiting is gated,
  so a change that adds a sleep or an I/O wait is never hidden behind CPU time). CPU time
  well above the active time (work on several CPUs at once) → wall time, since CPU time
  would bill parallelism as a cost.

The choice reads only the first ``DECIDING_ROUNDS`` rounds (all samples when the data has
no rounds), so it is fixed from the third round on: sampling until decided, its stopping
looks and any later replay of the stored rounds all gate the same metric.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from aiwf_ci.metrics import ACTIVE_TIME, CPU_TIME, DURATION, RUN_QUEUE_DELAY
from aiwf_ci.models import Metric

__all__ = [
    "ACTIVE",
    "CPU",
    "DECIDING_ROUNDS",
    "QUEUE",
    "TIMERS",
    "WALL",
    "Timer",
    "TimerChoice",
    "active_metric",
    "aligned",
    "choose_timer",
    "parse_timer",
]

Timer = Literal["auto", "wall", "cpu"]
TIMERS: tuple[Timer, ...] = ("auto", "wall", "cpu")
WALL = DURATION
CPU = CPU_TIME
QUEUE = RUN_QUEUE_DELAY
ACTIVE = ACTIVE_TIME
DECIDING_ROUNDS = 3
MAX_WAIT_SHARE = 0.03
NAMES: Mapping[str, str] = {
    WALL: "wall time",
    CPU: "CPU time",
    ACTIVE: "wall time less the wait for a CPU",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class TimerChoice:
    """The metric that carries the ``duration`` rule, and why. ``on_cpu``: per side (base,
    head) the median share of active time spent on a CPU; ``queued``: per side the median
    share of wall time spent waiting for a CPU (``None`` where not measured)."""

    setting: Timer
    gated: str
    reason: str
    on_cpu: tuple[float | None, float | None] = (None, None)
    queued: tuple[float | None, float | None] = (None, None)

    def describe(self) -> str:
        """``gated on CPU time (auto): CPU-bound, on a CPU 99% of its active time; 42% of
        the wall time spent waiting for a CPU``."""
        text = f"gated on {NAMES.get(self.gated, self.gated)} ({self.setting}): {self.reason}"
        shares = [q for q in self.queued if q is not None]
        if shares:
            text += f"; {max(shares):.0%} of the wall time spent waiting for a CPU"
        return text


def parse_timer(value: object) -> Timer:
    """A ``timer`` setting, or ``ValueError`` naming the choices."""
    for timer in TIMERS:
        if value == timer:
            return timer
    raise ValueError(f"{value!r} is not a timer")


def _early(metric: Metric) -> list[float]:
    """The samples of the first ``DECIDING_ROUNDS`` rounds (all without rounds)."""
    if not metric.rounds:
        return list(metric.samples)
    first = sorted(set(metric.rounds))[:DECIDING_ROUNDS]
    return [s for s, r in zip(metric.samples, metric.rounds, strict=True) if r in first]


def aligned(metrics: Mapping[str, Metric], name: str) -> bool:
    """Whether ``name`` has one sample for every wall-time sample, in the same rounds."""
    wall, other = metrics.get(WALL), metrics.get(name)
    return (
        wall is not None
        and other is not None
        and len(other.samples) == len(wall.samples)
        and other.rounds == wall.rounds
        and not other.summary_only
    )


def active_metric(metrics: Mapping[str, Metric]) -> Metric | None:
    """``duration - run_queue_delay`` sample by sample (same rounds), or ``None`` when the
    delay was not measured for every sample."""
    if not aligned(metrics, QUEUE):
        return None
    wall, queue = metrics[WALL], metrics[QUEUE]
    values = [max(w - q, w * 1e-6) for w, q in zip(wall.samples, queue.samples, strict=True)]
    return Metric.from_samples(values, unit=wall.unit, direction=wall.direction, rounds=wall.rounds)


def _shares(metrics: Mapping[str, Metric]) -> tuple[float | None, float | None]:
    """(median CPU / active time, median queue / wall time) over the early samples."""
    if not aligned(metrics, CPU):
        return None, None
    wall = _early(metrics[WALL])
    cpu = _early(metrics[CPU])
    queue = _early(metrics[QUEUE]) if aligned(metrics, QUEUE) else [0.0] * len(wall)
    on_cpu = [c / (w - q) for w, c, q in zip(wall, cpu, queue, strict=True) if w - q > 0]
    queued = [q / w for w, q in zip(wall, queue, strict=True) if w > 0]
    if not on_cpu:
        return None, None
    waited = statistics.median(queued) if aligned(metrics, QUEUE) and queued else None
    return statistics.median(on_cpu), waited


def choose_timer(
    base: Mapping[str, Metric],
    head: Mapping[str, Metric],
    setting: Timer,
    threshold: float | None = None,
) -> TimerChoice | None:
    """The timer that gates this benchmark (see the module docstring), or ``None`` for a
    benchmark without both wall and CPU time (other kinds: nothing to choose)."""
    if WALL not in base or WALL not in head or CPU not in base or CPU not in head:
        return None
    (cpu_b, queue_b), (cpu_h, queue_h) = _shares(base), _shares(head)
    shares = {"on_cpu": (cpu_b, cpu_h), "queued": (queue_b, queue_h)}
    if setting == "wall":
        return TimerChoice(setting=setting, gated=WALL, reason="as configured", **shares)
    if cpu_b is None or cpu_h is None:
        return TimerChoice(
            setting=setting, gated=WALL, reason="CPU time not measured per sample", **shares
        )
    if setting == "cpu":
        return TimerChoice(setting=setting, gated=CPU, reason="as configured", **shares)
    return _auto(cpu_b, cpu_h, threshold, shares, both_queued=None not in (queue_b, queue_h))


def _auto(
    cpu_b: float,
    cpu_h: float,
    threshold: float | None,
    shares: Mapping[str, tuple[float | None, float | None]],
    *,
    both_queued: bool,
) -> TimerChoice:
    limit = MAX_WAIT_SHARE if threshold is None else min(MAX_WAIT_SHARE, threshold / 2)
    low, high = min(cpu_b, cpu_h), max(cpu_b, cpu_h)
    if high > 1.0 + limit:
        reason = f"runs on several CPUs at once ({high:.0%} CPU per active second)"
        return TimerChoice(setting="auto", gated=WALL, reason=reason, **shares)
    if low >= 1.0 - limit:
        reason = f"CPU-bound, on a CPU {_floor(low):.0%} of its active time"
        return TimerChoice(setting="auto", gated=CPU, reason=reason, **shares)
    side = "base" if cpu_b < cpu_h else "head"
    waits = f"waits ({side} on a CPU only {low:.0%} of its active time: sleep, I/O, locks)"
    gated = ACTIVE if both_queued else WALL
    return TimerChoice(setting="auto", gated=gated, reason=waits, **shares)


def _floor(share: float) -> float:
    """A share shown without rounding up to a misleading 100%."""
    return math.floor(min(share, 1.0) * 100) / 100
