"""The design of sampling until decided: how many rounds at most, when to look, and how much
of the error rates each look may spend (``alpha_spent``, the Kim-DeMets power family). The
stopping rule that judges the looks is ``verdict.sequential``; the design is apart so the
gate's policy (``verdict.model``) can carry it without the decisions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from aiwf_ci.verdict.paired import min_rounds_for

__all__ = ["AUTO_MIN_ROUNDS_FLOOR", "SequentialDesign", "alpha_spent"]

#: The automatic ``min_rounds`` is never below this (the exact test's floor at alpha 0.05).
AUTO_MIN_ROUNDS_FLOOR = 6


@dataclass(frozen=True, slots=True, kw_only=True)
class SequentialDesign:
    """When to look and how much of ``alpha`` each look may spend.

    ``min_rounds = 0`` (the default) means automatic: the smallest n (at least
    ``AUTO_MIN_ROUNDS_FLOOR``) at which the first look's share ``alpha(n / max_rounds)`` is
    reachable by the exact signed-rank test, i.e. ``min_rounds_for(share) <= n``.
    """

    alpha: float = 0.01
    beta: float = 0.05
    max_rounds: int = 100
    min_rounds: int = 0
    look_every: int = 2
    rho: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha < 1.0:
            raise ValueError(f"alpha must be in (0, 1), got {self.alpha!r}")
        if not 0.0 < self.beta < 0.5:
            raise ValueError(f"beta must be in (0, 0.5), got {self.beta!r}")
        if self.max_rounds < 1 or self.look_every < 1:
            raise ValueError("max_rounds and look_every must be at least 1")
        if not (math.isfinite(self.rho) and self.rho > 0.0):
            raise ValueError(f"rho must be positive, got {self.rho!r}")
        if self.min_rounds == 0:
            object.__setattr__(self, "min_rounds", _auto_min_rounds(self))
        if not 1 <= self.min_rounds <= self.max_rounds:
            raise ValueError(
                f"min_rounds must be in [1, max_rounds={self.max_rounds}], got {self.min_rounds}"
            )


def _auto_min_rounds(design: SequentialDesign) -> int:
    for n in range(min(AUTO_MIN_ROUNDS_FLOOR, design.max_rounds), design.max_rounds + 1):
        if min_rounds_for(alpha_spent(design, n)) <= n:
            return n
    raise ValueError(
        f"alpha={design.alpha} cannot be reached by an exact test within "
        f"max_rounds={design.max_rounds} rounds; raise alpha or max_rounds"
    )


def alpha_spent(design: SequentialDesign, rounds: int) -> float:
    """Cumulative alpha spent by ``rounds`` rounds: ``alpha * min(1, t)**rho``."""
    if rounds < 0:
        raise ValueError(f"rounds must be >= 0, got {rounds}")
    return design.alpha * math.pow(min(1.0, rounds / design.max_rounds), design.rho)
