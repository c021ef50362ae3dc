"""Detection quality of the regression gate on this machine, through the real CLI.

Why: a gate is only as good as its two error rates where it runs — how often it cries
"regression" when nothing changed, and how often it misses one that did. This script measures
both on this machine, for a workload and a machine scenario, through ``aiwf-ci`` itself.

Each scenario is a pair of source trees holding a one-benchmark suite, ``memory: false``,
threshold ``duration: 5%``, the engine's timer choice left at its default (``auto``):

- ``--workload command`` (default): a CPU-bound ``python -I -S -c`` loop whose loop count
  comes from ``DQ_LOOPS`` (``env:`` in each tree's ``.aiwf/bench.yml``), ~80 ms a run;
- ``--workload python``: a ``python:`` benchmark, ``dq_work:work`` from a module written
  beside each tree's config, allocation-heavy — ``REPS`` passes a call, each building a
  20,000-entry dict with string keys and sorting its items (a fractional ``REPS`` ends with a
  pass over a smaller dict), ~25 ms of CPU a call, ``min-time: 0.05``, no ``environment:``.

The scenarios:

- **A/A**: head identical to base (a tree of its own) — every regression (or improvement)
  is a false alarm;
- **+5%**, **+10%** (``--slowdowns``, e.g. ``+10%,+20%``): head does that much more of the
  same work — every regression is a detection. The workload is calibrated, and head/base CPU
  time measured (alternating calls, median ratio), in this process before any neighbour
  starts; the tables give that measured slowdown beside the nominal one. For ``python`` the
  head's extra work is first rescaled by nominal / measured slowdown, twice (a smaller dict
  costs another amount per entry: the nominal extra passes may be a few percent off).

``--design same-runner`` (default) measures each pair with one ``aiwf-ci ab`` — what the
action's same-runner mode runs: both trees interleaved in rounds on this machine, analysed
as pairs, sampled until decided within ``--budget`` — and reads the verdict of the gated
metric from its JSON (the benchmark's ``timer.gated``; from an engine without ``timer``, the
row that carries the threshold, else ``duration``).
``--design blocks`` measures each side with its own ``aiwf-ci run`` (the side that goes first
alternates) and judges with ``aiwf-ci compare``: the artifact design, for comparison.

``--machine`` (this script starts and stops the extra processes; they stop by themselves too
when the script is gone):

- ``quiet``: nothing else runs;
- ``bursty`` (``--neighbour``): two processes that each spin a core for 2-5 s, then sleep
  2-5 s (seeded), so whole stretches of runs are slowed 1.5-2.5x as on a busy shared runner;
- ``crowded``: ``bursty`` plus one process spinning a core all the time.

The scenarios' pairs are shuffled together (seeded), so a busy stretch hits all scenarios
alike. Rates come with a 95% Wilson score interval: 0 of 100 is not "never". A second table
gives the spread of the per-round log ratios (MAD x 1.4826, in percent) of the wall time, of
the gated metric, of ``cpu_time`` and of ``active_time`` (wall time minus the time spent
waiting for a CPU), for the A/A pairs and for all pairs each centred on its own median, with
the median share of wall time spent waiting for a CPU (``run_queue_delay``) when measured.

``--replay-rounds 40`` also judges every same-runner pair as a smaller ``max-rounds`` would
have: the stopping rule replayed (``aiwf_ci.verdict.sequential.replay``) on the first 40
stored rounds of the gated metric, so two designs are compared on the very same measurements.
A pair the run decided before the smaller design did is counted as ``undetermined`` (its
rounds ran out). ``--save`` keeps every pair's per-round log ratios too (``ratios``: the gated
metric's; ``metric_ratios``: wall, CPU and active time; ``wait_shares``: per round);
``--from-save FILE`` prints the tables again from such a file, ``--from-log FILE`` the
verdict tables from a run's progress lines (e.g. of a run cut short).

The issue's target set (A/A 100 pairs and 20 pairs per slowdown are the defaults), per
workload and machine, with the venv's Python — each run is hours (140 pairs of up to
``--budget`` 180 s), one at a time, plus ``--save FILE.json`` to keep the ratios::

    python benchmarks/detection_quality.py --slowdowns +10%,+20% --machine quiet
    python benchmarks/detection_quality.py --slowdowns +10%,+20% --machine bursty
    python benchmarks/detection_quality.py --slowdowns +10%,+20% --machine crowded
    python benchmarks/detection_quality.py --slowdowns +10%,+20% --machine quiet --workload python
    python benchmarks/detection_quality.py --slowdowns +10%,+20% --machine bursty --workload python
    python benchmarks/detection_quality.py --slowdowns +10%,+20% --machine crowded --workload python
    python benchmarks/detection_quality.py --from-save FILE.json     # the tables again

Smoke runs (a minute or so each)::

    S="--aa 2 --pairs 1 --budget 30 --max-rounds 12"
    python benchmarks/detection_quality.py $S
    python benchmarks/detection_quality.py $S --workload python --machine crowded
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import math
import os
import random
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiwf_ci.models import Metric

LOOP = "import os; s = sum(i * i for i in range(int(os.environ['DQ_LOOPS'])))"
SUITE = """\
suite: detection-quality
rounds: {{budget: {budget}s, samples: {samples}{max_rounds}}}
defaults: {{warmup: 1, iterations: {iterations}, timeout: 60s, memory: false{min_time}}}
thresholds: {{duration: 5%}}
benchmarks:
"""
COMMAND_BENCH = """\
  - name: cpu-loop
    command: {command}
    env: {{DQ_LOOPS: "{loops}"}}
"""
PYTHON_BENCH = """\
  - name: dict-sort
    python: dq_work:work
"""
DQ_WORK = '''\
"""Allocation-heavy work for benchmarks/detection_quality.py (written by it, REPS per tree):
REPS passes a call, each building a 20,000-entry dict with string keys and sorting its items;
a fractional REPS ends with a pass over a proportionally smaller dict."""

REPS = {reps!r}
SIZE = 20_000


def one_pass(size: int) -> int:
    table = {{str(i): i for i in range(size)}}
    return len(sorted(table.items()))


def work() -> None:
    for _ in range(int(REPS)):
        one_pass(SIZE)
    one_pass(round(SIZE * (REPS % 1)))
'''
TARGETS: Mapping[str, float] = {"command": 0.08, "python": 0.025}
CPU_PAIRS = 40
"""Pairs of base and head calls (the order alternating) per measured CPU-time ratio."""
SPREAD_METRICS = ("duration", "cpu_time", "active_time")
"""Metrics whose per-round log ratios are kept per pair, besides the gated one."""
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
SPINNER = """\
import os
parent = os.getppid()
while os.getppid() == parent:  # never outlives the script, however it ends
    for _ in range(100_000):
        pass
"""


@dataclass(slots=True)
class Outcome:
    """One scenario: the verdict, rounds and wall time of every pair, what it gated on and
    its per-round log ratios; ``cpu_slowdown`` is head/base CPU time - 1 measured in-process."""

    verdicts: list[str] = field(default_factory=list)
    rounds: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    changes: list[float] = field(default_factory=list)
    ratios: list[list[float]] = field(default_factory=list)
    gated: list[str] = field(default_factory=list)
    metric_ratios: list[dict[str, list[float]]] = field(default_factory=list)
    wait_shares: list[list[float]] = field(default_factory=list)
    cpu_slowdown: float | None = None


@dataclass(frozen=True, slots=True)
class Workload:
    """The benchmark as each tree runs it: its size by tree folder (``DQ_LOOPS`` or
    ``REPS``) and the measured CPU slowdown by scenario."""

    kind: str
    sizes: dict[str, float]
    cpu_slowdowns: dict[str, float]


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


def command_cpu(loops: float) -> float:
    """CPU seconds of one fresh interpreter running the loop."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run_loop(int(loops))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def python_work(reps: float) -> Callable[[], None]:
    """``dq_work.work`` as the tree with this ``REPS`` runs it (the very module text)."""
    namespace: dict[str, Any] = {}
    exec(DQ_WORK.format(reps=reps), namespace)
    work: Callable[[], None] = namespace["work"]
    return work


def timed(call: Callable[[], None], clock: Callable[[], float]) -> float:
    """One call on ``clock``, the garbage collector off as in the worker's samples."""
    gc.collect()
    gc.disable()
    try:
        start = clock()
        call()
        return clock() - start
    finally:
        gc.enable()


def python_cpu(reps: float) -> float:
    return timed(python_work(reps), time.process_time)


def calibrate_python(target: float) -> float:
    """``REPS`` whose call takes about ``target`` seconds of CPU time (not wall time: other
    processes on a shared machine would make it smaller from run to run)."""
    reps = 1.0
    for _ in range(3):
        work = python_work(reps)
        elapsed = statistics.median(timed(work, time.process_time) for _ in range(9))
        reps *= target / elapsed
    return reps


def cpu_ratio(cpu: Callable[[float], float], base: float, head: float) -> float:
    """Median head/base CPU-time ratio of ``CPU_PAIRS`` alternating pairs of calls."""
    ratios = []
    for k in range(CPU_PAIRS):
        spent = {size: cpu(size) for size in ((base, head) if k % 2 == 0 else (head, base))}
        ratios.append(spent[head] / spent[base])
    return statistics.median(ratios)


def corrected(base: float, slowdown: float) -> float:
    """Head's ``REPS``: the extra work rescaled twice by nominal / measured slowdown (a
    smaller dict costs up to ~20% less or more per entry), kept within 0.7-1.4 times the
    nominal extra work (beyond that it is noise)."""
    nominal = extra = base * slowdown
    for _ in range(2):
        measured = cpu_ratio(python_cpu, base, base + extra) - 1.0
        extra = min(1.4 * nominal, max(0.7 * nominal, extra * slowdown / max(measured, 1e-6)))
    return base + extra


def prepare(args: argparse.Namespace, scenarios: Mapping[str, float]) -> Workload:
    """Calibrated sizes per tree and measured slowdowns (before any neighbour starts: a
    burst would make the workload short and differ from run to run)."""
    target = args.target or TARGETS[args.workload]
    cpu: Callable[[float], float]
    if args.workload == "command":
        base, heads = command_sizes(target, scenarios)
        cpu = command_cpu
    else:
        base, heads = python_sizes(target, scenarios)
        cpu = python_cpu
    measured = {name: cpu_ratio(cpu, base, heads[name]) - 1.0 for name, s in scenarios.items() if s}
    text = ", ".join(f"{name} → {m:+.1%}" for name, m in measured.items())
    log(f"head/base CPU time, measured in-process: {text or 'no slowdowns'}")
    sizes = {"base": base} | {_folder(name): size for name, size in heads.items()}
    return Workload(kind=args.workload, sizes=sizes, cpu_slowdowns=measured)


def command_sizes(target: float, scenarios: Mapping[str, float]) -> tuple[float, dict[str, float]]:
    """Base's ``DQ_LOOPS`` and each scenario's head's."""
    loops, share = calibrate(target)
    log(f"calibrated: {loops} loops ≈ {target}s, loop share {share:.0%}")
    return loops, {name: slowed(loops, share, s) for name, s in scenarios.items()}


def python_sizes(target: float, scenarios: Mapping[str, float]) -> tuple[float, dict[str, float]]:
    """Base's ``REPS`` and each scenario's head's."""
    reps = calibrate_python(target)
    log(f"calibrated: REPS {reps:.3f} ≈ {target}s of CPU a call")
    return reps, {name: corrected(reps, s) if s else reps for name, s in scenarios.items()}


def suite_text(args: argparse.Namespace, kind: str, size: float) -> str:
    header = SUITE.format(
        budget=args.budget,
        samples=args.samples,
        max_rounds=f", max-rounds: {args.max_rounds}" if args.max_rounds else "",
        iterations=args.iterations,
        min_time=", min-time: 0.05" if kind == "python" else "",
    )
    if kind == "python":
        return header + PYTHON_BENCH
    command = json.dumps(f'{sys.executable} -I -S -c "{LOOP}"')  # a JSON string is YAML
    return header + COMMAND_BENCH.format(command=command, loops=int(size))


def write_trees(top: Path, args: argparse.Namespace, workload: Workload) -> None:
    """``base`` and one head tree per scenario (A/A: a tree of its own, same size)."""
    for folder, size in workload.sizes.items():
        config = top / folder / ".aiwf" / "bench.yml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(suite_text(args, workload.kind, size))
        if workload.kind == "python":
            config.with_name("dq_work.py").write_text(DQ_WORK.format(reps=size))


# --- the machine -----------------------------------------------------------------------------


def hogs(scenario: str, seed: int) -> list[list[str]]:
    """The command lines of the processes that share the machine in ``scenario``."""
    bursty = [[sys.executable, "-c", NEIGHBOUR, str(seed + i)] for i in range(2)]
    crowded = [*bursty, [sys.executable, "-c", SPINNER]]
    return {"quiet": [], "bursty": bursty, "crowded": crowded}[scenario]


@contextmanager
def machine(scenario: str, seed: int) -> Iterator[None]:
    """The scenario's CPU hogs for the duration of the block (killed after, whatever
    happens; each also stops by itself once this script is gone)."""
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for command in hogs(scenario, seed):
            procs.append(subprocess.Popen(command))
        yield
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGKILL)
            proc.wait()


def neighbour(enabled: bool, seed: int) -> AbstractContextManager[None]:
    """The bursty neighbour alone, or nothing (``instruction_detection.py`` uses it)."""
    return machine("bursty" if enabled else "quiet", seed)


# --- the CLI ---------------------------------------------------------------------------------


def cli() -> list[str]:
    script = Path(sys.executable).with_name("aiwf-ci")
    found = str(script) if script.exists() else shutil.which("aiwf-ci")
    return [found] if found else [sys.executable, "-m", "aiwf_ci"]


def gated_row(report: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The row of the gated metric and the benchmark's ``timer``; without one (an engine
    before ``timer``), the row that carries a threshold, else ``duration``."""
    bench = report["benchmarks"][0]
    rows: list[dict[str, Any]] = bench["metrics"]
    timer: dict[str, Any] | None = bench.get("timer")
    if timer is None:
        gated = next((m["metric"] for m in rows if m.get("threshold")), "duration")
        timer = {"gated": gated, "reason": "no timer in the JSON: the row with a threshold"}
    return next(m for m in rows if m["metric"] == timer["gated"]), timer


def same_runner_pair(top: Path, out: Path, head: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """``aiwf-ci ab .aiwf/bench.yml --base-dir base --head-dir HEAD --format json``."""
    command = [*cli(), "ab", ".aiwf/bench.yml", "--base-dir", str(top / "base")]
    command += ["--head-dir", str(top / head), "--out", str(out), "--format", "json"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"aiwf-ci ab failed ({done.returncode}): {done.stderr[-2000:]}")
    return gated_row(json.loads(done.stdout))


def blocks_pair(
    top: Path, out: Path, head: str, first_base: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
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
    return gated_row(json.loads(done.stdout))


# --- the stored rounds -----------------------------------------------------------------------


def stored_metrics(out: Path) -> tuple[dict[str, Metric], dict[str, Metric]]:
    """Both sides' metrics of the pair's benchmark, from its two results files, with
    ``active_time`` derived when the engine did not store it."""
    from aiwf_ci.models import load_results

    base, head = (load_results(out / side / "results.json") for side in ("base", "head"))
    return with_active(base.benchmarks[0].metrics), with_active(head.benchmarks[0].metrics)


def with_active(metrics: Mapping[str, Metric]) -> dict[str, Metric]:
    """``metrics`` plus ``active_time`` when not stored: duration - run_queue_delay, sample
    by sample (at least a millionth of the wall time, as the engine derives it)."""
    from aiwf_ci.models import Metric

    found = dict(metrics)
    wall, queue = found.get("duration"), found.get("run_queue_delay")
    if "active_time" in found or wall is None or queue is None:
        return found
    if (queue.rounds, len(queue.samples)) != (wall.rounds, len(wall.samples)):
        return found
    active = [max(w - q, w * 1e-6) for w, q in zip(wall.samples, queue.samples, strict=True)]
    found["active_time"] = Metric.from_samples(active, unit="s", rounds=wall.rounds)
    return found


def log_ratios(
    base: Mapping[str, Metric], head: Mapping[str, Metric], names: Sequence[str]
) -> dict[str, list[float]]:
    """The per-round worse log ratios of each metric of ``names`` both sides have."""
    from aiwf_ci.verdict.rounds import worse_log_ratios

    found = {}
    for name in names:
        if name in base and name in head:
            ratios = worse_log_ratios(base[name], head[name])
            if ratios is not None:
                found[name] = ratios
    return found


def wait_shares(base: Mapping[str, Metric], head: Mapping[str, Metric]) -> list[float]:
    """Per round, the median share of wall time spent waiting for a CPU (both sides'
    samples); empty when ``run_queue_delay`` was not measured."""
    by_round: dict[int, list[float]] = {}
    for metrics in (base, head):
        wall, queue = metrics.get("duration"), metrics.get("run_queue_delay")
        if wall is None or queue is None:
            return []
        for index, w, q in zip(wall.rounds, wall.samples, queue.samples, strict=False):
            if w > 0:
                by_round.setdefault(index, []).append(q / w)
    return [statistics.median(shares) for _, shares in sorted(by_round.items())]


def replayed(ratios: list[float], max_rounds: int) -> tuple[str, int]:
    """The verdict and rounds of the stopping rule with ``max_rounds`` on the stored rounds."""
    from aiwf_ci.verdict.sequential import SequentialDesign, replay

    design = SequentialDesign(max_rounds=max_rounds)
    head = ratios[:max_rounds]
    decision = replay(head, threshold=0.05, design=design, final=len(head) >= max_rounds)
    state = "undetermined" if decision.state == "undecided" else decision.state
    return state, decision.rounds


# --- the measurement -------------------------------------------------------------------------


def collect(
    args: argparse.Namespace, work: Path, workload: Workload, scenarios: Mapping[str, float]
) -> tuple[dict[str, Outcome], dict[str, Outcome]]:
    write_trees(work / "trees", args, workload)
    plan = [("A/A", k) for k in range(args.aa)]
    plan += [(name, k) for name in scenarios if name != "A/A" for k in range(args.pairs)]
    random.Random(args.seed).shuffle(plan)
    outcomes = {name: Outcome() for name in scenarios}
    replays = {name: Outcome() for name in scenarios}
    for name, slowdown in workload.cpu_slowdowns.items():
        outcomes[name].cpu_slowdown = replays[name].cpu_slowdown = slowdown
    started, last_gated = time.monotonic(), ""
    for index, (name, k) in enumerate(plan):
        out = work / "runs" / f"{_folder(name)}-{k:03d}"
        begin = time.monotonic()
        row, timer = run_pair(args, work / "trees", out, _folder(name), index)
        if timer["gated"] != last_gated:  # the reason, whenever the gated metric changes
            log(f"timer: {timer.get('text') or timer.get('reason')}")
            last_gated = timer["gated"]
        outcome = outcomes[name]
        _add(outcome, str(row["verdict"]), int(row.get("rounds") or 0), time.monotonic() - begin)
        outcome.changes.append(float(row["change"] or 0.0))
        outcome.gated.append(str(timer["gated"]))
        if args.design == "same-runner":
            _add_ratios(outcome, out, str(timer["gated"]))
        extra = _replay(outcome, replays[name], args.replay_rounds)
        shutil.rmtree(out, ignore_errors=True)
        log(
            f"[{index + 1}/{len(plan)}] {name}: {row['verdict']} after {outcome.rounds[-1]} "
            f"rounds, {outcome.seconds[-1]:.0f}s ({time.monotonic() - started:.0f}s in all), "
            f"gated {timer['gated']}" + extra
        )
    return outcomes, replays


def run_pair(
    args: argparse.Namespace, trees: Path, out: Path, head: str, index: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One pair measured in ``args.design``: the gated row and the timer."""
    if args.design == "same-runner":
        return same_runner_pair(trees, out, head)
    return blocks_pair(trees, out, head, first_base=index % 2 == 0)


def _replay(outcome: Outcome, replays: Outcome, max_rounds: int | None) -> str:
    """The last pair judged again with ``max_rounds`` (when asked), for the progress line."""
    if not max_rounds or not outcome.ratios:
        return ""
    state, rounds = replayed(outcome.ratios[-1], max_rounds)
    _add(replays, state, rounds, pro_rata(outcome.seconds[-1], rounds, outcome.rounds[-1]))
    return f"; max-rounds {max_rounds}: {state} after {rounds}"


def _add_ratios(outcome: Outcome, out: Path, gated: str) -> None:
    """The pair's per-round log ratios (gated and ``SPREAD_METRICS``) and wait shares."""
    base, head = stored_metrics(out)
    ratios = log_ratios(base, head, [*SPREAD_METRICS, gated])
    outcome.ratios.append(ratios.get(gated, []))
    outcome.metric_ratios.append({k: v for k, v in ratios.items() if k in SPREAD_METRICS})
    outcome.wait_shares.append(wait_shares(base, head))


def _folder(name: str) -> str:
    return name.replace("/", "").replace("%", "pct").replace("+", "plus")


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- the tables ------------------------------------------------------------------------------


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
        "| scenario | CPU slowdown (measured) | pairs | regression (95% CI) | unchanged "
        "| inconclusive | improvement | median rounds | median / max time |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for scenario, o in outcomes.items():
        if not o.verdicts:
            continue
        n = len(o.verdicts)
        hits = o.verdicts.count("regression")
        lo, hi = wilson(hits, n)
        measured = "–" if o.cpu_slowdown is None else f"{o.cpu_slowdown:+.1%}"
        lines.append(
            f"| {scenario} | {measured} | {n} | {hits} = {hits / n:.0%} ({lo:.0%}–{hi:.0%}) | "
            f"{o.verdicts.count('unchanged')} | {o.verdicts.count('inconclusive')}{_open(o)} | "
            f"{o.verdicts.count('improvement')} | {statistics.median(o.rounds):.0f} | "
            f"{statistics.median(o.seconds):.0f} s / {max(o.seconds):.0f} s |"
        )
    return "\n".join(lines)


def _open(outcome: Outcome) -> str:
    """`` + N undetermined`` for replayed pairs whose stored rounds ran out first."""
    count = outcome.verdicts.count("undetermined")
    return f" + {count} undetermined" if count else ""


def spread_table(outcomes: Mapping[str, Outcome]) -> str:
    """The robust spread of the per-round log ratios: A/A pairs as measured, all pairs each
    centred on its own median; with the median share of wall time spent waiting for a CPU."""
    groups = {"A/A": ([outcomes["A/A"]] if "A/A" in outcomes else [], False)}
    groups["all pairs, each centred"] = (list(outcomes.values()), True)
    lines = [
        "| ratios of | pairs | rounds | duration (wall) | gated | cpu_time | active_time "
        "| waiting for a CPU (median share) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, (group, centred) in groups.items():
        pool = pooled(group, centred)
        if not pool.get("gated"):
            continue
        gated = Counter(name for o in group for name in o.gated)
        which = ", ".join(f"{k} ×{v}" if len(gated) > 1 else k for k, v in gated.items())
        cells = [_spread(pool.get(name, [])) for name in ("duration", "gated", *SPREAD_METRICS[1:])]
        cells[1] += f" ({which})"
        waits = pool.get("waiting", [])
        wait = f"{statistics.median(waits):.1%}" if waits else "not measured"
        n = sum(len(o.ratios) for o in group)
        lines.append(f"| {label} | {n} | {len(pool['gated'])} | {' | '.join(cells)} | {wait} |")
    return "\n".join(lines)


def pooled(group: Sequence[Outcome], centred: bool) -> dict[str, list[float]]:
    """The pairs' per-round log ratios by metric (``gated`` too; each pair's centred on its
    median when ``centred``) and per-round wait shares (``waiting``), pooled."""
    pool: dict[str, list[float]] = {}
    for o in group:
        for ratios, by_metric, waits in itertools.zip_longest(
            o.ratios, o.metric_ratios, o.wait_shares
        ):
            for name, values in {"gated": ratios or [], **(by_metric or {})}.items():
                pool.setdefault(name, []).extend(_centred(values) if centred else values)
            pool.setdefault("waiting", []).extend(waits or [])
    return pool


def _centred(values: Sequence[float]) -> list[float]:
    middle = statistics.median(values) if values else 0.0
    return [v - middle for v in values]


def _spread(values: Sequence[float]) -> str:
    """MAD x 1.4826 of log ratios, as a percentage (``–`` for fewer than two)."""
    if len(values) < 2:
        return "–"
    middle = statistics.median(values)
    mad = statistics.median(abs(v - middle) for v in values)
    return f"{math.expm1(1.4826 * mad):.2%}"


def summary(args: argparse.Namespace, outcomes: Mapping[str, Outcome], minutes: float) -> str:
    from aiwf_ci.config.models import RoundsSpec

    what = {"command": "a CPU-bound command", "python": "python: dicts built and sorted"}
    unit = {"command": "run", "python": "call"}[args.workload]
    target = args.target or TARGETS[args.workload]
    if args.design == "same-runner":
        most = args.max_rounds or f"{RoundsSpec().max_rounds} (default)"
        sampling = f"max-rounds {most}, budget {args.budget} s a pair"
    else:
        sampling = f"{args.iterations} runs a side"
    gated = Counter(name for o in outcomes.values() for name in o.gated)
    on = ", ".join(f"{k} ×{v}" for k, v in gated.most_common()) or "–"
    return (
        f"workload {args.workload} ({what[args.workload]}, ≈{target * 1000:.0f} ms a {unit}), "
        f"machine {args.machine}, design {args.design}, threshold 5%, {sampling}, "
        f"gated on {on}, {minutes:.0f} min in all"
    )


# --- the command line ------------------------------------------------------------------------


def slowdowns(text: str) -> dict[str, float]:
    """``+5%,+10%`` as ``{"+5%": 0.05, "+10%": 0.1}``."""
    found = {}
    for item in text.split(","):
        match = re.fullmatch(r"\+?(\d+(?:\.\d+)?)%", item.strip())
        if not match or float(match[1]) <= 0:
            raise argparse.ArgumentTypeError(f"{item!r} is not a slowdown like +10%")
        found[f"+{match[1]}%"] = float(match[1]) / 100
    return found


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        epilog="--from-log FILE / --from-save FILE (alone): the tables again from a run's "
        "progress lines / --save file. See the module docstring for the full runs.",
    )
    parser.add_argument("--aa", type=int, default=100, help="A/A pairs (default 100)")
    parser.add_argument("--pairs", type=int, default=20, help="pairs per slowdown (default 20)")
    parser.add_argument(
        "--slowdowns", type=slowdowns, default="+5%,+10%", help="head's slowdowns (+5%%,+10%%)"
    )
    parser.add_argument(
        "--workload",
        choices=("command", "python"),
        default="command",
        help="a CPU-bound command (default) or a python: callable building and sorting dicts",
    )
    parser.add_argument(
        "--design",
        choices=("same-runner", "blocks"),
        default="same-runner",
        help="one aiwf-ci ab per pair (default), or aiwf-ci run twice + compare",
    )
    parser.add_argument(
        "--machine",
        choices=("quiet", "bursty", "crowded"),
        default="quiet",
        help="nothing else (default); two bursty CPU hogs; those plus one that never stops",
    )
    parser.add_argument(
        "--neighbour", dest="machine", action="store_const", const="bursty", help="--machine bursty"
    )
    parser.add_argument("--budget", type=int, default=180, help="seconds per pair (180)")
    parser.add_argument("--max-rounds", type=int, help="rounds at most (the config's default)")
    parser.add_argument("--samples", type=int, default=3, help="runs per side per round (3)")
    parser.add_argument("--iterations", type=int, default=15, help="runs per side (blocks)")
    parser.add_argument(
        "--target", type=float, help="seconds a run (command: 0.08) or a call (python: 0.025)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the pair order")
    parser.add_argument(
        "--replay-rounds", type=int, help="also judge each pair as this max-rounds would"
    )
    parser.add_argument("--keep", type=Path, help="work here (trees kept) instead of a temp dir")
    parser.add_argument("--save", type=Path, help="write the outcomes to this JSON file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)  # clean-ups (the hogs) run on kill too
    scenarios = {"A/A": 0.0} | (args.slowdowns if args.pairs else {})
    workload = prepare(args, scenarios)
    with machine(args.machine, args.seed), tempfile.TemporaryDirectory(prefix="aiwf-dq-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        outcomes, replays = collect(args, work, workload, scenarios)
        total = time.monotonic() - started
    print(summary(args, outcomes, total / 60))
    print_tables(outcomes, replays, args.replay_rounds)
    if args.save:
        saved = {k: asdict(o) for k, o in outcomes.items()}
        if args.replay_rounds:
            again = {f"{k} (max-rounds {args.replay_rounds})": o for k, o in replays.items()}
            saved |= {k: asdict(o) for k, o in again.items()}
        args.save.write_text(json.dumps(saved))
    return 0


def print_tables(
    outcomes: Mapping[str, Outcome], replays: Mapping[str, Outcome], replay_rounds: int | None
) -> None:
    print(table(outcomes))
    if any(o.verdicts for o in replays.values()):
        print(f"\nthe same pairs replayed with max-rounds {replay_rounds} (time pro rata):")
        print(table(replays))
    if any(o.ratios for o in outcomes.values()):
        print("\nspread per scenario: per-round log ratios, MAD × 1.4826 in percent")
        print(spread_table(outcomes))


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def from_log(path: Path) -> tuple[dict[str, Outcome], dict[str, Outcome], int | None]:
    """The outcomes again from a run's progress lines (``[i/n] NAME: VERDICT after R rounds,
    Ss (...)``, with ``; max-rounds M: VERDICT after R`` when replayed), e.g. when a run was
    cut short."""
    outcomes: dict[str, Outcome] = {}
    replays: dict[str, Outcome] = {}
    replay_rounds = None
    for line in path.read_text().splitlines():
        if not line.startswith("[") or " after " not in line:
            continue
        line, _, replay = line.partition("; max-rounds ")
        _, _, rest = line.partition("] ")
        name, _, rest = rest.partition(": ")
        verdict, _, rest = rest.partition(" after ")
        rounds = int(rest.split()[0])
        seconds = float(rest.split(", ")[1].split("s")[0])
        _add(outcomes.setdefault(name, Outcome()), verdict, rounds, seconds)
        if replay:
            most, _, judged = replay.partition(": ")
            state, _, again = judged.partition(" after ")
            seconds = pro_rata(seconds, int(again), rounds)
            _add(replays.setdefault(name, Outcome()), state, int(again), seconds)
            replay_rounds = int(most)
    return _ordered(outcomes), _ordered(replays), replay_rounds


def from_save(path: Path) -> tuple[dict[str, Outcome], dict[str, Outcome], int | None]:
    """The outcomes (and replayed ones, with their max-rounds) again from ``--save``'s file."""
    outcomes: dict[str, Outcome] = {}
    replays: dict[str, Outcome] = {}
    replay_rounds = None
    for key, value in json.loads(path.read_text()).items():
        name, _, rounds = key.partition(" (max-rounds ")
        (replays if rounds else outcomes)[name] = _saved(value)
        replay_rounds = int(rounds.rstrip(")")) if rounds else replay_rounds
    return _ordered(outcomes), _ordered(replays), replay_rounds


def _saved(value: Mapping[str, Any]) -> Outcome:
    """One saved scenario; a file saved before the timer choice gated ``duration``."""
    outcome = Outcome(**value)
    if outcome.ratios and not outcome.gated:
        outcome.gated = ["duration"] * len(outcome.ratios)
        outcome.metric_ratios = [{"duration": ratios} for ratios in outcome.ratios]
    return outcome


def _ordered(outcomes: Mapping[str, Outcome]) -> dict[str, Outcome]:
    """A/A first, then the slowdowns from the smallest."""
    return dict(sorted(outcomes.items(), key=lambda kv: _slowdown(kv[0])))


def _slowdown(name: str) -> float:
    return 0.0 if name == "A/A" else float(name.strip("+%")) / 100


def pro_rata(seconds: float, rounds: int, of_rounds: int) -> float:
    """The time ``rounds`` of a pair's ``of_rounds`` rounds took, at its average pace."""
    return seconds * rounds / max(1, of_rounds)


def _add(outcome: Outcome, verdict: str, rounds: int, seconds: float) -> None:
    outcome.verdicts.append(verdict)
    outcome.rounds.append(rounds)
    outcome.seconds.append(seconds)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--from-log"]:
        print_tables(*from_log(Path(sys.argv[2])))
        raise SystemExit(0)
    if sys.argv[1:2] == ["--from-save"]:
        print_tables(*from_save(Path(sys.argv[2])))
        raise SystemExit(0)
    raise SystemExit(main())
