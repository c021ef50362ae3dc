"""The design of sampling until decided: how many rounds at most, when to look, and how much
of the two error rates each look may spend. The stopping rule that judges the looks is
``verdict.sequential``; the design is apart so the gate's policy (``verdict.model``) can
carry it without the decisions, and so the runner can plan its budget from it.

**Looks at even round counts only.** Which side of a round goes first alternates from round
to round, so an order effect (the side going first a little slower or faster) adds +x and
-x to alternate rounds: it cancels over every pair of rounds, never over an odd count.

**Two error budgets, each spent look by look** (Lan & DeMets 1983, "Discrete sequential
boundaries for clinical trials", Biometrika 70; Kim & DeMets 1987, Biometrika 74, the power
family ``error(t) = error * min(1, t)**rho`` with ``t = rounds / max_rounds``):

- ``alpha`` (1%) for a false regression or improvement, spent as ``alpha * t**3`` at every
  even round count from ``min_rounds``. Little is spent early: a dozen rounds can be a lucky
  streak, and rounds that are not independent (state carried over from round to round,
  ``verdict.independence``) cannot be told from independent ones with so few; in the
  simulations (``benchmarks/gate_promises.py``) ``rho = 1`` (spending in proportion to the
  rounds) let a per-side AR(1) of 0.6 call a change of half the threshold a regression in
  3.7% of runs, ``rho = 2`` in 1.7%, ``rho = 3`` in 0.6%, at the price of deciding a clear
  change at round 16 instead of 12 (twice the threshold at 10% noise: median 38 rounds
  instead of 34).
- ``beta`` (5%) for calling "unchanged" a change at the threshold, spent as
  ``beta * t**2`` at the **beta looks**: ``max_rounds``, then halving back (50, 24, 12 of
  100). Fewer looks get bigger slices: the union bound below wastes most of an error budget
  spread over 45 correlated looks: with a beta look at every round count (the previous
  rule), 4-6% of unchanged benchmarks at 10% noise were still undecided after 100 rounds
  and a suite of 20 of them ended cleanly a third of the time; with these four looks 0.2%
  were, and 97% of suites ended cleanly.

A look whose share could never reject (the exact signed-rank test's smallest p-value with
``n`` values is ``2**(1 - n)``) is not taken; its share stays for the next look, so nothing
is wasted. The shares of the looks taken add up to at most ``alpha`` (and ``beta``), which
is what the union bound in ``verdict.sequential`` needs. A run ended early (a time budget)
has a **final look** that spends the rest of both (``final_shares``): a budget that allows 20
rounds gets almost all of ``alpha`` there instead of 0.01%.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from aiwf_ci.verdict.paired import min_rounds_for

__all__ = [
    "AUTO_MIN_ROUNDS_FLOOR",
    "Look",
    "SequentialDesign",
    "alpha_spent",
    "beta_spent",
    "fewest_rounds",
    "final_shares",
    "last_look",
    "looks",
]

#: The automatic ``min_rounds`` is never below this.
AUTO_MIN_ROUNDS_FLOOR = 6


@dataclass(frozen=True, slots=True, kw_only=True)
class SequentialDesign:
    """When to look and how much of ``alpha`` and ``beta`` each look may spend (module
    docstring). ``margin`` is the fraction of the threshold a regression must be shown to
    exceed (``verdict.sequential``); ``holm`` applies Holm's procedure across the suite's
    gated metrics (``verdict.compare``).

    ``min_rounds = 0`` (the default) means automatic: the smallest even n (at least
    ``AUTO_MIN_ROUNDS_FLOOR``) at which the first look's share ``alpha(n / max_rounds)`` is
    reachable by the exact signed-rank test, i.e. ``min_rounds_for(share) <= n``. An odd
    ``min_rounds`` (files of older versions) looks first at the next even count.
    """

    alpha: float = 0.01
    beta: float = 0.05
    max_rounds: int = 100
    min_rounds: int = 0
    look_every: int = 2
    rho: float = 3.0
    beta_rho: float = 2.0
    margin: float = 0.5
    holm: bool = False

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha < 1.0:
            raise ValueError(f"alpha must be in (0, 1), got {self.alpha!r}")
        if not 0.0 < self.beta < 0.5:
            raise ValueError(f"beta must be in (0, 0.5), got {self.beta!r}")
        if self.max_rounds < 2:
            raise ValueError(f"max_rounds must be at least 2, got {self.max_rounds}")
        if self.look_every < 2 or self.look_every % 2:
            raise ValueError(f"look_every must be even (2, 4, ...), got {self.look_every}")
        for name in ("rho", "beta_rho"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0.0):
                raise ValueError(f"{name} must be positive, got {value!r}")
        if not 0.0 <= self.margin < 1.0:
            raise ValueError(f"margin must be in [0, 1), got {self.margin!r}")
        if self.min_rounds == 0:
            object.__setattr__(self, "min_rounds", _auto_min_rounds(self))
        if not 1 <= self.min_rounds <= self.max_rounds:
            raise ValueError(
                f"min_rounds must be in [1, max_rounds={self.max_rounds}], got {self.min_rounds}"
            )


@dataclass(frozen=True, slots=True)
class Look:
    """A look after ``rounds`` rounds and what it may spend of each error (0: nothing)."""

    rounds: int
    alpha: float
    beta: float


def _auto_min_rounds(design: SequentialDesign) -> int:
    start = min(AUTO_MIN_ROUNDS_FLOOR, design.max_rounds)
    for n in range(start + start % 2, last_look(design) + 1, 2):
        if min_rounds_for(alpha_spent(design, n)) <= n:
            return n
    raise ValueError(
        f"alpha={design.alpha} cannot be reached by an exact test within "
        f"max_rounds={design.max_rounds} rounds; raise alpha or max_rounds"
    )


def alpha_spent(design: SequentialDesign, rounds: int) -> float:
    """Cumulative alpha spent by ``rounds`` rounds: ``alpha * min(1, t)**rho``."""
    return design.alpha * _fraction(design, rounds, design.rho)


def beta_spent(design: SequentialDesign, rounds: int) -> float:
    """Cumulative beta spent by ``rounds`` rounds: ``beta * min(1, t)**beta_rho``."""
    return design.beta * _fraction(design, rounds, design.beta_rho)


def _fraction(design: SequentialDesign, rounds: int, rho: float) -> float:
    if rounds < 0:
        raise ValueError(f"rounds must be >= 0, got {rounds}")
    return math.pow(min(1.0, rounds / design.max_rounds), rho)


def last_look(design: SequentialDesign) -> int:
    """The last planned look: ``max_rounds``, or the even count below it."""
    return design.max_rounds - design.max_rounds % 2


def fewest_rounds(design: SequentialDesign) -> int:
    """The fewest rounds that can show a regression at all: a final look spending the whole
    of ``alpha`` (8 rounds at 1%). A budget that allows fewer decides nothing."""
    n = min_rounds_for(design.alpha)
    return n + n % 2


@functools.cache
def looks(design: SequentialDesign) -> tuple[Look, ...]:
    """Every planned look that is taken, in order (module docstring): the alpha looks from
    ``min_rounds`` every ``look_every`` rounds, the beta looks from ``max_rounds`` halving
    back; a look whose share could not reject is not taken and its share carried on."""
    first = design.min_rounds + design.min_rounds % 2
    alpha = _taken(range(first, last_look(design) + 1, design.look_every), design, 1.0)
    beta = _taken(_halvings(design), design, 2.0)
    rounds = sorted(set(alpha) | set(beta))
    return tuple(Look(n, alpha.get(n, 0.0), beta.get(n, 0.0)) for n in rounds)


def _halvings(design: SequentialDesign) -> list[int]:
    out: set[int] = set()
    n = last_look(design)
    while n >= 2:
        out.add(n - n % 2)
        n //= 2
    return sorted(out)


def _taken(planned: range | list[int], design: SequentialDesign, sides: float) -> dict[int, float]:
    """Shares of the planned looks that can reject (``sides = 2``: a two-sided interval at
    twice the share, as the equivalence test uses); the others are carried on."""
    spent = alpha_spent if sides == 1.0 else beta_spent
    taken: dict[int, float] = {}
    before = 0.0
    for n in planned:
        share = spent(design, n) - before
        if share > 0.0 and min_rounds_for(min(1.0, sides * share)) <= n:
            taken[n] = share
            before += share
    return taken


def final_shares(design: SequentialDesign, rounds: int) -> Look:
    """A final look after ``rounds`` rounds (an even count): the rest of alpha and of beta,
    whatever the looks taken before it spent."""
    alpha = beta = 0.0
    for look in looks(design):
        if look.rounds < rounds:
            alpha, beta = alpha + look.alpha, beta + look.beta
    return Look(rounds, max(0.0, design.alpha - alpha), max(0.0, design.beta - beta))
