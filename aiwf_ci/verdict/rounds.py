"""The gate for one metric measured in interleaved rounds on one machine (paired).

``aiwf-ci ab`` and the action's same-runner mode measure base and head in rounds: a chunk of
base runs and a chunk of head runs, seconds apart, the order alternating. Whatever the
machine did during a round (a busy neighbour, a thermal dip) hit both chunks alike, so the
per-round log ratio ``log(median(head_r) / median(base_r))`` cancels it; the rounds are
analysed **as pairs** (``paired``: Wilcoxon signed-rank and the paired Hodges-Lehmann
estimate with Tukey's interval, one method) under the **stopping rule** the run was sampled
with (``sequential``: alpha spent at fixed looks), replayed over the stored rounds so this
verdict is the very one the run stopped on.

Three answers: ``regression`` / ``improvement`` (significant and beyond the threshold),
``unchanged`` (the interval lies within the threshold: shown not to have changed more) and
``inconclusive`` (neither by the end of the budget). The absolute minimum effect of a
threshold must be exceeded as well; metrics without a threshold are reported, not gated.
"""

from __future__ import annotations

import math
from dataclasses import replace

from aiwf_ci.models import Direction, Metric
from aiwf_ci.stats import median
from aiwf_ci.verdict.gate import (
    NOTE_ABSOLUTE,
    clear_of,
    flip,
    held_by_floor,
    log_bound,
    log_scale,
    row,
    sign,
    within,
    worse_log_ratio,
)
from aiwf_ci.verdict.model import NOTE_NO_THRESHOLD, NOTE_NOISY, GatePolicy, MetricComparison
from aiwf_ci.verdict.paired import paired_hodges_lehmann, wilcoxon_signed_rank
from aiwf_ci.verdict.sequential import Decision, replay
from aiwf_ci.verdict.thresholds import Threshold

METHOD = "Wilcoxon signed-rank"
NOTE_UNDECIDED = "not decided within the budget"


def paired_rounds(base: Metric, head: Metric) -> tuple[list[float], list[float]] | None:
    """Per-round medians of the rounds both sides measured, in round order; ``None`` when
    the data is not paired (no rounds) or not positive (a log ratio needs positive values)."""
    if not base.rounds or not head.rounds:
        return None
    b, h = base.by_round(), head.by_round()
    common = sorted(set(b) & set(h))
    if not common:
        return None
    base_medians = [median(b[r]) for r in common]
    head_medians = [median(h[r]) for r in common]
    if min(base_medians) <= 0 or min(head_medians) <= 0:
        return None
    return base_medians, head_medians


def worse_log_ratios(base: Metric, head: Metric) -> list[float] | None:
    """Per-round log ratios signed so that positive is worse (slower, bigger, less
    throughput), or ``None`` for unpaired data."""
    pairs = paired_rounds(base, head)
    if pairs is None:
        return None
    return [worse_log_ratio(b, h, head.direction) for b, h in zip(*pairs, strict=True)]


def compare_rounds(
    bench: str,
    name: str,
    base: Metric,
    head: Metric,
    th: Threshold | None,
    policy: GatePolicy,
) -> MetricComparison:
    """The paired gate over every stored round (see the module docstring)."""
    ratios = worse_log_ratios(base, head)
    if ratios is None:
        raise ValueError("compare_rounds needs paired, positive data")
    out = replace(row(bench, name, base, head, th), method=METHOD, rounds=len(ratios))
    if th is None:
        return _reported(out, ratios, policy)
    decision = replay(ratios, threshold=th.relative, design=policy.design, final=True)
    return _from_decision(out, decision, th)


def still_open(base: Metric, head: Metric, th: Threshold | None, policy: GatePolicy) -> bool:
    """While sampling: whether this gated metric is still undecided after the rounds so far
    (the same replay as the final verdict, without the final look)."""
    ratios = worse_log_ratios(base, head)
    if th is None or ratios is None:
        return False
    decision = replay(ratios, threshold=th.relative, design=policy.design, final=False)
    return decision.state == "undecided"


def _reported(out: MetricComparison, ratios: list[float], policy: GatePolicy) -> MetricComparison:
    """No threshold: the paired estimate at the usual 95%, reported only."""
    shift = paired_hodges_lehmann(ratios, confidence=policy.confidence)
    change = math.expm1(sign(out.direction) * shift.estimate)
    ends = sorted(math.expm1(sign(out.direction) * x) for x in (shift.low, shift.high))
    return replace(
        out,
        change=change,
        ci=(ends[0], ends[1]),
        p_value=wilcoxon_signed_rank(ratios).p_value,
        note=NOTE_NO_THRESHOLD,
        ci_level=policy.confidence,
    )


def _from_decision(out: MetricComparison, decision: Decision, th: Threshold) -> MetricComparison:
    """A row from the stopping rule's decision, the change back in head/base terms."""
    direction: Direction = out.direction
    change = ci = None
    if decision.change is not None:
        change = flip(decision.change, direction)
    if decision.ci is not None:
        ends = sorted(flip(x, direction) for x in decision.ci)
        ci = (ends[0], ends[1])
    state = decision.state
    verdict = "inconclusive" if state == "undecided" else state
    note = NOTE_UNDECIDED if verdict == "inconclusive" else ""
    if held_by_floor(verdict, th, out.baseline or 0.0, out.head or 0.0):
        verdict, note = "unchanged", NOTE_ABSOLUTE
    if verdict == "inconclusive" and decision.rounds == 0:
        note = NOTE_NOISY
    high = ci is not None and _clear_of(ci, th, verdict)
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


def _clear_of(ci: tuple[float, float], th: Threshold, verdict: str) -> bool:
    """Whether the whole interval lies beyond the threshold (or, unchanged, within it)."""
    lo, hi = (log_scale(x) for x in ci)
    bound = log_bound(th.relative)
    return within(lo, hi, bound) if verdict == "unchanged" else clear_of(lo, hi, bound)
