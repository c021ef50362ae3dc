"""The process-tree memory sampler: a thread that follows a command and every descendant it
starts (``memory_tree``), recording the tree's summed RSS, and USS when affordable.

Why a thread of its own with a budget: it runs every 10 ms (configurable) on a shared
2-core machine and must stay under 2% of one core.

- The first tick runs as soon as the pid is known, and new children are looked for on every
  tick, so a short-lived child that allocates is caught. Where children can only be found
  by psutil's machine-wide scan, that scan runs under ``DISCOVERY_SHARE``.
- USS (``memory_full_info``, which reads ``smaps``) costs ~0.3-4 ms per process: it is
  measured only while its CPU cost stays within ``USS_SHARE`` of wall time (``CostBudget``),
  with twice the allowance once RSS grew by ``USS_GROWTH`` since the last USS reading (so
  the USS peak is read near the RSS peak).
- The thread measures its own CPU time (``time.thread_time``): the overhead is reported.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiwf_ci.bench.memory.tree import ProcessTree

USS_SHARE = 0.003
USS_GROWTH = 1.1
DISCOVERY_SHARE = 0.01

Reading = tuple[float, int]


class CostBudget:
    """Lets an expensive probe run only while its CPU cost stays within ``share`` of the
    elapsed wall time (a token bucket whose tokens are CPU seconds)."""

    def __init__(self, share: float) -> None:
        self.share = share
        self.spent = 0.0

    def due(self, elapsed: float, *, urgent: bool = False) -> bool:
        allowance = self.share * (2.0 if urgent else 1.0)
        return self.spent <= allowance * elapsed

    def spend(self, seconds: float) -> None:
        self.spent += max(0.0, seconds)


@dataclass(frozen=True, slots=True, kw_only=True)
class Recording:
    """What one sampled run produced: readings as ``(seconds since start, bytes)``."""

    rss: tuple[Reading, ...] = ()
    uss: tuple[Reading, ...] = ()
    processes: int = 0
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0
    floor_rss: int = 0
    """The kernel's own high-water mark (``wait4``'s ``ru_maxrss``) of the largest single
    process: a floor that also catches a child too short-lived to be sampled (0 when it
    could be the spawner's own, see ``profiler.own_floor``)."""

    @property
    def peak_rss(self) -> int:
        return max(max((v for _, v in self.rss), default=0), self.floor_rss)

    @property
    def peak_uss(self) -> int | None:
        return max((v for _, v in self.uss), default=None)


class ProcessTreeSampler:
    """Samples a process tree on a background thread (a ``ProcessObserver``)."""

    def __init__(self, interval: float, *, uss: bool = True) -> None:
        self.interval = interval
        self.uss_enabled = uss
        self._rss: list[Reading] = []
        self._uss: list[Reading] = []
        self._stop = threading.Lock()  # held until ``stopped``: the thread sleeps on it
        self._stop.acquire()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._tree: ProcessTree | None = None
        self._cpu = 0.0
        self._wall = 0.0
        self._rss_at_uss = 0

    def started(self, pid: int) -> None:
        self._thread = threading.Thread(
            target=self._run, args=(pid,), name=f"memory-sampler-{pid}", daemon=True
        )
        self._thread.start()

    def stopped(self) -> None:
        if not self._stopping:
            self._stopping = True
            self._stop.release()
        if self._thread is not None:
            self._thread.join()

    def recording(self) -> Recording:
        """The readings so far (complete once ``stopped`` returned)."""
        return Recording(
            rss=tuple(self._rss),
            uss=tuple(self._uss),
            processes=self._tree.seen if self._tree else 0,
            cpu_seconds=self._cpu,
            wall_seconds=self._wall,
        )

    def _run(self, pid: int) -> None:
        cpu_start, start = time.thread_time(), time.monotonic()
        tree = self._tree = ProcessTree(pid)
        uss_budget, discovery_budget = CostBudget(USS_SHARE), CostBudget(DISCOVERY_SHARE)
        try:
            while tree.pids:
                elapsed = time.monotonic() - start
                self._tick(tree, elapsed, uss_budget, discovery_budget)
                self._cpu, self._wall = time.thread_time() - cpu_start, time.monotonic() - start
                # a lock with a timeout is the cheapest sleep that ``stopped`` can cut short
                if self._stop.acquire(timeout=self.interval):
                    break
        finally:
            tree.close()

    def _tick(
        self, tree: ProcessTree, elapsed: float, uss_budget: CostBudget, discovery: CostBudget
    ) -> None:
        if tree.procfs or discovery.due(elapsed):
            discovery.spend(_timed(tree.discover))
        rss = tree.rss()
        if rss <= 0:
            return  # every process exited (or is a zombie): nothing resident to record
        self._rss.append((elapsed, rss))
        grown = rss >= USS_GROWTH * self._rss_at_uss
        if self.uss_enabled and uss_budget.due(elapsed, urgent=grown):
            before = time.thread_time()
            uss = tree.uss()
            uss_budget.spend(time.thread_time() - before)
            self._rss_at_uss = rss
            if uss > 0:
                self._uss.append((elapsed, uss))
            else:
                self.uss_enabled = False  # not available here (permissions, platform)


def _timed(action: Callable[[], None]) -> float:
    before = time.thread_time()
    action()
    return time.thread_time() - before
