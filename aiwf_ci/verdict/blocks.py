"""The gate for one metric measured in two separate blocks of runs (unpaired): a baseline
from another run (an artifact, a pooled history, a results file) against head.

The change is the **Hodges-Lehmann estimate** of head / baseline (the median of all pairwise
log-ratios, exponentiated), its interval **Moses' distribution-free confidence interval**
(95%; the shifts the Mann-Whitney test does not reject), so the test and the interval are
one method. Three answers, never a refusal dressed as a pass:

- **regression** when the **Mann-Whitney U test, two-sided**, gives p < ``alpha`` (0.01, strict
  because a suite makes many comparisons), the interval lies entirely on the worse side and
  beyond the threshold; **improvement** is the mirror image, both symmetric on the log scale
  (a 20% threshold: head/base > 1.2 or < 1/1.2). Two blocks of runs measured at different
  times carry the machine's state of each moment (a busy stretch slows a whole side), which
  no test on the samples can see: so **without history** the whole interval must lie beyond
  the threshold, and **with the base side's history** (``GatePolicy.history``,
  ``verdict.spread``) the estimate beyond the threshold is enough when head's median also
  lies beyond the run-to-run spread of one new run; a change within that spread is
  inconclusive and says so;
- **unchanged** when the whole interval lies within the threshold either way: evidence that
  nothing changed by more than the threshold;
- **inconclusive** otherwise: the runs are too spread (or too few) to tell. The same-runner,
  interleaved design (``rounds``) is the answer, and the report says so.

The absolute minimum effect of a threshold (``absolute``) must be exceeded as well. Metrics
without a threshold are reported, never gating. Above ``HL_MAX_PAIRS`` pairwise differences
(load tests with thousands of samples), or with samples that are not all positive, the
change is the ratio of medians with its bootstrap / normal-approximation interval instead.
Summary-only metrics (ingested without raw samples) cannot be tested: they are a regression
only when beyond the threshold AND the two [min, max] ranges do not overlap.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

from aiwf_ci.models import Direction, Metric
from aiwf_ci.stats import median
from aiwf_ci.verdict.gate import (
    NOTE_ABSOLUTE,
    clear_of,
    exceeds,
    flip,
    held_by_floor,
    log_scale,
    margin,
    row,
    shifted,
    sign,
    within,
    worsening,
)
from aiwf_ci.verdict.model import (
    NOTE_FEW,
    NOTE_NO_THRESHOLD,
    NOTE_NOISY,
    NOTE_SUMMARY,
    NOTE_ZERO,
    Confidence,
    GatePolicy,
    MetricComparison,
    Verdict,
)
from aiwf_ci.verdict.significance import (
    HL_MAX_PAIRS,
    bootstrap_ratio_ci,
    hodges_lehmann_ratio,
    mann_whitney_u,
)
from aiwf_ci.verdict.spread import MIN_HISTORY, Spread
from aiwf_ci.verdict.thresholds import Threshold

NOTE_SHORT_HISTORY = "history too short"
NOTE_SPREAD = "within this runner's run-to-run spread"


@dataclass(frozen=True, slots=True)
class Judged:
    """What the unpaired rule decided for one metric, with the note it owes the reader."""

    verdict: Verdict
    confidence: Confidence
    note: str = ""


def judge_interval(
    worse: float,
    worse_ci: tuple[float, float],
    p: float,
    th: Threshold,
    policy: GatePolicy,
    direction: Direction,
) -> tuple[Verdict, Confidence]:
    """Decision on the worsening (positive = worse) and its interval, against the margin of
    the rule for a metric of this direction (``gate.margin``), by the no-history rule: a
    regression or improvement needs the whole interval beyond the threshold."""
    lo, hi = (log_scale(x) for x in worse_ci)
    bound = margin(th, direction)
    moved = shifted(log_scale(worse), lo, hi, bound, significant=p < policy.alpha, strict=True)
    if moved is not None:
        return moved, "high"
    if within(lo, hi, bound):
        return "unchanged", "high"
    return "inconclusive", "low"


def judge_with_spread(
    worse: float,
    worse_ci: tuple[float, float],
    p: float,
    th: Threshold,
    policy: GatePolicy,
    where: tuple[Direction, float, Spread],
) -> Judged:
    """The rule with the base side's history (module docstring): significant and estimated
    beyond the threshold, AND head's median (``where``: direction, head's median, the
    metric's spread) beyond the spread of one new run on the same side."""
    direction, head_median, spread = where
    lo, hi = (log_scale(x) for x in worse_ci)
    bound = margin(th, direction)
    moved = shifted(log_scale(worse), lo, hi, bound, significant=p < policy.alpha)
    if moved is not None:
        away = spread.away(head_median, sign(direction))
        if away > spread.bound if moved == "regression" else away < -spread.bound:
            return Judged(moved, "high" if clear_of(lo, hi, bound) else "medium")
        return Judged("inconclusive", "low", f"{NOTE_SPREAD} ±{spread.relative:.1%}")
    if within(lo, hi, bound):
        return Judged("unchanged", "high")
    return Judged("inconclusive", "low", NOTE_NOISY)


def compare_blocks(
    bench: str, name: str, base: Metric, head: Metric, th: Threshold | None, policy: GatePolicy
) -> MetricComparison:
    """The unpaired gate (see the module docstring)."""
    b, h = base.stats.median, head.stats.median
    out = row(bench, name, base, head, th)
    if len(base.samples) < policy.min_samples or len(head.samples) < policy.min_samples:
        note = f"{NOTE_FEW}: need {policy.min_samples} per side"
        verdict: Verdict = "unchanged" if th is None else "inconclusive"
        return replace(out, change=h / b - 1 if b else None, note=note, verdict=verdict)
    if b <= 0:
        return replace(out, note=NOTE_ZERO)
    p = mann_whitney_u(base.samples, head.samples).p_value
    ratio, lo, hi = _ratio(bench, name, base.samples, head.samples, policy)
    change, ci = ratio - 1.0, (lo - 1.0, hi - 1.0)
    worse = worsening(1.0, ratio, base.direction)
    worse_lo, worse_hi = sorted(flip(x, base.direction) for x in ci)
    spread = policy.history.of(bench, name) if policy.history is not None else None
    judged = _decide(worse, (worse_lo, worse_hi), p, th, policy, (b, h), base.direction, spread)
    return replace(
        out,
        change=change,
        ci=ci,
        p_value=p,
        verdict=judged.verdict,
        confidence=judged.confidence,
        note=judged.note,
        spread=spread.relative if spread is not None and th is not None else None,
    )


def _seed(policy: GatePolicy, benchmark: str, metric: str) -> int:
    return policy.seed ^ zlib.crc32(f"{benchmark}\0{metric}".encode())


def _ratio(
    bench: str, name: str, base: Sequence[float], head: Sequence[float], policy: GatePolicy
) -> tuple[float, float, float]:
    """head / baseline and its interval: Hodges-Lehmann with Moses' interval, or the ratio
    of medians with its bootstrap interval for huge or non-positive samples."""
    if len(base) * len(head) <= HL_MAX_PAIRS and min(base) > 0 and min(head) > 0:
        shift = hodges_lehmann_ratio(base, head, confidence=policy.confidence)
        return shift.ratio, shift.low, shift.high
    lo, hi = bootstrap_ratio_ci(
        base,
        head,
        confidence=policy.confidence,
        resamples=policy.resamples,
        seed=_seed(policy, bench, name),
    )
    return median(head) / median(base), lo, hi


def _decide(
    worse: float,
    worse_ci: tuple[float, float],
    p: float,
    th: Threshold | None,
    policy: GatePolicy,
    medians: tuple[float, float],
    direction: Direction,
    spread: Spread | None,
) -> Judged:
    if th is None:
        return Judged("unchanged", "low", NOTE_NO_THRESHOLD)
    if spread is not None:
        judged = judge_with_spread(worse, worse_ci, p, th, policy, (direction, medians[1], spread))
    else:
        verdict, confidence = judge_interval(worse, worse_ci, p, th, policy, direction)
        judged = Judged(verdict, confidence, NOTE_NOISY if verdict == "inconclusive" else "")
        if policy.history is not None:
            judged = _short(judged)
    if held_by_floor(judged.verdict, th, *medians):
        return Judged("unchanged", "medium", NOTE_ABSOLUTE)
    return judged


def _short(judged: Judged) -> Judged:
    """A metric the history had too few like-machine runs of: judged without it, and said."""
    note = f"{NOTE_SHORT_HISTORY} (under {MIN_HISTORY} runs): whole interval must clear it"
    return replace(judged, note=f"{judged.note}; {note}" if judged.note else note)


def summary_only(
    bench: str, name: str, base: Metric, head: Metric, th: Threshold | None
) -> MetricComparison:
    """No samples: beyond the threshold with non-overlapping [min, max] ranges, or nothing."""
    b, h = base.stats.median, head.stats.median
    out = row(bench, name, base, head, th)
    if not b:
        return replace(out, note=NOTE_ZERO)
    change = h / b - 1.0
    worse = worsening(b, h, base.direction)
    apart = head.stats.min > base.stats.max or head.stats.max < base.stats.min
    verdict: Verdict = "regression" if worse > 0 else "improvement"
    moved = th is not None and exceeds(worse, th, base.direction)
    if th is not None and apart and moved and not held_by_floor(verdict, th, b, h):
        note = f"{NOTE_SUMMARY}: ranges do not overlap"
        return replace(out, change=change, verdict=verdict, note=note)
    note = f"{NOTE_SUMMARY}: cannot test significance"
    return replace(out, change=change, note=note)
