"""How often the unpaired gate cries wolf on separate runs, and what it still catches, with
and without the base side's history of earlier runs, through real ``aiwf-ci run``s.

Why: two separate runs carry the machine's state of their moment (a busy stretch slows a
whole side), which no test on one run's samples can see. The unpaired gate answers that with
two rules (``aiwf_ci.verdict.spread``): without history, only a change whose whole interval
lies beyond the threshold counts; with the base side's history, a change must also lie
beyond what the run-to-run spread allows for one new run. This script measures both rules'
false-alarm and detection rates on this machine.

``record`` runs a pool of separate ``aiwf-ci run``s of one suite with two benchmarks (the
workloads of ``detection_quality.py``: ``cpu-loop``, a command, a CPU-bound loop, ~80 ms;
``dict-sort``, a python callable that allocates, ~25 ms of CPU a call), ``iterations: 10``,
``memory: false``, in trees ``base`` (A), ``aa`` (A', the same work in a tree of its own),
``s10`` and ``s20`` (+10% and +20% work, calibrated before any neighbour starts). The
schedule is a shuffled (seeded) list of **pairs**: a base run and a head run (A', +10% or
+20%), one after the other, the side that goes first alternating, so every pair is two runs
minutes apart as in a push against the previous push, and no run is in two pairs. Every run's
results go under ``--out`` (keep them out of git: ``/tmp``), listed in ``runs.jsonl``.
``--machine bursty`` adds two processes that each spin a core for 2-5 s then sleep 2-5 s
(``detection_quality.hogs``).

``judge`` reads one or more pools and judges every pair with the library's ``compare``, at the
default thresholds and at ``duration: 5%``, twice: without history, and with the history of
the base runs of earlier pairs of the same pool (recorded **before** the pair; the last
``--history-runs``, default 10; the first pairs have fewer than the minimum and fall back to
the no-history rule, as the gate does). It prints the table: flagged (regression or
improvement) counts per scenario with 95% Wilson intervals. Runs record the reference loop's
time beside every sample (``reference_time``) and the gate compares CPU time at the
reference speed (``aiwf_ci.verdict.speed``); ``--without-reference`` judges the same pool as
if they had not, to show what the adjustment does. ::

    python benchmarks/unpaired_quality.py record --out /tmp/uq/quiet --pairs 100
    python benchmarks/unpaired_quality.py record --out /tmp/uq/bursty --pairs 100 --machine bursty
    python benchmarks/unpaired_quality.py judge /tmp/uq/quiet /tmp/uq/bursty
    python benchmarks/unpaired_quality.py judge /tmp/uq/quiet /tmp/uq/bursty --without-reference
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import detection_quality as dq

from aiwf_ci.metrics import REFERENCE_TIME
from aiwf_ci.models import Results
from aiwf_ci.models.read import load_results
from aiwf_ci.verdict.compare import compare
from aiwf_ci.verdict.model import GatePolicy
from aiwf_ci.verdict.thresholds import DEFAULT_RULES, ThresholdRules, build_rules, parse_threshold

SUITE = """\
suite: unpaired-quality
defaults: {{warmup: 1, iterations: 10, timeout: 60s, memory: false}}
benchmarks:
  - name: cpu-loop
    command: {command}
    env: {{DQ_LOOPS: "{loops}"}}
  - name: dict-sort
    python: dq_work:work
    min-time: 0.05
"""
HEADS = {"aa": 0.0, "s10": 0.10, "s20": 0.20}
SCENARIOS = {"aa": "A/A", "s10": "+10%", "s20": "+20%"}


# --- record ------------------------------------------------------------------------------------


def write_trees(top: Path) -> None:
    """``base`` and one tree per head, both workloads calibrated (module docstring)."""
    loops, share = dq.calibrate(dq.TARGETS["command"])
    reps = dq.calibrate_python(dq.TARGETS["python"])
    dq.log(f"calibrated: {loops} loops (loop share {share:.0%}), REPS {reps:.3f}")
    trees = {"base": (loops, reps)} | {
        name: (dq.slowed(loops, share, s), dq.corrected(reps, s) if s else reps)
        for name, s in HEADS.items()
    }
    for folder, (n, r) in trees.items():
        config = top / folder / ".aiwf" / "bench.yml"
        config.parent.mkdir(parents=True, exist_ok=True)
        command = json.dumps(f'{sys.executable} -I -S -c "{dq.LOOP}"')
        config.write_text(SUITE.format(command=command, loops=int(n)))
        config.with_name("dq_work.py").write_text(dq.DQ_WORK.format(reps=r))


def schedule(pairs: int, seed: int) -> list[str]:
    """Heads of the pairs, shuffled: 60% A/A, 20% each slowdown."""
    unchanged = round(pairs * 0.6)
    rest = pairs - unchanged
    heads = ["aa"] * unchanged + ["s10"] * (rest // 2) + ["s20"] * (rest - rest // 2)
    random.Random(seed).shuffle(heads)
    return heads


def run_once(top: Path, tree: str, seq: int) -> Path:
    out = top / "runs" / f"{seq:04d}-{tree}"
    done = subprocess.run(
        [*dq.cli(), "run", "--out", str(out)],
        cwd=top / tree,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"aiwf-ci run failed: {done.stderr[-2000:]}")
    return out / "results.json"


def record(args: argparse.Namespace) -> int:
    top: Path = args.out
    if not (top / "base").exists():
        write_trees(top)
    manifest = top / "runs.jsonl"
    start = len(manifest.read_text().splitlines()) // 2 if manifest.exists() else 0
    heads = schedule(args.pairs, args.seed)
    with dq.machine(args.machine, args.seed):
        for index in range(start, len(heads)):
            sides = [("base", "base"), ("head", heads[index])]
            for role, tree in sides if index % 2 == 0 else sides[::-1]:
                seq = 2 * index + (role != sides[0][0] if index % 2 == 0 else role == "base")
                path = run_once(top, tree, seq)
                line = {"pair": index, "role": role, "tree": tree, "seq": seq, "path": str(path)}
                with manifest.open("a") as handle:
                    handle.write(json.dumps(line | {"time": time.time()}) + "\n")
            dq.log(f"pair {index + 1}/{len(heads)} ({SCENARIOS[heads[index]]}) recorded")
    return 0


# --- judge -------------------------------------------------------------------------------------


@dataclass(slots=True)
class Tally:
    flagged: int = 0
    total: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)

    def add(self, verdict: str) -> None:
        self.total += 1
        self.flagged += verdict in ("regression", "improvement")
        self.verdicts[verdict] = self.verdicts.get(verdict, 0) + 1


@dataclass(frozen=True, slots=True)
class Pair:
    machine: str
    head: str
    base: Results
    head_results: Results
    history: tuple[Results, ...]


def load(path: Path, raw: bool) -> Results:
    """A run's results; ``raw``: without the reference loop's times (``reference_time``)."""
    results = load_results(path)
    if not raw:
        return results
    benchmarks = tuple(
        replace(b, metrics={k: m for k, m in b.metrics.items() if k != REFERENCE_TIME})
        for b in results.benchmarks
    )
    return replace(results, benchmarks=benchmarks)


def pairs_of(top: Path, history_runs: int, raw: bool = False) -> list[Pair]:
    """Every complete pair of a pool, with the base runs of earlier pairs as its history."""
    lines = [json.loads(line) for line in (top / "runs.jsonl").read_text().splitlines()]
    by_pair: dict[int, dict[str, Mapping[str, object]]] = {}
    for line in lines:
        by_pair.setdefault(int(line["pair"]), {})[str(line["role"])] = line
    loaded: dict[int, Results] = {}
    out: list[Pair] = []
    bases: list[tuple[float, Results]] = []
    for index in sorted(by_pair):
        sides = by_pair[index]
        if set(sides) != {"base", "head"}:
            continue
        base = load(Path(str(sides["base"]["path"])), raw)
        head = load(Path(str(sides["head"]["path"])), raw)
        loaded[index] = base
        first = min(float(str(sides[r]["time"])) for r in sides)
        history = tuple(r for t, r in bases if t < first)[-history_runs:]
        out.append(Pair(top.name, str(sides["head"]["tree"]), base, head, history))
        bases.append((float(str(sides["base"]["time"])), base))
    return out


def judge_pair(pair: Pair, rules: ThresholdRules, use_history: bool) -> dict[str, str]:
    """Each benchmark's verdict of the pair."""
    from aiwf_ci.verdict.spread import learn_history

    policy = GatePolicy(history=learn_history(pair.history)) if use_history else GatePolicy()
    comparison = compare(pair.base, pair.head_results, rules, policy=policy)
    return {b.name: b.verdict for b in comparison.benchmarks}


def judge(args: argparse.Namespace) -> int:
    five = build_rules(overrides={"duration": parse_threshold("duration", "5%")})
    rule_sets = {"defaults": DEFAULT_RULES, "duration 5%": five}
    tallies: dict[Key, Tally] = {}
    for top in args.pools:
        for pair in pairs_of(top, args.history_runs, args.without_reference):
            for label, rules in rule_sets.items():
                for use in (False, True):
                    rule = "history" if use else "no history"
                    for bench, verdict in judge_pair(pair, rules, use).items():
                        key = (pair.machine, bench, SCENARIOS[pair.head], label, rule)
                        tallies.setdefault(key, Tally()).add(verdict)
    print(table(tallies))
    return 0


Key = tuple[str, str, str, str, str]
"""(machine, benchmark, scenario, thresholds, rule)."""
COLUMNS = (
    ("defaults", "no history"),
    ("defaults", "history"),
    ("duration 5%", "no history"),
    ("duration 5%", "history"),
)


def table(tallies: Mapping[Key, Tally]) -> str:
    """Per machine (and both) and scenario: flagged / pairs with its 95% Wilson interval,
    per thresholds and rule; then the same per benchmark, with the inconclusive counts."""
    grouped: dict[tuple[str, str, str, str], Tally] = {}
    for (machine, _, scenario, label, rule), t in tallies.items():
        for where in (machine, "both"):
            total = grouped.setdefault((where, scenario, label, rule), Tally())
            total.flagged += t.flagged
            total.total += t.total
    head = " | ".join(f"{label}, {rule}" for label, rule in COLUMNS)
    rows = [f"| machine | scenario | {head} |", "|---|---|" + "---|" * len(COLUMNS)]
    for machine, scenario in sorted({k[:2] for k in grouped}, key=_order):
        cells = [_cell(grouped.get((machine, scenario, *c))) for c in COLUMNS]
        rows.append(f"| {machine} | {scenario} | {' | '.join(cells)} |")
    rows += ["", "| machine | benchmark | scenario | thresholds | rule | flagged | inconclusive |"]
    rows.append("|---|---|---|---|---|---|---|")
    for key in sorted(tallies):
        t = tallies[key]
        rows.append(f"| {' | '.join(key)} | {_cell(t)} | {t.verdicts.get('inconclusive', 0)} |")
    return "\n".join(rows)


def _order(key: tuple[str, str]) -> tuple[int, str, int]:
    machine, scenario = key
    return (machine == "both", machine, list(SCENARIOS.values()).index(scenario))


def _cell(t: Tally | None) -> str:
    if t is None or not t.total:
        return "–"
    lo, hi = dq.wilson(t.flagged, t.total)
    return f"{t.flagged}/{t.total} = {t.flagged / t.total:.1%} ({lo:.1%}–{hi:.1%})"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="run a pool of separate aiwf-ci runs")
    rec.add_argument("--out", type=Path, required=True, help="pool folder (under /tmp)")
    rec.add_argument("--pairs", type=int, default=100)
    rec.add_argument("--machine", choices=("quiet", "bursty", "crowded"), default="quiet")
    rec.add_argument("--seed", type=int, default=25)
    jud = sub.add_parser("judge", help="judge the pairs of recorded pools")
    jud.add_argument("pools", type=Path, nargs="+")
    jud.add_argument("--history-runs", type=int, default=10)
    jud.add_argument(
        "--without-reference",
        action="store_true",
        help="judge as if the runs had not timed the reference loop (verdict.speed): raw CPU time",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    return record(args) if args.command == "record" else judge(args)


if __name__ == "__main__":
    sys.exit(main())
