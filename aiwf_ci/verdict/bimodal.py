"""Two-peaked results: no single shift is reported for them.

Why: when a benchmark's values fall into two groups — a fast and a slow mode, from a cache
that sometimes misses, a hash seed that sometimes collides, a process that sometimes lands
on a slow core — one number for "the change" mixes the groups: a head that only moved
values from one group to the other reads as a shift of the whole distribution, and a real
change inside one group is averaged away. Mozilla's comparison tool refuses such a verdict
and shows the groups; so does this gate. A judged row (regression, improvement, unchanged,
inconclusive) becomes ``inconclusive`` with the reason ``bimodal`` and both sides' groups,
when:

- **paired rounds** (same runner): the per-round ratios head/base fall into two groups. A
  side that has two modes of its own (a slow path taken in some processes) carries them
  into the ratios, since the other side of each round does not share them. What a bursty
  machine does to both sides of every round — two levels, fast and slow, on each side — the
  ratio cancels, so the sides' own groups are shown but not counted (comparing the sides'
  numbers of groups refused real changes beside a bursty neighbour whenever one side's
  burst level was found and the other's was not);
- **two blocks of runs** (unpaired): either side's values fall into two groups (then the
  numbers of groups differ, or both are two-peaked): separate runs have nothing that
  cancels a mode.

While sampling until decided, a look whose decision is refused here ends the sampling as
well (the stopping rule's replay stops at the same look), so a replay of the stored rounds
gives the same answer. Values quantised by a coarse timer can look two-peaked; aiwf-ci's own
timers are nanosecond clocks averaged over a sample's loops.

Groups closer than the metric's threshold are one group (``modes.find_peaks``'s
``min_separation``): a split the gate would not act on is no reason to refuse it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from aiwf_ci.numbers import human
from aiwf_ci.verdict.model import MetricComparison
from aiwf_ci.verdict.modes import Peaks, find_peaks

__all__ = ["NOTE_BIMODAL", "refuse_bimodal"]

NOTE_BIMODAL = "bimodal"
JUDGED = frozenset({"regression", "improvement", "unchanged", "inconclusive"})


def refuse_bimodal(
    row: MetricComparison,
    base: Sequence[float],
    head: Sequence[float],
    *,
    paired: bool,
    unit: str,
) -> MetricComparison:
    """``row`` as decided, or ``inconclusive: bimodal`` with the groups (module docstring).
    ``base`` and ``head`` are the per-round values (paired, same rounds, same order) or the
    samples of each block."""
    if row.verdict not in JUDGED or row.threshold is None:
        return row
    if min(len(base), len(head)) == 0 or min(*base, *head) <= 0:
        return row
    separation = row.threshold.relative
    ratios = None
    if paired:
        quotients = [h / b for b, h in zip(base, head, strict=True)]
        ratios = find_peaks(quotients, min_separation=separation)
        if not ratios.bimodal:
            return row
    peaks_b = find_peaks(base, min_separation=separation)
    peaks_h = find_peaks(head, min_separation=separation)
    if not paired and not (peaks_b.bimodal or peaks_h.bimodal):
        return row
    return replace(
        row,
        verdict="inconclusive",
        change=None,
        ci=None,
        confidence="low",
        note=_note(peaks_b, peaks_h, ratios, unit),
    )


def _note(base: Peaks, head: Peaks, ratios: Peaks | None, unit: str) -> str:
    def fmt(value: float) -> str:
        return human(value, unit)

    parts = [f"base {base.describe(fmt)}", f"head {head.describe(fmt)}"]
    if ratios is not None and ratios.bimodal:
        parts.append(f"head/base per round {ratios.describe(lambda r: f'{r:.3f}×')}")
    return f"{NOTE_BIMODAL}: " + "; ".join(parts)
