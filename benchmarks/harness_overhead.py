"""Harness overhead: aiwf-ci's python workload vs ``python -m timeit`` on the same call.

For tiny callables the per-call figure a harness reports is mostly its own loop overhead, so
this is where a harness shows whether it adds any. Both sides time ``f()`` for a function
``f`` imported from the same module; rounds alternate (ABAB) so machine noise hits both.
Prints per-loop figures (best of the samples, as timeit reports) and the ratio aiwf/timeit.

    python benchmarks/harness_overhead.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from aiwf_ci.config.models import BenchmarkConfig, MemorySettings, PythonSpec, Settings
from aiwf_ci.workloads.base import RunContext
from aiwf_ci.workloads.python import run_python_benchmark

MODULE = """\
DATA = list(range(100))[::-1]
def noop():
    return None
def add():
    return 1 + 2
def sort100():
    return sorted(DATA)
"""
TARGETS = ("noop", "add", "sort100")
UNITS = {"nsec": 1e-9, "usec": 1e-6, "msec": 1e-3, "sec": 1.0}


def aiwf_best(folder: Path, name: str, iterations: int) -> float:
    settings = Settings(
        warmup=1, iterations=iterations, min_time=0.2, memory=MemorySettings(enabled=False)
    )
    config = BenchmarkConfig(
        name=name, kind="python", workload=PythonSpec(target=f"tinymod:{name}"), settings=settings
    )
    result = run_python_benchmark(
        config, RunContext(root=folder, config_dir=folder, env=dict(os.environ))
    )
    if result.errors:
        raise SystemExit(result.errors[0])
    return result.metrics["duration"].stats.min


def timeit_best(folder: Path, name: str, iterations: int) -> float:
    argv = [
        sys.executable,
        "-m",
        "timeit",
        "-r",
        str(iterations),
        "-s",
        f"from tinymod import {name} as f",
        "f()",
    ]
    out = subprocess.run(argv, cwd=folder, capture_output=True, text=True, check=True).stdout
    match = re.search(r"([0-9.]+) (nsec|usec|msec|sec) per loop", out)
    if not match:
        raise SystemExit(f"unexpected timeit output: {out!r}")
    return float(match.group(1)) * UNITS[match.group(2)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "tinymod.py").write_text(MODULE)
        print(f"{'callable':10} {'aiwf-ci':>12} {'timeit':>12} {'ratio':>7}")
        for name in TARGETS:
            ours, theirs = [], []
            for _ in range(args.rounds):
                ours.append(aiwf_best(folder, name, args.iterations))
                theirs.append(timeit_best(folder, name, args.iterations))
            a, t = min(ours), min(theirs)
            print(f"{name:10} {a * 1e9:10.1f}ns {t * 1e9:10.1f}ns {a / t:7.3f}")


if __name__ == "__main__":
    main()
