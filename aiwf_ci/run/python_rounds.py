"""One round of a ``python:`` benchmark in an A/B run: base and head milliseconds apart.

Why: on a shared machine the neighbour's bursts last about a second. When a round measured a
chunk of base samples, then a chunk of head samples, each in a fresh worker, the two chunks
were a second apart and a burst hit one and not the other, so the per-round ratio did not
cancel it. Here a round starts one worker per tree side by side (``workloads.python``
sessions) and has them take their samples **alternately**, one sample each in turn (the
order flipping every pair, A B B A ...), so base and head samples are milliseconds apart and
the machine's state of the moment hits both.

**Fresh workers every round.** The variation between processes (hash seed, address layout,
allocator state) is real and must be sampled, as pyperf does with its many processes; and
the verdict's stopping rule needs rounds that are independent of each other. A worker kept
for several rounds would share its process's luck across them and make them correlated, so
each round has workers of its own, started in parallel while nothing is timed.

**One loop count.** The number of calls per sample is calibrated once, in the first round,
on the base side, and head takes the same count in every round (the CPython team pins loop
counts from a base run for the same reason): a sample of head then does exactly the work of
a sample of base. Head is calibrated too, in the first round only, so a head that would have
chosen a very different count is named in an alert. Warm-up: ``warmup`` samples per side in
the first round, one in each later round (a fresh process's first sample is cold); the memory
pass runs once per side (the metric catalogue's schedule for memory), after the first round's
samples.

**A worker that dies** without answering (killed from outside, by the OOM killer or a
person; a crash) voids its round: ``RoundLost`` says which side and how, and the caller
(``run.interleave``) measures the round again with fresh workers. An error the worker
reports (an exception, a timeout) is the benchmark's error, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

from aiwf_ci.config.models import BenchmarkConfig
from aiwf_ci.errors import BenchmarkError
from aiwf_ci.metrics import MEMORY, once_per_side
from aiwf_ci.models import Alert, BenchmarkResult
from aiwf_ci.workloads.base import RunContext, error_result
from aiwf_ci.workloads.python import (
    Sample,
    Sampler,
    SamplerFactory,
    WorkerDied,
    python_result,
    short_samples,
)

Side = Literal["base", "head"]
LOOP_MISMATCH = 4.0
"""Head's own calibration this many times above or below base's count raises an alert."""


@dataclass(slots=True)
class Calibration:
    """What the first round fixed for the rest: the loop count and the first-round alerts."""

    loops: int = 0
    alerts: dict[Side, tuple[Alert, ...]] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)


class _SideFailed(Exception):
    def __init__(self, side: Side, error: BenchmarkError) -> None:
        super().__init__(str(error))
        self.side = side
        self.error = error


class RoundLost(Exception):
    """A worker of the round died without answering (``WorkerDied``: killed from outside,
    a crash): nothing the round measured is kept, and the caller may measure it again."""

    def __init__(self, side: Side, how: str) -> None:
        super().__init__(f"the {side} worker died ({how})")
        self.side = side
        self.how = how


def python_round(
    benches: Mapping[Side, BenchmarkConfig],
    contexts: Mapping[Side, RunContext],
    order: tuple[Side, Side],
    samples: int,
    calibration: Calibration,
    open_sampler: SamplerFactory,
) -> dict[Side, BenchmarkResult]:
    """One round (module docstring): each side's result of the round, or the failing side's
    error naming the side. ``calibration.loops == 0`` marks the first round, which calibrates.
    A worker that dies without answering raises ``RoundLost`` (the round is void)."""
    now = _Round(benches=benches, order=order, calibration=calibration)
    try:
        for side in order:
            now.workers[side] = _ask(side, partial(open_sampler, benches[side], contexts[side]))
        for side in order:
            _ask(side, now.workers[side].ready)
        if now.first:
            now.calibrate()
        now.alternate(samples)
        if now.first or not once_per_side(MEMORY):
            now.memory_pass()
        for side in order:
            _ask(side, now.workers[side].close)
    except _SideFailed as failed:
        if isinstance(failed.error, WorkerDied):
            raise RoundLost(failed.side, failed.error.how) from failed.error
        return now.failed(failed)
    finally:
        for worker in now.workers.values():
            worker.kill()
    return {side: now.result(side) for side in order}


def _ask(side: Side, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except BenchmarkError as exc:
        raise _SideFailed(side, exc) from exc


@dataclass(slots=True, kw_only=True)
class _Round:
    """One round under way: both sides' workers and what each has measured so far."""

    benches: Mapping[Side, BenchmarkConfig]
    order: tuple[Side, Side]
    calibration: Calibration
    workers: dict[Side, Sampler] = field(default_factory=dict)
    taken: dict[Side, list[Sample]] = field(default_factory=lambda: {"base": [], "head": []})
    memory: dict[Side, Any] = field(default_factory=dict)
    first: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.first = self.calibration.loops == 0

    def calibrate(self) -> None:
        loops, reached = _ask("base", self.workers["base"].calibrate)
        own, _ = _ask("head", self.workers["head"].calibrate)
        calibration = self.calibration
        calibration.loops = loops
        calibration.extra = {"loops_head_would_choose": own}
        alerts: list[Alert] = []
        if max(own, loops) / max(1, min(own, loops)) >= LOOP_MISMATCH:
            alerts.append(_mismatch(loops, own))
        calibration.alerts = {"base": (), "head": tuple(alerts)}
        if not reached:
            calibration.extra["min_time_reached"] = False

    def alternate(self, samples: int) -> None:
        """Warm-up, then one sample per side in turn, the order flipping every pair."""
        loops = self.calibration.loops
        for side in self.order:
            warm = self.benches[side].settings.warmup if self.first else 1
            if warm:
                _ask(side, partial(self.workers[side].samples, loops, 0, warm=warm))
        for index in range(max(1, samples)):
            for side in self.order if index % 2 == 0 else self.order[::-1]:
                self.taken[side] += _ask(side, partial(self.workers[side].samples, loops, 1))

    def memory_pass(self) -> None:
        self.memory = {
            side: _ask(side, self.workers[side].memory)
            for side in self.order
            if self.benches[side].settings.memory.enabled
        }

    def result(self, side: Side) -> BenchmarkResult:
        """A side's round as a python result; the first round carries the calibration's
        alerts."""
        bench, taken, calibration = self.benches[side], self.taken[side], self.calibration
        alerts = calibration.alerts.get(side, ()) if self.first else ()
        if self.first and calibration.extra.get("min_time_reached") is False:
            alerts = (*alerts, short_samples(bench, taken, calibration.loops))
        return python_result(
            bench, taken, calibration.loops, self.memory.get(side), alerts, calibration.extra
        )

    def failed(self, failed: _SideFailed) -> dict[Side, BenchmarkResult]:
        """The failing side as an error naming it; the other side keeps what it measured."""
        other: Side = "head" if failed.side == "base" else "base"
        results = {failed.side: error_result(self.benches[failed.side], str(failed))}
        if self.taken[other]:
            results[other] = self.result(other)
        else:
            note = f"not measured: the {failed.side} tree failed in the same round"
            results[other] = error_result(self.benches[other], note)
        return results


def _mismatch(loops: int, own: int) -> Alert:
    faster = "faster" if own > loops else "slower"
    return Alert(
        kind="loop_count_mismatch",
        metric="duration",
        message=(
            f"head calibrated on its own to {own} calls per sample, base to {loops}: head is "
            f"much {faster} per call. Both sides ran {loops} calls per sample, so each sample "
            "does the same work; head's samples are correspondingly shorter or longer"
        ),
        limit=float(loops),
        value=float(own),
    )
