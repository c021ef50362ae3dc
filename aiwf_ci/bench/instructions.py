"""Count executed instructions under Valgrind: a measurement that repeats to the instruction.

Why: wall time on a shared CI runner moves 10-20 % between runs (noisy neighbours, CPU
frequency, cache state), so small regressions drown in noise. The number of instructions a
program executes does not depend on how busy the machine is; under Valgrind it is repeatable
to the instruction when the program's inputs are fixed. This module is the instrument only:
it runs one shell command (or a Python callable, through ``count_worker``) under Valgrind and
returns the counts; configs and workloads are built on top of it (``bench.valgrind`` holds
the process mechanics: options, running the tree, reading its out files).

How counts are made deterministic:

* ``valgrind --tool=callgrind --dump-before=fork`` counts every instruction (``Ir``) of every
  process of the tree (``--trace-children=yes``, one out file per process and part, summed),
  each instruction once. A child forked *without* exec (a shell's subshell, ``os.fork``,
  ``multiprocessing``'s "fork") starts as a copy of its parent, counters included: under
  cachegrind, which can neither dump nor zero them, its out file repeated the parent's count
  up to the fork (ten trivial subshells counted 12x one shell; a Python program forking five
  children that exit at once, 5x the program alone). Callgrind writes its counts so far and zeroes
  them before each ``fork`` (and ``vfork``), so a child counts only its own work: ten
  subshells count one shell plus ~4,800 instructions each. The price, measured on a loaded
  2-core machine (medians of 5, the two tools alternating): callgrind takes 1.8-2x
  cachegrind's time on long runs (a shell loop 1.81x, a Python loop of a billion
  instructions 1.95x), less on short ones (a Python start 1.5x, a tiny shell 0.8-1.25x); its
  counts are 0.01-2 % below cachegrind's for the same program, so counts from before the
  switch compare to new ones only roughly. Counting with cachegrind and switching to
  callgrind only where a fork without exec shows would be cheaper, but base and head could
  then be counted by different tools, whose 0.01-2 % difference is the size of the default
  0.5 % threshold. Not counted, as before: a child's instructions between its fork and its
  ``exec`` (Valgrind starts afresh at ``exec``). Approximate: a process created by a raw
  ``clone`` system call rather than ``fork`` (Go's runtime) still repeats its parent's count
  up to the clone.
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

How determinism is checked (``check_determinism``, ``more_runs``): never on two runs, since
two runs of a body whose work is random in a third of its runs agree 5 times in 9. Every
check makes ``MIN_RUNS`` (3) runs, and ``MAX_RUNS`` (5) when the counts differ at all (even
within the tolerance) or a run is small (``SMALL_RUN``); counts beyond the tolerance decide
at once. The check says how many runs agreed ("5 of 5 runs counted 1,234,567 instructions",
"2 of 3 runs agreed (...): not deterministic"). It is evidence, not proof: three agreeing
runs still pass a body random in a third of its runs 1 time in 3.

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
from dataclasses import dataclass, replace
from pathlib import Path

from aiwf_ci.bench.valgrind import (
    DEFAULT_PATH,
    INSTALL_HINT,
    ValgrindMissing,
    aslr_off,
    failure_text,
    find_valgrind,
    parse_out_file,
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


MIN_RUNS = 3
"""Runs every determinism check makes: two runs agreeing is not determinism (a body whose
work is random in a third of its runs agrees with itself in two runs 5 times in 9; in
three, 1 in 3 and with every further agreeing run less: ``(2/3)**n + (1/3)**n``)."""
MAX_RUNS = 5
"""Runs a check makes when its counts are small (``SMALL_RUN``) or differ at all, even
within the tolerance."""
SMALL_RUN = 50_000_000
"""A run counting fewer instructions is cheap to repeat (a second or two under Valgrind), and
a small program's randomness (a branch taken now and then) is a larger part of it, so it is
checked ``MAX_RUNS`` times."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Determinism:
    """The verdict of a determinism check, with how many runs agreed."""

    ok: bool
    spread: float
    """Relative spread ``(max - min) / min`` of the counts (``relative_spread``)."""
    counts: tuple[float, ...]
    tolerance: float
    agreed: int
    """How many runs fall within ``tolerance`` of ``value`` (the largest such group)."""
    value: float
    """The count the agreeing runs share (the smallest of them)."""

    @property
    def runs(self) -> int:
        return len(self.counts)

    def describe(self, unit: str = "") -> str:
        """``5 of 5 runs counted 1,234,567 instructions`` or ``3 of 5 runs agreed (...):
        not deterministic``."""
        what = f"{self.value:,.0f} instructions{f' {unit}' if unit else ''}"
        if not self.ok:
            others = ", ".join(f"{c:,.0f}" for c in self.counts if not self._agrees(c))
            return (
                f"{self.agreed} of {self.runs} runs agreed ({what}; the others {others}): "
                "not deterministic"
            )
        if len(set(self.counts)) == 1:
            return f"{self.runs} of {self.runs} runs counted {what}"
        return (
            f"{self.runs} of {self.runs} runs agreed within {self.tolerance:.3g} "
            f"({min(self.counts):,.0f} to {max(self.counts):,.0f} instructions"
            f"{f' {unit}' if unit else ''})"
        )

    def _agrees(self, count: float) -> bool:
        return within(count, self.value, self.tolerance)


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
    determinism: Determinism | None = None
    """The check of the per-call counts, when one was asked for (``tolerance``)."""


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


def relative_spread(samples: Sequence[float]) -> float:
    """``(max - min) / |min|``: 0 for equal samples, ``inf`` when the smallest is not positive
    (a count of zero or less cannot be trusted)."""
    low, high = min(samples), max(samples)
    if low <= 0:
        return 0.0 if low == high == 0 else float("inf")
    return (high - low) / low


def within(count: float, reference: float, tolerance: float) -> bool:
    """Is ``count`` within ``tolerance`` (relative) of ``reference``?"""
    return abs(count - reference) <= tolerance * abs(reference)


def check_determinism(
    counts: Sequence[float], *, tolerance: float = DEFAULT_TOLERANCE
) -> Determinism:
    """Are repeated counts of the same work equal within ``tolerance`` (relative spread), and
    how many of them agree (the largest group within ``tolerance`` of one of them)?"""
    if len(counts) < 2:
        raise ValueError(f"need at least two counts to compare, got {len(counts)}")
    if tolerance < 0:
        raise ValueError(f"tolerance must not be negative, got {tolerance}")
    spread = relative_spread(counts)
    groups = [(sum(within(c, ref, tolerance) for c in counts), -ref) for ref in counts]
    agreed, value = max(groups)
    return Determinism(
        ok=spread <= tolerance,
        spread=spread,
        counts=tuple(counts),
        tolerance=tolerance,
        agreed=agreed,
        value=-value,
    )


def more_runs(
    counts: Sequence[float],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    small: bool = False,
    min_runs: int = MIN_RUNS,
    max_runs: int = MAX_RUNS,
) -> int:
    """How many more runs a determinism check needs before it is decided (0: decided).

    At least ``min_runs``; up to ``max_runs`` while the counts are ``small`` (see
    ``SMALL_RUN``) or differ at all, even within ``tolerance`` (a small difference may be
    the visible part of a larger one). Counts beyond the tolerance are decided at once:
    no further run can make them agree.
    """
    if not 2 <= min_runs <= max_runs:
        raise ValueError(f"need 2 <= min_runs <= max_runs, got {min_runs}, {max_runs}")
    if len(counts) < min_runs:
        return min_runs - len(counts)
    if not check_determinism(counts, tolerance=tolerance).ok:
        return 0
    if small or len(set(counts)) > 1:
        return max(0, max_runs - len(counts))
    return 0


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


def count_repeated(
    command: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    tolerance: float = DEFAULT_TOLERANCE,
    parallel: int | None = None,
) -> tuple[list[InstructionCount], Determinism]:
    """``count_command`` as often as ``more_runs`` asks (``MIN_RUNS`` at once, then the rest
    at once), and the check of the counts."""
    runs: list[InstructionCount] = []
    while need := more_runs(
        [r.instructions for r in runs], tolerance=tolerance, small=_small(runs)
    ):
        runs += count_all([command] * need, parallel=parallel, cwd=cwd, env=env, timeout=timeout)
    return runs, check_determinism([r.instructions for r in runs], tolerance=tolerance)


def _small(runs: Sequence[InstructionCount]) -> bool:
    return bool(runs) and statistics.median(r.instructions for r in runs) < SMALL_RUN


def count_python(
    python: str,
    job: Mapping[str, object],
    *,
    loops: tuple[int, int],
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    repeat: int = MIN_RUNS,
    tolerance: float | None = None,
    parallel: int | None = None,
    package_path: str = "",
) -> PythonCount:
    """Instructions per call of a ``python:`` callable, by difference of two loop counts.

    ``job`` is ``count_worker``'s job without ``loops`` (``sys_path``, ``target``, ``setup``).
    The worker runs once with ``loops[0]`` calls and ``repeat`` times with ``loops[1]``: the
    large run executes everything the small one does (start-up, imports, setup) plus the extra
    calls, so its repeats alone reveal non-determinism anywhere, at ``repeat + 1`` runs rather
    than ``2 * repeat``. With a ``tolerance``, the per-call counts are checked and large runs
    added as ``more_runs`` asks (``repeat`` is then its ``min_runs``). The runs are
    independent and go ``parallel`` at a time (default: one per CPU) without changing a
    single count. ``timeout`` applies to each run. ``env`` is used as given (see
    ``deterministic_env``) with this package first on ``PYTHONPATH``: ``package_path`` (a
    folder holding only ``aiwf_ci``, so aiwf-ci's own dependencies never shadow the
    project's) or, by default, the folder this package was imported from.
    """
    per_call(0, 0, *loops)  # validates the loop counts
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, got {repeat}")
    start = time.perf_counter()
    count = functools.partial(
        count_all,
        parallel=parallel,
        cwd=cwd,
        env=_with_package(env, package_path or _PACKAGE_ROOT),
        timeout=timeout,
    )
    with tempfile.TemporaryDirectory(prefix="aiwf-count-job-") as tmp:
        # same-length paths: the arguments' length is part of the constant that must cancel
        small = _job_command(python, job, loops[0], Path(tmp, "a"))
        large = _job_command(python, job, loops[1], Path(tmp, "b"))
        first, *runs = count([small] + [large] * repeat)
        check = None
        if tolerance is not None:
            while need := _more_large(first, runs, loops, tolerance, repeat):
                runs += count([large] * need)
            check = check_determinism(_samples(first, runs, loops), tolerance=tolerance)
    found = _python_count(first, runs, loops, wall=time.perf_counter() - start)
    return replace(found, determinism=check)


def _more_large(
    first: InstructionCount,
    runs: Sequence[InstructionCount],
    loops: tuple[int, int],
    tolerance: float,
    min_runs: int,
) -> int:
    samples = _samples(first, runs, loops)
    return more_runs(
        samples,
        tolerance=tolerance,
        small=_small(runs),
        min_runs=max(2, min_runs),
        max_runs=max(MAX_RUNS, min_runs),
    )


def _samples(
    first: InstructionCount, runs: Sequence[InstructionCount], loops: tuple[int, int]
) -> tuple[float, ...]:
    return per_call_samples(first.instructions, [r.instructions for r in runs], loops[1] - loops[0])


def per_call_samples(count_small: int, large: Sequence[int], calls: int) -> tuple[float, ...]:
    """Instructions per call from each large run: ``(large - small) / calls``.

    A large run that counted no more than the small one (it cannot, when both are the same
    program) is a sign of non-determinism, not a negative cost: it is kept as is (zero or
    negative) so the spread shows it.
    """
    if calls <= 0:
        raise ValueError(f"calls must be positive, got {calls}")
    return tuple((count - count_small) / calls for count in large)


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
    # the samples' median rather than ``per_call``: runs of a body that is not deterministic
    # may count fewer instructions for more calls, which the check reports (no exception)
    return PythonCount(
        per_call=statistics.median_low(_samples(small, large, loops)),
        loops=loops,
        count_small=small.instructions,
        large=large_ir,
        wall=wall,
    )


__all__ = [  # the instrument's public face, the Valgrind mechanics included
    "DEFAULT_TOLERANCE",
    "FIXED_ENV",
    "INSTALL_HINT",
    "MAX_RUNS",
    "MIN_RUNS",
    "SMALL_RUN",
    "Determinism",
    "InstructionCount",
    "PythonCount",
    "ValgrindMissing",
    "check_determinism",
    "count_all",
    "count_command",
    "count_python",
    "count_repeated",
    "deterministic_env",
    "find_valgrind",
    "job_command",
    "more_runs",
    "parse_out_file",
    "per_call",
    "per_call_samples",
    "relative_spread",
    "require_valgrind",
    "valgrind_args",
]
