"""Base and head on one machine, interleaved, sampled until decided (``aiwf-ci ab`` and the
action's same-runner mode).

Why: on a shared machine a busy stretch slows a whole block of runs by 1.5–2.5×; when base
and head are measured in two separate blocks, no test on the samples can tell that from a
real change. Here every benchmark is measured in **rounds**: a chunk of ``samples`` base
runs and a chunk of head runs, seconds apart, which side goes first alternating from round
to round and benchmark to benchmark. Whatever the machine did during a round hit both
chunks alike, and the verdict (``verdict.rounds``) analyses the rounds as pairs.

**Sampling until decided.** After every round each benchmark's gated metrics are judged by
the stopping rule (``verdict.sequential``: fixed looks, alpha spent look by look); a
benchmark whose every gated metric is decided (regression, improvement or unchanged) stops,
the others go on, until all are decided, the last look is reached, or the suite's time
``time_budget`` would be exceeded by another pair of rounds (looks are at even round
counts); what is still open then gets a final look that spends the rest of the error rates.
The judgement is the very replay ``compare`` runs on the stored rounds, so the results
files give the same verdict when compared later. ``until_decided=False`` (``aiwf-ci calibrate``)
keeps every benchmark measuring to the budget or the last look: a calibration wants the
spread of many rounds, not a verdict. Each benchmark's results record the ``seconds`` its
rounds took.

**A budget shared, not spread thin.** The open benchmarks share the budget round for round.
After the first two rounds the run knows what a round of each costs; when the budget cannot
give every benchmark the fewest rounds that can show a regression (8 at alpha 1%), it says
so up front (the listener's log, and ``environment.interleaved.budget_note``, which the
comparison shows as a warning) and stops the benchmarks past the ones it can give them to:
20 benchmarks of 0.5 s runs in 10 minutes get 10 rounds each (enough); in 200 s, 4 of them
get 8 and the other 16 stop, instead of 3 rounds each and nothing decided.

**Base and head of a round on one CPU** (``run.affinity``): once the first round shows a
benchmark using one CPU at a time, both sides of every later round start on the same CPU,
round-robin over the CPUs, so they share its caches and its neighbours.

Per side, the first chunk warms up (``warmup``) and runs the memory pass; later chunks do
neither: the metric catalogue (``aiwf_ci.metrics``) measures memory once per side (its metrics
describe one pass, as in ``aiwf-ci run``). ``ingest`` benchmarks run once per side (their
"iterations" are not samples), and so do benchmarks counted in instructions (``measure:
instructions``, once per side in the catalogue: once their counts are checked to repeat, one
count per side decides); their metrics carry no rounds, so they are compared unpaired. The
library never prints: progress goes to a ``RunListener``, one started/finished pair per chunk
(the chunk's name carries ``[base r3]``).

**A python worker that dies** (killed from outside, a crash: ``python_rounds.RoundLost``)
voids its round only: the round is measured again with fresh workers, and the results of
both sides say so (an alert, ``round_retried``). Lost again, that benchmark stops sampling
and keeps the rounds measured before, so its verdict is the stopping rule's on those
(``sampling_stopped``: most likely inconclusive); a first round lost twice left nothing to
decide on and is an error. Other benchmarks go on as before.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from aiwf_ci.bench.schedstat import available_cpus
from aiwf_ci.config.models import BenchmarkConfig, SuiteConfig
from aiwf_ci.errors import ConfigError
from aiwf_ci.metrics import INSTRUCTIONS, MEMORY, once_per_side
from aiwf_ci.models import Alert, BenchmarkResult, Commit, JSONValue, Metric, Results, Series
from aiwf_ci.run.affinity import round_cpu, runs_on_one_cpu
from aiwf_ci.run.project import Tree
from aiwf_ci.run.python_rounds import Calibration, RoundLost, python_round
from aiwf_ci.run.runner import RunListener, SilentListener, call_workload, tree_context
from aiwf_ci.verdict.compare import gated_pairs
from aiwf_ci.verdict.design import fewest_rounds, last_look
from aiwf_ci.verdict.model import GatePolicy
from aiwf_ci.verdict.pairing import RUN_ID, new_run_id
from aiwf_ci.verdict.rounds import still_open
from aiwf_ci.verdict.sequential import SequentialDesign
from aiwf_ci.verdict.thresholds import DEFAULT_RULES, ThresholdRules
from aiwf_ci.workloads import RunContext, Workload, get_workload
from aiwf_ci.workloads.base import error_result
from aiwf_ci.workloads.python import SamplerFactory, open_session

Side = Literal["base", "head"]
SIDES: tuple[Side, Side] = ("base", "head")
ONCE_KINDS = frozenset({"ingest"})
"""Kinds run once per side: their "iterations" are not separate samples."""
ONE_SAMPLE_KINDS = frozenset({"load"})
"""Kinds whose every iteration is a whole run of its own (a load test): one per round."""
SESSION_KINDS = frozenset({"python"})
"""Kinds measured through two live workers whose samples alternate (``run.python_rounds``).
Other kinds alternate base and head run by run within a round (a command's every run is a
process of its own), so even drift faster than a round hits both sides alike."""


def other(side: Side) -> Side:
    return "head" if side == "base" else "base"


@dataclass(frozen=True, slots=True, kw_only=True)
class SideSetup:
    """One source tree: its loaded config, its prepared environment and the commit its
    results file records."""

    config: SuiteConfig
    tree: Tree
    commit: Commit = field(default_factory=Commit)


@dataclass(frozen=True, slots=True, kw_only=True)
class RoundsOptions:
    """How to sample: the stopping rule, runs per side per round, the suite's time budget
    (seconds), the threshold rules that decide what is settled, and the machine's record."""

    design: SequentialDesign = field(default_factory=SequentialDesign)
    samples: int = 3
    time_budget: float = 600.0
    rules: ThresholdRules = DEFAULT_RULES
    environment: Mapping[str, JSONValue] = field(default_factory=dict)
    workloads: Callable[[str], Workload] = get_workload
    samplers: SamplerFactory = open_session
    cpus: tuple[int, ...] = field(default_factory=available_cpus)
    """CPUs a round's two sides may be pinned to together (``run.affinity``)."""
    clock: Callable[[], float] = time.monotonic
    until_decided: bool = True
    """``False``: a decided benchmark is measured on, to the budget or the last look
    (``aiwf-ci calibrate`` wants every round it can get, not a verdict)."""


@dataclass(slots=True)
class _Pair:
    """One benchmark's sampling state: both configs and the chunks measured so far."""

    index: int
    benches: Mapping[Side, BenchmarkConfig]
    chunks: dict[Side, list[BenchmarkResult]] = field(
        default_factory=lambda: {"base": [], "head": []}
    )
    open: bool = True
    stopped: str = ""
    calibration: Calibration = field(default_factory=Calibration)
    one_cpu: bool = False
    """Decided after the first round: both sides run on one CPU, so later rounds pin them."""
    notes: list[Alert] = field(default_factory=list)
    """What happened to the sampling (a round measured again): on both sides' results."""
    seconds: float = 0.0
    """Time spent measuring this benchmark's rounds so far (the budget is shared by it)."""

    def cpu(self, number: int, cpus: tuple[int, ...]) -> int | None:
        """The CPU both sides of round ``number`` start on, or ``None``."""
        return round_cpu(number, cpus) if self.one_cpu and number > 0 else None

    @property
    def name(self) -> str:
        return self.benches["base"].name

    @property
    def once(self) -> bool:
        return any(_runs_once(b) for b in self.benches.values())

    def failed(self) -> bool:
        return any(chunk.failed for side in SIDES for chunk in self.chunks[side][-1:])


def _runs_once(bench: BenchmarkConfig) -> bool:
    """Measured once per side, not in rounds: an ``ingest`` benchmark, or one whose measure
    the catalogue has measured once per side (instruction counts)."""
    return bench.kind in ONCE_KINDS or (bench.counts_instructions and once_per_side(INSTRUCTIONS))


@dataclass(frozen=True, slots=True)
class _Run:
    """What every round of one interleaved run shares: both trees, the options, the listener
    and how many benchmarks there are."""

    sides: Mapping[Side, SideSetup]
    options: RoundsOptions
    events: RunListener
    total: int

    def context(self, side: Side, label: BenchmarkConfig, cpu: int | None) -> RunContext:
        """The world one side's workload runs in; its log lines go out under ``label``."""
        setup = self.sides[side]
        return tree_context(
            setup.tree,
            setup.config,
            lambda line: self.events.log(label, line),
            cpu=cpu,
            own_code=True,
        )

    def started(self, state: _Pair, label: BenchmarkConfig) -> None:
        self.events.started(label, state.index + 1, self.total)


def run_interleaved(
    sides: Mapping[Side, SideSetup],
    pairs: Sequence[tuple[BenchmarkConfig, BenchmarkConfig]],
    options: RoundsOptions,
    listener: RunListener | None = None,
) -> dict[Side, Results]:
    """Sample every (base, head) benchmark pair in rounds until decided (module docstring);
    one ``Results`` per side. ``pairs`` holds each benchmark as configured in the base tree
    and in the head tree (same name; the command or callable may differ: that is the point).
    """
    options = _with_holm(options, sides)
    run = _Run(sides, options, listener or SilentListener(), len(pairs))
    states = [_Pair(index=i, benches={"base": b, "head": h}) for i, (b, h) in enumerate(pairs)]
    policy = _sampling_policy(states, options)
    start = options.clock()
    done_rounds = 0
    stop = "max-rounds"
    note = ""
    for number in range(last_look(options.design)):
        todo = [s for s in states if s.open]
        if not todo:
            stop = "budget" if any(s.stopped == "budget" for s in states) else "decided"
            break
        if number and _over_budget(options, start, number, todo):
            stop = "budget"
            break
        for state in todo:
            began = options.clock()
            _round(run, state, number)
            state.seconds += options.clock() - began
        if options.until_decided:
            _settle(todo, options, number + 1, policy)
        done_rounds = number + 1
        if done_rounds == 2:
            note = _share_budget(run, states, options.clock() - start)
    for state in states:
        state.stopped = state.stopped or stop
    record = _record(options, done_rounds, options.clock() - start, stop)
    if note:
        record["budget_note"] = note
    return {
        side: _results(side, sides[side], states, record, options.environment) for side in SIDES
    }


def _over_budget(
    options: RoundsOptions, start: float, rounds_done: int, todo: Sequence[_Pair]
) -> bool:
    """Would the next two rounds of the open benchmarks (each as long as its average so
    far) end past the budget? Asked at even round counts only: looks are at even counts, so
    an odd last round would be measured for nothing."""
    if rounds_done % 2:
        return False
    elapsed = options.clock() - start
    pair = sum(2 * s.seconds / len(s.chunks["base"]) for s in todo if s.chunks["base"])
    return elapsed + pair > options.time_budget


def _share_budget(run: _Run, states: Sequence[_Pair], elapsed: float) -> str:
    """After the first two rounds, said up front: how many rounds the budget allows each
    open benchmark. When that is fewer than a regression needs (``fewest_rounds``), the
    benchmarks that can get that many go on and the others stop, so that some are decided
    rather than none; the note says so (``""``: the budget suffices)."""
    options = run.options
    open_ = [s for s in states if s.open]
    suite_round = sum(s.seconds for s in open_) / 2
    if not open_ or suite_round <= 0.0:
        return ""
    left = options.time_budget - elapsed
    allowed = 2 + max(0, int(left / suite_round))
    need = fewest_rounds(options.design)
    if allowed >= need:
        return ""
    cost = itertools.accumulate((need - 2) * s.seconds / 2 for s in open_)
    kept = sum(1 for c in cost if c <= left)
    note = (
        f"this budget cannot show a regression: it allows ~{allowed} rounds of each of the "
        f"{len(open_)} benchmarks, a regression needs at least {need}"
    )
    if 0 < kept < len(open_):
        for state in open_[kept:]:
            state.open, state.stopped = False, "budget"
        note += f"; rounds went to the first {kept}, the other {len(open_) - kept} stopped"
    run.events.log(open_[0].benches["head"], f"aiwf-ci: {note}")
    return note


def _with_holm(options: RoundsOptions, sides: Mapping[Side, SideSetup]) -> RoundsOptions:
    """The head config's ``rounds: {holm: true}`` applies Holm's procedure (recorded in the
    design, so ``compare`` applies it too)."""
    if options.design.holm or not sides["head"].config.rounds.holm:
        return options
    return replace(options, design=replace(options.design, holm=True))


def _round(run: _Run, state: _Pair, number: int) -> None:
    """One round of one benchmark, which side first alternating from round to round: a
    chunk of each side (python, ingest, load), or their runs alternating one by one."""
    first: Side = "base" if (number + state.index) % 2 == 0 else "head"
    order = (first, other(first))
    kind = state.benches["base"].kind
    if kind in SESSION_KINDS and not state.once:
        _python_round(run, state, number, order)
    elif state.once or kind in ONE_SAMPLE_KINDS:
        for side in order:
            bench = state.benches[side]
            n = bench.settings.iterations if state.once else _chunk_size(bench, run.options.samples)
            config = chunk_config(bench, n, first=number == 0)
            state.chunks[side].append(_run_chunk(run, state, side, config, number))
    else:
        _alternate(run, state, number, order)
    if number == 0:
        state.one_cpu = runs_on_one_cpu(state.chunks[side][0] for side in SIDES)
    if state.once or state.failed():
        state.open = False
        state.stopped = "failed" if state.failed() else "once"


def _python_round(run: _Run, state: _Pair, number: int, order: tuple[Side, Side]) -> None:
    """Both trees' workers side by side, samples alternating (``run.python_rounds``). A
    round whose worker died is measured once more with fresh workers; when that dies too,
    the benchmark stops sampling and keeps the rounds measured before (``_lost``)."""
    labels = {side: _label(state.benches[side], side, number) for side in order}
    cpu = state.cpu(number, run.options.cpus)
    contexts = {side: run.context(side, labels[side], cpu) for side in order}
    run.started(state, labels[order[0]])
    start = time.perf_counter()
    outcome = _attempt(run, state, contexts, order)
    results: dict[Side, BenchmarkResult] | None = None
    if isinstance(outcome, RoundLost):
        run.events.log(labels[order[0]], f"{outcome}: measuring round {number + 1} again")
        results = _again(run, state, number, contexts, order, outcome)
        if results is None:
            run.events.finished(_stopped_result(state, labels[order[0]]), _since(start))
            return
    else:
        results = outcome
    half = _since(start) / 2
    for index, side in enumerate(order):
        if index:
            run.started(state, labels[side])
        run.events.finished(replace(results[side], name=labels[side].name), half)
        state.chunks[side].append(results[side])


def _since(start: float) -> float:
    return time.perf_counter() - start


def _attempt(
    run: _Run, state: _Pair, contexts: Mapping[Side, RunContext], order: tuple[Side, Side]
) -> dict[Side, BenchmarkResult] | RoundLost:
    """One try at a round: both sides' results, or ``RoundLost`` (a worker died); the first
    round's calibration starts afresh on every try."""
    if not state.chunks["base"]:
        state.calibration = Calibration()
    try:
        return python_round(
            state.benches,
            contexts,
            order,
            run.options.samples,
            state.calibration,
            run.options.samplers,
        )
    except RoundLost as lost:
        return lost
    except Exception as exc:  # a bug here must not sink the whole run (as call_workload)
        message = f"internal error in the python rounds: {type(exc).__name__}: {exc}"
        return {
            side: BenchmarkResult(name=state.name, kind="python", errors=(message,))
            for side in order
        }


def _again(
    run: _Run,
    state: _Pair,
    number: int,
    contexts: Mapping[Side, RunContext],
    order: tuple[Side, Side],
    first: RoundLost,
) -> dict[Side, BenchmarkResult] | None:
    """The round measured once more with fresh workers after ``first`` was lost: its
    results (the retry noted), or what ``_lost`` makes of a second loss."""
    second = _attempt(run, state, contexts, order)
    if isinstance(second, RoundLost):
        return _lost(state, number, (first, second))
    state.notes.append(_retried(number, first))
    return second


def _retried(number: int, lost: RoundLost) -> Alert:
    return Alert(
        kind="round_retried",
        metric="",
        message=(
            f"round {number + 1}: {lost}; the round was measured again with fresh workers "
            "(what the lost try measured is not used)"
        ),
    )


def _lost(
    state: _Pair, number: int, tries: tuple[RoundLost, RoundLost]
) -> dict[Side, BenchmarkResult] | None:
    """A round lost twice. With rounds measured before, the benchmark stops sampling and is
    decided on them (``None``: nothing to add), the note on both sides' results; in the
    first round there is nothing to decide on: an error naming the side for both sides."""
    how = " and ".join(dict.fromkeys(str(t) for t in tries))
    kept = len(state.chunks["base"])
    if not kept:
        message = f"round 1 was lost twice ({how}): nothing was measured"
        return {side: error_result(state.benches[side], message) for side in SIDES}
    state.open = False
    state.stopped = f"worker lost in round {number + 1}"
    state.notes.append(
        Alert(
            kind="sampling_stopped",
            metric="",
            message=(
                f"round {number + 1} was lost twice ({how}, also with fresh workers): "
                f"sampling stopped, and the verdict rests on the {kept} rounds measured before"
            ),
        )
    )
    return None


def _stopped_result(state: _Pair, label: BenchmarkConfig) -> BenchmarkResult:
    """The progress line of a round lost twice (never stored: the benchmark keeps the
    rounds measured before)."""
    return BenchmarkResult(name=label.name, kind="python", errors=(state.notes[-1].message,))


def _label(config: BenchmarkConfig, side: Side, number: int) -> BenchmarkConfig:
    return replace(config, name=f"{config.name} [{side} r{number + 1}]")


def _alternate(run: _Run, state: _Pair, number: int, order: tuple[Side, Side]) -> None:
    """A round as ``samples`` back-to-back pairs of single runs (A B, B A, A B, ...); each
    side's runs of the round are then merged into its chunk of the round."""
    runs: dict[Side, list[BenchmarkResult]] = {"base": [], "head": []}
    cpu = state.cpu(number, run.options.cpus)
    for sample in range(max(1, run.options.samples)):
        for side in order if sample % 2 == 0 else order[::-1]:
            if runs[side] and runs[side][-1].failed:
                continue
            config = chunk_config(state.benches[side], 1, first=number == 0 and sample == 0)
            runs[side].append(_run_chunk(run, state, side, config, number, cpu))
    for side in order:
        state.chunks[side].append(_merged(state.benches[side], runs[side]))


def _merged(bench: BenchmarkConfig, runs: Sequence[BenchmarkResult]) -> BenchmarkResult:
    """Single runs of one side in one round as one chunk (samples concatenated, no rounds)."""
    joined = join_chunks(bench, runs)
    metrics = {
        name: replace(metric, rounds=()) if metric.rounds else metric
        for name, metric in joined.metrics.items()
    }
    extra = {k: v for k, v in joined.extra.items() if k not in ("rounds", "samples_per_round")}
    return replace(joined, metrics=metrics, extra=extra)


def _chunk_size(bench: BenchmarkConfig, samples: int) -> int:
    return 1 if bench.kind in ONE_SAMPLE_KINDS else max(1, samples)


def _settle(todo: Sequence[_Pair], options: RoundsOptions, rounds: int, policy: GatePolicy) -> None:
    """Close every benchmark whose gated metrics are all decided after ``rounds`` rounds."""
    for state in todo:
        if not state.open:
            continue
        base = join_chunks(state.benches["base"], state.chunks["base"])
        head = join_chunks(state.benches["head"], state.chunks["head"])
        undecided = [
            name
            for name, b, h, rule in gated_pairs(base, head, options.rules, policy)
            if still_open(b, h, rule, policy)
        ]
        if not undecided:
            state.open = False
            state.stopped = f"decided after {rounds} rounds"


def _sampling_policy(states: Sequence[_Pair], options: RoundsOptions) -> GatePolicy:
    """The policy sampling decides by; under Holm's procedure every gated metric is judged
    at ``alpha / K`` while sampling (``K`` the suite's benchmarks measured in rounds), where
    the final verdict starts too (``verdict.compare`` then passes on the alpha of what it
    rejected)."""
    design = options.design
    if design.holm:
        family = sum(1 for state in states if not state.once)
        if family > 1:
            design = replace(design, alpha=design.alpha / family)
    return GatePolicy(design=design)


def chunk_config(bench: BenchmarkConfig, n: int, *, first: bool) -> BenchmarkConfig:
    """The benchmark as run for one chunk: ``n`` iterations; warm-up only in a side's first
    chunk, and the memory pass only there too, as the catalogue measures memory once per
    side."""
    settings = bench.settings
    memory = settings.memory
    if not first and once_per_side(MEMORY):
        memory = replace(memory, enabled=False)
    return replace(
        bench,
        settings=replace(
            settings, warmup=settings.warmup if first else 0, iterations=n, memory=memory
        ),
    )


def _run_chunk(
    run: _Run,
    state: _Pair,
    side: Side,
    bench: BenchmarkConfig,
    number: int,
    cpu: int | None = None,
) -> BenchmarkResult:
    """One workload call, failures turned into error results (as ``run_suite`` does)."""
    label = _label(bench, side, number)
    run.started(state, label)
    ctx = run.context(side, label, cpu)
    start = time.perf_counter()
    results = call_workload(run.options.workloads, bench, ctx)
    seconds = time.perf_counter() - start
    for result in results:
        run.events.finished(replace(result, name=label.name), seconds)
    if len(results) == 1:
        return results[0]
    return BenchmarkResult(name=bench.name, kind=bench.kind, extra={"parts": len(results)})


def join_chunks(
    bench: BenchmarkConfig, parts: Sequence[BenchmarkResult], *, in_rounds: bool = True
) -> BenchmarkResult:
    """One side's chunks as one result; chunk ``k`` is round ``k``.

    Samples of a metric measured in several chunks are concatenated with the round of each
    sample kept (``Metric.rounds``) and its statistics recomputed; a metric the catalogue
    measures once per side (the memory pass), a summary-only one, and every metric of a
    benchmark not measured in rounds (``in_rounds=False``: ingest, instruction counts) are
    kept as measured, compared unpaired. Errors, alerts, series and extras of every chunk
    are kept.
    """
    if not parts:
        return BenchmarkResult(name=bench.name, kind=bench.kind, errors=("no chunk was run",))
    names = dict.fromkeys(n for part in parts for n in part.metrics)
    metrics = {name: _joined(name, parts, in_rounds) for name in names}
    alerts: list[Alert] = []
    for alert in (a for part in parts for a in part.alerts):
        if alert not in alerts:
            alerts.append(alert)
    series: dict[str, Series] = {}
    extra: dict[str, JSONValue] = {}
    for part in parts:
        series.update(part.series)
        extra.update(part.extra)
    extra.update(samples_per_round=bench.settings.iterations, rounds=len(parts))
    return BenchmarkResult(
        name=bench.name,
        kind=parts[0].kind,
        metrics=metrics,
        errors=tuple(dict.fromkeys(e for part in parts for e in part.errors)),
        alerts=tuple(alerts),
        series=series,
        extra=extra,
    )


def _joined(name: str, parts: Sequence[BenchmarkResult], in_rounds: bool) -> Metric:
    found = [(k, part.metrics[name]) for k, part in enumerate(parts) if name in part.metrics]
    if not in_rounds or once_per_side(name) or any(m.summary_only for _, m in found):
        return found[-1][1]
    samples = [s for _, m in found for s in m.samples]
    rounds = [k for k, m in found for _ in m.samples]
    first = found[0][1]
    return Metric.from_samples(
        samples,
        unit=first.unit,
        direction=first.direction,
        rounds=rounds,
        deterministic=all(m.deterministic for _, m in found),
    )


def _record(options: RoundsOptions, rounds: int, seconds: float, stop: str) -> dict[str, JSONValue]:
    """What results.json keeps about the sampling (``environment.interleaved``): enough for
    ``compare`` to replay the stopping rule."""
    design = options.design
    return {
        RUN_ID: new_run_id(),  # both files of this run, so compare pairs only them
        "rounds": rounds,
        "samples_per_round": options.samples,
        "time_budget": options.time_budget,
        "seconds": round(seconds, 3),
        "stopped": stop,
        "design": {
            "alpha": design.alpha,
            "beta": design.beta,
            "max_rounds": design.max_rounds,
            "min_rounds": design.min_rounds,
            "look_every": design.look_every,
            "rho": design.rho,
            "beta_rho": design.beta_rho,
            "margin": design.margin,
            "holm": design.holm,
        },
    }


def _results(
    side: Side,
    setup: SideSetup,
    states: Sequence[_Pair],
    record: Mapping[str, JSONValue],
    machine: Mapping[str, JSONValue],
) -> Results:
    benchmarks = []
    for state in states:
        joined = join_chunks(state.benches[side], state.chunks[side], in_rounds=not state.once)
        extra = {
            **joined.extra,
            "stopped": state.stopped,
            "same_cpu": state.one_cpu,
            "seconds": round(state.seconds, 3),
        }
        alerts = (*joined.alerts, *state.notes)
        benchmarks.append(replace(joined, extra=extra, alerts=alerts))
    return Results(
        suite=setup.config.suite,
        benchmarks=tuple(benchmarks),
        commit=setup.commit,
        environment={**machine, "interleaved": dict(record)},
    )


def pair_benchmarks(
    base: Sequence[BenchmarkConfig], head: Sequence[BenchmarkConfig]
) -> tuple[list[tuple[BenchmarkConfig, BenchmarkConfig]], str]:
    """Benchmarks of both trees matched by name (base order), and a note on the others.

    A benchmark added or removed by the change cannot be compared; it is left out and the
    note says so, rather than failing the whole run.
    """
    by_name = {b.name: b for b in head}
    pairs = [(b, by_name[b.name]) for b in base if b.name in by_name]
    base_names = {b.name for b in base}
    only_base = [b.name for b in base if b.name not in by_name]
    only_head = [b.name for b in head if b.name not in base_names]
    if not pairs:
        raise ConfigError(
            "the base and head configs have no benchmark name in common",
            field="ab",
            fix="interleaved runs compare benchmarks of the same name",
        )
    notes = [
        f"only in {side}: {', '.join(names)}"
        for side, names in (("base", only_base), ("head", only_head))
        if names
    ]
    note = ""
    if notes:
        note = f"comparing the {len(pairs)} common benchmark(s); skipped {'; '.join(notes)}"
    return pairs, note
