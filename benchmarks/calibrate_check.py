"""Does ``aiwf-ci calibrate`` predict what ``aiwf-ci ab`` then detects? Through the real CLI.

A one-benchmark suite (``detection_quality.py``'s workloads: a CPU-bound command or an
allocation-heavy ``python:`` callable, threshold ``duration: 5%``, the budget ``--budget``)
is calibrated ``--calibrations`` times on this machine (``aiwf-ci calibrate`` in the base
tree, under the ``--machine`` scenario's neighbours: ``detection_quality.machine``). The
median of the calibrations' "at threshold" figure (the smallest slowdown the gate calls a
regression in 90% of runs within the budget) is the **prediction**. Head trees then do
``--factors`` times that much more work (0.5x, 1x, 2x by default; sized and their CPU
slowdown measured in-process with no neighbour running, as in ``detection_quality.py``), and
each is measured against base with ``aiwf-ci ab`` ``--runs`` times (the runs of all factors
shuffled together, under the same neighbours). The table gives, per factor, the share of
runs called a regression (95% Wilson interval) beside the rate the rule predicts for that
slowdown at the calibrated spread (``verdict.reach.simulated_detection``, 1,000 seeded
replays of the stopping rule): at 1x the prediction is 90% by construction.

Smoke run (a few minutes)::

    python benchmarks/calibrate_check.py --runs 1 --calibrations 1 --budget 30

The figures in the README (each an hour or so on a loaded 2-core machine)::

    python benchmarks/calibrate_check.py --workload python --machine bursty --budget 60
    python benchmarks/calibrate_check.py --workload command --machine quiet --budget 60
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from detection_quality import Workload as Sizes
from detection_quality import (
    calibrate,
    calibrate_python,
    cli,
    command_cpu,
    corrected,
    cpu_ratio,
    log,
    machine,
    python_cpu,
    same_runner_pair,
    slowed,
    wilson,
    write_trees,
)

from aiwf_ci.verdict.design import SequentialDesign
from aiwf_ci.verdict.reach import simulated_detection

THRESHOLD = 0.05  # detection_quality's suite: duration: 5%
TARGETS = {"command": 0.08, "python": 0.025}


def calibrations(args: argparse.Namespace, base: Path, out: Path) -> list[dict[str, Any]]:
    """``aiwf-ci calibrate`` in the base tree, ``--calibrations`` times: each one's figures
    for the benchmark's gated metric, with the budget's rounds."""
    figures = []
    for k in range(args.calibrations):
        folder = out / f"calibration-{k}"
        command = [*cli(), "calibrate", ".aiwf/bench.yml", "--output", str(folder)]
        done = subprocess.run(command, cwd=base, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"aiwf-ci calibrate failed: {done.stderr[-2000:]}")
        data = json.loads((folder / "calibration.json").read_text())
        metric = data["benchmarks"][0]["metrics"][0]
        figures.append({**metric, "budget_rounds": data["budget_rounds"]})
        log(
            f"calibration {k + 1}: {metric['metric']} spread {metric['spread']:.2%}, "
            f"A/A {metric['verdict']}, reach {_pct(metric['noise_floor'])}, at threshold "
            f"{_pct(metric['detectable'])} within {data['budget_rounds']} rounds"
        )
    return figures


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def base_size(workload: str) -> tuple[float, float]:
    """Base's size (``DQ_LOOPS`` or ``REPS``) and, for the command, its loop share."""
    if workload == "command":
        loops, share = calibrate(TARGETS[workload])
        return float(loops), share
    return calibrate_python(TARGETS[workload]), 1.0


def head_sizes(workload: str, base: float, share: float, slowdowns: dict[str, float]) -> Sizes:
    """Each head's size, its CPU slowdown measured in-process (no neighbour running)."""
    if workload == "command":
        heads = {name: float(slowed(int(base), share, s)) for name, s in slowdowns.items()}
        cpu = command_cpu
    else:
        heads = {name: corrected(base, s) for name, s in slowdowns.items()}
        cpu = python_cpu
    measured = {name: cpu_ratio(cpu, base, size) - 1.0 for name, size in heads.items()}
    return Sizes(kind=workload, sizes={"base": base, **heads}, cpu_slowdowns=measured)


def suite_args(args: argparse.Namespace) -> argparse.Namespace:
    """What ``detection_quality.suite_text`` reads."""
    return argparse.Namespace(
        budget=args.budget,
        samples=args.samples,
        max_rounds=args.max_rounds,
        iterations=15,
        workload=args.workload,
    )


def measure(
    args: argparse.Namespace, top: Path, factors: Sequence[float]
) -> dict[str, Counter[str]]:
    """``--runs`` ab runs per factor, shuffled together; verdict counts per head folder."""
    jobs = [(f, k) for f in factors for k in range(args.runs)]
    random.Random(args.seed).shuffle(jobs)
    counts: dict[str, Counter[str]] = {folder(f): Counter() for f in factors}
    for n, (f, k) in enumerate(jobs):
        row, _ = same_runner_pair(top, top / "out" / f"{folder(f)}-{k}", folder(f))
        counts[folder(f)][row["verdict"]] += 1
        log(f"[{n + 1}/{len(jobs)}] {f:g}x: {row['verdict']} ({row.get('rounds')} rounds)")
    return counts


def folder(factor: float) -> str:
    return f"head-{factor:g}x".replace(".", "_")


def predicted(change: float, spread: float, rounds: int, max_rounds: int) -> float:
    design = SequentialDesign(max_rounds=max_rounds)
    return simulated_detection(
        change, spread, threshold=THRESHOLD, design=design, rounds=rounds, draws=1000, seed=7
    )


def table(
    args: argparse.Namespace,
    figures: list[dict[str, Any]],
    sizes: Sizes,
    slowdowns: dict[str, float],
    counts: dict[str, Counter[str]],
) -> str:
    spread = statistics.median(f["spread"] for f in figures)
    rounds = int(statistics.median(f["budget_rounds"] for f in figures))
    lines = [
        f"calibrations: {len(figures)}, median spread {spread:.2%}, median budget rounds "
        f"{rounds}, predicted smallest detectable at 5%: "
        + ", ".join(_pct(f["detectable"]) for f in figures),
        "",
        "| factor | slowdown (nominal) | CPU slowdown (measured) | ab runs | regression (95% CI) "
        "| predicted | unchanged | inconclusive |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, slowdown in slowdowns.items():
        c = counts[name]
        runs = sum(c.values())
        low, high = wilson(c["regression"], runs)
        rate = predicted(slowdown, spread, rounds, args.max_rounds or 100)
        lines.append(
            f"| {name.removeprefix('head-').replace('_', '.')} | +{slowdown:.1%} "
            f"| {sizes.cpu_slowdowns[name]:+.1%} | {runs} "
            f"| {c['regression']}/{runs} ({low:.0%}-{high:.0%}) | {rate:.0%} "
            f"| {c['unchanged']} | {c['inconclusive']} |"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--workload", choices=("command", "python"), default="python")
    parser.add_argument("--machine", choices=("quiet", "bursty", "crowded"), default="bursty")
    parser.add_argument("--budget", type=int, default=60, help="seconds per run (60)")
    parser.add_argument("--max-rounds", type=int, help="rounds at most (the config's default)")
    parser.add_argument("--samples", type=int, default=3, help="runs per side per round (3)")
    parser.add_argument("--calibrations", type=int, default=2, help="calibrate runs (2)")
    parser.add_argument("--runs", type=int, default=5, help="ab runs per factor (5)")
    parser.add_argument(
        "--factors",
        type=lambda text: [float(x) for x in text.split(",")],
        default=[0.5, 1.0, 2.0],
        help="slowdowns as multiples of the prediction (0.5,1,2)",
    )
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="aiwf-calcheck-") as tmp:
        top = Path(tmp)
        base, share = base_size(args.workload)
        write_trees(top, suite_args(args), head_sizes(args.workload, base, share, {}))
        with machine(args.machine, args.seed):
            figures = calibrations(args, top / "base", top / "out")
        detectable = [f["detectable"] for f in figures if f["detectable"] is not None]
        if not detectable:
            print("the calibrations found no detectable change within the budget")
            return 1
        prediction = statistics.median(detectable)
        slowdowns = {folder(f): f * prediction for f in args.factors}
        sizes = head_sizes(args.workload, base, share, slowdowns)
        write_trees(top, suite_args(args), sizes)
        with machine(args.machine, args.seed + 100):
            counts = measure(args, top, args.factors)
    minutes = (time.monotonic() - started) / 60
    print(
        f"{args.workload} workload, {args.machine} machine, budget {args.budget} s, "
        f"{minutes:.0f} min in all"
    )
    print(table(args, figures, sizes, slowdowns, counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
