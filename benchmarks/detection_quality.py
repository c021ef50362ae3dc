"""Detection quality of the regression gate on this machine: false alarms and misses.

Runs a CPU-bound ``python -c`` loop as "baseline" and "head" many times, interleaved
(A B A B ...), feeds the timings through ``Metric.from_samples`` -> ``Results`` ->
``aiwf_ci.compare.compare`` and prints, per scenario, how often the gate said "regression":

- A/A pairs (head identical to baseline): every regression is a false alarm;
- head made 5% and 10% slower (the loop count scaled so the whole process, interpreter
  start-up included, takes that much longer): every regression is a detection.

Each scenario is judged with the default thresholds (duration +20%) and with
``duration=5%``, for both gate margins (``estimate`` and ``interval``). Raw timings can be
saved (``--save``) and re-judged without re-running (``--load``).

    python benchmarks/detection_quality.py                      # full run, ~15 min
    python benchmarks/detection_quality.py --aa 5 --pairs 3 --samples 5   # smoke run
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from aiwf_ci.compare import GatePolicy, compare
from aiwf_ci.models import BenchmarkResult, Metric, Results
from aiwf_ci.thresholds import ThresholdRules, build_rules, rules_from_spec

LOOP = "s = 0\nfor i in range({n}): s += i * i"
Pair = tuple[list[float], list[float]]


def run_once(loops: int) -> float:
    """Wall time of one fresh interpreter running the loop."""
    command = [sys.executable, "-I", "-S", "-c", LOOP.format(n=loops)]
    start = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - start


def calibrate(target: float) -> tuple[int, float]:
    """Loop count taking about ``target`` seconds, and the share of time spent looping."""
    startup = statistics.median(run_once(0) for _ in range(5))
    loops = 200_000
    while (elapsed := statistics.median(run_once(loops) for _ in range(3))) < target:
        loops = int(loops * max(1.2, target / max(elapsed, 1e-3)))
    return loops, max(0.05, (elapsed - startup) / elapsed)


def slowed(loops: int, share: float, slowdown: float) -> int:
    """Loop count that makes the whole process ``slowdown`` slower (start-up is fixed)."""
    return round(loops * (1.0 + slowdown / share))


def measure_pair(base_loops: int, head_loops: int, samples: int) -> Pair:
    """``samples`` runs per side, interleaved A B A B so machine phases hit both alike."""
    base: list[float] = []
    head: list[float] = []
    for _ in range(samples):
        base.append(run_once(base_loops))
        head.append(run_once(head_loops))
    return base, head


def collect(args: argparse.Namespace) -> dict[str, list[Pair]]:
    loops, share = calibrate(args.target)
    print(f"calibrated: {loops} loops ≈ {args.target}s, loop share {share:.0%}", file=sys.stderr)
    plan = {"A/A": (args.aa, 0.0), "+5%": (args.pairs, 0.05), "+10%": (args.pairs, 0.10)}
    data: dict[str, list[Pair]] = {}
    for name, (count, slowdown) in plan.items():
        head_loops = slowed(loops, share, slowdown)
        data[name] = []
        for k in range(count):
            data[name].append(measure_pair(loops, head_loops, args.samples))
            print(f"{name}: pair {k + 1}/{count}", file=sys.stderr)
    return data


def results(samples: Sequence[float]) -> Results:
    metric = Metric.from_samples(samples, unit="s", direction="lower")
    bench = BenchmarkResult(name="cpu-loop", kind="command", metrics={"duration": metric})
    return Results(suite="detection-quality", benchmarks=(bench,))


def flagged(pairs: Sequence[Pair], rules: ThresholdRules, policy: GatePolicy) -> tuple[int, int]:
    """(regressions, 'too noisy' notes) over the pairs."""
    regressions = noisy = 0
    for base, head in pairs:
        metric = compare(results(base), results(head), rules, policy=policy)
        row = metric.benchmarks[0].metrics[0]
        regressions += row.verdict == "regression"
        noisy += "noisy" in row.note
    return regressions, noisy


def realised(pairs: Sequence[Pair]) -> float:
    return statistics.median(statistics.median(h) / statistics.median(b) - 1 for b, h in pairs)


def noise(pairs: Sequence[Pair]) -> float:
    return statistics.median(statistics.stdev(b) / statistics.mean(b) for b, _ in pairs)


def table(data: dict[str, list[Pair]]) -> str:
    gates = [
        ("default (duration 20%)", build_rules()),
        ("duration=5%", rules_from_spec("duration=5%")),
    ]
    lines = [
        "| scenario | pairs | n/side | real change | CV | gate | margin | regressions | rate "
        "| too noisy |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for scenario, pairs in data.items():
        for gate, rules in gates:
            for margin in ("estimate", "interval"):
                policy = replace(GatePolicy(), margin=margin)
                hits, noisy = flagged(pairs, rules, policy)
                lines.append(
                    f"| {scenario} | {len(pairs)} | {len(pairs[0][0])} | "
                    f"{realised(pairs):+.1%} | {noise(pairs):.1%} | {gate} | {margin} | "
                    f"{hits} | {hits / len(pairs):.0%} | {noisy} |"
                )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aa", type=int, default=50, help="A/A pairs (default 50)")
    parser.add_argument("--pairs", type=int, default=20, help="pairs per slowdown (default 20)")
    parser.add_argument("--samples", type=int, default=15, help="runs per side (default 15)")
    parser.add_argument("--target", type=float, default=0.08, help="seconds per run")
    parser.add_argument("--save", type=Path, help="write raw timings to this JSON file")
    parser.add_argument("--load", type=Path, help="judge saved timings instead of running")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.load:
        data = {k: [(b, h) for b, h in v] for k, v in json.loads(args.load.read_text()).items()}
    else:
        data = collect(args)
    if args.save:
        args.save.write_text(json.dumps(data))
    print(table(data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
