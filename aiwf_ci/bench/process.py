"""Run one shell command and measure it: wall time, CPU time of the whole process tree,
output tails; kill the whole tree on timeout.

CPU time comes from ``os.wait4``: the kernel's resource usage of the child *including every
descendant it waited for* (a shell's children roll up into the shell), so the tree counts,
not only the shell. The command runs in its own session, so a timeout kills the process
group and any stray descendants (found through psutil) too.

The run-queue delay (time runnable but waiting for a CPU, ``bench.schedstat``) is the
leader's, read at the same moment (a simple command that is ``exec``'d is the program
itself; the children of a shell that waits for them are not in it), plus the time aiwf-ci's
waiting thread, woken by the exit, waited for a CPU before it could stop the clock: on a busy
machine that wake-up is late, and the delay is in the wall time too.

I/O counters come from ``/proc/<pid>/io`` of the leader, read while it is a zombie (waited
for with ``WNOWAIT``, reaped right after): like CPU time they include every descendant the
leader waited for. They are what instruction counts cannot see (bytes and read/write system
calls), so an I/O regression is not invisible in ``measure: instructions`` mode.

An optional ``ProcessObserver`` (the memory sampler) is told the pid at start and the end.

Because every command runs in a session of its own, a Ctrl-C or a runner's cancellation
(SIGINT, then SIGTERM) never reaches it. So every tree started here is registered while it
lives (``tracked``), the front ends' signal handler kills them all (``kill_all_trees``)
before anything else, and a wait interrupted by an exception kills its own tree too:
nothing aiwf-ci started outlives it.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

import psutil

from aiwf_ci.bench.schedstat import on_cpu, process_queue_ns, thread_queue_ns

OUTPUT_TAIL = 4000

_LIVE: set[int] = set()
_LIVE_LOCK = threading.Lock()


@contextlib.contextmanager
def tracked(pid: int) -> Iterator[None]:
    """Register the process group led by ``pid`` for ``kill_all_trees`` while it lives."""
    with _LIVE_LOCK:
        _LIVE.add(pid)
    try:
        yield
    finally:
        with _LIVE_LOCK:
            _LIVE.discard(pid)


def kill_all_trees() -> int:
    """SIGKILL every process tree started here that is still registered; how many."""
    with _LIVE_LOCK:
        pids = list(_LIVE)
    for pid in pids:
        kill_tree(pid)
    return len(pids)


class ProcessObserver(Protocol):
    def started(self, pid: int) -> None: ...

    def stopped(self) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class IoCounters:
    """The tree's I/O from ``/proc/<pid>/io`` (Linux's task I/O accounting)."""

    read_chars: int
    """Bytes read through read-like system calls (files, pipes, sockets; page cache too)."""
    write_chars: int
    read_calls: int
    """read-like system calls (``read``, ``pread``, ``readv``, ...)."""
    write_calls: int
    storage_read: int
    """Bytes fetched from storage (0 when everything came from the page cache)."""
    storage_write: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessOutcome:
    returncode: int
    wall: float
    cpu: float
    stdout: str
    stderr: str
    timed_out: bool = False
    max_rss: int = 0
    """Peak RSS in bytes of the largest single process of the tree (``ru_maxrss``)."""
    io: IoCounters | None = None
    """The tree's I/O counters (``None`` where ``/proc`` does not tell)."""
    queue: float | None = None
    """Seconds the leader was runnable but waiting for a CPU (``None`` where Linux's
    schedstat does not tell)."""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def reason(self, timeout: float) -> str:
        """Why the run failed: one line with the cause (for a Python traceback, its exception
        line), then the output tail for the details."""
        if self.timed_out:
            head = f"timed out after {timeout:g}s (process tree killed)"
        elif self.returncode < 0:
            head = f"killed by signal {signal.Signals(-self.returncode).name}"
        else:
            head = f"exited with code {self.returncode}"
        detail = self.stderr.strip() or self.stdout.strip()
        if not detail:
            return head
        return f"{head}: {cause_line(detail)}\n{detail}"


_TRACEBACK_NOISE = ("Traceback (most recent call last):", "File ", "^", "~", "During handling")
_AFTERWORD = ("note:", "hint:", "╰", "│", "×", "[end of output]", "error: subprocess-exited")
_FRAME = re.compile(r'^File "[^"]*", line \d+')


def cause_line(output: str) -> str:
    """The line of a process's output that says what went wrong: a Python traceback's
    exception line when the traceback is a subprocess's output that pip shows (``LookupError:
    setuptools-scm was unable to detect version``, not pip's "Failed to build" or
    ``metadata-generation-failed`` after it) or when there is no ``ERROR:`` line; else the
    last ``ERROR:`` (pip) or ``fatal:`` (git) line, not the advice after it; else the last
    line that is not an afterword (``note:``, ``hint:``, box drawing)."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("ERROR:", "fatal:"))]
    exception, in_pip_output = _exception_line(output)
    if exception and (in_pip_output or not errors):
        return exception[:500]
    if errors:
        return errors[-1][:500]
    meaningful = [line for line in lines if not line.startswith(_AFTERWORD)]
    return (meaningful or lines or [""])[-1][:500]


def _exception_line(output: str) -> tuple[str, bool]:
    """The exception line of the last Python traceback in ``output`` (at any indentation, so
    inside pip's "[N lines of output]" too; found from the last ``File "...", line N`` frame,
    as the output may be a tail that lost the ``Traceback`` header) and whether pip's
    ``[end of output]`` follows it; ``("", False)`` without a traceback."""
    raw = [line.rstrip() for line in output.splitlines() if line.strip()]
    frames = [i for i, line in enumerate(raw) if _FRAME.match(line.lstrip())]
    if not frames:
        return "", False
    indent = _indent(raw[frames[-1]])
    for i in range(frames[-1] + 1, len(raw)):
        line = raw[i]
        if _indent(line) < indent and not line.lstrip().startswith(_TRACEBACK_NOISE):
            rest = (later.strip() for later in raw[i + 1 :])
            return line.strip(), "[end of output]" in rest
    return "", False


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def start_session(
    args: str | list[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    stdout: IO[bytes],
    stderr: IO[bytes],
) -> subprocess.Popen[bytes]:
    """Start ``args`` (a ``str``: a shell command) in a session of its own, its process group
    being the tree ``kill_tree`` kills, with stdin from ``/dev/null``."""
    return subprocess.Popen(
        args,
        shell=isinstance(args, str),  # the user's shell command: running it is the point
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        start_new_session=True,
    )


def run_process(
    command: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    observer: ProcessObserver | None = None,
    clock_ns: Callable[[], int] = time.perf_counter_ns,
    cpu: int | None = None,
) -> ProcessOutcome:
    """Run ``command`` through ``/bin/sh`` and wait for it (at most ``timeout`` seconds),
    on CPU ``cpu`` only when one is given."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = clock_ns()
        with on_cpu(cpu):
            proc = start_session(command, cwd=cwd, env=env, stdout=out, stderr=err)
        with tracked(proc.pid):
            if observer is not None:
                observer.started(proc.pid)
            waiter = _Waiter(proc.pid, clock_ns)
            timed_out = _wait(waiter, proc.pid, timeout)
        if observer is not None:
            observer.stopped()
        proc.returncode = waiter.returncode  # we reaped it; keep Popen from waiting again
        return ProcessOutcome(
            returncode=waiter.returncode,
            wall=(waiter.end_ns - start) / 1e9,
            cpu=waiter.cpu,
            stdout=_read_tail(out),
            stderr=_read_tail(err),
            timed_out=timed_out,
            max_rss=waiter.max_rss,
            io=waiter.io,
            queue=waiter.queue,
        )


def _wait(waiter: _Waiter, pid: int, timeout: float) -> bool:
    """Wait for the tree's leader; on a timeout or an interrupt (any exception here, e.g.
    KeyboardInterrupt) the whole tree is killed first. True when it timed out."""
    try:
        timed_out = not waiter.done.wait(timeout)
    except BaseException:
        kill_tree(pid)
        waiter.done.wait(5.0)
        raise
    if timed_out:
        kill_tree(pid)
        waiter.done.wait()
    return timed_out


class _Waiter:
    """Blocks in ``os.wait4`` on a thread, so the main thread can time out."""

    def __init__(self, pid: int, clock_ns: Callable[[], int]) -> None:
        self.pid = pid
        self.clock_ns = clock_ns
        self.done = threading.Event()
        self.returncode = 0
        self.end_ns = 0
        self.cpu = 0.0
        self.max_rss = 0
        self.io: IoCounters | None = None
        self.queue: float | None = None
        threading.Thread(target=self._wait, name=f"wait4-{pid}", daemon=True).start()

    def _wait(self) -> None:
        asleep = thread_queue_ns()
        with contextlib.suppress(ChildProcessError):  # exited, not reaped: /proc still answers
            os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOWAIT)
        self.end_ns = self.clock_ns()
        woken = thread_queue_ns()
        self.io = read_io_counters(self.pid)
        queue = process_queue_ns(self.pid)
        if queue is not None and asleep is not None and woken is not None:
            self.queue = (queue + max(0, woken - asleep)) / 1e9
        _, status, usage = os.wait4(self.pid, 0)
        self.cpu = usage.ru_utime + usage.ru_stime
        self.max_rss = usage.ru_maxrss * 1024  # kilobytes on Linux
        self.returncode = os.waitstatus_to_exitcode(status)
        self.done.set()


def read_io_counters(pid: int) -> IoCounters | None:
    """``/proc/<pid>/io`` as ``IoCounters``, or ``None`` where it cannot be read."""
    try:
        text = Path(f"/proc/{pid}/io").read_text(encoding="ascii")
        fields = {k.strip(): int(v) for k, _, v in (x.partition(":") for x in text.splitlines())}
        return IoCounters(
            read_chars=fields["rchar"],
            write_chars=fields["wchar"],
            read_calls=fields["syscr"],
            write_calls=fields["syscw"],
            storage_read=fields["read_bytes"],
            storage_write=fields["write_bytes"],
        )
    except (OSError, KeyError, ValueError):
        return None


def kill_tree(pid: int) -> None:
    """SIGKILL the process group of ``pid`` and any descendant that left it."""
    try:
        descendants = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        descendants = []
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
    for child in descendants:
        with contextlib.suppress(psutil.Error):
            child.kill()


def _read_tail(handle: IO[bytes]) -> str:
    size = handle.seek(0, os.SEEK_END)
    handle.seek(max(0, size - OUTPUT_TAIL))
    text = handle.read().decode("utf-8", errors="replace")
    return text if size <= OUTPUT_TAIL else "…" + text
