"""Does the paired stopping rule keep its false-alarm guarantee under same-runner sampling?

Why: the gate promises at most ``alpha`` = 1% false regressions or improvements over all of
its looks (``aiwf_ci.verdict.sequential``). The proof needs the per-round log ratios to be
sign-symmetric and independent under "no change". The same-runner A/B of a ``python:``
benchmark (``aiwf_ci.run.python_rounds``) samples base and head alternately inside each
round, so order effects, warm-up and a neighbour's bursts could in principle bias the rounds
or tie them together. This script simulates that sampling under such noise and runs the very
rule, ``replay(ratios, threshold=..., design=SequentialDesign(), final=True)``, on every
simulated run, so the claim rests on numbers rather than on the argument alone.

The sampling model, as ``python_rounds`` does it:

- every round starts a fresh worker per side, so each side has a process-level offset of its
  own in each round (lognormal, sd ``offset``: hash seed and address-layout luck; 1% unless
  a scenario says otherwise); start-up (and warm-up) takes 0.3 s, nothing is timed;
- then ``samples`` = 3 samples per side, one side then the other, the order flipping every
  pair: ``A B B A A B``, where A, the side going first, is base in even rounds and head in odd
  ones. Each sample takes 0.1 s, so a round takes 0.9 s;
- the round's figure is ``log(median(head)) - log(median(base))`` (positive = worse), what
  ``aiwf_ci.verdict.rounds.worse_log_ratios`` computes from stored rounds.

Each sample is ``true cost x process offset x noise x effects``: per-sample lognormal noise of
a given CV, order effects (2% slower: the first sample of each adjacent pair; the first
sample of the round; every sample of the side going first), a neighbour that is busy and idle
in turns of 2-5 s each (uniform), multiplying every sample taken while busy by a factor drawn
per burst, and one-sided outliers (3x, 5% of samples). The burst clock starts at a random
point of its first 10 s, so rounds fall anywhere in the neighbour's cycle. Scenarios other
than ``iid`` add per-sample noise of CV 5%.

For every scenario, ``--runs`` A/A runs (head's true cost = base's: any regression or
improvement is a false alarm) give the rates of each outcome with their 95% Wilson score
intervals and the median number of rounds a run took (the rule stops at its first decisive
look; 100 rounds is the budget). The script exits with status 1 if, for any scenario, the
Wilson interval of the false-alarm rate (regressions + improvements) lies wholly above
``alpha``: the guarantee would then be clearly broken. A second table checks power with
``--power-runs`` runs per scenario and true change (head 1.03x, 1.05x and 1.10x base):
how often a regression is found, the median rounds of the runs that found it and of all
runs. The promise is about the threshold, so power is reported, never asserted.

The rule is pure Python, and a run that stays undecided until round 100 takes about 20 ms
(44 looks, each sorting the O(n^2) Walsh averages once). Unless ``--pure`` is given, the
Walsh averages are computed with numpy instead (``walsh_averages`` is replaced, in
this script's processes only, by a function checked at start to return the identical sorted
list, bit for bit, and to leave the rule's decisions unchanged), which halves that;
everything else is the rule's own code. Runs are spread over ``--workers``
processes in chunks of ``CHUNK`` runs, each seeded from ``--seed`` and its scenario, effect
and chunk number, so the output does not depend on the number of workers.

    python benchmarks/stopping_rule_simulation.py [--runs 20000] [--power-runs 1000]
        [--threshold 0.05] [--seed 1] [--workers 2] [--pure]

With the defaults: about 9 minutes of CPU time, so 4-5 minutes on two free cores; 13
minutes on a 2-core machine kept at load 5 by other jobs. The A/A rates are the check;
``--runs 2000`` (about 1 minute of CPU) is enough to see the tables' shape.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from multiprocessing import Pool

import numpy as np
import numpy.typing as npt

from aiwf_ci.verdict import paired, sequential
from aiwf_ci.verdict.sequential import Decision, SequentialDesign, replay

Array = npt.NDArray[np.float64]
Tally = Counter[tuple[str, int]]

DESIGN = SequentialDesign()
SAMPLES = 3
STARTUP_SECONDS = 0.3
SAMPLE_SECONDS = 0.1
WARM_START_SECONDS = 10.0
CHUNK = 250
POWER_EFFECTS = (0.03, 0.05, 0.10)
OUTCOMES = ("regression", "improvement", "unchanged", "inconclusive")


# --- scenarios ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bursts:
    """A neighbour busy and idle in turns (each turn uniform in [shortest, longest] s); a
    sample taken while busy is multiplied by the burst's factor, uniform in [low, high]."""

    low: float
    high: float
    shortest: float = 2.0
    longest: float = 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Noise:
    """One scenario: what multiplies a sample besides the side's true cost."""

    name: str
    cv: float = 0.05
    offset: float = 0.01
    pair_first: float = 0.0
    round_first: float = 0.0
    side_first: float = 0.0
    bursts: Bursts | None = None
    outliers: float = 0.0
    outlier_factor: float = 3.0


WALL_BURSTS = Bursts(1.5, 2.5)
CPU_BURSTS = Bursts(1.05, 1.2)
ORDER = {"pair_first": 0.02, "round_first": 0.02, "side_first": 0.02}

SCENARIOS: tuple[Noise, ...] = (
    Noise(name="iid CV 2%", cv=0.02),
    Noise(name="iid CV 10%", cv=0.10),
    Noise(name="iid CV 30%", cv=0.30),
    Noise(name="order: 1st of each pair +2%", pair_first=0.02),
    Noise(name="order: 1st of round +2%", round_first=0.02),
    Noise(name="order: side going 1st +2%", side_first=0.02),
    Noise(name="bursts 1.5-2.5x", bursts=WALL_BURSTS),
    Noise(name="bursts + 3x outliers (5%)", bursts=WALL_BURSTS, outliers=0.05),
    Noise(name="bursts + all 3 order effects", bursts=WALL_BURSTS, **ORDER),
    Noise(name="bursts + offsets 3%", bursts=WALL_BURSTS, offset=0.03),
    Noise(name="CPU time: bursts 1.05-1.2x, CV 20%", cv=0.20, bursts=CPU_BURSTS),
)


# --- the sampling model ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each sample of a round falls: ``first_side[j]`` (taken by the side going
    first), ``pair_first[j]`` (first of its pair), ``times[r, j]`` (seconds from the start)."""

    first_side: npt.NDArray[np.bool_]
    pair_first: npt.NDArray[np.bool_]
    head: npt.NDArray[np.bool_]
    times: Array


@functools.cache
def layout(rounds: int, samples: int) -> Layout:
    """``A B B A A B``: one sample per side in turn, the order flipping every pair (the
    runner's ``_alternate``); A is base in even rounds and head in odd ones."""
    first_side = np.array([p == (0 if i % 2 == 0 else 1) for i in range(samples) for p in (0, 1)])
    positions = np.arange(2 * samples)
    head_first = (np.arange(rounds) % 2 == 1)[:, None]
    round_seconds = STARTUP_SECONDS + 2 * samples * SAMPLE_SECONDS
    start = np.arange(rounds)[:, None] * round_seconds + STARTUP_SECONDS
    return Layout(
        first_side=first_side,
        pair_first=positions % 2 == 0,
        head=first_side[None, :] == head_first,
        times=start + (positions[None, :] + 0.5) * SAMPLE_SECONDS,
    )


def sigma(cv: float) -> float:
    """The log-scale sd of a lognormal with this coefficient of variation."""
    return math.sqrt(math.log1p(cv * cv))


def log_samples(rng: np.random.Generator, noise: Noise, effect: float, runs: int) -> Array:
    """Log sample values, shape (runs, rounds, 2 * samples), in the order taken."""
    at = layout(DESIGN.max_rounds, SAMPLES)
    shape = (runs, *at.head.shape)
    logs = math.log1p(effect) * at.head + sigma(noise.cv) * rng.standard_normal(shape)
    offsets = sigma(noise.offset) * rng.standard_normal((runs, at.head.shape[0], 2))
    logs += np.where(at.head, offsets[:, :, 1:], offsets[:, :, :1])
    logs += math.log1p(noise.pair_first) * at.pair_first
    logs[:, :, 0] += math.log1p(noise.round_first)
    logs += math.log1p(noise.side_first) * at.first_side
    if noise.bursts is not None:
        logs += burst_logs(rng, noise.bursts, at.times, runs)
    if noise.outliers:
        logs += math.log(noise.outlier_factor) * (rng.random(shape) < noise.outliers)
    return logs


def burst_logs(rng: np.random.Generator, bursts: Bursts, times: Array, runs: int) -> Array:
    """log(factor) of the burst under way at each sample, 0 while idle."""
    horizon = float(times.max()) + WARM_START_SECONDS
    turns = math.ceil(horizon / bursts.shortest) + 2
    ends = np.cumsum(rng.uniform(bursts.shortest, bursts.longest, (runs, turns)), axis=1)
    factors = np.log(rng.uniform(bursts.low, bursts.high, (runs, turns)))
    busy_first = rng.random(runs) < 0.5
    starts = rng.uniform(0.0, WARM_START_SECONDS, runs)
    out = np.zeros((runs, *times.shape))
    for run in range(runs):
        turn = np.searchsorted(ends[run], times + starts[run], side="right")
        busy = (turn % 2 == 0) == busy_first[run]
        out[run] = np.where(busy, factors[run, turn], 0.0)
    return out


def round_ratios(logs: Array) -> Array:
    """Per run and round: log(median(head samples)) - log(median(base samples))."""
    at = layout(logs.shape[1], SAMPLES)
    values = np.exp(logs)
    head = values[:, at.head].reshape(logs.shape[0], logs.shape[1], SAMPLES)
    base = values[:, ~at.head].reshape(logs.shape[0], logs.shape[1], SAMPLES)
    return np.asarray(np.log(np.median(head, axis=2)) - np.log(np.median(base, axis=2)))


# --- running the rule -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Task:
    """One chunk of runs of one scenario at one true effect."""

    scenario: int
    effect: int
    chunk: int
    runs: int
    seed: int
    threshold: float
    fast: bool


EFFECTS = (0.0, *POWER_EFFECTS)


def simulate(task: Task) -> tuple[tuple[int, int], Tally]:
    """The outcome and rounds of every run of the chunk, as the rule decided them."""
    if task.fast:
        install_fast_walsh()
    seed = np.random.SeedSequence(task.seed, spawn_key=(task.scenario, task.effect, task.chunk))
    rng = np.random.default_rng(seed)
    logs = log_samples(rng, SCENARIOS[task.scenario], EFFECTS[task.effect], task.runs)
    tally: Tally = Counter()
    for ratios in round_ratios(logs):
        decision = replay(ratios.tolist(), threshold=task.threshold, design=DESIGN, final=True)
        state = "inconclusive" if decision.state == "undecided" else decision.state
        tally[state, decision.rounds] += 1
    return (task.scenario, task.effect), tally


def tasks(runs: int, power_runs: int, seed: int, threshold: float, fast: bool) -> list[Task]:
    """Every chunk, the slowest scenarios (noisy, long runs) first for a balanced pool."""
    out: list[Task] = []
    for scenario in range(len(SCENARIOS)):
        for effect in range(len(EFFECTS)):
            total = runs if effect == 0 else power_runs
            for chunk, start in enumerate(range(0, total, CHUNK)):
                size = min(CHUNK, total - start)
                out.append(Task(scenario, effect, chunk, size, seed, threshold, fast))
    return sorted(out, key=lambda t: -(SCENARIOS[t.scenario].cv + 0.1 * (t.effect > 0)))


def run_all(jobs: list[Task], workers: int) -> dict[tuple[int, int], Tally]:
    results: dict[tuple[int, int], Tally] = {}
    if workers <= 1:
        pieces: Iterable[tuple[tuple[int, int], Tally]] = map(simulate, jobs)
        return merge(pieces, results)
    with Pool(workers) as pool:
        return merge(pool.imap_unordered(simulate, jobs), results)


def merge(
    pieces: Iterable[tuple[tuple[int, int], Tally]], into: dict[tuple[int, int], Tally]
) -> dict[tuple[int, int], Tally]:
    for key, tally in pieces:
        into.setdefault(key, Counter()).update(tally)
    return into


# --- the numpy Walsh averages ---------------------------------------------------------------


_ORIGINAL_WALSH: Callable[[Sequence[float]], list[float]] = paired.walsh_averages


@functools.cache
def _upper(n: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    i, j = np.triu_indices(n)
    return i, j


@dataclass(slots=True)
class _Last:
    """The previous call's input and answer: each look asks twice for the same rounds."""

    rounds: Sequence[float] = ()
    copy: list[float] = field(default_factory=list)
    walsh: list[float] = field(default_factory=list)


_LAST = _Last()


def fast_walsh(d: Sequence[float]) -> list[float]:
    """``paired.walsh_averages`` with numpy: every (d_i + d_j) / 2, i <= j, sorted. The same
    IEEE additions and halvings, so the very same floats in the very same order. The answer
    for the previous input is given again when asked for the same, unchanged object (the
    rule only reads it)."""
    if d is _LAST.rounds and list(d) == _LAST.copy:
        return _LAST.walsh
    values = np.asarray(d, dtype=np.float64)
    i, j = _upper(values.size)
    walsh = (values[i] + values[j]) / 2.0
    walsh.sort()
    result: list[float] = walsh.tolist()
    _LAST.rounds, _LAST.copy, _LAST.walsh = d, list(d), result
    return result


def install_fast_walsh() -> None:
    sequential.walsh_averages = fast_walsh  # type: ignore[attr-defined]


def check_fast_walsh(seed: int) -> None:
    """Refuse to run if the numpy Walsh averages differ from the rule's own in any bit, or
    the rule decides anything differently with them."""
    rng = random.Random(seed)
    for n in (*range(1, 30), 50, 51, 99, 100):
        for scale in (1e-3, 0.05, 1.0):
            d = [rng.gauss(0.0, scale) for _ in range(n)]
            d += [rng.choice(d) for _ in range(n // 5)] + [0.0] * (n % 3)
            expected = bits(_ORIGINAL_WALSH(d))
            if bits(fast_walsh(d)) != expected or bits(fast_walsh(d)) != expected:
                raise SystemExit(f"numpy Walsh averages differ from the rule's (n={len(d)})")
    for shift in (0.0, 0.02, 0.06, -0.06):
        for scale in (0.02, 0.1, 0.3):
            d = [rng.gauss(shift, scale) for _ in range(DESIGN.max_rounds)]
            if decide(d, fast_walsh) != decide(d, _ORIGINAL_WALSH):
                raise SystemExit("the rule decides differently with the numpy Walsh averages")


def bits(values: Iterable[float]) -> list[str]:
    return [float(x).hex() for x in values]


def decide(d: list[float], walsh: Callable[[Sequence[float]], list[float]]) -> Decision:
    """The rule's decision on ``d`` at a 5% threshold, with ``walsh`` as its Walsh averages."""
    kept = sequential.walsh_averages  # type: ignore[attr-defined]
    sequential.walsh_averages = walsh  # type: ignore[attr-defined]
    try:
        return replay(d, threshold=0.05, design=DESIGN, final=True)
    finally:
        sequential.walsh_averages = kept  # type: ignore[attr-defined]


# --- the report -----------------------------------------------------------------------------


def wilson(hits: int, total: int, z: float = 1.959964) -> tuple[float, float]:
    """95% Wilson score interval of a proportion."""
    if total == 0:
        return 0.0, 1.0
    p = hits / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z / (1 + z * z / total) * math.sqrt(p * (1 - p) / total + z * z / (4 * total**2))
    return max(0.0, centre - half), min(1.0, centre + half)


def rate(hits: int, total: int) -> str:
    """A rate with its 95% Wilson interval."""
    lo, hi = wilson(hits, total)
    return f"{hits / total:.2%} [{lo:.2%}, {hi:.2%}]"


def median_rounds(tally: Tally, states: Sequence[str] = OUTCOMES) -> str:
    """The median rounds of the runs that ended in one of ``states``."""
    rounds = sorted(r for (s, r), k in tally.items() if s in states for _ in range(k))
    if not rounds:
        return "-"
    middle = len(rounds) // 2
    return f"{(rounds[middle] + rounds[~middle]) / 2:g}"


@dataclass(slots=True)
class Counts:
    """How many runs ended in each state."""

    states: Counter[str] = field(default_factory=Counter)
    total: int = 0

    @classmethod
    def of(cls, tally: Tally) -> Counts:
        counts = cls()
        for (state, _), k in tally.items():
            counts.states[state] += k
            counts.total += k
        return counts

    @property
    def alarms(self) -> int:
        return self.states["regression"] + self.states["improvement"]


def aa_table(results: dict[tuple[int, int], Tally]) -> tuple[list[str], list[str]]:
    """The A/A table's lines, and the scenarios whose guarantee is clearly broken."""
    lines = [
        "| scenario | runs | false regressions | false improvements | false alarms (both) "
        "| unchanged | inconclusive | median rounds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    broken: list[str] = []
    for index, noise in enumerate(SCENARIOS):
        tally = results[index, 0]
        c = Counts.of(tally)
        n = c.total
        lines.append(
            f"| {noise.name} | {n} | {rate(c.states['regression'], n)} "
            f"| {rate(c.states['improvement'], n)} | {rate(c.alarms, n)} "
            f"| {c.states['unchanged'] / n:.1%} | {c.states['inconclusive'] / n:.1%} "
            f"| {median_rounds(tally)} |"
        )
        if wilson(c.alarms, n)[0] > DESIGN.alpha:
            broken.append(noise.name)
    return lines, broken


def power_table(results: dict[tuple[int, int], Tally]) -> list[str]:
    head = " | ".join(f"+{e:.0%}: found [95% CI]" for e in POWER_EFFECTS)
    lines = [
        f"| scenario | runs | {head} | +10%: median rounds (found / all) |",
        "|---|---:|" + "---:|" * (len(POWER_EFFECTS) + 1),
    ]
    for index, noise in enumerate(SCENARIOS):
        cells = []
        for effect in range(1, len(EFFECTS)):
            c = Counts.of(results[index, effect])
            cells.append(rate(c.states["regression"], c.total))
        strongest = results[index, len(EFFECTS) - 1]
        n = Counts.of(strongest).total
        found = median_rounds(strongest, ("regression",))
        lines.append(
            f"| {noise.name} | {n} | {' | '.join(cells)} | {found} / {median_rounds(strongest)} |"
        )
    return lines


# --- main -----------------------------------------------------------------------------------


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=20_000, help="A/A runs per scenario")
    parser.add_argument("--power-runs", type=int, default=1_000, help="runs per true change")
    parser.add_argument("--threshold", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument(
        "--pure", action="store_true", help="the rule's own pure-Python Walsh averages"
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.power_runs < 1:
        parser.error("--runs and --power-runs must be at least 1")
    return args


def header(args: argparse.Namespace) -> str:
    d = DESIGN
    walsh = "pure Python" if args.pure else "numpy (checked identical)"
    return (
        f"rule: alpha {d.alpha:.0%}, beta {d.beta:.0%}, rounds {d.min_rounds}..{d.max_rounds}, "
        f"look every {d.look_every}, rho {d.rho:g}; threshold {args.threshold:.0%}; "
        f"Walsh averages: {walsh}\nsampling: {SAMPLES} samples per side per round "
        f"(A B B A A B, A = base in even rounds), {SAMPLE_SECONDS:g} s a sample, "
        f"{STARTUP_SECONDS:g} s start-up a round; process offsets 1% and per-sample CV 5% "
        f"unless named; seed {args.seed}, {args.workers} worker(s)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    started, cpu_before = time.perf_counter(), sum(os.times()[:4])
    if not args.pure:
        check_fast_walsh(args.seed)
    jobs = tasks(args.runs, args.power_runs, args.seed, args.threshold, not args.pure)
    results = run_all(jobs, args.workers)
    print(header(args))
    lines, broken = aa_table(results)
    print("\nA/A (head = base): every regression or improvement is a false alarm")
    print("\n".join(lines))
    print(f"\nPower: head truly slower, threshold {args.threshold:.0%}; found = regression")
    print("\n".join(power_table(results)))
    cpu = sum(os.times()[:4]) - cpu_before
    print(f"\n{time.perf_counter() - started:.0f} s wall, {cpu:.0f} s CPU (all processes)")
    if broken:
        print(
            f"GUARANTEE BROKEN: false-alarm rate clearly above {DESIGN.alpha:.0%} "
            f"(95% Wilson lower bound) in: {', '.join(broken)}"
        )
        return 1
    print(
        f"guarantee kept: no scenario's false-alarm rate is clearly above {DESIGN.alpha:.0%} "
        "(95% Wilson lower bound)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
