"""Count executed instructions under Valgrind: a measurement that repeats to the instruction.

Why: wall time on a shared CI runner moves 10-20 % between runs (noisy neighbours, CPU
frequency, cache state), so small regressions drown in noise. The number of instructions a
program executes does not depend on how busy the machine is; under Valgrind it is repeatable
to the instruction when the program's inputs are fixed. This module is the instrument only:
it runs one shell command (or a Python callable, through ``count_worker``) under Valgrind and
returns the counts; configs and workloads are built on top of it (``bench.valgrind`` holds
the process mechanics: options, running the tree, reading its out files).

How counts are made deterministic:

* ``valgrind --tool=cachegrind --cache-sim=no`` counts every instruction (``Ir``) of every
  process of the tree (``--trace-children=yes``, one out file per process, summed). It is the
  cheapest counting tool: callgrind took 1.5-2.2x its time (a Python program: 8.4 s against
  3.7 s; a shell loop: 0.62 s against 0.42 s). The price: a child forked *without* exec
  (``multiprocessing``'s "fork", shell subshells) inherits its parent's counters, so its out
  file repeats the parent's count up to the fork (callgrind, told to dump and zero its
  counters before ``fork``, would count it once).
* Address-space randomisation is switched off with ``setarch <arch> -R`` (the Linux
  personality ADDR_NO_RANDOMIZE, inherited by the whole tree). A wrapper executable rather than
  a ``preexec_fn``: no Python code runs between fork and exec (``preexec_fn`` is unsafe when the
  caller has threads, and counts run in threads here), and a container whose seccomp profile
  refuses the personality is detected by a probe, in which case the flag is dropped (Valgrind
  lays out the client's memory itself, identically run after run, so little is lost).
* ``deterministic_env`` gives a fixed, minimal environment: ``PYTHONHASHSEED=0`` (``str`` hashes,
  hence set/dict order), ``PYTHONMALLOC=malloc`` (every allocation through glibc, as CodSpeed
  does, whether or not the build has pymalloc; both allocators repeat exactly, but an
  allocation-heavy loop counts ~15 % more under malloc than under pymalloc),
  ``PYTHONDONTWRITEBYTECODE=1`` (otherwise the first run compiles *and writes* missing ``.pyc``
  files and counts ~40 % more than the next), a fixed locale and time zone, and only
  ``PATH``, ``HOME``, ``TMPDIR``, ``PYTHONPATH``, ``LD_LIBRARY_PATH`` and ``VIRTUAL_ENV`` from
  the caller. Every other variable goes: the environment's size alone changes the count
  (``getenv`` scans it, the stack moves), and CI sets per-run values such as run ids.
* stdin is ``/dev/null`` and stdout/stderr are fresh files: a program's ``tell()`` on an
  inherited stderr that grows between runs was measured to change the count.

What counts cannot see: time spent waiting (I/O, locks, ``sleep``, the network), the kernel's
work inside system calls, and parallelism (Valgrind runs one thread at a time; the sum over
threads and processes is counted, not the critical path). Counts also differ between machines
whose interpreter, libraries or CPU features differ (glibc picks ``memcpy``/``strlen`` variants
by CPUID). What stays non-deterministic: multi-threaded programs (thread switches depend on
time), anything reading clocks, random sources, pids or the file system's state.

The library never prints and never exits; failures raise ``aiwf_ci.errors`` exceptions.
"""

from __future__ import annotations

import functools
import json
import os
import shlex
import statistics
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from aiwf_ci.bench.valgrind import (
    DEFAULT_PATH,
    INSTALL_HINT,
    ValgrindMissing,
    aslr_off,
    failure_text,
    find_valgrind,
    parse_cachegrind_out,
    read_counts,
    require_valgrind,
    run_tree,
    valgrind_args,
)
from aiwf_ci.errors import BenchmarkError

DEFAULT_TOLERANCE = 1e-5
"""Largest relative spread ``(max - min) / min`` of repeated counts still called deterministic.

Repeats of the same Python program on the same machine measured 0 (identical counts, also with
a CPU-burning neighbour); 1e-5 (e.g. 300 of 30 million instructions) leaves room for the few
hundred instructions a changed pid width or ``tell()`` offset costs, while a body whose work
varies by data (random input, set order) moves counts by far more."""

KEPT_ENV = ("PATH", "HOME", "TMPDIR", "PYTHONPATH", "LD_LIBRARY_PATH", "VIRTUAL_ENV")
FIXED_ENV = {
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "TZ": "UTC",
    "PYTHONHASHSEED": "0",
    "PYTHONMALLOC": "malloc",
    "PYTHONDONTWRITEBYTECODE": "1",
}
WORKER_MODULE = "aiwf_ci.workloads.count_worker"
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


@dataclass(frozen=True, slots=True, kw_only=True)
class Determinism:
    ok: bool
    spread: float
    """Relative spread ``(max - min) / min`` of the counts."""
    counts: tuple[int, ...]
    tolerance: float


@dataclass(frozen=True, slots=True, kw_only=True)
class PythonCount:
    per_call: float
    """Instructions per call of the body (differential, so start-up and setup cancel)."""
    loops: tuple[int, int]
    count_small: int
    """The count of the run with ``loops[0]`` calls."""
    large: tuple[int, ...]
    """The count of every run with ``loops[1]`` calls (``repeat`` of them)."""
    wall: float
    """Seconds the whole measurement took (runs overlap)."""


def deterministic_env(env: Mapping[str, str]) -> dict[str, str]:
    """The fixed, minimal environment to count in; add a benchmark's own variables on top."""
    kept = {name: env[name] for name in KEPT_ENV if env.get(name)}
    kept.setdefault("PATH", DEFAULT_PATH)
    return dict(sorted({**kept, **FIXED_ENV}.items()))


def per_call(count_small: int, count_large: int, loops_small: int, loops_large: int) -> float:
    """Instructions per call from two runs that differ only in the number of calls.

    ``(count_large - count_small) / (loops_large - loops_small)``: interpreter start-up,
    imports, setup and shutdown are the same instructions in both runs, so they cancel; what
    is left is the body plus the loop's own per-iteration overhead (``count_worker``'s loop and
    the call of an empty function: ~400 instructions on CPython 3.11 with malloc).
    """
    if not 0 <= loops_small < loops_large:
        raise ValueError(f"need 0 <= loops_small < loops_large, got {loops_small}, {loops_large}")
    if count_small < 0 or count_large < 0:
        raise ValueError(f"counts must not be negative, got {count_small}, {count_large}")
    if count_large < count_small:
        raise ValueError(
            f"more calls counted fewer instructions ({count_large} < {count_small}): "
            "the counts are not deterministic"
        )
    return (count_large - count_small) / (loops_large - loops_small)


def check_determinism(
    counts: Sequence[int], *, tolerance: float = DEFAULT_TOLERANCE
) -> Determinism:
    """Are repeated counts of the same work equal within ``tolerance`` (relative spread)?"""
    if len(counts) < 2:
        raise ValueError(f"need at least two counts to compare, got {len(counts)}")
    if tolerance < 0:
        raise ValueError(f"tolerance must not be negative, got {tolerance}")
    low, high = min(counts), max(counts)
    if low <= 0:
        raise ValueError(f"counts must be positive, got {low}")
    spread = (high - low) / low
    return Determinism(
        ok=spread <= tolerance, spread=spread, counts=tuple(counts), tolerance=tolerance
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class InstructionCount:
    instructions: int
    """Instructions executed, summed over every process of the tree."""
    processes: int
    """How many processes reported counts (out files summed), the shell included."""
    wall: float
    """Seconds the run took under Valgrind (tens of times slower than natively)."""


def count_command(
    command: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
) -> InstructionCount:
    """Count the instructions of ``/bin/sh -c command`` and every process it starts.

    ``env`` is used as given: build it with ``deterministic_env`` (plus the benchmark's own
    variables). The tree runs in its own session; on timeout the whole tree is killed, and
    whatever is left of it when the shell exits is killed too (its counts would be partial).
    Raises ``ValgrindMissing`` or ``BenchmarkError`` (timeout, non-zero exit, no counts).
    """
    valgrind = require_valgrind(env)
    with tempfile.TemporaryDirectory(prefix="aiwf-count-", ignore_cleanup_errors=True) as tmp:
        folder = Path(tmp)
        argv = [
            *aslr_off(env.get("PATH") or DEFAULT_PATH),
            valgrind,
            *valgrind_args(folder),
            "/bin/sh",
            "-c",
            command,
        ]
        returncode, wall = run_tree(argv, cwd=cwd, env=env, timeout=timeout, folder=folder)
        if returncode is None:
            raise BenchmarkError(
                f"timed out after {timeout:g}s under valgrind (process tree killed): {command}"
            )
        if returncode != 0:
            raise BenchmarkError(failure_text(command, returncode, folder))
        events, processes = read_counts(folder, command)
    return InstructionCount(instructions=events["Ir"], processes=processes, wall=wall)


def count_python(
    python: str,
    job: Mapping[str, object],
    *,
    loops: tuple[int, int],
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    repeat: int = 1,
    parallel: int | None = None,
    package_path: str = "",
) -> PythonCount:
    """Instructions per call of a ``python:`` callable, by difference of two loop counts.

    ``job`` is ``count_worker``'s job without ``loops`` (``sys_path``, ``target``, ``setup``).
    The worker runs once with ``loops[0]`` calls and ``repeat`` times with ``loops[1]``: the
    large run executes everything the small one does (start-up, imports, setup) plus the extra
    calls, so its repeats alone reveal non-determinism anywhere, at ``repeat + 1`` runs rather
    than ``2 * repeat``. The runs are independent and go ``parallel`` at a time (default: one
    per CPU) without changing a single count. ``timeout`` applies to each run. ``env`` is used
    as given (see ``deterministic_env``) with this package first on ``PYTHONPATH``:
    ``package_path`` (a folder holding only ``aiwf_ci``, so aiwf-ci's own dependencies never
    shadow the project's) or, by default, the folder this package was imported from.
    """
    per_call(0, 0, *loops)  # validates the loop counts
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, got {repeat}")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="aiwf-count-job-") as tmp:
        # same-length paths: the arguments' length is part of the constant that must cancel
        small = _job_command(python, job, loops[0], Path(tmp, "a"))
        large = _job_command(python, job, loops[1], Path(tmp, "b"))
        counts = count_all(
            [small] + [large] * repeat,
            parallel=parallel,
            cwd=cwd,
            env=_with_package(env, package_path or _PACKAGE_ROOT),
            timeout=timeout,
        )
    return _python_count(counts[0], counts[1:], loops, wall=time.perf_counter() - start)


def job_command(python: str, job: Mapping[str, object], loops: int, folder: Path) -> str:
    """The shell command that runs ``count_worker`` on ``job`` with ``loops`` calls (the job
    file is written into ``folder``, which must not exist yet)."""
    return _job_command(python, job, loops, folder)


def _job_command(python: str, job: Mapping[str, object], loops: int, folder: Path) -> str:
    folder.mkdir()
    path = folder / "job.json"
    path.write_text(json.dumps({**job, "loops": loops}), encoding="utf-8")
    return shlex.join([python, "-m", WORKER_MODULE, str(path)])


def _with_package(env: Mapping[str, str], package_path: str) -> dict[str, str]:
    merged = dict(env)
    existing = merged.get("PYTHONPATH")
    merged["PYTHONPATH"] = package_path + (os.pathsep + existing if existing else "")
    return merged


def count_all(
    commands: Sequence[str],
    *,
    parallel: int | None = None,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
) -> list[InstructionCount]:
    """``count_command`` for each command, ``parallel`` at a time (default: one per CPU;
    counts do not depend on how many run at once); in the order given."""
    count = functools.partial(count_command, cwd=cwd, env=env, timeout=timeout)
    workers = max(1, min(len(commands), parallel or os.cpu_count() or 1))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="aiwf-count")
    try:
        futures: list[Future[InstructionCount]] = [pool.submit(count, c) for c in commands]
        return [future.result() for future in futures]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _python_count(
    small: InstructionCount,
    large: Sequence[InstructionCount],
    loops: tuple[int, int],
    *,
    wall: float,
) -> PythonCount:
    large_ir = tuple(c.instructions for c in large)
    return PythonCount(
        per_call=per_call(small.instructions, statistics.median_low(large_ir), *loops),
        loops=loops,
        count_small=small.instructions,
        large=large_ir,
        wall=wall,
    )


__all__ = [  # the instrument's public face, the Valgrind mechanics included
    "DEFAULT_TOLERANCE",
    "FIXED_ENV",
    "INSTALL_HINT",
    "Determinism",
    "InstructionCount",
    "PythonCount",
    "ValgrindMissing",
    "check_determinism",
    "count_all",
    "count_command",
    "count_python",
    "deterministic_env",
    "find_valgrind",
    "job_command",
    "parse_cachegrind_out",
    "per_call",
    "require_valgrind",
    "valgrind_args",
]
