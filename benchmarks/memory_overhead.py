"""What the memory profiler costs.

1. The sampler's own CPU at its default 10 ms interval: CPU seconds of the sampler thread
   (``time.thread_time`` inside it) per second of wall time, while it follows a real
   command tree (a shell, a python child holding 50 MB, a sleeping child), with USS
   sampling on and off. Target: at most 2% of one core.
2. The timing of a Python callable with memory profiling on vs off, through the real
   ``python`` workload, interleaved (ABAB) because the machine is shared and noisy.
   Expected: no difference beyond noise, since memory is measured in its own pass.

Run: ``/work/venv/bin/python benchmarks/memory_overhead.py [--rounds N] [--seconds S]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

from aiwf_ci.bench.memory.sampler import ProcessTreeSampler, Recording
from aiwf_ci.bench.process import run_process
from aiwf_ci.config.models import BenchmarkConfig, MemorySettings, PythonSpec, Settings
from aiwf_ci.workloads.base import RunContext
from aiwf_ci.workloads.python import run_python_benchmark

HERE = Path(__file__).resolve().parent


def workload(n: int = 20_000) -> int:
    """The callable timed with memory on and off: builds and sorts a list of tuples."""
    rows = [(i * 7919 % n, str(i)) for i in range(n)]
    rows.sort()
    return len(rows)


def sample_command(seconds: float, *, uss: bool) -> Recording:
    python = sys.executable  # not a `python3` shim, which would add its own processes
    child = f"{python} -c 'import time; x = bytearray(50_000_000); time.sleep({seconds})'"
    command = f"sleep {seconds} & {child}; wait"
    sampler = ProcessTreeSampler(0.01, uss=uss)
    outcome = run_process(
        command, cwd=Path.cwd(), env=dict(os.environ), timeout=seconds + 30, observer=sampler
    )
    if not outcome.ok:
        raise SystemExit(f"command failed: {outcome.reason(seconds + 30)}")
    return sampler.recording()


def sampler_overhead(rounds: int, seconds: float) -> None:
    print(f"sampler at 10 ms, {rounds} runs of {seconds:g} s per setting")
    for uss in (True, False):
        shares = []
        for _ in range(rounds):
            rec = sample_command(seconds, uss=uss)
            shares.append(rec.cpu_seconds / rec.wall_seconds)
        print(
            f"  USS {'on ' if uss else 'off'}: cpu share median {statistics.median(shares):.2%}"
            f" (min {min(shares):.2%}, max {max(shares):.2%}) of one core;"
            f" {len(rec.rss)} RSS / {len(rec.uss)} USS readings, {rec.processes} processes,"
            f" peak {rec.peak_rss / 1e6:.0f} MB"
        )


def time_callable(memory: bool) -> list[float]:
    bench = BenchmarkConfig(
        name="workload",
        kind="python",
        workload=PythonSpec(target="memory_overhead:workload"),
        settings=Settings(
            warmup=1, iterations=10, min_time=0.05, memory=MemorySettings(enabled=memory)
        ),
    )
    result = run_python_benchmark(bench, RunContext(base_dir=HERE))
    if result.errors:
        raise SystemExit("\n".join(result.errors))
    return list(result.metrics["duration"].samples)


def timing_difference(rounds: int) -> None:
    """ABAB rounds; per round the ratio of medians (on / off), so a noisy stretch of the
    shared machine hits both sides of a pair. Also the minimum of all samples per side,
    the figure least disturbed by neighbours."""
    on: list[float] = []
    off: list[float] = []
    ratios: list[float] = []
    for index in range(rounds):
        first, second = (True, False) if index % 2 == 0 else (False, True)
        runs = {first: time_callable(first), second: time_callable(second)}
        on += runs[True]
        off += runs[False]
        ratios.append(statistics.median(runs[True]) / statistics.median(runs[False]))
    print(f"callable timing, {rounds} interleaved rounds x 10 samples per side:")
    for name, samples in (("memory on ", on), ("memory off", off)):
        print(
            f"  {name}: median {statistics.median(samples) * 1e3:.3f} ms,"
            f" min {min(samples) * 1e3:.3f} ms per call"
        )
    print(
        f"  on/off ratio of medians per round: median {statistics.median(ratios) - 1:+.1%}"
        f" (range {min(ratios) - 1:+.1%} .. {max(ratios) - 1:+.1%});"
        f" ratio of minima {min(on) / min(off) - 1:+.1%}"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args(argv)
    sampler_overhead(args.rounds, args.seconds)
    timing_difference(args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
