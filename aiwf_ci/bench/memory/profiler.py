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

A command too fast to sample (``true``, ``/bin/echo``: gone within a millisecond, often
before the sampler's first tick: 2 passes of 12 once failed with "the sampler recorded
nothing") never fails the pass: when a run ended before the sampler's second reading (its one
reading is of the start, not the peak), every run's peak comes from the kernel's accounting
instead (``ru_maxrss`` of the waited command from ``os.wait4``: the largest single process
among the command and the descendants it waited for, not their sum), so all samples of the
pass share one source, and ``extra["memory"]`` says so (``peak_source``, ``peak_note``).
That figure includes the memory of the process that started the command (Linux carries the
spawner's high-water mark into its child, see ``own_floor``): for a small command it is
aiwf-ci's own peak, an upper bound, and the note says that too.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

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

__all__ = [
    "COMMAND_BUDGET",
    "COMMAND_RUNS",
    "KernelPeak",
    "ProcessTreeSampler",
    "command_memory_pass",
    "outcome_from_kernel",
    "too_fast",
]


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
    kernel: list[KernelPeak] = []
    start = clock()
    for index in range(max(1, runs)):
        sampler = ProcessTreeSampler(settings.interval)
        outcome = launch(sampler)
        if not outcome.ok:
            return MemoryOutcome(errors=(f"memory run {index + 1} {outcome.reason(timeout)}",))
        spawner = spawner_peak()
        recordings.append(
            replace(sampler.recording(), floor_rss=own_floor(outcome.max_rss, spawner))
        )
        kernel.append(KernelPeak(max_rss=outcome.max_rss, spawner=spawner))
        if clock() - start >= budget:
            break
    if too_fast(recordings):
        return outcome_from_kernel(kernel, recordings, settings)
    return outcome_from_recordings(recordings, settings)


def too_fast(recordings: Sequence[Recording]) -> bool:
    """Did a run end before the sampler's second reading? Its one reading, if any, was taken
    as the command started (measured: 4 KiB to 648 KiB for ``true``), not at its peak."""
    return any(len(r.rss) < 2 for r in recordings)


@dataclass(frozen=True, slots=True, kw_only=True)
class KernelPeak:
    """The kernel's accounting of one memory run: ``ru_maxrss`` of the waited command (its
    largest single process, waited descendants included) and the spawner's own peak then."""

    max_rss: int
    spawner: int

    @property
    def upper_bound(self) -> bool:
        """Could the figure be the spawner's, carried into the child (``own_floor``)?"""
        return own_floor(self.max_rss, self.spawner) == 0


def outcome_from_kernel(
    kernel: Sequence[KernelPeak], recordings: Sequence[Recording], settings: MemorySettings
) -> MemoryOutcome:
    """A run ended before the sampler's second reading: every run's peak from the kernel's
    accounting (one source for all samples), the source named in ``extra["memory"]``."""
    peaks = [k.max_rss for k in kernel if k.max_rss > 0]
    stats = {**_sampler_stats(recordings, settings), "peak_source": "kernel"}
    if len(peaks) < len(kernel):  # no rusage here (not Linux): nothing to report, no failure
        stats["peak_note"] = (
            "no memory figure: the run ended before the sampler's second reading and "
            "this system's kernel accounting gave none"
        )
        return MemoryOutcome(extra={"memory": stats})
    stats["peak_note"] = kernel_note(kernel)
    metrics = {"memory_peak": measured("memory_peak", peaks)}
    return MemoryOutcome(
        metrics=metrics, alerts=limit_alerts(metrics, settings), extra={"memory": stats}
    )


def kernel_note(kernel: Sequence[KernelPeak]) -> str:
    """What a peak from the kernel's accounting is, and when it is only an upper bound."""
    note = (
        "peak from the kernel's accounting: the run ended before the sampler's second reading "
        "(ru_maxrss: the largest single process of the command and the descendants it "
        "waited for)"
    )
    if any(k.upper_bound for k in kernel):
        spawner = max(k.spawner for k in kernel)
        note += (
            f"; an upper bound: it includes the memory of aiwf-ci, which started the command "
            f"(Linux counts the starting process's {spawner / 2**20:.0f} MiB into the child's)"
        )
    return note


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
        extra={"memory": {**_sampler_stats(recorded, settings), "peak_source": "sampler"}},
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
