"""Sample until decided: when to stop measuring rounds, and what was decided.

Rounds of interleaved base/head chunks are measured one after another and the per-round
log-ratios (``aiwf_ci.verdict.paired``) are judged at fixed *looks*: after ``min_rounds``
rounds, then every ``look_every`` rounds, and at ``max_rounds``. Looking again and again at
growing data inflates false alarms (the 46 default looks, each at 1%, alarm in about 6.7% of
simulated A/A runs), so each look gets only a slice of the total error ``alpha``:

- **Alpha spending** (Lan & DeMets 1983, "Discrete sequential boundaries for clinical
  trials", Biometrika 70) with the **Kim-DeMets power family** (Kim & DeMets 1987, Biometrika
  74): ``alpha(t) = alpha * min(1, t)**rho`` with ``t = rounds / max_rounds``. The look at
  ``t_k`` spends ``alpha(t_k) - alpha(t_(k-1))``. ``rho = 1`` spends evenly (Pocock-like);
  larger ``rho`` saves alpha for late looks (``rho = 3`` is close to O'Brien-Fleming).
- At a look the paired Hodges-Lehmann interval is computed at confidence ``1 - spent``; it
  is Tukey's interval, the inversion of the exact Wilcoxon signed-rank test at level
  ``spent``, so the interval and the test are one method.

Why the false-alarm rate is at most ``alpha``: under "no change" the signs of the
per-round log-ratios are symmetric (drift shared by the two chunks of a round cancels), so
the look at ``t_k`` rejects with probability at most its slice; by the union (Bonferroni)
bound the probability of any false rejection over all looks is at most the sum of the
slices, ``alpha(t_last) <= alpha``, whatever the correlation between looks. No joint
distribution of the looks is assumed (the classical Lan-DeMets boundaries assume Brownian
motion), which is what makes the rule valid for rank tests on a few dozen rounds, and it
stays valid when a time budget ends the run at an unplanned round: that final look spends
``alpha(t_final) - alpha(t_previous)``. The budget depends on how long rounds take, not on
which side of a round was slower, so it cannot pick a favourable moment. What must never
depend on the data is *when* to look: looks are at fixed round counts. (The symmetry needs
base and head to be exchangeable within a round; alternating or randomising which side runs
first keeps it when the drift changes within a round.)

Default ``rho = 1`` (linear): with alpha = 0.01 and 100 rounds the first look is after 11
rounds (14 for rho = 2, 16 for rho = 3), and in simulations clear changes were decided 2-3
rounds sooner than with rho = 2 or 3, which only won about 5 points of power on borderline
effects near ``max_rounds``; and a time budget that ends a run early has already spent its
proportional share instead of leaving most of alpha unused.

Decision at a look with interval ``[lo, hi]`` (log scale, positive = worse) and
``b = log1p(threshold)``:

- ``regression``: the test rejects (p <= spent, and ``lo > 0``) and the estimate is > b;
- ``improvement``: the mirror image (p <= spent, ``hi < 0``, estimate < -b);
- ``unchanged``: equivalence shown by two one-sided tests (TOST) at the look's share of
  ``beta``: the ``1 - 2 * beta_spent`` interval lies within ``(-b, b)``;
- otherwise ``undecided`` (measure on) or, at the final look, ``inconclusive``.

Two error rates, each spent look by look with the same spending function and bounded by the
same union argument: ``alpha`` (1%) for a false regression or improvement, ``beta`` (5%) for
calling "unchanged" a change that is in fact beyond the threshold. The second is an error of
a milder kind (a change at the edge of the threshold passes unnoticed, no build fails on
noise), so it gets the larger budget, which lets a quiet A/A comparison stop sooner.

Regressions and improvements are symmetric on the log scale: with a 5% threshold a
regression is head/base > 1.05 and an improvement head/base < 1/1.05 (-4.8%), i.e. base is
more than 5% slower than head. For untied data "p <= spent" and "0 outside [lo, hi]" are the
same statement; requiring both keeps the report consistent when ties or zeros occur.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from aiwf_ci.verdict.design import SequentialDesign, alpha_spent
from aiwf_ci.verdict.gate import log_bound, shifted, within
from aiwf_ci.verdict.paired import paired_hodges_lehmann, wilcoxon_signed_rank

__all__ = [
    "Decision",
    "SequentialDesign",
    "State",
    "alpha_spent",
    "is_look",
    "judge",
    "look_alpha",
    "planned_looks",
    "replay",
]

State = Literal["regression", "improvement", "unchanged", "undecided", "inconclusive"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """The state after ``rounds`` rounds.

    ``change`` is head/base - 1 signed so that positive is worse, ``ci`` its interval at
    confidence ``1 - alpha_spent_here`` and ``p_value`` the signed-rank test's; all three
    are None when this was not a look (nothing computed, nothing spent). ``ci`` is
    ``(-1, inf)`` when the look's share is too small for any finite interval.
    """

    state: State
    change: float | None
    ci: tuple[float, float] | None
    p_value: float | None
    rounds: int
    alpha_spent_here: float


# --- the look schedule and the spending function -------------------------------------------


def look_alpha(design: SequentialDesign, rounds: int, previous_look: int | None) -> float:
    """The share of alpha a look after ``rounds`` rounds may spend, the previous look
    having been after ``previous_look`` rounds (None: this is the first look)."""
    before = 0 if previous_look is None else previous_look
    if not 0 <= before <= rounds:
        raise ValueError(f"previous look {previous_look} must be in [0, rounds={rounds}]")
    return max(0.0, alpha_spent(design, rounds) - alpha_spent(design, before))


def look_beta(design: SequentialDesign, rounds: int, previous_look: int | None) -> float:
    """The share of beta (the equivalence test's error) a look may spend: the same spending
    function as alpha, scaled to ``beta``."""
    return look_alpha(design, rounds, previous_look) * design.beta / design.alpha


def planned_looks(design: SequentialDesign) -> tuple[int, ...]:
    """Round counts of the planned looks: min_rounds, then every look_every, and max_rounds."""
    looks = range(design.min_rounds, design.max_rounds + 1, design.look_every)
    return (*looks, design.max_rounds) if looks[-1] != design.max_rounds else tuple(looks)


def is_look(design: SequentialDesign, rounds: int) -> bool:
    """Whether a look is planned after ``rounds`` rounds."""
    if rounds == design.max_rounds:
        return True
    offset = rounds - design.min_rounds
    return offset >= 0 and rounds < design.max_rounds and offset % design.look_every == 0


# --- the decision at a look -----------------------------------------------------------------


def judge(
    worse_log_ratios: Sequence[float],
    *,
    threshold: float,
    design: SequentialDesign,
    previous_look: int | None,
    final: bool,
) -> Decision:
    """Decide after ``len(worse_log_ratios)`` rounds (see the module docstring).

    ``threshold`` is the relative threshold (0.05 for 5%; 0 for pure significance).
    ``previous_look`` is the round count of the previous look that was judged (None before
    the first): passing None at every look would spend alpha again and again. ``final``
    marks the last look (the budget is spent); at or past ``max_rounds`` every look is
    final since no alpha remains. Between planned looks, when not final, the answer is
    ``undecided`` and nothing is computed or spent.
    """
    if not (math.isfinite(threshold) and threshold >= 0.0):
        raise ValueError(f"threshold must be a finite fraction >= 0, got {threshold!r}")
    rounds = len(worse_log_ratios)
    final = final or rounds >= design.max_rounds
    if not final and not is_look(design, rounds):
        return Decision(
            state="undecided",
            change=None,
            ci=None,
            p_value=None,
            rounds=rounds,
            alpha_spent_here=0.0,
        )
    spent = look_alpha(design, rounds, previous_look)
    fallback: State = "inconclusive" if final else "undecided"
    if rounds == 0:
        return Decision(
            state=fallback, change=None, ci=None, p_value=None, rounds=0, alpha_spent_here=spent
        )
    beta = look_beta(design, rounds, previous_look)
    return _decide(worse_log_ratios, log_bound(threshold), spent, beta, fallback)


def _decide(
    d: Sequence[float], bound: float, spent: float, beta: float, fallback: State
) -> Decision:
    estimate, lo, hi = _shift(d, spent)
    p_value = wilcoxon_signed_rank(d).p_value
    state: State = shifted(estimate, lo, hi, bound, significant=p_value <= spent) or fallback
    if state == fallback:
        _, eq_lo, eq_hi = _shift(d, 2.0 * beta)
        if within(eq_lo, eq_hi, bound):
            return Decision(
                state="unchanged",
                change=math.expm1(estimate),
                ci=(math.expm1(eq_lo), math.expm1(eq_hi)),
                p_value=p_value,
                rounds=len(d),
                alpha_spent_here=2.0 * beta,
            )
    return Decision(
        state=state,
        change=math.expm1(estimate),
        ci=(math.expm1(lo), math.expm1(hi)),
        p_value=p_value,
        rounds=len(d),
        alpha_spent_here=spent,
    )


def _shift(d: Sequence[float], spent: float) -> tuple[float, float, float]:
    """Estimate and interval at confidence 1 - spent; unbounded when no finite interval
    attains that confidence (too few rounds for so small a share, or nothing to spend)."""
    if spent <= 0.0:
        return paired_hodges_lehmann(d).estimate, -math.inf, math.inf
    shift = paired_hodges_lehmann(d, confidence=1.0 - spent)
    if shift.coverage < shift.confidence:
        return shift.estimate, -math.inf, math.inf
    return shift.estimate, shift.low, shift.high


def replay(
    worse_log_ratios: Sequence[float],
    *,
    threshold: float,
    design: SequentialDesign,
    final: bool,
) -> Decision:
    """The stopping rule run over stored rounds: the decision the run took, or would take.

    Looks are taken at the planned round counts up to ``len(worse_log_ratios)``, each
    spending its slice, and the first decisive one wins; with ``final`` the last round
    count is a final look too (a budget ends a run between planned looks). Replaying the
    rounds a run stored gives the very decision the run stopped on, so a results file
    judged later (``aiwf-ci compare``) agrees with the run that wrote it.
    """
    rounds = len(worse_log_ratios)
    looks = [n for n in planned_looks(design) if n <= rounds]
    if final and (not looks or looks[-1] != rounds):
        looks.append(rounds)
    previous: int | None = None
    decision = judge((), threshold=threshold, design=design, previous_look=None, final=False)
    for index, n in enumerate(looks):
        last = final and index == len(looks) - 1
        decision = judge(
            worse_log_ratios[:n],
            threshold=threshold,
            design=design,
            previous_look=previous,
            final=last,
        )
        if decision.state != "undecided":
            return decision
        previous = n
    return decision
