"""Does the same-runner gate keep its promises? The full simulation tables.

Why: the README promises what the paired stopping rule (``aiwf_ci.verdict.sequential``)
does with changes inside the threshold, with correlated rounds, with time budgets and with
whole suites. This script simulates the sampling of ``aiwf-ci ab`` under every noise model
of ``benchmarks/gate_simulation.py`` and prints, as Markdown tables:

1. **the promises per scenario**: how often a change of 0 and of half the threshold is
   called a regression (promised: at most 1%, each with its 95% Wilson interval), how often
   a change at the threshold is said "unchanged" (the equivalence error, beta = 5%), and how
   often twice the threshold is found, with the median rounds;
2. **the operating curve**: P(regression) and P(unchanged) against the true change, from 0
   to twice the threshold;
3. **suites of 20 benchmarks**: an A/A suite's clean passes, a suite of 20 benchmarks each
   3% slower, one +10% among 19 unchanged; without and with Holm's procedure;
4. **time budgets**: runs a budget ended after 8 to 40 rounds (a final look spending the
   rest of alpha and beta), and the issue's suite of 20 benchmarks of 0.5 s runs in 10
   minutes (10 rounds each);
5. **threshold 0** (pure significance): A/A false alarms.

Every table comes from the numpy mirror of the rule; a sample of runs of every cell is
replayed through ``replay`` itself and any disagreement is printed and fails the script.
It exits with status 1 when a promise is clearly broken (the Wilson interval wholly on the
wrong side of it) or the mirror disagrees with the rule.

    python benchmarks/gate_promises.py [--runs 4000] [--suites 500] [--check 20] [--seed 1]

With the defaults: about 4 minutes on one core of this project's busy 2-core machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiwf_ci.verdict.design import SequentialDesign
from benchmarks.gate_simulation import (
    IMPROVEMENT,
    REGRESSION,
    SCENARIOS,
    UNCHANGED,
    Cell,
    budget_cells,
    changes,
    check,
    operating_curve,
    scenario,
    simulate,
    suites,
)
from benchmarks.stopping_rule_simulation import rate, wilson

THRESHOLD = 0.05
ALPHA_BOUND = 0.01
BETA_BOUND = 0.05
POWER_BOUND = 0.90
CLEAN_BOUND = 0.90
BUDGETS = (8, 10, 12, 16, 20, 30, 40)


class Verdicts:
    """Promises checked so far and the ones clearly broken."""

    def __init__(self) -> None:
        self.broken: list[str] = []
        self.mismatches: list[str] = []

    def at_most(self, what: str, hits: int, total: int, bound: float) -> None:
        if wilson(hits, total)[0] > bound:
            self.broken.append(f"{what}: {rate(hits, total)} > {bound:.0%}")

    def at_least(self, what: str, hits: int, total: int, bound: float) -> None:
        if wilson(hits, total)[1] < bound:
            self.broken.append(f"{what}: {rate(hits, total)} < {bound:.0%}")


def pct(hits: int, total: int) -> str:
    return f"{hits / total:.1%}"


def of(cell: Cell, state: int) -> tuple[int, int]:
    """How many of the cell's runs ended in ``state``, and how many runs."""
    return cell.outcome.count(state), cell.runs


def median_rounds(cell: Cell, state: int | None = None) -> str:
    rounds = (
        cell.outcome.rounds if state is None else cell.outcome.rounds[cell.outcome.state == state]
    )
    return f"{np.median(rounds):g}" if rounds.size else "-"


def promises_table(runs: int, seed: int, samples: int, verdicts: Verdicts) -> list[str]:
    lines = [
        "| scenario | lag-1 | A/A: regression | A/A: improvement | A/A unchanged (median rounds) "
        "| +t/2: regression | +t: unchanged | +t: regression | +2t: found (median rounds) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for i, noise in enumerate(SCENARIOS):
        cells: dict[str, Cell] = {}
        for j, (label, change) in enumerate(changes(THRESHOLD).items()):
            cell, d = simulate(noise, change, runs, seed, keys=(i, j))
            cells[label] = cell
            verdicts.mismatches += check(
                d, THRESHOLD, SequentialDesign(), cell.outcome, range(samples)
            )
        aa, half, at, twice = cells["0"], cells["t/2"], cells["t"], cells["2t"]
        for label in ("0", "t/2"):
            c = cells[label]
            verdicts.at_most(
                f"{noise.name}, {label}: regression",
                c.outcome.count(REGRESSION),
                c.runs,
                ALPHA_BOUND,
            )
        if noise.name == "i.i.d. CV 10%":
            verdicts.at_least(
                "i.i.d. CV 10%, +2t found", twice.outcome.count(REGRESSION), twice.runs, POWER_BOUND
            )
        lines.append(
            f"| {noise.name} | {aa.lag1:.2f} | {rate(*of(aa, REGRESSION))} "
            f"| {rate(*of(aa, IMPROVEMENT))} | {pct(*of(aa, UNCHANGED))} ({median_rounds(aa)}) "
            f"| {rate(*of(half, REGRESSION))} | {rate(*of(at, UNCHANGED))} "
            f"| {pct(*of(at, REGRESSION))} "
            f"| {pct(*of(twice, REGRESSION))} ({median_rounds(twice, REGRESSION)}) |"
        )
    return lines


def curve_table(runs: int, seed: int) -> list[str]:
    names = ("i.i.d. CV 2%", "i.i.d. CV 10%", "i.i.d. CV 30%", "shared drift + bursts 1.5-2.5x")
    curves = {name: operating_curve(scenario(name), runs, seed) for name in names}
    head = " | ".join(f"{n}: regression / unchanged" for n in names)
    lines = [f"| true change | {head} |", "|---:|" + "---:|" * len(names)]
    for k, (multiple, _) in enumerate(curves[names[0]]):
        change = (1.0 + THRESHOLD) ** multiple - 1.0
        cells = []
        for name in names:
            cell = curves[name][k][1]
            cells.append(f"{pct(*of(cell, REGRESSION))} / {pct(*of(cell, UNCHANGED))}")
        lines.append(f"| {multiple:g}t = {change:+.1%} | {' | '.join(cells)} |")
    return lines


def suites_table(count: int, seed: int, verdicts: Verdicts) -> list[str]:
    noise = scenario("i.i.d. CV 10%")
    lines = [
        "| suite of 20 (i.i.d. CV 10%) | Holm | clean pass | some regression "
        "| some inconclusive | some false alarm |",
        "|---|---|---:|---:|---:|---:|",
    ]
    cases = [
        ("all unchanged (A/A)", [0.0] * 20),
        ("each 3% slower", [0.03] * 20),
        ("one +10%, 19 unchanged", [0.10] + [0.0] * 19),
    ]
    for key, (label, truth) in enumerate(cases):
        for holm in (False, True):
            out = suites(noise, truth, count, seed, holm=holm, key=key)
            if label.startswith("all") and not holm:
                verdicts.at_least("A/A suite of 20, clean pass", *out.clean, CLEAN_BOUND)
            alarm = pct(*out.alarm) if label.startswith("all") else "-"
            lines.append(
                f"| {label} | {'on' if holm else 'off'} | {pct(*out.clean)} "
                f"| {pct(*out.regressed)} | {pct(*out.open)} | {alarm} |"
            )
    return lines


def budget_table(runs: int, seed: int, samples: int, verdicts: Verdicts) -> list[str]:
    lines = [
        "| scenario | rounds (budget) | A/A: regression | A/A: unchanged | +t/2: regression "
        "| +2t: found |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in ("i.i.d. CV 2%", "i.i.d. CV 10%", "per-side AR(1) 0.6"):
        noise = scenario(name)
        cells = budget_cells(noise, runs, seed, BUDGETS)
        for n in BUDGETS:
            aa, half, twice = cells[n, "0"], cells[n, "t/2"], cells[n, "2t"]
            if not name.startswith("per-side"):
                for label, c in (("0", aa), ("t/2", half)):
                    verdicts.at_most(
                        f"{name}, {n}-round budget, {label}: regression",
                        c.outcome.count(REGRESSION),
                        c.runs,
                        ALPHA_BOUND,
                    )
            lines.append(
                f"| {name} | {n} | {rate(aa.outcome.count(REGRESSION), aa.runs)} "
                f"| {pct(aa.outcome.count(UNCHANGED), aa.runs)} "
                f"| {rate(half.outcome.count(REGRESSION), half.runs)} "
                f"| {pct(twice.outcome.count(REGRESSION), twice.runs)} |"
            )
    return lines


def zero_threshold_table(runs: int, seed: int, verdicts: Verdicts) -> list[str]:
    lines = ["| scenario (threshold 0) | A/A: regression or improvement |", "|---|---:|"]
    for i, name in enumerate(("i.i.d. CV 10%", "shared drift + bursts 1.5-2.5x", "first side +3%")):
        cell, _ = simulate(scenario(name), 0.0, runs, seed, threshold=0.0, keys=(60, i))
        alarms = cell.outcome.count(REGRESSION) + cell.outcome.count(IMPROVEMENT)
        verdicts.at_most(f"{name}, threshold 0: false alarms", alarms, cell.runs, ALPHA_BOUND)
        lines.append(f"| {name} | {rate(alarms, cell.runs)} |")
    return lines


def header(args: argparse.Namespace) -> str:
    d = SequentialDesign()
    return (
        f"rule: alpha {d.alpha:.0%} (spent as t^{d.rho:g} from round {d.min_rounds}), "
        f"beta {d.beta:.0%} (t^{d.beta_rho:g} at the halving looks), regression = interval "
        f"beyond {d.margin:.0%} of the threshold and estimate beyond it; threshold "
        f"{THRESHOLD:.0%}; at most {d.max_rounds} rounds; {args.runs} runs a cell, "
        f"{args.suites} suites, seed {args.seed}; 3 samples per side per round (A B B A A B)"
    )


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=4000, help="runs per scenario and change")
    parser.add_argument("--suites", type=int, default=500, help="suites of 20 per case")
    parser.add_argument("--check", type=int, default=20, help="runs a cell replayed by the rule")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if min(args.runs, args.suites) < 1 or args.check < 0:
        parser.error("--runs and --suites must be at least 1, --check at least 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    started = time.perf_counter()
    verdicts = Verdicts()
    sections = [
        (
            "Promises per scenario (t = threshold = 5%; +t/2 = +2.47%, +2t = +10.25%)",
            promises_table(args.runs, args.seed, args.check, verdicts),
        ),
        (
            "Operating curve: P(regression) / P(unchanged) against the true change",
            curve_table(args.runs, args.seed),
        ),
        ("Suites of 20 benchmarks", suites_table(args.suites, args.seed, verdicts)),
        (
            "Time budgets: the run ends after n rounds (final look spends the rest)",
            budget_table(args.runs, args.seed, args.check, verdicts),
        ),
        ("Threshold 0: pure significance", zero_threshold_table(args.runs, args.seed, verdicts)),
    ]
    print(header(args))
    for title, lines in sections:
        print(f"\n{title}\n")
        print("\n".join(lines))
    print(
        f"\n{time.perf_counter() - started:.0f} s; mirror replayed against the rule: "
        f"{len(verdicts.mismatches)} disagreements"
    )
    for line in verdicts.mismatches[:20]:
        print(f"MISMATCH {line}")
    for line in verdicts.broken:
        print(f"PROMISE BROKEN {line}")
    return 1 if verdicts.broken or verdicts.mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
