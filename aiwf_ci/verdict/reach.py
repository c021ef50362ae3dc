"""What the stopping rule can show on a machine of a given noise: the reach of a calibration.

``aiwf-ci calibrate`` measures the suite against itself in paired rounds and keeps, per
benchmark and gated metric, the **spread** of the per-round log ratio (``spread``: the
median absolute deviation times 1.4826, the standard deviation of normal noise, robust to
the odd burst). From it and the design (``verdict.design``) this module answers three
questions a person asks before trusting a gate:

- the **smallest change detectable** within ``n`` rounds: the smallest worsening the rule
  calls a regression in ``POWER`` (90%) of runs when the run ends after ``n`` rounds;
- the rounds it takes to call **no change "unchanged"** (90% of runs);
- the rounds it takes to show a change of **twice the threshold** (90% of runs).

**The smallest detectable change is simulated**, seeded and exact for the rule's final look:
``DRAWS`` runs of ``n`` standard normal rounds are judged as the final look judges them (the
independence check and its batches, the exact test's Tukey interval at the share the look
spends: ``design.final_shares``), keeping each run's Hodges-Lehmann estimate ``h`` and the
interval's lower end ``l``. Both shift with the data and scale with it, so with spread ``s``
and a true worsening ``c`` (log scale) a run is a regression when ``c + s*h > b`` and
``c + s*l > margin * b`` (and ``> 0``: the test of no change), ``b`` the log of 1 +
threshold: each run needs its own ``c``, and the 90th percentile of those is the answer.
One set of draws per round count serves every spread and threshold (cached: 2 s for 100
rounds, once). Only the final look is counted: earlier looks can only add detections, so
the figure errs on the safe side. Checked against the whole rule (``simulated_detection``,
a seeded replay, in the unit tests and ``benchmarks/calibrate_check.py``): at the predicted
change 88-98% of replays were regressions (200 each; spreads 1-20%, thresholds 0-5%, 20-100
rounds), and against real ``ab`` runs (the README).

**The round counts are a normal approximation** (a guide, not a promise): the estimate has
the standard error ``se = s * sqrt(pi / (3 n))`` (Hodges & Lehmann 1963) and the interval's
ends lie ``z * se`` from it, ``z`` the normal quantile of the look's share; a look is
counted when it alone reaches 90%.

``noise_floor`` is the smallest detectable change for a threshold of 0: the smallest change
the noise lets the rule show at all, whatever the threshold. A threshold below it cannot be
told from the noise within the budget (``below_floor``).
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

from aiwf_ci.models.calibration import Calibration
from aiwf_ci.numbers import duration
from aiwf_ci.stats import median, median_sorted
from aiwf_ci.verdict.design import SequentialDesign, final_shares, last_look, looks
from aiwf_ci.verdict.independence import batch_means, batch_size
from aiwf_ci.verdict.paired import min_rounds_for, tukey_bounds, walsh_averages
from aiwf_ci.verdict.sequential import replay
from aiwf_ci.verdict.thresholds import Threshold, ThresholdRules
from aiwf_ci.verdict.timer import ACTIVE, CPU, WALL

__all__ = [
    "DRAWS",
    "MAD_TO_SD",
    "POWER",
    "Reach",
    "below_floor",
    "reach",
    "rounds_to_show",
    "rounds_to_unchanged",
    "simulated_detection",
    "smallest_detectable",
    "spread",
]

#: The median absolute deviation of normal noise times this is its standard deviation.
MAD_TO_SD = 1.4826
#: "Detectable": called a regression in at least this share of runs.
POWER = 0.9
#: Simulated runs behind ``smallest_detectable`` (one set per round count, cached).
DRAWS = 1000
_NORMAL = NormalDist()
_HL_FACTOR = math.sqrt(math.pi / 3.0)


def spread(log_ratios: Sequence[float]) -> float:
    """Robust standard deviation of per-round log ratios: MAD x 1.4826 (0 for < 2 values)."""
    if len(log_ratios) < 2:
        return 0.0
    centre = median(log_ratios)
    return MAD_TO_SD * median([abs(x - centre) for x in log_ratios])


def _se(sigma: float, rounds: int) -> float:
    return sigma * _HL_FACTOR / math.sqrt(rounds)


def _reachable(share: float, rounds: int) -> bool:
    return rounds >= 2 and share > 0.0 and min_rounds_for(min(1.0, share)) <= rounds


def _need(sigma: float, bound: float, share: float, rounds: int, margin: float) -> float:
    """The estimate a regression needs at a look of ``share`` after ``rounds`` rounds."""
    z = _NORMAL.inv_cdf(1.0 - share / 2.0)
    return max(bound, margin * bound + z * _se(sigma, rounds))


def smallest_detectable(
    sigma: float, threshold: float, design: SequentialDesign, rounds: int, *, seed: int = 0
) -> float | None:
    """The smallest worsening (a fraction, 0.04 = 4%) the rule calls a regression in
    ``POWER`` of runs that end after ``rounds`` rounds (module docstring: a seeded
    simulation of the final look); ``None`` when a run that short cannot show one."""
    n = min(rounds - rounds % 2, last_look(design))
    share = final_shares(design, n).alpha if n >= 2 else 0.0
    if not _reachable(share, n):
        return None
    bound = math.log1p(threshold)
    needed = sorted(
        max(bound - sigma * estimate, design.margin * bound - sigma * low, -sigma * low)
        for estimate, low in _standard_looks(n, share, seed)
    )
    worst = needed[math.ceil(POWER * len(needed)) - 1]
    return math.expm1(max(0.0, worst)) if math.isfinite(worst) else None


@functools.cache
def _standard_looks(rounds: int, share: float, seed: int) -> tuple[tuple[float, float], ...]:
    """``DRAWS`` runs of ``rounds`` standard normal log ratios as the final look of the rule
    judges them (batched when it would batch): each run's estimate and lower interval end.
    Every figure of the rule shifts with the data and scales with it, so one set of draws
    serves every spread, threshold and change."""
    rng = random.Random(seed)
    out = []
    for _ in range(DRAWS):
        values = [rng.gauss(0.0, 1.0) for _ in range(rounds)]
        batch, _ = batch_size(values, final=True)
        units = batch_means(values, batch)
        if len(units) < 2:  # the rule decides nothing on one batch
            out.append((-math.inf, -math.inf))
            continue
        walsh = walsh_averages(units)
        bounds = tukey_bounds(walsh, len(units), share)
        low = bounds[0] if bounds is not None else -math.inf
        out.append((median_sorted(walsh), low))
    return tuple(out)


def rounds_to_show(
    change: float, sigma: float, threshold: float, design: SequentialDesign
) -> int | None:
    """The first planned look at which a worsening of ``change`` is called a regression in
    ``POWER`` of runs, judging that look alone; ``None`` when none within the design."""
    bound, target = math.log1p(threshold), math.log1p(change)
    for look in looks(design):
        if not _reachable(look.alpha, look.rounds):
            continue
        need = _need(sigma, bound, look.alpha, look.rounds, design.margin)
        if target - need >= _NORMAL.inv_cdf(POWER) * _se(sigma, look.rounds):
            return look.rounds
    return None


def rounds_to_unchanged(sigma: float, threshold: float, design: SequentialDesign) -> int | None:
    """The first beta look at which no change is called "unchanged" in ``POWER`` of runs:
    the interval at ``1 - 2 beta_k`` lies within ``(-b, b)`` when the estimate's distance
    from 0 plus ``z(1 - beta_k) * se`` is below ``b``. ``None`` for a threshold of 0 or
    when no beta look gets there."""
    bound = math.log1p(threshold)
    if bound <= 0.0:
        return None
    spread_of_abs = _NORMAL.inv_cdf((1.0 + POWER) / 2.0)  # |estimate| below this many se's
    for look in looks(design):
        if not _reachable(2.0 * look.beta, look.rounds):
            continue
        se = _se(sigma, look.rounds)
        if (spread_of_abs + _NORMAL.inv_cdf(1.0 - look.beta)) * se < bound:
            return look.rounds
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Reach:
    """One gated metric's figures (fractions, round counts; ``None``: not within the
    design or the budget)."""

    detectable: float | None
    noise_floor: float | None
    rounds_unchanged: int | None
    rounds_twice: int | None


def reach(sigma: float, threshold: float, design: SequentialDesign, rounds: int) -> Reach:
    """Every figure of the module docstring for a metric of spread ``sigma`` gated at
    ``threshold`` (the worsening fraction the rule allows), ``rounds`` the budget's."""
    return Reach(
        detectable=smallest_detectable(sigma, threshold, design, rounds),
        noise_floor=smallest_detectable(sigma, 0.0, design, rounds),
        rounds_unchanged=rounds_to_unchanged(sigma, threshold, design),
        rounds_twice=rounds_to_show(2.0 * threshold, sigma, threshold, design),
    )


def simulated_detection(
    change: float,
    sigma: float,
    *,
    threshold: float,
    design: SequentialDesign,
    rounds: int,
    draws: int = 400,
    seed: int = 0,
) -> float:
    """The share of ``draws`` simulated runs of ``rounds`` rounds (normal log ratios of
    spread ``sigma`` around ``log1p(change)``) the rule itself (``replay``, a final look at
    the end) calls a regression: the check of the closed form. Deterministic for a seed."""
    rng = random.Random(seed)
    centre = math.log1p(change)
    hits = 0
    for _ in range(draws):
        values = [rng.gauss(centre, sigma) for _ in range(rounds)]
        decision = replay(values, threshold=threshold, design=design, final=True)
        hits += decision.state == "regression"
    return hits / draws


def below_floor(calibration: Calibration, rules: ThresholdRules) -> tuple[str, ...]:
    """One warning per calibrated benchmark and metric whose threshold (as ``rules`` set
    it now) is below the noise floor the calibration measured: changes of the threshold's
    size cannot be told from this runner's noise within the budget. Never a failure."""
    out = []
    for bench in calibration.benchmarks:
        for metric in bench.metrics:
            rule = _rule(rules, bench.name, metric.metric)
            floor = metric.noise_floor
            if rule is None or rule.relative <= 0.0:
                continue
            if floor is None or rule.relative < floor:
                reach = f"≈{floor:.1%}" if floor is not None else "no change at all"
                out.append(
                    f"{bench.name} {metric.metric}: threshold {rule.relative:.1%} is below "
                    f"what this runner can detect within the budget ({reach}; "
                    f"aiwf-ci calibrate, {calibration.budget_rounds} rounds in "
                    f"{duration(calibration.time_budget)})"
                )
    return tuple(out)


def _rule(rules: ThresholdRules, bench: str, metric: str) -> Threshold | None:
    """The rule a calibrated metric is gated by now: a gated time (CPU, active) that has no
    rule of its own carries the ``duration`` rule, as ``verdict.compare`` gives it."""
    own = rules.resolve(bench, metric)
    if own is None and metric in (CPU, ACTIVE):
        return rules.resolve(bench, WALL)
    return own
