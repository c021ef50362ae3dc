"""Running a process tree under Valgrind and reading what it wrote: the mechanics beneath
``bench.instructions``.

Why a module of its own: the instrument's decisions (which environment, how many runs, what
counts as deterministic) read apart from the process handling they rest on. Here: finding
``valgrind`` (a missing one is a ``ConfigError`` with the install hint), its options
(callgrind, counts dumped and zeroed before every ``fork``, quiet, whole tree, one out file
per process and part, one log per process, no debugger FIFOs), switching address-space
randomisation off with ``setarch -R`` where a probe shows it works, running the tree in its
own session with a timeout (the whole tree is killed, also on an interrupt), and turning the
out files into event totals (``Ir``) or the logs into a one-line failure.
"""

from __future__ import annotations

import contextlib
import functools
import os
import platform
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from aiwf_ci.bench.process import kill_tree, start_session, tracked
from aiwf_ci.errors import BenchmarkError, ConfigError

INSTALL_HINT = (
    "install valgrind: apt-get install valgrind (Debian/Ubuntu), dnf install valgrind "
    "(Fedora), apk add valgrind (Alpine); Linux only"
)


DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"
ERROR_LINES = 5


class ValgrindMissing(ConfigError):
    """The instructions measurement was asked for but ``valgrind`` is not on ``PATH``."""

    def __init__(self, *, field: str = "", where: str = "") -> None:
        super().__init__(
            "counting instructions needs valgrind, which is not on PATH",
            where=where,
            field=field,
            fix=INSTALL_HINT,
        )


def find_valgrind(env: Mapping[str, str]) -> str | None:
    """The ``valgrind`` executable on ``env``'s ``PATH``, or ``None``."""
    return shutil.which("valgrind", path=env.get("PATH") or DEFAULT_PATH)


def require_valgrind(env: Mapping[str, str], *, field: str = "") -> str:
    """``find_valgrind`` or ``ValgrindMissing`` (a ``ConfigError`` with the install hint)."""
    found = find_valgrind(env)
    if found is None:
        raise ValgrindMissing(field=field)
    return found


def parse_out_file(text: str) -> dict[str, int]:
    """Event totals of a callgrind (or cachegrind) out file: its ``events:`` names and
    ``summary:`` numbers (a missing trailing number is zero)."""
    header = dict(line.partition(":")[::2] for line in text.splitlines() if ":" in line)
    events = header.get("events", "").split()
    if not events or "summary" not in header:
        raise ValueError("not a callgrind out file: no events: or summary: line")
    numbers = [int(number) for number in header["summary"].split()]
    if len(numbers) > len(events):
        raise ValueError(f"{len(numbers)} numbers for {len(events)} events {events}")
    return {name: numbers[i] if i < len(numbers) else 0 for i, name in enumerate(events)}


COUNTER = "callgrind"
"""The Valgrind tool that counts (recorded in results: counts of different tools differ by
0.01-2 % for the same program, so they compare only roughly)."""
FORK_FUNCTIONS = ("fork", "vfork")
"""Where callgrind writes the counts so far and zeroes them: the child of a ``fork`` starts
from zero instead of repeating its parent's count (``vfork``: a child whose ``exec`` fails
runs to its exit on a copy of the parent's counters under Valgrind, which turns ``vfork``
into ``fork``)."""


def valgrind_args(folder: Path) -> list[str]:
    """Valgrind's options: callgrind counting instructions, its counts dumped and zeroed
    before every ``fork`` (so no child repeats its parent's count), quiet, the whole tree,
    one out file per process and part, one log per process."""
    return [
        "-q",
        f"--tool={COUNTER}",
        "--trace-children=yes",
        "--vgdb=no",  # no debugger FIFOs in TMPDIR, which a killed run could not remove
        f"--log-file={folder}/valgrind.%p.log",
        f"--callgrind-out-file={folder}/out.%p",
        *(f"--dump-before={name}" for name in FORK_FUNCTIONS),
    ]


@functools.cache
def aslr_off(path: str) -> tuple[str, ...]:
    """``setarch <arch> -R`` when it works here (a probe), else nothing."""
    setarch = shutil.which("setarch", path=path)
    if setarch is None:
        return ()
    prefix = (setarch, platform.machine(), "-R")
    try:
        probe = subprocess.run(
            [*prefix, "true"], capture_output=True, timeout=10, check=False, env={"PATH": path}
        )
    except (OSError, subprocess.SubprocessError):
        return ()
    return prefix if probe.returncode == 0 else ()


def run_tree(
    argv: list[str], *, cwd: Path, env: Mapping[str, str], timeout: float, folder: Path
) -> tuple[int | None, float]:
    """Exit code (``None`` on timeout) and wall seconds; output goes to ``folder``."""
    with open(folder / "stdout", "wb") as out, open(folder / "stderr", "wb") as err:
        start = time.perf_counter()
        proc = start_session(argv, cwd=cwd, env=env, stdout=out, stderr=err)
        exited = threading.Event()
        threading.Thread(
            target=_wait_unreaped, args=(proc.pid, exited), name="aiwf-count-wait", daemon=True
        ).start()
        with tracked(proc.pid):
            try:
                timed_out = not exited.wait(timeout)
            finally:  # on an interrupt too: nothing outlives the run
                wall = time.perf_counter() - start
                kill_tree(proc.pid)  # not reaped yet: its pid and group cannot be reused
                returncode = proc.wait()
    return (None if timed_out else returncode), wall


def _wait_unreaped(pid: int, exited: threading.Event) -> None:
    """Block until ``pid`` exits but leave it a zombie, so its group stays safe to kill."""
    with contextlib.suppress(ChildProcessError):
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    exited.set()


def failure_text(command: str, returncode: int, folder: Path) -> str:
    if returncode < 0:
        name = signal.Signals(-returncode).name if -returncode in signal.valid_signals() else ""
        head = f"killed by signal {name or -returncode}"
    else:
        head = f"exited with code {returncode}"
    valgrind_lines = [  # its own messages, minus warnings such as "L3 cache found"
        text
        for log in sorted(folder.glob("valgrind.*.log"))
        for text in map(_strip_valgrind_prefix, _last_lines(log))
        if not text.startswith("warning:")
    ]
    detail = (
        _meaningful(_last_lines(folder / "stderr"))
        or _meaningful(_last_lines(folder / "stdout"))
        or _meaningful(valgrind_lines)
    )
    text = "\n".join(detail[-ERROR_LINES:])
    return f"{command} under valgrind {head}" + (f": {text}" if text else "")


def _last_lines(path: Path) -> list[str]:
    with open(path, "rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, size - 8192))
        text = handle.read().decode("utf-8", errors="replace")
    return [line.rstrip() for line in text.splitlines()]


def _meaningful(lines: list[str]) -> list[str]:
    """Non-blank lines that are not Valgrind's own (``==pid==``/``--pid--`` prefixed)."""
    return [line for line in lines if line.strip() and _strip_valgrind_prefix(line) == line]


def _strip_valgrind_prefix(line: str) -> str:
    marker = line[:2]
    if marker in ("==", "--"):
        pid, sep, rest = line[2:].partition(marker)
        if sep and pid.isdigit():
            return rest.strip()
    return line


def read_counts(folder: Path, command: str) -> tuple[dict[str, int], int]:
    """Events summed over every out file (each process writes one per part: ``out.PID`` at
    its exit, ``out.PID.N`` before its forks), and how many processes wrote them."""
    files = sorted(folder.glob("out.*"))
    if not files:
        raise BenchmarkError(f"valgrind wrote no counts for: {command}")
    totals: dict[str, int] = {}
    for path in files:
        try:
            events = parse_out_file(path.read_text(encoding="utf-8", errors="replace"))
        except ValueError as exc:
            raise BenchmarkError(f"unreadable valgrind output {path.name}: {exc}") from exc
        for name, number in events.items():
            totals[name] = totals.get(name, 0) + number
    return totals, len({path.name.split(".")[1] for path in files})
