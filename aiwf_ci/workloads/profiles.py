"""Per-function profiles of one benchmark in one tree, made to explain a verdict.

Three measures, each written to files a user can open (``profile`` reads them back):

- **bytecode** (``python:`` only): one call with the Python bytecode instructions of each
  Python function counted (``profile.bytecode``), in the tree's own worker, a file in
  Callgrind's format (KCachegrind opens it); deterministic, it names the Python functions;
- **timed** (``python:`` only): the callable's calls under ``cProfile`` in the tree's own
  worker (``python_worker``'s ``profile`` job), in ``TIMED_BLOCKS`` blocks of CPU time (wall
  time for code that waits), each a ``.pstats`` file, and all of them merged into one
  (snakeviz opens it);
- **counted**: the benchmark under Callgrind, one out file per process (KCachegrind opens
  them). A command is profiled whole; a ``python:`` callable twice in the counting worker
  (``count_worker``), with no call and with one, so that the difference is the call alone
  (start-up and imports cancel, as in instruction counting).

None changes a verdict: they run after it, once per side. Each returns ``None`` with the
reason logged when it cannot run (no Valgrind, a command that failed, a timeout).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from aiwf_ci.bench.instructions import deterministic_env
from aiwf_ci.bench.valgrind import aslr_off, find_valgrind, run_tree
from aiwf_ci.config.models import BenchmarkConfig, CommandSpec, PythonSpec
from aiwf_ci.errors import BenchmarkError
from aiwf_ci.workloads.base import RunContext
from aiwf_ci.workloads.python import run_worker, worker_env, worker_job
from aiwf_ci.workloads.python_worker import block_path

Clock = Literal["cpu", "wall"]
"""What a timed profile counts: CPU time, or wall time for code that waits."""
TIMED_MIN_TIME = 0.5
"""Seconds profiled at least, on the profile's clock (one call a block at least, and at most
``python_worker.WALL_FACTOR`` times as long in wall time): enough for a timer's resolution."""
TIMED_BLOCKS = 5
"""Blocks of the timed profile: each function's cost is the median of its blocks', so a
stretch in which the machine slowed one block does not lead the profile."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Counted:
    """Callgrind's out files of the whole run, and of the same run without the call (``()``
    for a command: it is profiled whole)."""

    files: tuple[Path, ...]
    start: tuple[Path, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Timed:
    """A timed profile: the merged ``.pstats`` file, and each block's file with its calls."""

    path: Path
    blocks: tuple[tuple[Path, int], ...]

    @property
    def calls(self) -> int:
        return sum(n for _p, n in self.blocks)


def timed_profile(
    bench: BenchmarkConfig,
    ctx: RunContext,
    dest: Path,
    *,
    timeout: float,
    clock: Clock = "cpu",
) -> Timed | None:
    """The ``.pstats`` files of a ``python:`` benchmark's calls (see the module docstring),
    timed in CPU time or, for code that waits, wall time (``clock``)."""
    spec = bench.workload
    if not isinstance(spec, PythonSpec):
        return None
    settings = {
        "dest": str(dest),
        "min_time": TIMED_MIN_TIME,
        "blocks": TIMED_BLOCKS,
        "clock": clock,
    }
    try:
        data = run_worker({**worker_job(spec, ctx), "profile": settings}, ctx, timeout=timeout)
    except BenchmarkError as exc:
        ctx.log(f"aiwf-ci: no timed profile of {bench.name}: {str(exc).splitlines()[0]}")
        return None
    blocks = tuple((block_path(dest, k), int(n)) for k, n in enumerate(data["blocks"]))
    return Timed(path=dest, blocks=blocks)


def bytecode_profile(
    bench: BenchmarkConfig, ctx: RunContext, dest: Path, *, timeout: float
) -> Path | None:
    """The Callgrind-format file of one call's Python bytecode instructions per function."""
    spec = bench.workload
    if not isinstance(spec, PythonSpec):
        return None
    env = {**(ctx.env or os.environ), "PYTHONHASHSEED": "0"}  # the same branches every time
    job = {**worker_job(spec, ctx), "bytecode": {"dest": str(dest)}}
    try:
        run_worker(job, ctx, timeout=timeout, env=env)
    except BenchmarkError as exc:
        ctx.log(f"aiwf-ci: no bytecode profile of {bench.name}: {str(exc).splitlines()[0]}")
        return None
    return dest


def counted_profile(
    bench: BenchmarkConfig, ctx: RunContext, folder: Path, *, timeout: float
) -> Counted | None:
    """Callgrind's out files for the benchmark (see the module docstring)."""
    env = dict(ctx.env)
    valgrind = find_valgrind(env)
    if valgrind is None:
        ctx.log(f"aiwf-ci: no counted profile of {bench.name}: valgrind is not installed")
        return None
    spec = bench.workload
    if isinstance(spec, CommandSpec):
        argv = ["/bin/sh", "-c", spec.command]
        cwd = ctx.resolve(spec.cwd) if spec.cwd else ctx.root
        done = _callgrind(valgrind, argv, cwd, {**env, **spec.env}, folder / "run", timeout)
        return Counted(files=done) if done else None
    if isinstance(spec, PythonSpec):
        python = ctx.python or sys.executable
        calls = []
        for loops in (0, 1):
            job_path = folder / f"job-{loops}.json"
            folder.mkdir(parents=True, exist_ok=True)
            job_path.write_text(json.dumps({**worker_job(spec, ctx), "loops": loops}))
            argv = [python, "-m", "aiwf_ci.workloads.count_worker", str(job_path)]
            env_py = worker_env(ctx, deterministic_env(env))
            done = _callgrind(valgrind, argv, ctx.root, env_py, folder / f"calls-{loops}", timeout)
            if not done:
                return None
            calls.append(done)
        return Counted(files=calls[1], start=calls[0])
    return None


def _callgrind(
    valgrind: str, argv: list[str], cwd: Path, env: dict[str, str], folder: Path, timeout: float
) -> tuple[Path, ...]:
    """Run ``argv`` under Callgrind (the whole process tree); its out files, or ``()``."""
    folder.mkdir(parents=True, exist_ok=True)
    options = [
        "-q",
        "--tool=callgrind",
        "--trace-children=yes",
        "--vgdb=no",
        f"--log-file={folder}/valgrind.%p.log",
        f"--callgrind-out-file={folder}/callgrind.out.%p",
    ]
    command = [*aslr_off(env.get("PATH", "")), valgrind, *options, *argv]
    code, _wall = run_tree(command, cwd=cwd, env=env, timeout=timeout, folder=folder)
    files = tuple(sorted(folder.glob("callgrind.out.*")))
    if code != 0 or not files:
        return ()
    return files
