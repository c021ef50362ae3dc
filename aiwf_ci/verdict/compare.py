"""The regression verdict: is head worse than baseline, and how sure are we?

Pure: two ``Results`` and the threshold rules in, a frozen ``Comparison`` out. Reports,
exit codes and the action's outputs are all derived from that value. Each metric goes
through the gate that fits how it was measured:

- ``rounds``: base and head interleaved in rounds on one machine (``aiwf-ci ab``, the
  action's same-runner mode): paired, under the stopping rule the run was sampled with,
  when both files come from that one run (``verdict.pairing``: rounds of two runs, or of
  files without a run id, go to ``blocks``, and ``GatePolicy.unpaired`` says why);
- ``blocks``: two separate blocks of runs (a baseline artifact or any two results files):
  unpaired, Mann-Whitney with the Hodges-Lehmann estimate and Moses' interval;
- ``exact``: deterministic counts (``measure: instructions``, checked to repeat) on both
  sides: the change itself against the threshold, no test (``verdict.exact``);
- summary-only metrics (ingested without samples): non-overlapping ranges beyond the
  threshold, or nothing.

Each gated metric's false-alarm rate is the stopping rule's ``alpha`` (1%): a suite of 20
gated metrics may have up to 20 times that chance of some false alarm (the simulations
measured far less: every change of at most half the threshold is called a regression at
most ``alpha / 2`` of the time, and mostly much less). **Holm's procedure** (Holm 1979,
"A simple sequentially rejective multiple test procedure", Scand. J. Statist. 6) bounds the
suite's chance of any false regression or improvement by ``alpha`` instead (``--holm``,
``rounds: {holm: true}``): each of the ``K`` gated paired metrics is judged at ``alpha / K``,
and each time some are shown to have moved, the others are judged again at
``alpha / (K - moved)``. With sequential tests this stays valid as long as each metric's
rule is replayed whole at its new alpha (Maurer & Bretz 2013, "Multiple testing in group
sequential trials using graphical approaches", Stat. Biopharm. Res. 5): it is. Off by
default: it makes every benchmark need more rounds for the same change (at 20 metrics the
first look that can reject moves from 16 to 20 rounds), and a suite's usual question is
"did anything regress" rather than "is every claim right".

Each answers ``regression``, ``improvement``, ``unchanged`` or ``inconclusive``; a benchmark
takes the worst of its metrics, and the whole comparison's ``status`` is ``error`` (a head
benchmark failed), ``regression``, ``inconclusive`` or ``pass``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from aiwf_ci.metrics import REFERENCE_TIME
from aiwf_ci.models import BenchmarkResult, Metric, Results
from aiwf_ci.verdict.bimodal import refuse_bimodal
from aiwf_ci.verdict.blocks import compare_blocks, summary_only
from aiwf_ci.verdict.exact import both_deterministic, compare_exact
from aiwf_ci.verdict.gate import row
from aiwf_ci.verdict.machines import fingerprint_warnings, machines_apart
from aiwf_ci.verdict.model import (
    NOTE_NO_THRESHOLD,
    VERDICTS,
    BenchmarkComparison,
    Comparison,
    GatePolicy,
    MetricComparison,
    Verdict,
)
from aiwf_ci.verdict.pairing import different_runs, unpaired_reason
from aiwf_ci.verdict.rounds import METHOD as PAIRED
from aiwf_ci.verdict.rounds import RoundPairs, compare_rounds, paired_rounds
from aiwf_ci.verdict.sequential import SequentialDesign, replay
from aiwf_ci.verdict.speed import (
    MAX_SPEED_GAP,
    adjustable,
    adjusted,
    speed_note,
    speed_ratio,
    too_far_apart,
)
from aiwf_ci.verdict.thresholds import DEFAULT_RULES, Threshold, ThresholdRules
from aiwf_ci.verdict.timer import (
    ACTIVE,
    CPU,
    NAMES,
    QUEUE,
    TIMERS,
    WALL,
    Timer,
    TimerChoice,
    active_metric,
    choose_timer,
)

NOTE_IGNORED = "ignored by the config's ignore: list (reported, never gating)"
HIDDEN = frozenset({QUEUE, REFERENCE_TIME})
"""Metrics recorded to judge others, never rows: the wait for a CPU (the timer line reports
it) and the reference loop's time (``verdict.speed``)."""
TIMED_KINDS = frozenset({"command", "python"})
"""Kinds aiwf-ci times itself, with CPU time and the wait for a CPU per sample."""

__all__ = [
    "choose_benchmark_timer",
    "compare",
    "compare_benchmark",
    "compare_metric",
    "count_verdicts",
    "design_of",
    "gated_pairs",
    "unrelated",
]


def compare_metric(
    bench: str,
    name: str,
    base: Metric,
    head: Metric,
    threshold: Threshold | None,
    policy: GatePolicy | None = None,
) -> MetricComparison:
    """The gate for one metric (see the module docstring)."""
    policy = policy or GatePolicy()
    if base.unit != head.unit:
        return units_differ(bench, name, base, head, threshold)
    if both_deterministic(base, head):
        return compare_exact(bench, name, base, head, threshold, policy.machines_apart)
    if base.summary_only or head.summary_only or not base.samples or not head.samples:
        return summary_only(bench, name, base, head, threshold)
    pairs = _round_pairs(base, head, policy)
    if pairs is not None:
        row = compare_rounds(bench, name, base, head, threshold, policy)
        row = _why_open(row, base, head, threshold, policy)
        used = row.rounds or len(pairs.base)
        b, h = pairs.base[:used], pairs.head[:used]
        return refuse_bimodal(row, b, h, paired=True, unit=head.unit)
    row = compare_blocks(bench, name, base, head, threshold, policy)
    return refuse_bimodal(row, base.samples, head.samples, paired=False, unit=head.unit)


def _round_pairs(base: Metric, head: Metric, policy: GatePolicy) -> RoundPairs | None:
    """The rounds of a metric judged as pairs, or ``None`` when it is judged unpaired (no
    rounds in common, or files the policy says must not be paired)."""
    return None if policy.unpaired else paired_rounds(base, head)


def _why_open(
    row: MetricComparison, base: Metric, head: Metric, rule: Threshold | None, policy: GatePolicy
) -> MetricComparison:
    """A paired metric left open because its rounds were not independent says so, with the
    rank lag-1 autocorrelation and the batches it was judged in (``verdict.independence``)."""
    pairs = paired_rounds(base, head)
    if row.verdict != "inconclusive" or rule is None or pairs is None or pairs.scale != "log":
        return row
    ratios = pairs.worse(head.direction)
    decision = replay(ratios, threshold=rule.relative, design=policy.design, final=True)
    if not decision.note:
        return row
    detail = f"rank lag-1 autocorrelation {decision.lag1 or 0.0:.2f}"
    batches = len(ratios) // decision.batch
    return replace(
        row,
        note=f"{decision.note} ({detail}): {batches} batches of {decision.batch} rounds "
        "could not decide",
    )


def units_differ(
    bench: str, name: str, base: Metric, head: Metric, threshold: Threshold | None
) -> MetricComparison:
    """The same metric name in two units (a harness that changed its output, an edited
    results file): the numbers are not comparable, so nothing is claimed either way."""
    return replace(
        row(bench, name, base, head, threshold),
        verdict="inconclusive" if threshold is not None else "unchanged",
        note=(
            f"units differ (baseline {base.unit[:20]!r}, head {head.unit[:20]!r}): not comparable"
        ),
    )


def unrelated(baseline: Results, head: Results) -> str:
    """Why two results files should not be compared (another suite, or not one benchmark in
    common), or ``""``: comparing them would only say "new" and "removed" and pass."""
    if baseline.suite != head.suite:
        return f"the baseline is suite {baseline.suite[:80]!r}, head is suite {head.suite[:80]!r}"
    names = {b.name for b in baseline.benchmarks}
    if baseline.benchmarks and head.benchmarks and not names & {b.name for b in head.benchmarks}:
        return "the baseline and head have no benchmark in common"
    return ""


def time_budget_of(environment: Mapping[str, Any]) -> float | None:
    """The time budget an interleaved run had (``environment.interleaved.time_budget``,
    seconds; ``budget_seconds`` in files of older versions)."""
    interleaved = environment.get("interleaved")
    if not isinstance(interleaved, Mapping):
        return None
    seconds = interleaved.get("time_budget", interleaved.get("budget_seconds"))
    return float(seconds) if isinstance(seconds, int | float) and seconds > 0 else None


def design_of(environment: Mapping[str, Any]) -> SequentialDesign | None:
    """The stopping rule an interleaved run recorded (``environment.interleaved.design``).
    Files of older versions recorded no ``beta_rho``, ``margin`` or ``holm``: they are judged
    with today's (the rule the run was sampled with may have differed)."""
    interleaved = environment.get("interleaved")
    design = interleaved.get("design") if isinstance(interleaved, Mapping) else None
    if not isinstance(design, Mapping):
        return None
    default = SequentialDesign()
    try:
        return SequentialDesign(
            alpha=float(design["alpha"]),
            beta=float(design.get("beta", default.beta)),
            max_rounds=int(design["max_rounds"]),
            min_rounds=int(design["min_rounds"]),
            look_every=int(design["look_every"]),
            rho=float(design["rho"]),
            beta_rho=float(design.get("beta_rho", default.beta_rho)),
            margin=float(design.get("margin", default.margin)),
            holm=design.get("holm") is True,
        )
    except (KeyError, TypeError, ValueError):
        return None


# --- benchmarks and the whole suite --------------------------------------------------------


def _only(bench: str, name: str, metric: Metric, verdict: Verdict) -> MetricComparison:
    centre = metric.stats.median
    return MetricComparison(
        benchmark=bench,
        metric=name,
        unit=metric.unit,
        direction=metric.direction,
        verdict=verdict,
        baseline=centre if verdict == "removed" else None,
        head=centre if verdict == "new" else None,
        n_baseline=len(metric.samples) if verdict == "removed" else 0,
        n_head=len(metric.samples) if verdict == "new" else 0,
    )


def gated_pairs(
    base: BenchmarkResult, head: BenchmarkResult, rules: ThresholdRules, policy: GatePolicy
) -> list[tuple[str, Metric, Metric, Threshold | None]]:
    """Every metric both sides have, as the verdict gates it: (name, base, head, rule), the
    gated time first with the ``duration`` rule (``verdict.timer``). Sampling until decided
    asks the same question of the same metrics."""
    choice = choose_benchmark_timer(base, head, rules, policy)
    return _pairs(base, head, rules, choice)


def _pairs(
    base: BenchmarkResult,
    head: BenchmarkResult,
    rules: ThresholdRules,
    choice: TimerChoice | None,
) -> list[tuple[str, Metric, Metric, Threshold | None]]:
    return _rows_of(
        _with_active(base, choice), _with_active(head, choice), head.name, rules, choice
    )


def _rows_of(
    base_metrics: Mapping[str, Metric],
    head_metrics: Mapping[str, Metric],
    bench: str,
    rules: ThresholdRules,
    choice: TimerChoice | None,
) -> list[tuple[str, Metric, Metric, Threshold | None]]:
    return [
        (name, base_metrics[name], metric, _rule(rules, bench, name, choice))
        for name, metric in _gated_first(head_metrics, choice)
        if name in base_metrics
    ]


def _metrics(
    base: BenchmarkResult,
    head: BenchmarkResult,
    rules: ThresholdRules,
    policy: GatePolicy,
    choice: TimerChoice | None,
) -> tuple[MetricComparison, ...]:
    base_metrics, head_metrics = _with_active(base, choice), _with_active(head, choice)
    speed = _speed(base_metrics, head_metrics, policy)
    if speed is not None:
        base_metrics, head_metrics = adjusted(base_metrics), adjusted(head_metrics)
    out = [
        _at_speed(
            _beside(
                compare_metric(head.name, name, b, h, th, _for(policy, head.name, name)), choice
            ),
            speed,
        )
        for name, b, h, th in _rows_of(base_metrics, head_metrics, head.name, rules, choice)
    ]
    out.extend(
        _only(head.name, n, m, "new")
        for n, m in head_metrics.items()
        if n not in base_metrics and n not in HIDDEN
    )
    out.extend(
        _only(head.name, n, m, "removed")
        for n, m in base_metrics.items()
        if n not in head_metrics and n not in HIDDEN
    )
    if rules.ignored(head.name):
        out = [replace(m, note=NOTE_IGNORED) if m.note == NOTE_NO_THRESHOLD else m for m in out]
    return tuple(out)


@dataclass(frozen=True, slots=True)
class _Speed:
    """How an unpaired CPU-time row was adjusted to the reference speed (``verdict.speed``)."""

    note: str
    ratio: float


def _speed(
    base: Mapping[str, Metric], head: Mapping[str, Metric], policy: GatePolicy
) -> _Speed | None:
    """When CPU time is judged unpaired and both sides timed the reference beside every
    sample: the adjustment's note and the two runs' speed ratio; else ``None``."""
    if not adjustable(base, head):
        return None
    if _round_pairs(base[CPU], head[CPU], policy) is not None:
        return None
    return _Speed(note=speed_note(base, head), ratio=speed_ratio(base, head))


def _at_speed(row: MetricComparison, speed: _Speed | None) -> MetricComparison:
    """The CPU-time row with the adjustment said; inconclusive when the runs' speeds were
    too far apart to tell a change from the machine's."""
    if speed is None or row.metric != CPU:
        return row
    note = f"{row.note}; {speed.note}" if row.note else speed.note
    decided = row.verdict in ("regression", "improvement", "unchanged")
    if too_far_apart(speed.ratio) and decided and row.threshold is not None:
        apart = (
            f"the machine's speed differed by more than {MAX_SPEED_GAP - 1:.0%} between the "
            "two runs: no change in CPU time can be told from the machine's (compare on one "
            "runner: same-runner mode)"
        )
        return replace(row, verdict="inconclusive", note=f"{apart}; {note}")
    return replace(row, note=note)


def choose_benchmark_timer(
    base: BenchmarkResult, head: BenchmarkResult, rules: ThresholdRules, policy: GatePolicy
) -> TimerChoice | None:
    """The timer of one of aiwf-ci's own timed benchmarks (``command``, ``python``): the
    override, else the one head recorded. ``None`` for an ingested harness's numbers and for
    results that recorded no timer (older files): their wall time is gated as measured."""
    recorded = head.extra.get("timer")
    if head.kind not in TIMED_KINDS or (recorded is None and policy.timer is None):
        return None
    setting: Timer = policy.timer or (recorded if recorded in TIMERS else "auto")
    rule = rules.resolve(head.name, WALL)
    return choose_timer(
        base.metrics, head.metrics, setting, rule.relative if rule is not None else None
    )


def _with_active(result: BenchmarkResult, choice: TimerChoice | None) -> dict[str, Metric]:
    """The result's metrics, with ``active_time`` derived when it is the gated one."""
    metrics = dict(result.metrics)
    if choice is not None and choice.gated == ACTIVE:
        active = active_metric(metrics)
        if active is not None:
            metrics[ACTIVE] = active
    return metrics


def _gated_first(
    metrics: Mapping[str, Metric], choice: TimerChoice | None
) -> list[tuple[str, Metric]]:
    """Rows in the result's order, the gated time first; the wait for a CPU is no row of
    its own (the timer line reports it)."""
    items = [(n, m) for n, m in metrics.items() if n not in HIDDEN]
    if choice is None:
        return items
    return sorted(items, key=lambda item: item[0] != choice.gated)


def _rule(
    rules: ThresholdRules, bench: str, name: str, choice: TimerChoice | None
) -> Threshold | None:
    """The ``duration`` rule goes to the gated time; wall time beside it is reported."""
    if choice is None or name not in (WALL, CPU, ACTIVE):
        return rules.resolve(bench, name)
    if name == choice.gated:
        return rules.resolve(bench, name) or rules.resolve(bench, WALL)
    return None if name == WALL else rules.resolve(bench, name)


def _beside(row: MetricComparison, choice: TimerChoice | None) -> MetricComparison:
    """The gated time's row names the timer and why; wall time beside it says so."""
    if choice is None:
        return row
    if row.metric == choice.gated and row.threshold is not None:
        note = f"{row.note}; {choice.describe()}" if row.note else choice.describe()
        return replace(row, note=note)
    if row.metric == WALL:
        return replace(row, note=f"reported beside {NAMES[choice.gated]}, which is gated")
    return row


def _overall(metrics: Sequence[MetricComparison]) -> Verdict:
    verdicts = {m.verdict for m in metrics}
    order: tuple[Verdict, ...] = ("regression", "inconclusive", "improvement")
    for verdict in order:
        if verdict in verdicts:
            return verdict
    return "unchanged"


def compare_benchmark(
    base: BenchmarkResult | None,
    head: BenchmarkResult | None,
    rules: ThresholdRules = DEFAULT_RULES,
    policy: GatePolicy | None = None,
) -> BenchmarkComparison:
    """One benchmark: errored if head failed, new/removed if one side is missing."""
    policy = policy or GatePolicy()
    if head is None:
        if base is None:
            raise ValueError("compare_benchmark needs at least one side")
        metrics = tuple(_only(base.name, n, m, "removed") for n, m in base.metrics.items())
        return BenchmarkComparison(
            name=base.name, kind=base.kind, verdict="removed", metrics=metrics
        )
    if head.failed or (policy.same_run and base is not None and base.failed):
        return _errored(base, head, policy.same_run)
    if base is None or base.failed:
        metrics = tuple(_only(head.name, n, m, "new") for n, m in head.metrics.items())
        return BenchmarkComparison(
            name=head.name, kind=head.kind, verdict="new", metrics=metrics, alerts=head.alerts
        )
    choice = choose_benchmark_timer(base, head, rules, policy)
    metrics = _metrics(base, head, rules, policy, choice)
    return BenchmarkComparison(
        name=head.name,
        kind=head.kind,
        verdict=_overall(metrics),
        metrics=metrics,
        alerts=head.alerts,
        timer=choice,
    )


def _errored(
    base: BenchmarkResult | None, head: BenchmarkResult, same_run: bool
) -> BenchmarkComparison:
    """A benchmark that failed: head anywhere, or base in the same interleaved run (then a
    failure of either side is never a pass). Each error names its side in an A/B run."""
    errors: list[str] = []
    for side, result in (("base", base), ("head", head)):
        if result is not None and result.failed and (same_run or side == "head"):
            errors += [f"{side} tree: {e}" if same_run else e for e in result.errors]
    return BenchmarkComparison(
        name=head.name, kind=head.kind, verdict="errored", errors=tuple(errors), alerts=head.alerts
    )


def compare(
    baseline: Results,
    head: Results,
    rules: ThresholdRules = DEFAULT_RULES,
    *,
    policy: GatePolicy | None = None,
) -> Comparison:
    """Compare every benchmark of ``head`` with ``baseline`` (see the module docstring)."""
    policy = policy or GatePolicy()
    why = unpaired_reason(baseline, head)
    recorded = design_of(head.environment)
    if recorded is not None:
        policy = replace(policy, design=recorded, same_run=not different_runs(baseline, head))
    apart = machines_apart(baseline.environment, head.environment)
    policy = replace(policy, machines_apart=apart, unpaired=why)
    benches = _benchmarks(baseline, head, rules, policy)
    if policy.holm or policy.design.holm:
        policy, benches = _holm(baseline, head, rules, replace(policy, holm=True), benches)
    return Comparison(
        suite=head.suite,
        benchmarks=tuple(benches),
        counts=count_verdicts(benches),
        warnings=fingerprint_warnings(baseline.environment, head.environment)
        + budget_note(head.environment),
        policy=policy,
        baseline=baseline,
        head=head,
        rules=rules,
    )


def _benchmarks(
    baseline: Results, head: Results, rules: ThresholdRules, policy: GatePolicy
) -> list[BenchmarkComparison]:
    base_by_name = baseline.by_name()
    head_names = {b.name for b in head.benchmarks}
    benches = [
        compare_benchmark(base_by_name.get(b.name), b, rules, policy) for b in head.benchmarks
    ]
    benches += [compare_benchmark(b, None) for b in baseline.benchmarks if b.name not in head_names]
    return benches


def _holm(
    baseline: Results,
    head: Results,
    rules: ThresholdRules,
    policy: GatePolicy,
    benches: list[BenchmarkComparison],
) -> tuple[GatePolicy, list[BenchmarkComparison]]:
    """Holm's step-down procedure over the gated paired metrics (module docstring): judged
    at ``alpha / K``, then again at ``alpha / (K - moved)`` while more are shown to move; a
    metric shown to move keeps the alpha it moved at (a larger one would move it too)."""
    family = [
        (b.name, m.metric)
        for b in benches
        for m in b.metrics
        if m.method == PAIRED and m.threshold is not None
    ]
    if len(family) < 2:
        return policy, benches
    alphas: dict[tuple[str, str], float] = {}
    moved: set[tuple[str, str]] = set()
    while True:
        share = policy.design.alpha / (len(family) - len(moved))
        alphas.update({key: share for key in family if key not in moved})
        policy = replace(policy, holm_alpha=dict(alphas))
        benches = _benchmarks(baseline, head, rules, policy)
        now = {
            (b.name, m.metric)
            for b in benches
            for m in b.metrics
            if (b.name, m.metric) in alphas and m.verdict in ("regression", "improvement")
        }
        if now <= moved or len(now) == len(family):
            return policy, benches
        moved = now


def _for(policy: GatePolicy, bench: str, metric: str) -> GatePolicy:
    """The policy one metric is judged by: under Holm's procedure, its own alpha."""
    alpha = policy.holm_alpha.get((bench, metric))
    if alpha is None:
        return policy
    return replace(policy, design=replace(policy.design, alpha=alpha))


def budget_note(environment: Mapping[str, Any]) -> tuple[str, ...]:
    """What an interleaved run said up front about a budget too small for every benchmark
    (``environment.interleaved.budget_note``), as a warning of the comparison."""
    interleaved = environment.get("interleaved")
    note = interleaved.get("budget_note") if isinstance(interleaved, Mapping) else None
    return (note[:300],) if isinstance(note, str) and note else ()


def count_verdicts(benches: Sequence[BenchmarkComparison]) -> dict[Verdict, int]:
    counts: dict[Verdict, int] = dict.fromkeys(VERDICTS, 0)
    for bench in benches:
        counts[bench.verdict] += 1
    return counts
