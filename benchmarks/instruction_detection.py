"""Instruction counts (``measure: instructions``) on a noisy machine, through the real CLI.

Two parts, each beside a bursty neighbour that this script starts and stops (two processes
spinning a core for 2-5 s, then sleeping 2-5 s, seeded: see ``detection_quality.py``):

**detection** (``--part detection``): pairs of source trees holding a one-benchmark suite, a
``python:`` callable looping ``WORK`` times, counted with ``measure: instructions`` and the
default ``instructions`` threshold (0.5%); each pair is one ``aiwf-ci ab`` (base and head on
this machine), its verdict read from the JSON report:

- **A/A**: head identical to base: every regression or improvement is a false alarm;
- **+1%**, **+0.5%**: the body does that much more work (loop iterations);
- **non-deterministic**: a body iterating a set of random strings: every run must say so
  (a ``not_deterministic`` alert, no ``instructions`` metric, wall time instead).

**precision** (``--part precision``): one suite with a ``python:`` callable and a ``command:``,
run ``--runs`` times with ``aiwf-ci run`` in each measure; per benchmark and mode: the spread
of the per-run medians (max / min - 1: how far two runs on this machine can disagree), the
run time of the whole benchmark, and the slowdown of a counted run against an ordinary one.

    python benchmarks/instruction_detection.py --part detection --aa 50 --pairs 20
    python benchmarks/instruction_detection.py --part precision --runs 5
    python benchmarks/instruction_detection.py --part detection --aa 2 --pairs 1   # smoke
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from detection_quality import cli, log, neighbour, wilson

WORK = 60_000
"""Loop iterations of the body: ~61 million instructions per call (``PYTHONMALLOC=malloc``),
~5 ms natively."""
BODY = """\
import random
import string

WORK = {work}


def body():
    total = 0
    for i in range(WORK):
        total += i * i % 7
    return total


def chaos():
    words = {{
        "".join(random.choices(string.ascii_letters, k=random.randint(5, 30)))
        for _ in range(3000)
    }}
    return sum(len(w.upper()) for w in words)


if __name__ == "__main__":
    body()
"""
SUITE = """\
suite: instruction-detection
defaults: {{measure: {measure}, warmup: 1, iterations: {iterations}, memory: false}}
benchmarks:
{benchmarks}
"""
PY_BENCH = "  - {name: py-loop, python: 'work:body'}"
CMD_BENCH = f"  - {{name: cmd-loop, command: '{sys.executable} work.py'}}"
CHAOS_BENCH = "  - {name: chaos, python: 'work:chaos'}"
SCENARIOS: Mapping[str, float] = {"A/A": 0.0, "+1%": 0.01, "+0.5%": 0.005}


@dataclass(slots=True)
class Outcome:
    verdicts: list[str] = field(default_factory=list)
    changes: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


def write_tree(path: Path, *, work: int, benchmarks: str, measure: str, iterations: int) -> Path:
    (path / ".aiwf").mkdir(parents=True, exist_ok=True)
    (path / "work.py").write_text(BODY.format(work=work))
    suite = SUITE.format(measure=measure, iterations=iterations, benchmarks=benchmarks)
    (path / ".aiwf" / "bench.yml").write_text(suite)
    return path


def _folder(name: str) -> str:
    return name.replace("/", "").replace("%", "pct").replace("+", "plus").replace(".", "_")


# --- detection ---------------------------------------------------------------------------------


def ab_row(base: Path, head: Path, out: Path) -> dict[str, object]:
    command = [*cli(), "ab", ".aiwf/bench.yml", "--base-dir", str(base), "--head-dir", str(head)]
    command += ["--out", str(out), "--format", "json"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"aiwf-ci ab failed ({done.returncode}): {done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    (bench,) = report["benchmarks"]
    row: dict[str, object] = next(m for m in bench["metrics"] if m["metric"] == "instructions")
    return row


def detection(args: argparse.Namespace, work: Path) -> dict[str, Outcome]:
    trees = work / "trees"
    for name, change in SCENARIOS.items():
        write_tree(
            trees / _folder(name),
            work=round(WORK * (1 + change)),
            benchmarks=PY_BENCH,
            measure="instructions",
            iterations=3,
        )
    base = write_tree(
        trees / "base", work=WORK, benchmarks=PY_BENCH, measure="instructions", iterations=3
    )
    plan = [("A/A", k) for k in range(args.aa)]
    plan += [(name, k) for name in ("+1%", "+0.5%") for k in range(args.pairs)]
    random.Random(args.seed).shuffle(plan)
    outcomes = {name: Outcome() for name in SCENARIOS}
    started = time.monotonic()
    for index, (name, k) in enumerate(plan):
        out = work / "runs" / f"{_folder(name)}-{k:03d}"
        begin = time.monotonic()
        row = ab_row(base, trees / _folder(name), out)
        outcome = outcomes[name]
        outcome.verdicts.append(str(row["verdict"]))
        outcome.changes.append(float(row["change"] or 0.0))  # type: ignore[arg-type]
        outcome.seconds.append(time.monotonic() - begin)
        shutil.rmtree(out, ignore_errors=True)
        log(
            f"[{index + 1}/{len(plan)}] {name}: {row['verdict']} {outcome.changes[-1]:+.4%} "
            f"{outcome.seconds[-1]:.0f}s ({time.monotonic() - started:.0f}s in all)"
        )
    return outcomes


def chaos_runs(args: argparse.Namespace, work: Path) -> list[bool]:
    """Whether each run of the non-deterministic body said so (alert, no count metric)."""
    tree = write_tree(
        work / "chaos", work=WORK, benchmarks=CHAOS_BENCH, measure="instructions", iterations=3
    )
    flagged = []
    for k in range(args.chaos):
        out = work / "chaos-out" / str(k)
        done = subprocess.run(
            [*cli(), "run", "--out", str(out)], cwd=tree, capture_output=True, text=True
        )
        data = json.loads((out / "results.json").read_text()) if done.returncode == 0 else {}
        (bench,) = data.get("benchmarks") or [{}]
        kinds = {a["kind"] for a in bench.get("alerts", [])}
        ok = "not_deterministic" in kinds and "instructions" not in bench.get("metrics", {})
        flagged.append(ok and "duration" in bench.get("metrics", {}))
        log(f"[chaos {k + 1}/{args.chaos}] flagged: {flagged[-1]}")
    return flagged


def detection_table(outcomes: Mapping[str, Outcome], chaos: Sequence[bool]) -> str:
    lines = [
        "| scenario | pairs | regression (95% CI) | unchanged | improvement | inconclusive "
        "| change seen (min … max) | median time |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, o in outcomes.items():
        if not o.verdicts:
            continue
        n, hits = len(o.verdicts), o.verdicts.count("regression")
        lo, hi = wilson(hits, n)
        lines.append(
            f"| {name} | {n} | {hits} = {hits / n:.0%} ({lo:.0%}–{hi:.0%}) | "
            f"{o.verdicts.count('unchanged')} | {o.verdicts.count('improvement')} | "
            f"{o.verdicts.count('inconclusive')} | {min(o.changes):+.4%} … "
            f"{max(o.changes):+.4%} | {statistics.median(o.seconds):.0f} s |"
        )
    if chaos:
        lines.append(
            f"| non-deterministic body | {len(chaos)} runs | flagged as not deterministic "
            f"(wall time instead): {sum(chaos)} of {len(chaos)} | | | | | |"
        )
    return "\n".join(lines)


# --- precision ---------------------------------------------------------------------------------


def precision(args: argparse.Namespace, work: Path) -> str:
    """Each benchmark alone (``--only``), ``--runs`` times per measure, timed whole."""
    benches = f"{PY_BENCH}\n{CMD_BENCH}"
    rows = []
    for name in ("py-loop", "cmd-loop"):
        for measure in ("time", "instructions"):
            tree = write_tree(
                work / measure, work=WORK, benchmarks=benches, measure=measure, iterations=10
            )
            medians, seconds, slowdowns = [], [], []
            for k in range(args.runs):
                out = work / f"{measure}-{name}-out" / str(k)
                begin = time.monotonic()
                subprocess.run(
                    [*cli(), "run", "--only", name, "--out", str(out)],
                    cwd=tree,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                seconds.append(time.monotonic() - begin)
                (bench,) = json.loads((out / "results.json").read_text())["benchmarks"]
                metric = "duration" if measure == "time" else "instructions"
                medians.append(bench["metrics"][metric]["stats"]["median"])
                if bench["extra"].get("valgrind_slowdown"):
                    slowdowns.append(bench["extra"]["valgrind_slowdown"])
                log(f"[precision {name} {measure} {k + 1}/{args.runs}] {seconds[-1]:.1f}s")
            spread = max(medians) / min(medians) - 1
            unit = "s" if measure == "time" else "instr"
            slow = f"{statistics.median(slowdowns):.0f}×" if slowdowns else "—"
            rows.append(
                f"| {name} | {measure} | {statistics.median(medians):,.4g} {unit} | "
                f"{spread:.3%} | {statistics.median(seconds):.1f} s | {slow} |"
            )
    header = [
        "| benchmark | measure | median | spread of run medians (max/min − 1) "
        "| run time (whole benchmark) | Valgrind slowdown |",
        "|---|---|---|---|---|---|",
    ]
    return "\n".join(header + rows)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--part", choices=("detection", "precision"), default="detection")
    parser.add_argument("--aa", type=int, default=50, help="A/A pairs (default 50)")
    parser.add_argument("--pairs", type=int, default=20, help="pairs per change (default 20)")
    parser.add_argument("--chaos", type=int, default=5, help="runs of the chaos body (5)")
    parser.add_argument("--runs", type=int, default=5, help="runs per mode (precision)")
    parser.add_argument("--no-neighbour", action="store_true", help="without the neighbour")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with (
        neighbour(not args.no_neighbour, args.seed),
        tempfile.TemporaryDirectory(prefix="aiwf-instr-") as tmp,
    ):
        work = Path(tmp)
        started = time.monotonic()
        if args.part == "detection":
            outcomes = detection(args, work)
            chaos = chaos_runs(args, work)
            text = detection_table(outcomes, chaos)
        else:
            text = precision(args, work)
        total = time.monotonic() - started
    noise = "no neighbour" if args.no_neighbour else "with a bursty neighbour"
    print(f"{args.part}, {noise}, {total / 60:.0f} min in all")
    print(textwrap.dedent(text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
