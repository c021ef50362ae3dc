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
lives (``reaper.tracked``), the front ends' signal handler kills them all
(``reaper.kill_all_trees``) before anything else, and a wait interrupted by an exception
kills its own tree too. When the leader exits, what it left running (``sleep 100 &``,
``nohup``, ``setsid``, a double fork) is ended before the leader is reaped
(``reaper.end_tree``): nothing aiwf-ci started outlives the command.

Output goes to unnamed temporary files (writing to a file costs the command what it costs
it anywhere); only its tail is kept. A set-up command, which may write gigabytes (a verbose
build), is read through a pipe instead (``keep_output``): its first ``OutputBuffer.head``
and last ``OutputBuffer.tail`` bytes are kept in memory, and the number of bytes dropped in
between is said in the output, so no disk fills with it.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from aiwf_ci.bench.reaper import end_tree, kill_all_trees, kill_tree, start_session, tracked
from aiwf_ci.bench.schedstat import on_cpu, process_queue_ns, thread_queue_ns
from aiwf_ci.numbers import size

__all__ = [
    "IoCounters",
    "OutputBuffer",
    "ProcessObserver",
    "ProcessOutcome",
    "cause_line",
    "kill_all_trees",
    "kill_tree",
    "read_io_counters",
    "run_process",
    "start_session",
    "tracked",
]

OUTPUT_TAIL = 4000


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
    last_cpu: int | None = None
    """The CPU the leader last ran on (``None`` where ``/proc`` does not tell)."""
    reference: float | None = None
    """CPU seconds of the reference loop timed beside the run (``bench.reference``), when
    the caller timed it."""

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


def run_process(
    command: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    observer: ProcessObserver | None = None,
    clock_ns: Callable[[], int] = time.perf_counter_ns,
    cpu: int | None = None,
    keep_output: bool = False,
) -> ProcessOutcome:
    """Run ``command`` through ``/bin/sh`` and wait for it (at most ``timeout`` seconds),
    on CPU ``cpu`` only when one is given. ``keep_output``: read its output (stderr merged
    into stdout, in order) through a pipe into an ``OutputBuffer`` instead of the usual
    tails of temporary files (module docstring)."""
    with _Capture(keep_output) as capture:
        start = clock_ns()
        with on_cpu(cpu):
            proc = start_session(
                command, cwd=cwd, env=env, stdout=capture.stdout, stderr=capture.stderr
            )
        capture.started()
        with tracked(proc.pid):
            if observer is not None:
                observer.started(proc.pid)
            waiter = _Waiter(proc.pid, clock_ns)
            timed_out = _wait(waiter, proc.pid, timeout)
        if observer is not None:
            observer.stopped()
        proc.returncode = waiter.returncode  # we reaped it; keep Popen from waiting again
        stdout, stderr = capture.texts()
        return ProcessOutcome(
            returncode=waiter.returncode,
            wall=(waiter.end_ns - start) / 1e9,
            cpu=waiter.cpu,
            stdout=stdout,
            stderr=stderr,
            timed_out=timed_out,
            max_rss=waiter.max_rss,
            io=waiter.io,
            queue=waiter.queue,
            last_cpu=waiter.last_cpu,
        )


@dataclass(slots=True)
class OutputBuffer:
    """The first ``head`` and the last ``tail`` bytes of a stream, and how many bytes in
    between were dropped: bounded memory, whatever the stream's length."""

    head: int = 64 * 1024
    tail: int = 256 * 1024
    first: bytearray = field(default_factory=bytearray)
    last: bytearray = field(default_factory=bytearray)
    dropped: int = 0

    def add(self, chunk: bytes) -> None:
        room = max(0, self.head - len(self.first))
        self.first += chunk[:room]
        self.last += chunk[room:]
        if len(self.last) > 2 * self.tail:  # trimmed now and then, not at every chunk
            self._trim()

    def text(self) -> str:
        """The kept bytes as text, with a line saying how much was dropped where."""
        self._trim()
        first = self.first.decode("utf-8", errors="replace")
        last = self.last.decode("utf-8", errors="replace")
        if not self.dropped:
            return first + last
        note = (
            f"\naiwf-ci: {size(self.dropped)} of output dropped here (the first "
            f"{size(self.head)} and the last {size(self.tail)} are kept)\n"
        )
        return first + note + last

    def _trim(self) -> None:
        cut = len(self.last) - self.tail
        if cut > 0:
            self.dropped += cut
            del self.last[:cut]


class _Capture:
    """Where a command's output goes: two unnamed temporary files (their tails read at the
    end), or one pipe read on a thread into an ``OutputBuffer`` (``keep``)."""

    def __init__(self, keep: bool) -> None:
        self._stack = contextlib.ExitStack()
        self.buffer = OutputBuffer()
        self._reader: threading.Thread | None = None
        self._stop = threading.Event()
        self._files: tuple[IO[bytes], IO[bytes]] | None = None
        self._write_fd = -1
        self.stdout: IO[bytes] | int
        self.stderr: IO[bytes] | int
        if keep:
            self._read_fd, self._write_fd = os.pipe()
            self._stack.callback(_close, self._read_fd)
            self._stack.callback(self._close_write)
            self.stdout, self.stderr = self._write_fd, subprocess.STDOUT
        else:
            out = self._stack.enter_context(tempfile.TemporaryFile())  # noqa: SIM115
            err = self._stack.enter_context(tempfile.TemporaryFile())  # noqa: SIM115
            self._files = (out, err)
            self.stdout, self.stderr = out, err

    def __enter__(self) -> _Capture:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._reader is not None:
            self._reader.join(2.0)
        self._stack.close()

    def started(self) -> None:
        """The command runs: our copy of the pipe's write end is closed, the reader starts."""
        if self._files is not None:
            return
        self._close_write()
        self._reader = threading.Thread(target=self._read, name="aiwf-output", daemon=True)
        self._reader.start()

    def _close_write(self) -> None:
        if self._write_fd >= 0:
            _close(self._write_fd)
            self._write_fd = -1

    def texts(self) -> tuple[str, str]:
        """stdout and stderr (all in stdout when kept through the pipe)."""
        if self._files is not None:
            return _read_tail(self._files[0]), _read_tail(self._files[1])
        self._stop.set()  # the tree has ended: what is still buffered in the pipe is read
        if self._reader is not None:
            self._reader.join(2.0 + _DRAIN)
        return self.buffer.text(), ""

    def _read(self) -> None:
        stopped_at: float | None = None
        while True:
            ready, _, _ = select.select([self._read_fd], [], [], 0.1)
            if self._stop.is_set() and stopped_at is None:
                stopped_at = time.monotonic()
            if not ready:
                if stopped_at is not None:
                    return
                continue
            try:
                chunk = os.read(self._read_fd, 1 << 16)
            except OSError:
                return
            if not chunk or (stopped_at is not None and time.monotonic() - stopped_at > _DRAIN):
                return  # the end, or a writer that escaped and never stops
            self.buffer.add(chunk)


_DRAIN = 1.0
"""Seconds the output reader goes on reading once the command's tree has ended."""


def _close(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


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
        self.last_cpu: int | None = None
        self.left = 0
        """How many processes the command left running (ended by ``end_tree``)."""
        threading.Thread(target=self._wait, name=f"wait4-{pid}", daemon=True).start()

    def _wait(self) -> None:
        asleep = thread_queue_ns()
        with contextlib.suppress(ChildProcessError):  # exited, not reaped: /proc still answers
            os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOWAIT)
        self.end_ns = self.clock_ns()
        woken = thread_queue_ns()
        self.io = read_io_counters(self.pid)
        self.last_cpu = last_cpu(self.pid)
        queue = process_queue_ns(self.pid)
        if queue is not None and asleep is not None and woken is not None:
            self.queue = (queue + max(0, woken - asleep)) / 1e9
        self.left = end_tree(self.pid)  # before the reap: the group's id cannot be reused yet
        _, status, usage = os.wait4(self.pid, 0)
        self.cpu = usage.ru_utime + usage.ru_stime
        self.max_rss = usage.ru_maxrss * 1024  # kilobytes on Linux
        self.returncode = os.waitstatus_to_exitcode(status)
        self.done.set()


def last_cpu(pid: int) -> int | None:
    """The CPU ``pid`` last ran on: field 39 of ``/proc/<pid>/stat`` (readable until the
    process is reaped), or ``None``."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        return int(text.rpartition(")")[2].split()[36])
    except (OSError, ValueError, IndexError):
        return None


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


def _read_tail(handle: IO[bytes]) -> str:
    size = handle.seek(0, os.SEEK_END)
    handle.seek(max(0, size - OUTPUT_TAIL))
    text = handle.read().decode("utf-8", errors="replace")
    return text if size <= OUTPUT_TAIL else "…" + text
