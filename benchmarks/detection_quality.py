"""Detection quality of the regression gate on this machine, through the real CLI.

Writes a one-benchmark suite into a work folder: a CPU-bound ``python -I -S -c`` loop whose
loop count comes from the ``DQ_LOOPS`` environment variable, ``memory: false``. For every
pair it runs ``aiwf-ci run SUITE --out BASE`` and ``aiwf-ci run SUITE --out HEAD`` (which
side goes first alternates from pair to pair), then ``aiwf-ci compare BASE/results.json
HEAD/results.json --format json``, once with the default thresholds (duration +20%) and once
with ``--thresholds duration=5%``, and reads the verdict of the ``duration`` metric:

- A/A pairs (head identical to baseline): every regression is a false alarm;
- head made 5% and 10% slower (the loop count scaled so the whole process, interpreter
  start-up included, takes that much longer): every regression is a detection.

The scenarios' pairs are shuffled together (seeded), so a busy stretch of the machine hits
all scenarios alike. Rates come with a 95% Wilson score interval: 0 of 50 is not "never".

    python benchmarks/detection_quality.py --iterations 15            # full run, ~10 min
    python benchmarks/detection_quality.py --aa 4 --pairs 2 --iterations 5   # smoke run
    python benchmarks/detection_quality.py --load timings.json        # re-judge, in process

``--ab`` measures each pair with one ``aiwf-ci ab`` (base and head interleaved in
``--chunks`` chunks on the same machine) instead of two ``aiwf-ci run`` blocks: the suite
is written into one source tree per loop count (``env: {DQ_LOOPS: N}`` in each tree's
``.aiwf/bench.yml``), and the verdicts come from ``aiwf-ci compare`` on the two results
files ``ab`` writes, exactly as in block mode.

    python benchmarks/detection_quality.py --ab --iterations 15 --chunks 5

``--save`` writes the raw timings (read back from each ``results.json``) and ``--load``
re-judges them in process with ``aiwf_ci.verdict.compare.compare`` (the function ``aiwf-ci
compare`` calls, so the verdicts are the same) for fast offline evaluation of the gate.
``--keep DIR`` keeps every run folder; ``--rejudge DIR`` runs ``aiwf-ci compare`` again
on the folders kept there (after a change to the gate, say), without re-running anything.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

LOOP = "import os; s = sum(i * i for i in range(int(os.environ['DQ_LOOPS'])))"
SUITE = """\
suite: detection-quality
defaults:
  warmup: 1
  iterations: {iterations}
  timeout: 60s
  memory: false
benchmarks:
  - name: cpu-loop
    description: CPU-bound loop in a fresh interpreter, DQ_LOOPS iterations
    command: {command}
"""
AB_ENV = '    env: {{DQ_LOOPS: "{loops}"}}\n'
GATES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("default (duration 20%)", ()),
    ("duration=5%", ("--thresholds", "duration=5%")),
)
SLOWDOWNS: Mapping[str, float] = {"A/A": 0.0, "+5%": 0.05, "+10%": 0.10}
Pair = tuple[list[float], list[float]]


@dataclass(slots=True)
class Outcome:
    """One scenario: its raw timings and, per gate, the verdict rows of every pair."""

    pairs: list[Pair] = field(default_factory=list)
    rows: dict[str, list[dict[str, object]]] = field(default_factory=dict)


# --- the workload ----------------------------------------------------------------------------


def run_loop(loops: int) -> float:
    """Wall time of one fresh interpreter running the loop (for calibration only)."""
    command = [sys.executable, "-I", "-S", "-c", LOOP]
    start = time.perf_counter()
    subprocess.run(command, check=True, env={**os.environ, "DQ_LOOPS": str(loops)})
    return time.perf_counter() - start


def calibrate(target: float) -> tuple[int, float]:
    """Loop count taking about ``target`` seconds, and the share of time spent looping."""
    startup = statistics.median(run_loop(0) for _ in range(7))
    loops = 200_000
    while (elapsed := statistics.median(run_loop(loops) for _ in range(5))) < target:
        loops = int(loops * max(1.2, target / max(elapsed, 1e-3)))
    return loops, max(0.05, (elapsed - startup) / elapsed)


def slowed(loops: int, share: float, slowdown: float) -> int:
    """Loop count that makes the whole process ``slowdown`` slower (start-up is fixed)."""
    return round(loops * (1.0 + slowdown / share))


# --- the CLI ---------------------------------------------------------------------------------


def cli() -> list[str]:
    script = Path(sys.executable).with_name("aiwf-ci")
    found = str(script) if script.exists() else shutil.which("aiwf-ci")
    return [found] if found else [sys.executable, "-m", "aiwf_ci"]


def aiwf_run(suite: Path, out: Path, loops: int) -> list[float]:
    """``aiwf-ci run SUITE --out OUT`` with ``DQ_LOOPS=loops``; the duration samples."""
    env = {**os.environ, "DQ_LOOPS": str(loops)}
    done = subprocess.run(
        [*cli(), "run", str(suite), "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"aiwf-ci run failed ({done.returncode}): {done.stderr[-2000:]}")
    data = json.loads((out / "results.json").read_text())
    samples: list[float] = data["benchmarks"][0]["metrics"]["duration"]["samples"]
    return samples


def aiwf_compare(base: Path, head: Path, extra: Sequence[str]) -> dict[str, object]:
    """``aiwf-ci compare BASE HEAD --format json [...]``: the ``duration`` row."""
    done = subprocess.run(
        [*cli(), "compare", str(base), str(head), "--format", "json", *extra],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode not in (0, 1):
        raise RuntimeError(f"aiwf-ci compare failed ({done.returncode}): {done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    metrics: list[dict[str, object]] = report["benchmarks"][0]["metrics"]
    return next(m for m in metrics if m["metric"] == "duration")


def collect(args: argparse.Namespace, work: Path) -> dict[str, Outcome]:
    loops, share = calibrate(args.target)
    log(f"calibrated: {loops} loops ≈ {args.target}s, loop share {share:.0%}")
    suite = work / "suite.yml"
    command = json.dumps(f'{sys.executable} -I -S -c "{LOOP}"')  # a JSON string is YAML
    suite.write_text(SUITE.format(iterations=args.iterations, command=command))
    roots = write_roots(work / "roots", suite.read_text(), loops, share) if args.ab else {}
    plan = [("A/A", k) for k in range(args.aa)]
    plan += [(name, k) for name in ("+5%", "+10%") for k in range(args.pairs)]
    random.Random(args.seed).shuffle(plan)
    outcomes = {name: Outcome() for name in SLOWDOWNS}
    started = time.monotonic()
    for index, (name, k) in enumerate(plan):
        pair = work / f"{_folder(name)}-{k:03d}"
        base_dir, head_dir = pair / "base", pair / "head"
        head_loops = slowed(loops, share, SLOWDOWNS[name])
        if args.ab:
            root = roots[name]
            timings = aiwf_ab(work / "roots", pair, root, args.chunks)
        else:
            sides = [(base_dir, loops), (head_dir, head_loops)]
            order = sides if index % 2 else sides[::-1]
            timings = {d: aiwf_run(suite, d, n) for d, n in order}
        outcome = outcomes[name]
        outcome.pairs.append((timings[base_dir], timings[head_dir]))
        for gate, extra in GATES:
            row = aiwf_compare(base_dir / "results.json", head_dir / "results.json", extra)
            outcome.rows.setdefault(gate, []).append(row)
        elapsed = time.monotonic() - started
        log(f"[{index + 1}/{len(plan)}] {name} pair {k + 1}: {_brief(outcome)} ({elapsed:.0f}s)")
    return outcomes


def write_roots(top: Path, suite: str, loops: int, share: float) -> dict[str, str]:
    """One source tree per side for ``aiwf-ci ab``: ``base`` and one per scenario's head
    (A/A gets a tree of its own with the base loop count, so both sides are two trees)."""
    heads = {name: _folder(name) for name in SLOWDOWNS}
    counts = {"base": loops} | {
        heads[name]: slowed(loops, share, slowdown) for name, slowdown in SLOWDOWNS.items()
    }
    for folder, count in counts.items():
        config = top / folder / ".aiwf" / "bench.yml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(suite + AB_ENV.format(loops=count))
    return heads


def aiwf_ab(top: Path, out: Path, head: str, chunks: int) -> dict[Path, list[float]]:
    """``aiwf-ci ab .aiwf/bench.yml --base-dir base --head-dir HEAD``: both sides' samples."""
    command = [*cli(), "ab", ".aiwf/bench.yml", "--base-dir", str(top / "base")]
    command += ["--head-dir", str(top / head), "--out", str(out), "--chunks", str(chunks)]
    done = subprocess.run(
        [*command, "--format", "json"], capture_output=True, text=True, check=False
    )
    if done.returncode not in (0, 1):
        raise RuntimeError(f"aiwf-ci ab failed ({done.returncode}): {done.stderr[-2000:]}")
    timings: dict[Path, list[float]] = {}
    for side in ("base", "head"):
        data = json.loads((out / side / "results.json").read_text())
        timings[out / side] = data["benchmarks"][0]["metrics"]["duration"]["samples"]
    return timings


def _folder(name: str) -> str:
    return name.replace("/", "").replace("%", "pct")


def rejudge_cli(work: Path) -> dict[str, Outcome]:
    """``aiwf-ci compare`` again on the run folders kept by ``--keep``."""
    outcomes = {name: Outcome() for name in SLOWDOWNS}
    for name, outcome in outcomes.items():
        for pair in sorted(work.glob(f"{_folder(name)}-*")):
            base, head = pair / "base" / "results.json", pair / "head" / "results.json"
            if not (base.exists() and head.exists()):
                continue
            side = [json.loads(f.read_text())["benchmarks"][0] for f in (base, head)]
            b, h = (s["metrics"]["duration"]["samples"] for s in side)
            outcome.pairs.append((b, h))
            for gate, extra in GATES:
                outcome.rows.setdefault(gate, []).append(aiwf_compare(base, head, extra))
    return outcomes


def _brief(outcome: Outcome) -> str:
    return ", ".join(f"{gate}: {rows[-1]['verdict']}" for gate, rows in outcome.rows.items())


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- offline re-judging ----------------------------------------------------------------------


def rejudge(data: Mapping[str, Sequence[Pair]]) -> dict[str, Outcome]:
    """The same verdicts in process: ``compare`` is what ``aiwf-ci compare`` calls."""
    from aiwf_ci.models import BenchmarkResult, Metric, Results
    from aiwf_ci.report.as_json import comparison_to_dict
    from aiwf_ci.verdict.compare import compare
    from aiwf_ci.verdict.thresholds import build_rules, rules_from_spec

    def results(samples: Sequence[float]) -> Results:
        metric = Metric.from_samples(samples, unit="s", direction="lower")
        bench = BenchmarkResult(name="cpu-loop", kind="command", metrics={"duration": metric})
        return Results(suite="detection-quality", benchmarks=(bench,))

    rules = {GATES[0][0]: build_rules(), GATES[1][0]: rules_from_spec("duration=5%")}
    outcomes: dict[str, Outcome] = {}
    for name, pairs in data.items():
        outcome = outcomes[name] = Outcome(pairs=[(list(b), list(h)) for b, h in pairs])
        for gate, rule in rules.items():
            for base, head in outcome.pairs:
                report = comparison_to_dict(compare(results(base), results(head), rule))
                row = report["benchmarks"][0]["metrics"][0]
                outcome.rows.setdefault(gate, []).append(row)
    return outcomes


# --- the table -------------------------------------------------------------------------------


def wilson(hits: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a proportion."""
    if total == 0:
        return 0.0, 1.0
    p = hits / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z / (1 + z * z / total) * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return max(0.0, centre - half), min(1.0, centre + half)


def realised(pairs: Sequence[Pair]) -> float:
    return statistics.median(statistics.median(h) / statistics.median(b) - 1 for b, h in pairs)


def noise(pairs: Sequence[Pair]) -> float:
    return statistics.median(statistics.stdev(b) / statistics.mean(b) for b, _ in pairs)


def table(outcomes: Mapping[str, Outcome]) -> str:
    lines = [
        "| scenario | pairs | n/side | real change | CV | gate | regressions | rate (95% CI) "
        "| too noisy |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for scenario, outcome in outcomes.items():
        if not outcome.pairs:
            continue
        n = len(outcome.pairs[0][0])
        for gate, rows in outcome.rows.items():
            hits = sum(r["verdict"] == "regression" for r in rows)
            noisy = sum("noisy" in str(r["note"]) for r in rows)
            lo, hi = wilson(hits, len(rows))
            lines.append(
                f"| {scenario} | {len(rows)} | {n} | {realised(outcome.pairs):+.1%} | "
                f"{noise(outcome.pairs):.1%} | {gate} | {hits} | "
                f"{hits / len(rows):.0%} ({lo:.0%}–{hi:.0%}) | {noisy} |"
            )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--aa", type=int, default=50, help="A/A pairs (default 50)")
    parser.add_argument("--pairs", type=int, default=20, help="pairs per slowdown (default 20)")
    parser.add_argument("--iterations", type=int, default=15, help="runs per side (default 15)")
    parser.add_argument("--target", type=float, default=0.08, help="seconds per run")
    parser.add_argument("--ab", action="store_true", help="one aiwf-ci ab per pair")
    parser.add_argument("--chunks", type=int, default=5, help="aiwf-ci ab --chunks (5)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the pair order")
    parser.add_argument("--keep", type=Path, help="keep the suite and run folders here")
    parser.add_argument("--save", type=Path, help="write raw timings to this JSON file")
    parser.add_argument("--load", type=Path, help="re-judge saved timings instead of running")
    parser.add_argument("--rejudge", type=Path, help="aiwf-ci compare again on a --keep DIR")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.load:
        saved = json.loads(args.load.read_text())
        outcomes = rejudge({k: v for k, v in saved.items() if k in SLOWDOWNS})
        print(f"re-judged in process from {args.load}")
    elif args.rejudge:
        outcomes = rejudge_cli(args.rejudge)
        print(f"re-judged with aiwf-ci compare in {args.rejudge}")
    elif args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        outcomes = collect(args, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="aiwf-dq-") as tmp:
            outcomes = collect(args, Path(tmp))
    if args.save:
        args.save.write_text(json.dumps({k: o.pairs for k, o in outcomes.items()}))
    print(table(outcomes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
