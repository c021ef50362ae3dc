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
pass runs once per side, after the first round's samples.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

from aiwf_ci.config.models import BenchmarkConfig
from aiwf_ci.errors import BenchmarkError
from aiwf_ci.models import Alert, BenchmarkResult
from aiwf_ci.workloads.base import RunContext, error_result
from aiwf_ci.workloads.python import (
    Sample,
    Sampler,
    SamplerFactory,
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


def python_round(
    benches: Mapping[Side, BenchmarkConfig],
    contexts: Mapping[Side, RunContext],
    order: tuple[Side, Side],
    samples: int,
    calibration: Calibration,
    open_sampler: SamplerFactory,
) -> dict[Side, BenchmarkResult]:
    """One round (module docstring): each side's result of the round, or the failing side's
    error naming the side. ``calibration.loops == 0`` marks the first round, which calibrates."""
    workers: dict[Side, Sampler] = {}
    first = calibration.loops == 0
    taken: dict[Side, list[Sample]] = {"base": [], "head": []}
    memory: dict[Side, Any] = {}
    try:
        for side in order:
            workers[side] = _ask(side, partial(open_sampler, benches[side], contexts[side]))
        for side in order:
            _ask(side, workers[side].ready)
        if first:
            _calibrate(benches, workers, calibration)
        _alternate(benches, workers, order, samples, calibration.loops, taken, first=first)
        if first:
            memory = _memory(benches, workers, order)
        for side in order:
            _ask(side, workers[side].close)
    except _SideFailed as failed:
        return _failed(benches, failed, taken, calibration, memory, first=first)
    finally:
        for worker in workers.values():
            worker.kill()
    return {
        side: _result(benches[side], side, taken[side], calibration, memory, first=first)
        for side in order
    }


def _ask(side: Side, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except BenchmarkError as exc:
        raise _SideFailed(side, exc) from exc


def _calibrate(
    benches: Mapping[Side, BenchmarkConfig],
    workers: Mapping[Side, Sampler],
    calibration: Calibration,
) -> None:
    loops, reached = _ask("base", workers["base"].calibrate)
    own, _ = _ask("head", workers["head"].calibrate)
    calibration.loops = loops
    calibration.extra = {"loops_head_would_choose": own}
    alerts: list[Alert] = []
    if max(own, loops) / max(1, min(own, loops)) >= LOOP_MISMATCH:
        alerts.append(_mismatch(loops, own))
    calibration.alerts = {"base": (), "head": tuple(alerts)}
    if not reached:
        calibration.extra["min_time_reached"] = False


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


def _alternate(
    benches: Mapping[Side, BenchmarkConfig],
    workers: Mapping[Side, Sampler],
    order: tuple[Side, Side],
    samples: int,
    loops: int,
    taken: dict[Side, list[Sample]],
    *,
    first: bool,
) -> None:
    """Warm-up, then one sample per side in turn, the order flipping every pair."""
    for side in order:
        warm = benches[side].settings.warmup if first else 1
        if warm:
            _ask(side, partial(workers[side].samples, loops, 0, warm=warm))
    for index in range(max(1, samples)):
        for side in order if index % 2 == 0 else order[::-1]:
            taken[side] += _ask(side, partial(workers[side].samples, loops, 1))


def _memory(
    benches: Mapping[Side, BenchmarkConfig],
    workers: Mapping[Side, Sampler],
    order: tuple[Side, Side],
) -> dict[Side, Any]:
    return {
        side: _ask(side, workers[side].memory)
        for side in order
        if benches[side].settings.memory.enabled
    }


def _result(
    bench: BenchmarkConfig,
    side: Side,
    taken: list[Sample],
    calibration: Calibration,
    memory: Mapping[Side, Any],
    *,
    first: bool,
) -> BenchmarkResult:
    """A side's round as a python result; the first round carries the calibration's alerts."""
    alerts = calibration.alerts.get(side, ()) if first else ()
    if first and calibration.extra.get("min_time_reached") is False:
        alerts = (*alerts, short_samples(bench, taken, calibration.loops))
    return python_result(
        bench, taken, calibration.loops, memory.get(side), alerts, calibration.extra
    )


def _failed(
    benches: Mapping[Side, BenchmarkConfig],
    failed: _SideFailed,
    taken: Mapping[Side, list[Sample]],
    calibration: Calibration,
    memory: Mapping[Side, Any],
    *,
    first: bool,
) -> dict[Side, BenchmarkResult]:
    """The failing side as an error naming it; the other side keeps what it measured."""
    other: Side = "head" if failed.side == "base" else "base"
    results = {failed.side: error_result(benches[failed.side], str(failed))}
    if taken[other]:
        results[other] = _result(
            benches[other], other, taken[other], calibration, memory, first=first
        )
    else:
        note = f"not measured: the {failed.side} tree failed in the same round"
        results[other] = error_result(benches[other], note)
    return results
