"""Sample until decided: what each look decides, and the replay of a run's looks.

Rounds of interleaved base/head chunks are measured one after another and the per-round
log ratios ``d`` (``aiwf_ci.verdict.paired``; positive = worse) are judged at the looks of
the design (``verdict.design``: even round counts, each look spending a slice of ``alpha``
and, at some looks, of ``beta``). With ``b = log1p(threshold)``:

- **regression**: Tukey's interval at confidence ``1 - alpha_k`` (the look's slice) lies
  above ``margin * b`` (half the threshold by default), the Hodges-Lehmann estimate is
  beyond ``b``, and the signed-rank test of no change rejects at ``alpha_k``. The interval
  is the inversion of the exact Wilcoxon signed-rank test, so "the interval lies above
  ``b/2``" is the one-sided test of **H0: worsening <= half the threshold** (on ``d - b/2``)
  at level ``alpha_k / 2``;
- **improvement**: the mirror image (interval below ``-b/2``, estimate below ``-b``);
- **unchanged**: at a beta look, the interval at ``1 - 2 * beta_k`` lies within ``(-b, b)``
  (two one-sided tests, TOST, each at ``beta_k``);
- otherwise ``undecided`` (measure on) or, at a final look, ``inconclusive``.

**Why half the threshold.** A user reads a 5% threshold as "a change under 5% passes". The
previous rule tested H0: no change, and took the estimate beyond the threshold as the size
criterion: a true +3% at 10% noise was then a regression in 6-12% of runs, +4% in a third,
and a suite of 20 benchmarks each 3% slower failed 76-91% of the time. Testing against
half the threshold bounds that directly: a change of at most ``b/2`` is called a regression
with probability at most ``alpha / 2`` whatever the noise, if the rounds are independent
(below), while a change of twice the threshold (``b/2`` away from ``b`` on the other side)
is still found: at 10% noise, +10% at a 5% threshold in 99.9% of runs within 100 rounds.
Between ``b/2`` and ``b`` lies the grey zone: "unchanged" is the likely answer there, a
regression the rare one (the operating curve in the README). A larger margin (the whole
interval beyond ``b``) would need 4x the rounds for the same power at 2x the threshold; a
smaller one lets through what the old rule let through.

**Why the error is bounded.** Under "worsening exactly ``b/2``" the signs of ``d - b/2`` are
symmetric (whatever the machine did during a round hit both of its chunks: it cancels), so
a look's one-sided test rejects with probability at most its slice, and less when the true
worsening is smaller. By the union (Bonferroni) bound the chance of any false rejection over
all looks is at most the sum of the slices, at most ``alpha``, whatever the correlation
between looks (the classical Lan-DeMets boundaries assume Brownian motion; this needs no
joint distribution, which is what makes it valid for rank tests on a few dozen rounds).
It stays valid when a time budget ends the run at an unplanned round whose final look spends
the rest: the budget depends on how long rounds take, which swapping base and head within a
round does not change. What must never depend on the data is *when* to look and how much a
look spends: both are fixed by the design and the round count.

**Rounds that are not independent** (``verdict.independence``): at each look the rank lag-1
autocorrelation of the rounds is checked; when it fires, batch means of consecutive rounds
are judged instead, at the same slices, and a final look that cannot decide says
``inconclusive`` with the reason ``rounds not independent``.

``beta`` bounds "unchanged" said of a change at the threshold, the same way; it is an error
of a milder kind (a change at the edge of the threshold passes unnoticed, no build fails on
noise), so it gets the larger budget, which lets a quiet A/A comparison stop sooner.
Regressions and improvements are symmetric on the log scale: with a 5% threshold a
regression is head/base > 1.05, an improvement head/base < 1/1.05 (-4.8%).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from aiwf_ci.stats import median_sorted
from aiwf_ci.verdict.design import (
    Look,
    SequentialDesign,
    alpha_spent,
    final_shares,
    last_look,
    looks,
)
from aiwf_ci.verdict.gate import log_bound, shifted, within
from aiwf_ci.verdict.independence import NOTE_DEPENDENT, batch_means, batch_size
from aiwf_ci.verdict.paired import tukey_bounds, walsh_averages, wilcoxon_signed_rank

__all__ = [
    "Decision",
    "SequentialDesign",
    "State",
    "alpha_spent",
    "is_look",
    "judge",
    "planned_looks",
    "replay",
]

State = Literal["regression", "improvement", "unchanged", "undecided", "inconclusive"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """The state after ``rounds`` rounds.

    ``change`` is head/base - 1 signed so that positive is worse, ``ci`` its interval at
    confidence ``1 - alpha_spent_here`` and ``p_value`` the signed-rank test's of no change;
    all three are None when this was not a look (nothing computed, nothing spent). ``ci`` is
    ``(-1, inf)`` when the look's share is too small for any finite interval. ``batch`` is
    how many consecutive rounds were averaged into one value (1: the rounds as they are),
    ``lag1`` the rank lag-1 autocorrelation that chose it; ``note`` says why a final look
    that could not decide could not (``rounds not independent``), else ``""``.
    """

    state: State
    change: float | None
    ci: tuple[float, float] | None
    p_value: float | None
    rounds: int
    alpha_spent_here: float
    batch: int = 1
    lag1: float | None = None
    note: str = ""


# --- the look schedule -----------------------------------------------------------------------


def planned_looks(design: SequentialDesign) -> tuple[int, ...]:
    """Round counts of the looks taken when no budget ends the run early."""
    return tuple(look.rounds for look in looks(design))


def is_look(design: SequentialDesign, rounds: int) -> bool:
    """Whether a look is taken after ``rounds`` rounds (when the run goes on)."""
    return rounds in planned_looks(design)


def _look_at(design: SequentialDesign, rounds: int, final: bool) -> Look | None:
    """The look judged after ``rounds`` rounds: a final one (even count, the rest of both
    errors) or a planned one; None between planned looks."""
    if final:
        return final_shares(design, min(rounds - rounds % 2, last_look(design)))
    return next((look for look in looks(design) if look.rounds == rounds), None)


# --- the decision at a look -------------------------------------------------------------------


def judge(
    worse_log_ratios: Sequence[float], *, threshold: float, design: SequentialDesign, final: bool
) -> Decision:
    """Decide after ``len(worse_log_ratios)`` rounds (see the module docstring).

    ``threshold`` is the relative threshold (0.05 for 5%; 0 for pure significance).
    ``final`` marks the last look (the budget is spent): it uses the largest even number
    of rounds and spends the rest of both errors. At or past the design's last look every
    look is final. Between planned looks, when not final, the answer is ``undecided`` and
    nothing is computed or spent.
    """
    if not (math.isfinite(threshold) and threshold >= 0.0):
        raise ValueError(f"threshold must be a finite fraction >= 0, got {threshold!r}")
    rounds = len(worse_log_ratios)
    final = final or rounds >= last_look(design)
    look = _look_at(design, rounds, final)
    if look is None:
        return _nothing("undecided", rounds)
    return _decide(worse_log_ratios[: look.rounds], look, threshold, design, final)


def _nothing(
    state: State, rounds: int, spent: float = 0.0, *, batch: int = 1, lag1: float | None = None
) -> Decision:
    """A look that computed nothing (not a look, or too few values to judge)."""
    note = NOTE_DEPENDENT if state == "inconclusive" and batch > 1 else ""
    return Decision(
        state=state,
        change=None,
        ci=None,
        p_value=None,
        rounds=rounds,
        alpha_spent_here=spent,
        batch=batch,
        lag1=lag1,
        note=note,
    )


def _decide(
    d: Sequence[float], look: Look, threshold: float, design: SequentialDesign, final: bool
) -> Decision:
    fallback: State = "inconclusive" if final else "undecided"
    batch, lag1 = batch_size(d, final=final and len(d) < last_look(design))
    units = batch_means(d, batch)
    if len(units) < 2:
        return _nothing(fallback, len(d), look.alpha, batch=batch, lag1=lag1)
    bound = log_bound(threshold)
    walsh = walsh_averages(units)
    estimate = median_sorted(walsh)
    p_value = wilcoxon_signed_rank(units).p_value
    shown = tukey_bounds(walsh, len(units), look.alpha)
    lo, hi = shown if shown is not None else (-math.inf, math.inf)
    significant = shown is not None and p_value <= look.alpha
    moved = shifted(estimate, lo, hi, bound, significant=significant, margin=design.margin * bound)
    state: State = moved or fallback
    spent = look.alpha
    if moved is None:
        equivalent = tukey_bounds(walsh, len(units), 2.0 * look.beta)
        if equivalent is not None and within(*equivalent, bound):
            state, (lo, hi), spent = "unchanged", equivalent, 2.0 * look.beta
    note = NOTE_DEPENDENT if state == "inconclusive" and batch > 1 else ""
    return Decision(
        state=state,
        change=math.expm1(estimate),
        ci=(math.expm1(lo), math.expm1(hi)),
        p_value=p_value,
        rounds=len(d),
        alpha_spent_here=spent,
        batch=batch,
        lag1=lag1,
        note=note,
    )


def replay(
    worse_log_ratios: Sequence[float],
    *,
    threshold: float,
    design: SequentialDesign,
    final: bool,
) -> Decision:
    """The stopping rule run over stored rounds: the decision the run took, or would take.

    The planned looks up to ``len(worse_log_ratios)`` are judged in turn and the first
    decisive one wins; with ``final`` the last (even) round count is a final look that
    spends the rest of both errors (a budget ends a run between planned looks). Replaying the
    rounds a run stored gives the very decision the run stopped on, so a results file
    judged later (``aiwf-ci compare``) agrees with the run that wrote it.
    """
    if not (math.isfinite(threshold) and threshold >= 0.0):
        raise ValueError(f"threshold must be a finite fraction >= 0, got {threshold!r}")
    rounds = len(worse_log_ratios)
    end = min(rounds - rounds % 2, last_look(design))
    decision = _nothing("undecided", 0)
    for look in looks(design):
        if look.rounds > rounds or (final and look.rounds >= end):
            break
        decision = _decide(worse_log_ratios[: look.rounds], look, threshold, design, False)
        if decision.state != "undecided":
            return decision
    if not final:
        return decision
    if end == 0:
        return _nothing("inconclusive", 0, design.alpha)
    return _decide(worse_log_ratios[:end], final_shares(design, end), threshold, design, True)
