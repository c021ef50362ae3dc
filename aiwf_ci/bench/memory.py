"""The memory profiler (first cut; the memory issue extends it).

``ProcessTreeSampler`` follows a process and all its descendants with psutil at an interval
and records the summed RSS; ``command_memory_pass`` runs a command once more under it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import psutil

from aiwf_ci.bench.memory_types import MemoryOutcome
from aiwf_ci.bench.process import ProcessObserver, ProcessOutcome
from aiwf_ci.config.models import MemorySettings
from aiwf_ci.models import Metric


class ProcessTreeSampler:
    """Samples the RSS of a process tree on a background thread."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def started(self, pid: int) -> None:
        self._thread = threading.Thread(target=self._run, args=(pid,), daemon=True)
        self._thread.start()

    def stopped(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self, pid: int) -> None:
        start = time.monotonic()
        try:
            root = psutil.Process(pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            self.samples.append((time.monotonic() - start, _tree_rss(root)))
            self._stop.wait(self.interval)


def _tree_rss(root: psutil.Process) -> int:
    total = 0
    try:
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            continue
    return total


def command_memory_pass(
    launch: Callable[[ProcessObserver], ProcessOutcome], settings: MemorySettings
) -> MemoryOutcome:
    sampler = ProcessTreeSampler(settings.interval)
    outcome = launch(sampler)
    if not outcome.ok or not sampler.samples:
        return MemoryOutcome()
    peak = max(rss for _, rss in sampler.samples)
    return MemoryOutcome(metrics={"memory_peak": Metric.from_samples([peak], unit="bytes")})
