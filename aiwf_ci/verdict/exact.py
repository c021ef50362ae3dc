"""The gate for deterministic metrics: instruction counts that repeat to the instruction.

Why: a significance test answers "could noise explain this difference?". A count that was
checked to repeat exactly (``Metric.deterministic``: ``measure: instructions`` counted twice
and found equal) has no noise to explain, so the test would only add doubt where there is
none. The change itself decides: beyond the threshold (and its absolute minimum, if any) it is
a regression or an improvement, within it the metric is unchanged. The verdict is never
``inconclusive``; confidence is ``high`` because nothing was estimated.
"""

from __future__ import annotations

from dataclasses import replace

from aiwf_ci.models import Direction, Metric
from aiwf_ci.verdict.gate import exceeds, flip, held_by_floor, row
from aiwf_ci.verdict.model import EXACT_METHOD, NOTE_NO_THRESHOLD, MetricComparison, Verdict
from aiwf_ci.verdict.thresholds import Threshold

NOTE_ZERO_COUNT = "the baseline counted zero: no relative change"


def both_deterministic(base: Metric, head: Metric) -> bool:
    """Both sides were checked to repeat exactly (and have something to compare)."""
    return base.deterministic and head.deterministic and bool(base.samples and head.samples)


def compare_exact(
    bench: str,
    name: str,
    base: Metric,
    head: Metric,
    threshold: Threshold | None,
    apart: str = "",
) -> MetricComparison:
    """The change of the counts against the threshold; no test, no interval. ``apart`` says
    why the two runs' counts are not comparable (another CPU model, OS or Python: counts
    depend on the interpreter, the libraries and the CPU features glibc picks code for); the
    verdict is then ``inconclusive``, never a pass."""
    b, h = base.stats.median, head.stats.median
    out = replace(row(bench, name, base, head, threshold), method=EXACT_METHOD, confidence="high")
    if b <= 0:
        return replace(out, note=NOTE_ZERO_COUNT)
    change = h / b - 1.0
    out = replace(out, change=change)
    if apart:
        return replace(out, verdict="inconclusive", confidence="low", note=note_apart(apart))
    if threshold is None:
        return replace(out, confidence="low", note=NOTE_NO_THRESHOLD)
    return replace(out, verdict=exact_verdict(change, base.direction, threshold, b, h))


def note_apart(apart: str) -> str:
    return (
        f"counted on different machines ({apart}): instruction counts compare only on one "
        "machine; measure base and head on the same runner (baseline: same-runner)"
    )


def exact_verdict(
    change: float, direction: Direction, threshold: Threshold, base: float, head: float
) -> Verdict:
    """``regression``/``improvement`` when the change exceeds the threshold (compared on the
    log scale, as the statistical gates do, so +1% and its mirror -0.99% weigh the same)."""
    worse = flip(change, direction)
    verdict: Verdict = "regression" if worse > 0 else "improvement"
    if not exceeds(worse, threshold, direction) or held_by_floor(verdict, threshold, base, head):
        return "unchanged"
    return verdict
