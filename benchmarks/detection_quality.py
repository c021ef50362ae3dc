"""Detection quality of the regression gate on this machine, through the real CLI.

Each scenario is a pair of source trees holding a one-benchmark suite: a CPU-bound
``python -I -S -c`` loop whose loop count comes from ``DQ_LOOPS`` (``env:`` in each tree's
``.aiwf/bench.yml``), ``memory: false``, threshold ``duration: 5%``:

- **A/A**: head identical to base — every regression (or improvement) is a false alarm;
- **+5%**, **+10%**: head's loop count scaled so the whole process, interpreter start-up
  included, takes that much longer — every regression is a detection.

``--design same-runner`` (default) measures each pair with one ``aiwf-ci ab`` — what the
action's same-runner mode runs: both trees interleaved in rounds on this machine, analysed
as pairs, sampled until decided within ``--budget`` — and reads the verdict from its JSON.
``--design blocks`` measures each side with its own ``aiwf-ci run`` (the side that goes first
alternates) and judges with ``aiwf-ci compare``: the artifact design, for comparison.

``--neighbour`` starts a bursty neighbour (this script starts and stops it): two processes
that each spin a core for 2-5 s, then sleep 2-5 s (seeded), for the whole measurement, so
whole stretches of runs are slowed 1.5-2.5x as on a busy shared runner.

The scenarios' pairs are shuffled together (seeded), so a busy stretch hits all scenarios
alike. Rates come with a 95% Wilson score interval: 0 of 100 is not "never".

``--replay-rounds 40`` also judges every same-runner pair as a smaller ``max-rounds`` would
have: the stopping rule replayed (``aiwf_ci.verdict.sequential.replay``) on the first 40
stored rounds, so two designs are compared on the very same measurements. A pair the run
decided before the smaller design did is counted as ``undetermined`` (its rounds ran out).
``--save`` keeps every pair's per-round log ratios too.

    python benchmarks/detection_quality.py --aa 100 --pairs 20                # quiet machine
    python benchmarks/detection_quality.py --aa 100 --pairs 20 --neighbour    # bursty
    python benchmarks/detection_quality.py --aa 4 --pairs 2 --budget 60       # smoke run
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

LOOP = "import os; s = sum(i * i for i in range(int(os.environ['DQ_LOOPS'])))"
SUITE = """\
suite: detection-quality
rounds: {{budget: {budget}, samples: {samples}{max_rounds}}}
defaults: {{warmup: 1, iterations: {iterations}, timeout: 60s, memory: false}}
thresholds: {{duration: 5%}}
benchmarks:
  - name: cpu-loop
    command: {command}
    env: {{DQ_LOOPS: "{loops}"}}
"""
SLOWDOWNS: Mapping[str, float] = {"A/A": 0.0, "+5%": 0.05, "+10%": 0.10}
NEIGHBOUR = """\
import os, random, sys, time
rng = random.Random(int(sys.argv[1]))
parent = os.getppid()
while os.getppid() == parent:  # never outlives the script, however it ends
    end = time.monotonic() + rng.uniform(2, 5)
    while time.monotonic() < end:
        pass
    time.sleep(rng.uniform(2, 5))
"""


@dataclass(slots=True)
class Outcome:
    """One scenario: the verdict, rounds and wall time of every pair."""

    verdicts: list[str] = field(default_factory=list)
    rounds: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    changes: list[float] = field(default_factory=list)
    ratios: list[list[float]] = field(default_factory=list)


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


def write_trees(top: Path, args: argparse.Namespace, loops: int, share: float) -> None:
    """``base`` and one head tree per scenario (A/A: a tree of its own, same loop count)."""
    command = json.dumps(f'{sys.executable} -I -S -c "{LOOP}"')  # a JSON string is YAML
    counts = {"base": loops} | {
        _folder(name): slowed(loops, share, slowdown) for name, slowdown in SLOWDOWNS.items()
    }
    for folder, count in counts.items():
        config = top / folder / ".aiwf" / "bench.yml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(
            SUITE.format(
                budget=f"{args.budget}s",
                samples=args.samples,
                max_rounds=f", max-rounds: {args.max_rounds}" if args.max_rounds else "",
                iterations=args.iterations,
                command=command,
                loops=count,
            )
        )


@contextmanager
def neighbour(enabled: bool, seed: int) -> Iterator[None]:
    """Two bursty CPU hogs for the duration of the block (killed after, whatever happens)."""
    procs = []
    if enabled:
        procs = [
            subprocess.Popen([sys.executable, "-c", NEIGHBOUR, str(seed + i)]) for i in range(2)
        ]
    try:
        yield
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGKILL)
            proc.wait()


# --- the CLI ---------------------------------------------------------------------------------


def cli() -> list[str]:
    script = Path(sys.executable).with_name("aiwf-ci")
    found = str(script) if script.exists() else shutil.which("aiwf-ci")
    return [found] if found else [sys.executable, "-m", "aiwf_ci"]


def duration_row(report: Mapping[str, object]) -> dict[str, object]:
    benches: list[dict[str, object]] = report["benchmarks"]  # type: ignore[assignment]
    metrics: list[dict[str, object]] = benches[0]["metrics"]  # type: ignore[assignment]
    return next(m for m in metrics if m["metric"] == "duration")


def same_runner_pair(top: Path, out: Path, head: str) -> dict[str, object]:
    """``aiwf-ci ab .aiwf/bench.yml --base-dir base --head-dir HEAD --format json``."""
    command = [*cli(), "ab", ".aiwf/bench.yml", "--base-dir", str(top / "base")]
    command += ["--head-dir", str(top / head), "--out", str(out), "--format", "json"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"aiwf-ci ab failed ({done.returncode}): {done.stderr[-2000:]}")
    return duration_row(json.loads(done.stdout))


def stored_ratios(out: Path) -> list[float]:
    """The per-round worse log ratios of the pair's duration, from its two results files."""
    from aiwf_ci.models import load_results
    from aiwf_ci.verdict.rounds import worse_log_ratios

    base, head = (load_results(out / side / "results.json") for side in ("base", "head"))
    ratios = worse_log_ratios(
        base.benchmarks[0].metrics["duration"], head.benchmarks[0].metrics["duration"]
    )
    return ratios or []


def replayed(ratios: list[float], max_rounds: int) -> tuple[str, int]:
    """The verdict and rounds of the stopping rule with ``max_rounds`` on the stored rounds."""
    from aiwf_ci.verdict.sequential import SequentialDesign, replay

    design = SequentialDesign(max_rounds=max_rounds)
    head = ratios[:max_rounds]
    decision = replay(head, threshold=0.05, design=design, final=len(head) >= max_rounds)
    state = "undetermined" if decision.state == "undecided" else decision.state
    return state, decision.rounds


def blocks_pair(top: Path, out: Path, head: str, first_base: bool) -> dict[str, object]:
    """Two ``aiwf-ci run`` blocks, then ``aiwf-ci compare``: the artifact design."""
    sides = [("base", top / "base"), ("head", top / head)]
    for side, tree in sides if first_base else sides[::-1]:
        done = subprocess.run(
            [*cli(), "run", "--out", str(out / side)], cwd=tree, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"aiwf-ci run failed: {done.stderr[-2000:]}")
    command = [*cli(), "compare", str(out / "base" / "results.json")]
    command += [str(out / "head" / "results.json"), "--format", "json"]
    command += ["--config", str(top / "base" / ".aiwf" / "bench.yml")]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return duration_row(json.loads(done.stdout))


def collect(
    args: argparse.Namespace, work: Path, loops: int, share: float
) -> tuple[dict[str, Outcome], dict[str, Outcome]]:
    write_trees(work / "trees", args, loops, share)
    plan = [("A/A", k) for k in range(args.aa)]
    plan += [(name, k) for name in ("+5%", "+10%") for k in range(args.pairs)]
    random.Random(args.seed).shuffle(plan)
    outcomes = {name: Outcome() for name in SLOWDOWNS}
    replays = {name: Outcome() for name in SLOWDOWNS}
    started = time.monotonic()
    for index, (name, k) in enumerate(plan):
        out = work / "runs" / f"{_folder(name)}-{k:03d}"
        begin = time.monotonic()
        if args.design == "same-runner":
            row = same_runner_pair(work / "trees", out, _folder(name))
        else:
            row = blocks_pair(work / "trees", out, _folder(name), first_base=index % 2 == 0)
        outcome = outcomes[name]
        outcome.verdicts.append(str(row["verdict"]))
        outcome.rounds.append(int(row.get("rounds") or 0))  # type: ignore[call-overload]
        outcome.seconds.append(time.monotonic() - begin)
        outcome.changes.append(float(row["change"] or 0.0))  # type: ignore[arg-type]
        extra = ""
        if args.design == "same-runner":
            outcome.ratios.append(stored_ratios(out))
        if args.replay_rounds and outcome.ratios:
            state, rounds = replayed(outcome.ratios[-1], args.replay_rounds)
            seconds = pro_rata(outcome.seconds[-1], rounds, outcome.rounds[-1])
            _add(replays[name], state, rounds, seconds)
            extra = f"; max-rounds {args.replay_rounds}: {state} after {rounds}"
        shutil.rmtree(out, ignore_errors=True)
        log(
            f"[{index + 1}/{len(plan)}] {name}: {row['verdict']} after {outcome.rounds[-1]} "
            f"rounds, {outcome.seconds[-1]:.0f}s ({time.monotonic() - started:.0f}s in all)" + extra
        )
    return outcomes, replays


def _folder(name: str) -> str:
    return name.replace("/", "").replace("%", "pct").replace("+", "plus")


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- the table -------------------------------------------------------------------------------


def wilson(hits: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a proportion."""
    if total == 0:
        return 0.0, 1.0
    p = hits / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z / (1 + z * z / total) * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return max(0.0, centre - half), min(1.0, centre + half)


def table(outcomes: Mapping[str, Outcome]) -> str:
    lines = [
        "| scenario | pairs | regression (95% CI) | unchanged | inconclusive | improvement "
        "| median rounds | median / max time |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for scenario, o in outcomes.items():
        if not o.verdicts:
            continue
        n = len(o.verdicts)
        hits = o.verdicts.count("regression")
        lo, hi = wilson(hits, n)
        lines.append(
            f"| {scenario} | {n} | {hits} = {hits / n:.0%} ({lo:.0%}–{hi:.0%}) | "
            f"{o.verdicts.count('unchanged')} | {o.verdicts.count('inconclusive')}{_open(o)} | "
            f"{o.verdicts.count('improvement')} | {statistics.median(o.rounds):.0f} | "
            f"{statistics.median(o.seconds):.0f} s / {max(o.seconds):.0f} s |"
        )
    return "\n".join(lines)


def _open(outcome: Outcome) -> str:
    """`` + N undetermined`` for replayed pairs whose stored rounds ran out first."""
    count = outcome.verdicts.count("undetermined")
    return f" + {count} undetermined" if count else ""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--aa", type=int, default=100, help="A/A pairs (default 100)")
    parser.add_argument("--pairs", type=int, default=20, help="pairs per slowdown (default 20)")
    parser.add_argument("--design", choices=("same-runner", "blocks"), default="same-runner")
    parser.add_argument("--neighbour", action="store_true", help="a bursty CPU neighbour")
    parser.add_argument("--budget", type=int, default=180, help="seconds per pair (180)")
    parser.add_argument("--max-rounds", type=int, help="rounds at most (the config's default)")
    parser.add_argument("--samples", type=int, default=3, help="runs per side per round (3)")
    parser.add_argument("--iterations", type=int, default=15, help="runs per side (blocks)")
    parser.add_argument("--target", type=float, default=0.08, help="seconds per run")
    parser.add_argument("--seed", type=int, default=1, help="seed of the pair order")
    parser.add_argument(
        "--replay-rounds", type=int, help="also judge each pair as this max-rounds would"
    )
    parser.add_argument("--keep", type=Path, help="work here (trees kept) instead of a temp dir")
    parser.add_argument("--save", type=Path, help="write the outcomes to this JSON file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)  # clean-ups (the neighbour) run on kill too
    # Calibrated before the neighbour starts: a burst would make the workload short
    # (start-up dominated) and differ from run to run.
    loops, share = calibrate(args.target)
    log(f"calibrated: {loops} loops ≈ {args.target}s, loop share {share:.0%}")
    with (
        neighbour(args.neighbour, args.seed),
        tempfile.TemporaryDirectory(prefix="aiwf-dq-") as tmp,
    ):
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        outcomes, replays = collect(args, work, loops, share)
        total = time.monotonic() - started
    neighbour_text = "with a bursty neighbour" if args.neighbour else "no neighbour"
    print(f"design {args.design}, {neighbour_text}, threshold 5%, {total / 60:.0f} min in all")
    print(table(outcomes))
    if args.replay_rounds:
        print(f"\nthe same pairs replayed with max-rounds {args.replay_rounds} (time pro rata):")
        print(table(replays))
    if args.save:
        saved = {k: asdict(o) for k, o in outcomes.items()}
        if args.replay_rounds:
            again = {f"{k} (max-rounds {args.replay_rounds})": o for k, o in replays.items()}
            saved |= {k: asdict(o) for k, o in again.items()}
        args.save.write_text(json.dumps(saved))
    return 0


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def from_log(path: Path) -> tuple[dict[str, Outcome], dict[str, Outcome]]:
    """The outcomes again from a run's progress lines (``[i/n] NAME: VERDICT after R rounds,
    Ss (...)``, with ``; max-rounds M: VERDICT after R`` when replayed), e.g. when a run was
    cut short."""
    outcomes = {name: Outcome() for name in SLOWDOWNS}
    replays = {name: Outcome() for name in SLOWDOWNS}
    for line in path.read_text().splitlines():
        if not line.startswith("[") or " after " not in line:
            continue
        line, _, replay = line.partition("; max-rounds ")
        _, _, rest = line.partition("] ")
        name, _, rest = rest.partition(": ")
        verdict, _, rest = rest.partition(" after ")
        rounds = int(rest.split()[0])
        seconds = float(rest.split(", ")[1].split("s")[0])
        _add(outcomes[name], verdict, rounds, seconds)
        if replay:
            state, _, again = replay.partition(": ")[2].partition(" after ")
            _add(replays[name], state, int(again), pro_rata(seconds, int(again), rounds))
    return outcomes, replays


def pro_rata(seconds: float, rounds: int, of_rounds: int) -> float:
    """The time ``rounds`` of a pair's ``of_rounds`` rounds took, at its average pace."""
    return seconds * rounds / max(1, of_rounds)


def _add(outcome: Outcome, verdict: str, rounds: int, seconds: float) -> None:
    outcome.verdicts.append(verdict)
    outcome.rounds.append(rounds)
    outcome.seconds.append(seconds)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--from-log"]:
        logged, replays = from_log(Path(sys.argv[2]))
        print(table(logged))
        if any(o.verdicts for o in replays.values()):
            print("\nreplayed with the smaller max-rounds (time pro rata):")
            print(table(replays))
        raise SystemExit(0)
    raise SystemExit(main())
