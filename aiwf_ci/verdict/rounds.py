"""The gate for one metric measured in interleaved rounds on one machine (paired).

``aiwf-ci ab`` and the action's same-runner mode measure base and head in rounds: a chunk of
base runs and a chunk of head runs, seconds apart, the order alternating. Whatever the
machine did during a round (a busy neighbour, a thermal dip) hit both chunks alike, so the
per-round log ratio ``log(median(head_r) / median(base_r))`` cancels it; the rounds are
analysed **as pairs** (``paired``: Wilcoxon signed-rank and the paired Hodges-Lehmann
estimate with Tukey's interval, one method) under the **stopping rule** the run was sampled
with (``sequential``: alpha spent at fixed looks), replayed over the stored rounds so this
verdict is the very one the run stopped on.

**Zero values stay paired.** A log ratio needs positive values; a metric whose round
median is 0 in some round (an error count, allocations, a CPU time below the clock's tick)
is compared as per-round **differences** ``head_r - base_r`` instead, decided per metric
from its rounds (``RoundPairs.scale``) and said in the row's note. The rule's relative
threshold is then taken of the base's level, the median of its round medians: ``20%`` means
``head_r - base_r`` beyond ``0.2 x`` that level (a rule for a base level of 0 is crossed by
any worsening shown significant). The signed-rank test is the same (it is free of the unit),
so the stopping rule's error rates hold alike. The differences are divided by the largest
round median before the stopping rule sees them, which leaves the test unchanged and keeps
its numbers far from overflow. A metric whose first 0 appears in a late round is judged
on differences at every look of the replay, while the run judged its earlier looks on log
ratios: the two can differ for it (the row's note says which scale the verdict used).

Three answers: ``regression`` / ``improvement`` (significant and beyond the threshold),
``unchanged`` (the interval lies within the threshold: shown not to have changed more) and
``inconclusive`` (neither by the end of the budget). The absolute minimum effect of a
threshold must be exceeded as well; metrics without a threshold are reported, not gated.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, replace
from typing import Literal

from aiwf_ci.models import Direction, Metric
from aiwf_ci.stats import median
from aiwf_ci.verdict.gate import (
    NOTE_ABSOLUTE,
    clear_of,
    flip,
    held_by_floor,
    log_bound,
    row,
    sign,
    within,
    worse_fraction,
    worse_log_ratio,
)
from aiwf_ci.verdict.model import NOTE_NO_THRESHOLD, NOTE_NOISY, GatePolicy, MetricComparison
from aiwf_ci.verdict.paired import paired_hodges_lehmann, wilcoxon_signed_rank
from aiwf_ci.verdict.sequential import Decision, replay
from aiwf_ci.verdict.thresholds import Threshold

METHOD = "Wilcoxon signed-rank"
NOTE_UNDECIDED = "not decided within the budget"
NOTE_DIFFERENCES = "paired as differences (a round median of 0 or less has no ratio)"
NOTE_ZERO_LEVEL = "the base's level is 0: any worsening shown significant is beyond the rule"

Scale = Literal["log", "difference"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RoundPairs:
    """The rounds both sides measured, in round order: each side's median per round."""

    base: tuple[float, ...]
    head: tuple[float, ...]

    @property
    def scale(self) -> Scale:
        """``log`` (ratios) when every round median is positive, else ``difference``."""
        return "log" if min(*self.base, *self.head) > 0 else "difference"

    @property
    def level(self) -> float:
        """What a relative threshold is taken of on the difference scale: the size of the
        median of the base's round medians."""
        return abs(median(self.base))

    @property
    def unit(self) -> float:
        """Differences are divided by this before the stopping rule sees them: the largest
        round median in size (1 when every one is 0)."""
        return max(abs(x) for x in (*self.base, *self.head)) or 1.0

    def worse(self, direction: Direction) -> list[float]:
        """Per round, positive = worse: the log ratio, or the difference over ``unit``."""
        pairs = zip(self.base, self.head, strict=True)
        if self.scale == "log":
            return [worse_log_ratio(b, h, direction) for b, h in pairs]
        return [sign(direction) * (h - b) / self.unit for b, h in pairs]

    def gate_threshold(self, th: Threshold, direction: Direction) -> float:
        """The rule as the stopping rule takes it on the scale of ``worse``: the worsening
        fraction it allows (``gate.worse_fraction``), or, on differences, ``expm1`` of the
        rule's share of the base level in ``unit``s (its log bound is then that share)."""
        if self.scale == "log":
            return min(worse_fraction(th, direction), sys.float_info.max)
        return math.expm1(th.relative * self.level / self.unit)

    def change(self, worse: float, direction: Direction) -> float | None:
        """A worsening on the scale of ``worse`` (``expm1`` of it, as the stopping rule
        reports one) back as head/base - 1; ``None`` on differences from a base level of 0."""
        if self.scale == "log":
            return flip(worse, direction)
        if self.level == 0.0:
            return None
        return sign(direction) * log1p_or_inf(worse) * self.unit / self.level

    @property
    def note(self) -> str:
        if self.scale == "log":
            return ""
        return f"{NOTE_DIFFERENCES}; {NOTE_ZERO_LEVEL}" if self.level == 0.0 else NOTE_DIFFERENCES


def log1p_or_inf(x: float) -> float:
    return math.log1p(x) if x > -1.0 else -math.inf


def paired_rounds(base: Metric, head: Metric) -> RoundPairs | None:
    """Per-round medians of the rounds both sides measured, in round order; ``None`` when
    the data is not paired (no rounds, or none in common)."""
    if not base.rounds or not head.rounds:
        return None
    b, h = base.by_round(), head.by_round()
    common = sorted(set(b) & set(h))
    if not common:
        return None
    return RoundPairs(
        base=tuple(median(b[r]) for r in common), head=tuple(median(h[r]) for r in common)
    )


def worse_log_ratios(base: Metric, head: Metric) -> list[float] | None:
    """Per-round values signed so that positive is worse (slower, bigger, less throughput):
    log ratios, or differences for a metric with a round median of 0 (module docstring);
    ``None`` for unpaired data."""
    pairs = paired_rounds(base, head)
    return None if pairs is None else pairs.worse(head.direction)


def compare_rounds(
    bench: str,
    name: str,
    base: Metric,
    head: Metric,
    th: Threshold | None,
    policy: GatePolicy,
) -> MetricComparison:
    """The paired gate over every stored round (see the module docstring)."""
    pairs = paired_rounds(base, head)
    if pairs is None:
        raise ValueError("compare_rounds needs paired data")
    values = pairs.worse(head.direction)
    out = replace(row(bench, name, base, head, th), method=METHOD, rounds=len(values))
    if th is None:
        return _with_note(_reported(out, pairs, values, policy), pairs.note)
    bound = pairs.gate_threshold(th, head.direction)
    decision = replay(values, threshold=bound, design=policy.design, final=True)
    return _with_note(_from_decision(out, decision, th, pairs, bound), pairs.note)


def still_open(base: Metric, head: Metric, th: Threshold | None, policy: GatePolicy) -> bool:
    """While sampling: whether this gated metric is still undecided after the rounds so far
    (the same replay as the final verdict, without the final look)."""
    pairs = paired_rounds(base, head)
    if th is None or pairs is None:
        return False
    bound = pairs.gate_threshold(th, head.direction)
    values = pairs.worse(head.direction)
    decision = replay(values, threshold=bound, design=policy.design, final=False)
    return decision.state == "undecided"


def _with_note(out: MetricComparison, note: str) -> MetricComparison:
    if not note:
        return out
    return replace(out, note=f"{out.note}; {note}" if out.note else note)


def _reported(
    out: MetricComparison, pairs: RoundPairs, values: list[float], policy: GatePolicy
) -> MetricComparison:
    """No threshold: the paired estimate at the usual 95%, reported only."""
    shift = paired_hodges_lehmann(values, confidence=policy.confidence)
    direction = out.direction
    change = pairs.change(math.expm1(shift.estimate), direction)
    ends = [pairs.change(math.expm1(x), direction) for x in (shift.low, shift.high)]
    ci = None if None in ends else tuple(sorted(e for e in ends if e is not None))
    return replace(
        out,
        change=change,
        ci=(ci[0], ci[1]) if ci else None,
        p_value=wilcoxon_signed_rank(values).p_value,
        note=NOTE_NO_THRESHOLD,
        ci_level=policy.confidence,
    )


def _from_decision(
    out: MetricComparison, decision: Decision, th: Threshold, pairs: RoundPairs, bound: float
) -> MetricComparison:
    """A row from the stopping rule's decision, the change back in head/base terms."""
    direction: Direction = out.direction
    change = ci = None
    if decision.change is not None:
        change = pairs.change(decision.change, direction)
    if decision.ci is not None:
        ends = [pairs.change(x, direction) for x in decision.ci]
        if None not in ends:
            low, high = sorted(e for e in ends if e is not None)
            ci = (low, high)
    state = decision.state
    verdict = "inconclusive" if state == "undecided" else state
    note = NOTE_UNDECIDED if verdict == "inconclusive" else ""
    if held_by_floor(verdict, th, out.baseline or 0.0, out.head or 0.0):
        verdict, note = "unchanged", NOTE_ABSOLUTE
    if verdict == "inconclusive" and decision.rounds == 0:
        note = NOTE_NOISY
    high = decision.ci is not None and _clear_of(decision.ci, bound, verdict)
    return replace(
        out,
        verdict=verdict,
        change=change,
        ci=ci,
        p_value=decision.p_value,
        note=note,
        rounds=decision.rounds,
        confidence="high" if high else ("low" if verdict == "inconclusive" else "medium"),
        ci_level=1.0 - decision.alpha_spent_here,
    )


def _clear_of(ci: tuple[float, float], bound: float, verdict: str) -> bool:
    """Whether the decision's whole interval (a worsening on the scale the stopping rule
    judged) lies beyond the threshold it was given (or, unchanged, within it)."""
    lo, hi = (log1p_or_inf(x) for x in ci)
    limit = log_bound(bound)
    return within(lo, hi, limit) if verdict == "unchanged" else clear_of(lo, hi, limit)
