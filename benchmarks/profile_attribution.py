"""Does the differential profile name the function that changed, and what does it cost?

Why: a regression's report lists the functions that account for it (``usecases.explain``);
that list is only useful if the function that really changed comes first, on a busy machine
too, and if making it costs little next to the verdict. This script builds the pipeline the
issue describes — twelve steps, each its own loop, step 7 doing 3x the work on head — and
profiles both trees ``--runs`` times each way the A/B run does (``usecases.explain``: the
bytecode count, the timed ``cProfile`` measure, and the counted Callgrind measure), printing
how often ``step_7`` came first and the median time of one side's profile per measure. Run
it beside a neighbour (``--neighbour``: two bursty CPU hogs, started and stopped here) to see
it on a busy machine. ::

    python benchmarks/profile_attribution.py --runs 10 --neighbour
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import detection_quality as dq

from aiwf_ci.config.models import BenchmarkConfig, MemorySettings, PythonSpec, Settings
from aiwf_ci.profile.diff import diff_profiles
from aiwf_ci.usecases.explain import ExplainOptions, profile_side
from aiwf_ci.workloads.base import RunContext


def pipeline(slow: int | None) -> str:
    """Twelve steps, each with its own loop; step ``slow`` does 3x the work (also the
    A/B profile test's pipeline: tests/integration/test_ab_profiles.py)."""
    steps = [
        f"def step_{k}(x):\n    s = 0\n    for i in range({3000 if k == slow else 1000}):\n"
        f"        s += i * i\n    return x + s % 7\n"
        for k in range(12)
    ]
    body = "".join(f"    x = step_{k}(x)\n" for k in range(12))
    return "\n".join(steps) + f"\ndef run():\n    x = 0\n{body}    return x\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--counted-runs", type=int, default=2, help="Callgrind is slow")
    parser.add_argument("--neighbour", action="store_true")
    args = parser.parse_args()
    top = Path(tempfile.mkdtemp(prefix="aiwf-pa-"))
    roots = {}
    for side, slow in (("base", None), ("head", 7)):
        roots[side] = top / side
        roots[side].mkdir()
        (roots[side] / "pipeline.py").write_text(pipeline(slow), encoding="utf-8")
    settings = Settings(warmup=0, iterations=1, memory=MemorySettings(enabled=False))
    bench = BenchmarkConfig(
        name="etl", kind="python", workload=PythonSpec(target="pipeline:run"), settings=settings
    )
    with dq.neighbour(args.neighbour, seed=1):
        return measure(args, bench, roots, top)


def measure(
    args: argparse.Namespace, bench: BenchmarkConfig, roots: dict[str, Path], top: Path
) -> int:
    """Each measure ``--runs`` times (Callgrind ``--counted-runs``); the summary printed."""
    runs = {"bytecode": args.runs, "timed": args.runs, "counted": args.counted_runs}
    for measure_name, n in runs.items():
        first, seconds = 0, []
        for i in range(n):
            profiles = {}
            for side in ("base", "head") if i % 2 == 0 else ("head", "base"):
                ctx = RunContext(root=roots[side], config_dir=roots[side])
                options = ExplainOptions(folder=top / f"{measure_name}-{i}", timeout=600)
                start = time.perf_counter()
                got = profile_side(bench, ctx, options.folder / side, options, (measure_name,))
                seconds.append(time.perf_counter() - start)
                profiles[side] = got.profiles[measure_name]
            label = diff_profiles(profiles["base"], profiles["head"]).entries[0].label
            first += label.startswith("pipeline:step_7 ")
            print(f"{measure_name} run {i + 1}: first {label}", flush=True)
        if seconds:
            print(
                f"== {MEASURES[measure_name]}: step_7 first in {first} of {n} runs; "
                f"median {statistics.median(seconds):.2f} s a side",
                flush=True,
            )
    return 0


MEASURES = {
    "bytecode": "bytecode (Python instructions)",
    "timed": "timed (cProfile, median of blocks)",
    "counted": "counted (Callgrind: C functions of the interpreter are what it names)",
}


if __name__ == "__main__":
    raise SystemExit(main())
