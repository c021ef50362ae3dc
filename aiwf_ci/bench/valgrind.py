"""Running a process tree under Valgrind and reading what it wrote: the mechanics beneath
``bench.instructions``.

Why a module of its own: the instrument's decisions (which environment, how many runs, what
counts as deterministic) read apart from the process handling they rest on. Here: finding
``valgrind`` (a missing one is a ``ConfigError`` with the install hint), its options (quiet,
whole tree, one out file and one log per process, no debugger FIFOs), switching address-space
randomisation off with ``setarch -R`` where a probe shows it works, running the tree in its
own session with a timeout (the whole tree is killed, also on an interrupt), and turning the
out files into event totals (``Ir`` and, with cache simulation, misses and a cycle estimate)
or the logs into a one-line failure.
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
from typing import Literal

from aiwf_ci.bench.process import tracked
from aiwf_ci.errors import BenchmarkError, ConfigError

Tool = Literal["cachegrind", "callgrind"]

INSTALL_HINT = (
    "install valgrind: apt-get install valgrind (Debian/Ubuntu), dnf install valgrind "
    "(Fedora), apk add valgrind (Alpine); Linux only"
)


DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"
CACHE_GEOMETRY = ("--I1=32768,8,64", "--D1=32768,8,64", "--LL=8388608,16,64")
FORK_FUNCTIONS = ("fork", "_Fork", "__libc_fork", "vfork")
L1_MISSES = ("I1mr", "D1mr", "D1mw")
LL_MISSES = ("ILmr", "DLmr", "DLmw")
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


def parse_cachegrind_out(text: str) -> dict[str, int]:
    """Event totals of a cachegrind or callgrind out file (``events:`` and ``summary:``).

    A callgrind file with several dumps (``part:``) sums its parts; a part without
    ``summary:`` falls back to its ``totals:``. Missing trailing numbers are zero.
    """
    events: list[str] = []
    totals: dict[str, int] = {}
    part: dict[str, list[int]] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        if key == "events":
            names = value.split()
            if events and names != events:
                raise ValueError(f"events change inside one file: {events} then {names}")
            events = names
        elif key == "part":
            _add_part(totals, events, part)
            part = {}
        elif key in ("summary", "totals"):
            part[key] = [int(number) for number in value.split()]
    _add_part(totals, events, part)
    if not events or not totals:
        raise ValueError("not a cachegrind/callgrind out file: no events: or summary: line")
    return totals


def _add_part(totals: dict[str, int], events: list[str], part: dict[str, list[int]]) -> None:
    numbers = part.get("summary", part.get("totals"))
    if numbers is None:
        return
    if not events:
        raise ValueError("not a cachegrind/callgrind out file: no events: line before summary:")
    if len(numbers) > len(events):
        raise ValueError(f"{len(numbers)} numbers for {len(events)} events {events}")
    for name, number in zip(events, numbers, strict=False):
        totals[name] = totals.get(name, 0) + number
    for name in events[len(numbers) :]:
        totals.setdefault(name, 0)


def cycles_estimate(events: Mapping[str, int]) -> int | None:
    """``Ir + 10 * L1 misses + 100 * LL misses`` (an estimate); ``None`` without cache events."""
    if not all(name in events for name in ("Ir", *L1_MISSES, *LL_MISSES)):
        return None
    l1 = sum(events[name] for name in L1_MISSES)
    ll = sum(events[name] for name in LL_MISSES)
    return events["Ir"] + 10 * l1 + 100 * ll


def valgrind_args(tool: Tool, folder: Path, *, cache_sim: bool) -> list[str]:
    """Valgrind's options: quiet, whole tree, one out file and one log per process."""
    args = [
        "-q",
        f"--tool={tool}",
        "--trace-children=yes",
        "--vgdb=no",  # no debugger FIFOs in TMPDIR, which a killed run could not remove
        f"--log-file={folder}/valgrind.%p.log",
        f"--{tool}-out-file={folder}/out.%p",
        f"--cache-sim={'yes' if cache_sim else 'no'}",
    ]
    if cache_sim:
        args += CACHE_GEOMETRY
    if tool == "callgrind":
        args += ["--combine-dumps=yes", *(f"--dump-before={fn}" for fn in FORK_FUNCTIONS)]
    return args


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
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        exited = threading.Event()
        threading.Thread(
            target=_wait_unreaped, args=(proc.pid, exited), name="aiwf-count-wait", daemon=True
        ).start()
        with tracked(proc.pid):
            try:
                timed_out = not exited.wait(timeout)
            finally:  # on an interrupt too: nothing outlives the run
                wall = time.perf_counter() - start
                _kill_tree(proc.pid)  # not reaped yet: its pid and group cannot be reused
                returncode = proc.wait()
    return (None if timed_out else returncode), wall


def _wait_unreaped(pid: int, exited: threading.Event) -> None:
    """Block until ``pid`` exits but leave it a zombie, so its group stays safe to kill."""
    with contextlib.suppress(ChildProcessError):
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    exited.set()


def _kill_tree(pid: int) -> None:
    """SIGKILL the process group of ``pid`` and every descendant that left it."""
    strays = _descendants(pid)
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
    for child in strays:
        with contextlib.suppress(OSError):
            os.kill(child, signal.SIGKILL)


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text(encoding="utf-8", errors="replace")
                parent = int(stat.rpartition(")")[2].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


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
    """Events summed over every process's out file, and how many files there were."""
    files = sorted(folder.glob("out.*"))
    if not files:
        raise BenchmarkError(f"valgrind wrote no counts for: {command}")
    totals: dict[str, int] = {}
    for path in files:
        try:
            events = parse_cachegrind_out(path.read_text(encoding="utf-8", errors="replace"))
        except ValueError as exc:
            raise BenchmarkError(f"unreadable valgrind output {path.name}: {exc}") from exc
        for name, number in events.items():
            totals[name] = totals.get(name, 0) + number
    return totals, len(files)
