"""The memory profiler for commands: extra runs of the command under ``ProcessTreeSampler``,
after the timed runs, so the sampler never disturbs a timing.

Metrics (one sample per memory run, so the baseline comparison has samples to test):
``memory_peak`` (peak RSS of the whole process tree, children included) and, where the
platform allows, ``memory_uss_peak`` (peak of the tree's summed unique set size). The RSS
time series of the run with the highest peak goes to ``series["memory_rss"]``; the
sampler's own cost goes to ``extra["memory"]``. ``max-peak`` becomes a
``threshold_exceeded`` alert (``memory_limits``).

Runs repeat up to ``COMMAND_RUNS`` times while the pass stays within ``COMMAND_BUDGET``
seconds: a long command gets one memory run, a quick one enough for a significance test.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from aiwf_ci.bench.memory.limits import limit_alerts
from aiwf_ci.bench.memory.outcome import MemoryOutcome
from aiwf_ci.bench.memory.sampler import ProcessTreeSampler, Recording
from aiwf_ci.bench.memory.series import memory_series
from aiwf_ci.bench.process import ProcessObserver, ProcessOutcome
from aiwf_ci.config.models import MemorySettings
from aiwf_ci.metrics import measured

COMMAND_RUNS = 5
COMMAND_BUDGET = 10.0

Launch = Callable[[ProcessObserver], ProcessOutcome]

__all__ = ["COMMAND_BUDGET", "COMMAND_RUNS", "ProcessTreeSampler", "command_memory_pass"]


def command_memory_pass(
    launch: Launch,
    settings: MemorySettings,
    *,
    timeout: float = 0.0,
    runs: int = COMMAND_RUNS,
    budget: float = COMMAND_BUDGET,
    clock: Callable[[], float] = time.monotonic,
) -> MemoryOutcome:
    """Run the command under the sampler (at least once, up to ``runs`` times within
    ``budget`` seconds) and turn the recordings into metrics, a series and alerts."""
    recordings: list[Recording] = []
    start = clock()
    for index in range(max(1, runs)):
        sampler = ProcessTreeSampler(settings.interval)
        outcome = launch(sampler)
        if not outcome.ok:
            return MemoryOutcome(errors=(f"memory run {index + 1} {outcome.reason(timeout)}",))
        floor = own_floor(outcome.max_rss, spawner_peak())
        recordings.append(replace(sampler.recording(), floor_rss=floor))
        if clock() - start >= budget:
            break
    return outcome_from_recordings(recordings, settings)


def spawner_peak() -> int:
    """This process's own peak RSS in bytes (``ru_maxrss`` of ``RUSAGE_SELF``)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def own_floor(max_rss: int, spawner: int) -> int:
    """The command's ``ru_maxrss`` when it is the command's own, else 0.

    A child starts in its spawner's address space (``fork`` copies it, ``vfork`` and
    ``posix_spawn`` share it until ``exec``), and Linux keeps the high-water mark across
    ``exec``: the leader's ``ru_maxrss`` is at least the spawner's peak RSS. Measured: ``true``
    started from a process holding 300 MiB reported 311 MiB. So only a mark above the
    spawner's peak can be the command's; anything else is dropped and the sampled readings
    alone decide.
    """
    return max_rss if max_rss > spawner else 0


def outcome_from_recordings(
    recordings: Sequence[Recording], settings: MemorySettings
) -> MemoryOutcome:
    """Metrics, series, alerts and sampler statistics from the memory runs."""
    recorded = [r for r in recordings if r.peak_rss]
    if not recorded:
        return MemoryOutcome(errors=("memory pass: the sampler recorded nothing",))
    metrics = {"memory_peak": measured("memory_peak", [r.peak_rss for r in recorded])}
    uss = [r.peak_uss for r in recorded]
    if all(u is not None for u in uss):
        metrics["memory_uss_peak"] = measured(
            "memory_uss_peak", [float(u) for u in uss if u is not None]
        )
    highest = max(recorded, key=lambda r: r.peak_rss)
    return MemoryOutcome(
        metrics=metrics,
        alerts=limit_alerts(metrics, settings),
        series={"memory_rss": memory_series([(t, float(v)) for t, v in highest.rss])},
        extra={"memory": _sampler_stats(recorded, settings)},
    )


def _sampler_stats(recordings: Sequence[Recording], settings: MemorySettings) -> dict[str, object]:
    cpu = sum(r.cpu_seconds for r in recordings)
    wall = sum(r.wall_seconds for r in recordings)
    return {
        "mode": "process-tree",
        "runs": len(recordings),
        "interval": settings.interval,
        "readings": sum(len(r.rss) for r in recordings),
        "uss_readings": sum(len(r.uss) for r in recordings),
        "processes": max(r.processes for r in recordings),
        "sampler_cpu_seconds": round(cpu, 6),
        "sampler_cpu_share": round(cpu / wall, 6) if wall > 0 else None,
    }
