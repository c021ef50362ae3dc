"""A process and its descendants, as the memory sampler sees them: who is in the tree and
how much memory it holds.

Why not just psutil: the sampler runs every 10 ms and must stay under 2% of one core, and
between ticks the CPU caches go cold, so every microsecond counts. Measured per tick for a
3-process tree on the 2-core CI machines: psutil's ``children(recursive=True)`` ~1.1 ms (it
scans every process on the machine); psutil ``memory_info`` ~40 µs per process; opening a
procfs file ~30 µs. On Linux this module keeps two procfs files open per process and
re-reads them with ``os.pread`` (~10 µs), as ``top`` does:

- ``/proc/PID/statm`` for RSS (resident pages x page size);
- ``/proc/PID/task/PID/children`` for the main thread's children, every tick; every
  ``FULL_SCAN_EVERY`` ticks, every thread's list (a child forked by another thread is found
  within ~0.1 s).

An open procfs file belongs to that very process: once it exits, reads fail, so a reused pid
is never mistaken for it. Past ``MAX_OPEN`` processes, files are opened per read. Without
procfs ``children`` (other systems, old kernels) it falls back to psutil. Every process ever
seen stays tracked until it exits, so a grandchild whose parent exited (reparented to init)
still counts. USS (``memory_full_info``, which reads ``smaps``) always goes through psutil;
the sampler budgets it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable

import psutil

FULL_SCAN_EVERY = 10
MAX_OPEN = 128
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def read_proc(path: str) -> bytes | None:
    """The first 4 KiB of a procfs file, without Python file objects; None if gone."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        return os.read(fd, 4096)
    except OSError:
        return None
    finally:
        os.close(fd)


class ProcFiles:
    """The procfs files of one process, kept open (or re-opened per read past ``MAX_OPEN``)."""

    def __init__(self, pid: int, *, keep_open: bool) -> None:
        self.pid = pid
        self.statm_path = f"/proc/{pid}/statm"
        self.children_path = f"/proc/{pid}/task/{pid}/children"
        self.fds: tuple[int, int] | None = None
        if keep_open:
            with contextlib.suppress(OSError):
                statm = os.open(self.statm_path, os.O_RDONLY)
                try:
                    self.fds = (statm, os.open(self.children_path, os.O_RDONLY))
                except OSError:
                    os.close(statm)

    def rss(self) -> int | None:
        """Resident bytes; None once the process is gone."""
        data = self._read(0, self.statm_path)
        if not data:
            return None
        return int(data.split()[1]) * _PAGE_SIZE

    def children(self, *, all_threads: bool) -> list[int]:
        """Direct children (of the main thread only, unless ``all_threads``)."""
        if not all_threads:
            return _pids(self._read(1, self.children_path))
        try:
            tids = os.listdir(f"/proc/{self.pid}/task")
        except OSError:
            return []
        found: list[int] = []
        for tid in tids:
            found.extend(_pids(read_proc(f"/proc/{self.pid}/task/{tid}/children")))
        return found

    def _read(self, index: int, path: str) -> bytes | None:
        if self.fds is None:
            return read_proc(path)
        try:
            return os.pread(self.fds[index], 4096, 0)
        except OSError:
            return None

    def close(self) -> None:
        for fd in self.fds or ():
            with contextlib.suppress(OSError):
                os.close(fd)
        self.fds = None


def _pids(data: bytes | None) -> list[int]:
    return [int(word) for word in data.split()] if data else []


def procfs_supported(pid: int) -> bool:
    return os.path.exists(f"/proc/{pid}/task/{pid}/children")


class ProcessTree:
    """The live processes of a tree seen so far (``discover`` adds, probes drop the dead).
    Call ``close`` when done (it releases the procfs files)."""

    def __init__(self, pid: int, *, procfs: bool | None = None) -> None:
        self.procfs = procfs_supported(pid) if procfs is None else procfs
        self.pids: dict[int, psutil.Process | None] = {}
        self.files: dict[int, ProcFiles] = {}
        self.seen = 0
        self._scans = 0
        self._add(pid)

    def _add(self, pid: int) -> None:
        if pid in self.pids:
            return
        try:
            self.pids[pid] = None if self.procfs else psutil.Process(pid)
        except psutil.Error:
            return
        if self.procfs:
            self.files[pid] = ProcFiles(pid, keep_open=len(self.files) < MAX_OPEN)
        self.seen += 1

    def _drop(self, pid: int) -> None:
        self.pids.pop(pid, None)
        files = self.files.pop(pid, None)
        if files is not None:
            files.close()

    def close(self) -> None:
        for pid in list(self.files):
            self._drop(pid)

    def discover(self) -> None:
        """Add the descendants started since the last call."""
        if not self.procfs:
            self._discover_psutil()
            return
        all_threads = self._scans % FULL_SCAN_EVERY == 0
        self._scans += 1
        pending = list(self.files.values())
        while pending:
            for child in pending.pop().children(all_threads=all_threads):
                if child not in self.pids:
                    self._add(child)
                    if child in self.files:
                        pending.append(self.files[child])

    def _discover_psutil(self) -> None:
        for pid in list(self.pids):
            try:
                for child in self._process(pid).children(recursive=True):
                    self._add(child.pid)
            except psutil.Error:
                continue

    def rss(self) -> int:
        """Summed RSS of the tree's live processes."""
        if not self.procfs:
            return self._sum_psutil(lambda proc: int(proc.memory_info().rss))
        total = 0
        gone: list[int] = []
        for pid, files in self.files.items():
            rss = files.rss()
            if rss is None:
                gone.append(pid)
            else:
                total += rss
        for pid in gone:
            self._drop(pid)
        return total

    def uss(self) -> int:
        """Summed USS of the tree's live processes (0 where not available)."""
        return self._sum_psutil(lambda proc: int(proc.memory_full_info().uss))

    def _process(self, pid: int) -> psutil.Process:
        proc = self.pids.get(pid)
        if proc is None:
            proc = self.pids[pid] = psutil.Process(pid)
        return proc

    def _sum_psutil(self, probe: Callable[[psutil.Process], int]) -> int:
        total = 0
        for pid in list(self.pids):
            try:
                total += probe(self._process(pid))
            except psutil.NoSuchProcess:
                self._drop(pid)
            except (psutil.Error, AttributeError):
                continue
        return total
