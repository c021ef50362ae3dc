"""The calibrate use case: the suite against itself on this machine, and what that says
about the gate's reach.

``aiwf-ci calibrate`` (and the action's ``calibrate: true`` on pushes) measures the
workspace as both sides of an A/B run, exactly as ``ab`` and the same-runner mode measure a
pull request (``usecases.ab``: paired rounds, the same sampling, the same budget), except
that no benchmark stops when decided (``until_decided=False``): every round the budget
allows is kept, since a calibration wants the spread, not a verdict. Per benchmark and gated
metric it keeps the spread of the per-round log ratio, the A/A verdict the rule gave, and
the reach (``verdict.reach``) within the rounds the budget allows every benchmark of the
suite when all of them are measured in every round (``budget_rounds``: the rounds the
calibration itself measured when its budget ended it, else the budget over the time a round
took, at most the last look; a pull request whose benchmarks are decided early gets more,
so the figure errs on the safe side).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from aiwf_ci.config import SuiteConfig
from aiwf_ci.console.progress import ProgressPrinter
from aiwf_ci.models import BenchmarkResult, Results
from aiwf_ci.models.calibration import BenchmarkCalibration, Calibration, MetricCalibration
from aiwf_ci.run.selection import Shard
from aiwf_ci.usecases.ab import ABRequest, ABSide, measure_ab
from aiwf_ci.verdict.compare import compare, design_of, gated_pairs
from aiwf_ci.verdict.design import SequentialDesign, last_look
from aiwf_ci.verdict.independence import rank_lag1
from aiwf_ci.verdict.model import Comparison, GatePolicy
from aiwf_ci.verdict.reach import reach, spread
from aiwf_ci.verdict.rounds import paired_rounds
from aiwf_ci.verdict.thresholds import ThresholdRules


@dataclass(frozen=True, slots=True, kw_only=True)
class CalibrateRequest:
    """The suite and its tree (measured as both sides), the rules that say which metrics
    are gated, and the overrides of the config's ``rounds:`` (as ``ABRequest``)."""

    config: SuiteConfig
    root: Path
    rules: ThresholdRules
    only: str | None = None
    shard: Shard | None = None
    setup: bool = True
    cache_dir: Path | None = None
    time_budget: float | None = None
    max_rounds: int | None = None
    samples: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CalibrateOutcome:
    """The calibration, and both sides' results (kept beside it: what it rests on)."""

    calibration: Calibration
    base: Results
    head: Results


def calibrate(
    request: CalibrateRequest, env: Mapping[str, str], printer: ProgressPrinter
) -> CalibrateOutcome:
    """Measure the tree against itself (module docstring) and summarise it."""
    side = ABSide(config=request.config, root=request.root)
    outcome = measure_ab(
        ABRequest(
            base=side,
            head=side,
            rules=request.rules,
            only=request.only,
            shard=request.shard,
            setup=request.setup,
            cache_dir=request.cache_dir,
            time_budget=request.time_budget,
            max_rounds=request.max_rounds,
            samples=request.samples,
            until_decided=False,
        ),
        env,
        printer,
    )
    calibration = calibration_of(outcome.base, outcome.head, request.rules)
    return CalibrateOutcome(calibration=calibration, base=outcome.base, head=outcome.head)


def calibration_of(base: Results, head: Results, rules: ThresholdRules) -> Calibration:
    """The calibration of an A/A run (both sides one tree): pure, from the two results."""
    record = head.environment.get("interleaved")
    interleaved = record if isinstance(record, Mapping) else {}
    design = design_of(head.environment) or SequentialDesign()
    budget = _number(interleaved.get("time_budget"))
    comparison = compare(base, head, rules)
    pairs = [(b, h) for b, h in zip(base.benchmarks, head.benchmarks, strict=True)]
    seconds = {h.name: _seconds_per_round(h) for _, h in pairs}
    rounds = budget_rounds(budget, sum(seconds.values()), design)
    if interleaved.get("stopped") == "budget":  # the budget itself said how many fit
        measured = int(_number(interleaved.get("rounds")))
        rounds = measured - measured % 2
    benches = tuple(
        BenchmarkCalibration(
            name=h.name,
            seconds_per_round=seconds[h.name],
            metrics=_metrics(b, h, rules, design, rounds, comparison),
        )
        for b, h in pairs
        if not h.failed and not b.failed
    )
    return Calibration(
        suite=head.suite,
        time_budget=budget,
        budget_rounds=rounds,
        rounds=int(_number(interleaved.get("rounds"))),
        seconds=_number(interleaved.get("seconds")),
        design={
            "alpha": design.alpha,
            "beta": design.beta,
            "max_rounds": design.max_rounds,
            "margin": design.margin,
        },
        environment={k: v for k, v in head.environment.items() if k != "interleaved"},
        benchmarks=tuple(b for b in benches if b.metrics),
    )


def budget_rounds(budget: float, suite_round: float, design: SequentialDesign) -> int:
    """Rounds of every benchmark a budget allows (even, at most the last look); the last
    look when a round takes no measurable time."""
    if suite_round <= 0.0:
        return last_look(design)
    allowed = min(int(budget / suite_round), last_look(design))
    return max(0, allowed - allowed % 2)


def _metrics(
    base: BenchmarkResult,
    head: BenchmarkResult,
    rules: ThresholdRules,
    design: SequentialDesign,
    rounds: int,
    comparison: Comparison,
) -> tuple[MetricCalibration, ...]:
    rows = {(m.benchmark, m.metric): m for b in comparison.benchmarks for m in b.metrics}
    out = []
    for name, b, h, rule in gated_pairs(base, head, rules, GatePolicy(design=design)):
        pairs = paired_rounds(b, h)
        if rule is None or pairs is None or pairs.scale != "log":
            continue
        values = pairs.worse(h.direction)
        threshold = pairs.gate_threshold(rule, h.direction)
        sigma = spread(values)
        figures = reach(sigma, threshold, design, rounds)
        row = rows.get((head.name, name))
        out.append(
            MetricCalibration(
                metric=name,
                threshold=threshold,
                rounds=len(values),
                spread=sigma,
                lag1=rank_lag1(values),
                verdict=row.verdict if row else "inconclusive",
                change=row.worsening if row else None,
                detectable=figures.detectable,
                noise_floor=figures.noise_floor,
                rounds_unchanged=figures.rounds_unchanged,
                rounds_twice=figures.rounds_twice,
            )
        )
    return tuple(out)


def _seconds_per_round(result: BenchmarkResult) -> float:
    seconds, rounds = _number(result.extra.get("seconds")), _number(result.extra.get("rounds"))
    return seconds / rounds if rounds else 0.0


def _number(value: object) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok and math.isfinite(float(value)) else 0.0  # type: ignore[arg-type]
