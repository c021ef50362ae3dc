"""The sequential stopping rule (aiwf_ci.verdict.sequential): the look schedule, alpha
spending, the decision at a look, and simulations of whole runs with bursty drift."""

from __future__ import annotations

import math
import random
import statistics
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pytest

from aiwf_ci.verdict.paired import min_rounds_for
from aiwf_ci.verdict.sequential import (
    Decision,
    SequentialDesign,
    alpha_spent,
    is_look,
    judge,
    look_alpha,
    planned_looks,
    replay,
)

DECLARED = ("regression", "improvement")


# --- the design ----------------------------------------------------------------------------


def test_default_design() -> None:
    design = SequentialDesign()
    assert (design.alpha, design.max_rounds, design.look_every, design.rho) == (0.01, 100, 2, 1.0)
    # First look's share at n rounds is 0.01 * n / 100; the exact test's floor is 2^(1-n):
    # n = 10: 2^-9 = 0.00195 > 0.001; n = 11: 2^-10 = 0.00098 <= 0.0011.
    assert design.min_rounds == 11
    assert planned_looks(design) == (*range(11, 100, 2), 100)


def test_forty_rounds_look_after_ten() -> None:
    design = SequentialDesign(max_rounds=40)
    # n = 9: 2^-8 = 0.0039 > 0.00225; n = 10: 2^-9 = 0.00195 <= 0.0025.
    assert design.min_rounds == 10
    assert planned_looks(design) == tuple(range(10, 41, 2))


@pytest.mark.parametrize(
    ("alpha", "max_rounds", "rho"),
    [(0.01, 40, 1.0), (0.01, 40, 3.0), (0.05, 20, 1.0), (0.05, 100, 0.5), (0.001, 60, 2.0)],
)
def test_automatic_min_rounds_is_the_first_reachable_look(
    alpha: float, max_rounds: int, rho: float
) -> None:
    design = SequentialDesign(alpha=alpha, max_rounds=max_rounds, rho=rho)
    n = design.min_rounds
    assert n >= 6
    assert min_rounds_for(alpha_spent(design, n)) <= n
    assert n == 6 or min_rounds_for(alpha_spent(design, n - 1)) > n - 1


def test_explicit_min_rounds_and_unaligned_max() -> None:
    design = SequentialDesign(min_rounds=7, look_every=4, max_rounds=20)
    assert planned_looks(design) == (7, 11, 15, 19, 20)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"alpha": 0.0}, "alpha"),
        ({"alpha": 1.0}, "alpha"),
        ({"max_rounds": 0}, "max_rounds"),
        ({"look_every": 0}, "look_every"),
        ({"rho": 0.0}, "rho"),
        ({"rho": math.nan}, "rho"),
        ({"min_rounds": 101}, "min_rounds"),
        ({"min_rounds": -1}, "min_rounds"),
        ({"alpha": 0.001, "max_rounds": 9}, "cannot be reached"),
    ],
)
def test_design_rejects_bad_settings(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SequentialDesign(**kwargs)  # type: ignore[arg-type]


# --- spending and the schedule -------------------------------------------------------------


@pytest.mark.parametrize("rho", [0.5, 1.0, 2.0, 3.0])
def test_planned_looks_spend_exactly_alpha(rho: float) -> None:
    design = SequentialDesign(rho=rho)
    previous = None
    shares = []
    for rounds in planned_looks(design):
        shares.append(look_alpha(design, rounds, previous))
        previous = rounds
    assert math.fsum(shares) == pytest.approx(design.alpha, rel=1e-12)
    assert all(share > 0 for share in shares)
    assert shares[0] == pytest.approx(design.alpha * (design.min_rounds / design.max_rounds) ** rho)


def test_unplanned_final_look_spends_the_increment() -> None:
    design = SequentialDesign(max_rounds=40)
    assert look_alpha(design, 17, 16) == pytest.approx(0.01 / 40)
    assert look_alpha(design, 17, None) == pytest.approx(0.01 * 17 / 40)
    assert look_alpha(design, 60, 40) == 0.0  # nothing left past max_rounds
    assert look_alpha(design, 16, 16) == 0.0
    with pytest.raises(ValueError, match="previous look"):
        look_alpha(design, 12, 14)


def test_is_look_follows_the_schedule() -> None:
    for design in (SequentialDesign(), SequentialDesign(min_rounds=7, look_every=4, max_rounds=20)):
        looks = planned_looks(design)
        for rounds in range(design.max_rounds + 5):
            assert is_look(design, rounds) == (rounds in looks)


# --- the decision at a look ----------------------------------------------------------------


def _judge(
    d: Sequence[float],
    threshold: float = 0.05,
    *,
    previous_look: int | None = None,
    final: bool = False,
) -> Decision:
    design = SequentialDesign(max_rounds=40)
    return judge(d, threshold=threshold, design=design, previous_look=previous_look, final=final)


def test_between_looks_nothing_is_computed() -> None:
    decision = _judge([0.5] * 11, previous_look=10)
    assert decision == Decision(
        state="undecided", change=None, ci=None, p_value=None, rounds=11, alpha_spent_here=0.0
    )
    assert _judge([0.5] * 5).state == "undecided"  # before min_rounds


def test_clear_regression_at_the_first_look() -> None:
    # 10 rounds all 20% slower: every Walsh average is log 1.2, p = 2^-9 <= 0.01 * 10/40.
    decision = _judge([math.log(1.2)] * 10)
    assert decision.state == "regression"
    assert decision.change == pytest.approx(0.2)
    assert decision.ci == pytest.approx((0.2, 0.2))
    assert decision.p_value == 2.0**-9
    assert decision.alpha_spent_here == pytest.approx(0.0025)


def test_clear_improvement_is_the_mirror() -> None:
    decision = _judge([-math.log(1.2)] * 10)
    assert decision.state == "improvement"
    assert decision.change == pytest.approx(1 / 1.2 - 1)


def test_significant_but_small_change_is_unchanged() -> None:
    # 1% slower every round: significant, but the interval lies within +-5%.
    decision = _judge([math.log(1.01)] * 10)
    assert decision.p_value is not None and decision.p_value <= decision.alpha_spent_here
    assert decision.state == "unchanged"


def test_threshold_is_symmetric_on_the_log_scale() -> None:
    # With a 5% threshold, head/base = 1/1.06 (-5.7%) is an improvement and 1/1.04 is not.
    assert _judge([-math.log(1.06)] * 10).state == "improvement"
    assert _judge([-math.log(1.04)] * 10).state == "unchanged"
    assert _judge([math.log(1.06)] * 10).state == "regression"


@pytest.mark.parametrize("seed", range(20))
def test_judging_head_against_base_mirrors_base_against_head(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.choice([10, 14, 20, 30])
    d = [rng.gauss(rng.choice([0.0, 0.03, 0.1]), 0.05) for _ in range(n)]
    mirror = {"regression": "improvement", "improvement": "regression"}
    one, other = (
        _judge(d, previous_look=n - 2 if n > 10 else None),
        _judge([-x for x in d], previous_look=n - 2 if n > 10 else None),
    )
    assert other.state == mirror.get(one.state, one.state)
    assert one.change is not None and other.change is not None
    assert math.log1p(other.change) == pytest.approx(-math.log1p(one.change))
    assert one.ci is not None and other.ci is not None
    assert math.log1p(other.ci[0]) == pytest.approx(-math.log1p(one.ci[1]))
    assert one.p_value == other.p_value


def test_final_look_with_too_few_rounds_is_inconclusive() -> None:
    # A budget ends after 3 rounds: the share 0.01 * 3/40 is out of the exact test's reach.
    decision = _judge([math.log(2.0)] * 3, final=True)
    assert decision.state == "inconclusive"
    assert decision.ci == (-1.0, math.inf)
    assert decision.change == pytest.approx(1.0)
    assert decision.alpha_spent_here == pytest.approx(0.01 * 3 / 40)


def test_final_look_right_after_a_look_has_nothing_to_spend() -> None:
    decision = _judge([math.log(2.0)] * 12, final=True, previous_look=12)
    assert (decision.state, decision.alpha_spent_here, decision.ci) == (
        "inconclusive",
        0.0,
        (-1.0, math.inf),
    )


def test_max_rounds_is_final() -> None:
    rng = random.Random(3)
    d = [rng.gauss(0.0, 0.3) for _ in range(40)]
    decision = _judge(d, previous_look=38)
    assert decision.state == "inconclusive"
    assert decision.alpha_spent_here == pytest.approx(0.01 * 2 / 40)
    assert _judge([], final=True).state == "inconclusive"


def test_judge_rejects_a_bad_threshold() -> None:
    for threshold in (-0.1, math.nan, math.inf):
        with pytest.raises(ValueError, match="threshold"):
            _judge([0.1] * 10, threshold=threshold)


# --- simulated runs ------------------------------------------------------------------------

CHUNK = 3  # samples per side per round


def _drift(rng: random.Random, rounds: int) -> np.ndarray:
    """A bursty neighbour: bursts of 2-6 rounds slowing everything 1.5-2.5x."""
    factor = np.ones(rounds)
    r = 0
    while r < rounds:
        if rng.random() < 0.15:
            length = rng.randint(2, 6)
            factor[r : r + length] = rng.uniform(1.5, 2.5)
            r += length
        else:
            r += 1
    return factor


def _simulate(
    rng: random.Random, runs: int, rounds: int, slowdown: float, sigma: tuple[float, float]
) -> np.ndarray:
    """Per-run, per-round worse log-ratios of interleaved chunks: each round's base and head
    chunks share the drift factor; per-sample lognormal noise with a per-run sigma."""
    drift = np.stack([_drift(rng, rounds) for _ in range(runs)])[:, :, None]
    sigmas = np.array([rng.uniform(*sigma) for _ in range(runs)])[:, None, None]
    noise = np.random.default_rng(rng.getrandbits(64))
    shape = (runs, rounds, CHUNK)
    base = drift * np.exp(sigmas * noise.standard_normal(shape))
    head = drift * np.exp(sigmas * noise.standard_normal(shape)) * (1.0 + slowdown)
    assert drift.std() > 0.2  # the bursts are there
    log_ratios: np.ndarray = np.log(np.median(head, axis=2)) - np.log(np.median(base, axis=2))
    return log_ratios


def _run(
    d: Sequence[float], threshold: float, design: SequentialDesign, budget: int | None = None
) -> Decision:
    """Look at every planned look until a decision, or until the budget's final look."""
    end = design.max_rounds if budget is None else budget
    looks = [look for look in planned_looks(design) if look < end] + [end]
    previous = None
    for rounds in looks:
        decision = judge(
            d[:rounds],
            threshold=threshold,
            design=design,
            previous_look=previous,
            final=rounds == end,
        )
        if decision.state != "undecided":
            return decision
        previous = rounds
    raise AssertionError("the final look must decide")


def _check_consistent(decision: Decision, threshold: float) -> None:
    if decision.state in DECLARED:
        assert decision.p_value is not None and decision.p_value <= decision.alpha_spent_here
        assert decision.ci is not None and decision.change is not None
        sign = 1.0 if decision.state == "regression" else -1.0
        assert sign * math.log1p(decision.change) > math.log1p(threshold)
        assert (decision.ci[0] > 0) if sign > 0 else (decision.ci[1] < 0)


def _null_cdf(n: int) -> np.ndarray:
    """P(T+ <= t), t = 0..n(n+1)/2, under the null, by numpy convolution (reference)."""
    pmf = np.array([1.0])
    for r in range(1, n + 1):
        pmf = np.convolve(pmf, np.r_[0.5, np.zeros(r - 1), 0.5])
    return np.cumsum(pmf)


def _reference_p(d: np.ndarray) -> np.ndarray:
    """Exact two-sided signed-rank p-value of every row (continuous data: no ties)."""
    n = d.shape[1]
    ranks = np.argsort(np.argsort(np.abs(d), axis=1), axis=1) + 1
    t_plus = (ranks * (d > 0)).sum(axis=1)
    tail = np.minimum(t_plus, n * (n + 1) // 2 - t_plus)
    p_values: np.ndarray = np.minimum(1.0, 2.0 * _null_cdf(n)[tail])
    return p_values


def _screened_run(
    d: np.ndarray, p_by_rounds: dict[int, float], design: SequentialDesign, budget: int
) -> str:
    """``_run`` with threshold 0, calling ``judge`` only at looks whose reference p-value
    is at most the total alpha: no look may reject with a larger p-value, whatever its
    share (every decision is checked by ``_check_consistent``, the shortcut against
    ``_run``). This skips about 95% of the looks, which keeps 10,000 runs fast."""
    looks = [look for look in planned_looks(design) if look < budget] + [budget]
    previous = None
    for rounds in looks:
        if p_by_rounds[rounds] <= design.alpha:
            decision = judge(
                d[:rounds].tolist(),
                threshold=0.0,
                design=design,
                previous_look=previous,
                final=rounds == budget,
            )
            _check_consistent(decision, 0.0)
            if decision.state in DECLARED:
                return decision.state
        previous = rounds
    return "inconclusive"


@pytest.mark.slow
@pytest.mark.parametrize("max_rounds", [40, 100])
def test_false_alarm_rate_under_drift_with_many_looks(max_rounds: int) -> None:
    """10,000 A/A runs, threshold 0 (pure significance), drift bursts, 5-15% noise; half
    the runs end at a random time budget (an unplanned final look)."""
    rng = random.Random(20240601)
    design = SequentialDesign(max_rounds=max_rounds)
    runs = 10_000
    d = _simulate(rng, runs, design.max_rounds, 0.0, (0.05, 0.15))
    assert np.all(d != 0) and all(len(set(np.abs(row))) == row.size for row in d[:200])
    budgets = [
        design.max_rounds if rng.random() < 0.5 else rng.randint(2, max_rounds - 1) for _ in d
    ]
    p = {n: _reference_p(d[:, :n]) for n in range(1, design.max_rounds + 1)}

    outcomes = Counter(
        _screened_run(d[i], {n: float(p[n][i]) for n in p}, design, budgets[i]) for i in range(runs)
    )
    false_alarms = (outcomes["regression"] + outcomes["improvement"]) / runs
    assert false_alarms <= design.alpha

    # The simulation can tell: the same looks, each at the full alpha, alarm far more often.
    full_runs = [i for i in range(runs) if budgets[i] == design.max_rounds]
    naive = np.mean(
        [any(p[n][i] <= design.alpha for n in planned_looks(design)) for i in full_runs]
    )
    assert naive > 2 * design.alpha

    # The shortcut is exact: on a sample, looking at every look gives the same outcome.
    for i in list(range(150)) + [i for i in range(runs) if budgets[i] < 10][:50]:
        full = _run(d[i].tolist(), 0.0, design, budgets[i])
        _check_consistent(full, 0.0)
        assert full.state == _screened_run(d[i], {n: float(p[n][i]) for n in p}, design, budgets[i])


def test_reference_p_matches_judge() -> None:
    rng = random.Random(9)
    d = _simulate(rng, 50, 16, 0.0, (0.05, 0.15))
    design = SequentialDesign(max_rounds=40)
    p = _reference_p(d)
    for i in range(50):
        decision = judge(d[i].tolist(), threshold=0.0, design=design, previous_look=14, final=True)
        assert decision.p_value == pytest.approx(float(p[i]), rel=1e-12)


@pytest.mark.parametrize(("sigma", "at_least"), [(0.05, 0.97), (0.10, 0.90)])
def test_power_for_a_ten_percent_slowdown(sigma: float, at_least: float) -> None:
    rng = random.Random(77)
    design = SequentialDesign(max_rounds=40)
    d = _simulate(rng, 500, design.max_rounds, 0.10, (sigma, sigma))
    decisions = [_run(row.tolist(), 0.05, design) for row in d]
    for decision in decisions:
        _check_consistent(decision, 0.05)
    early = [x for x in decisions if x.state == "regression" and x.rounds < design.max_rounds]
    assert len(early) / len(decisions) >= at_least
    assert not any(x.state in ("improvement", "unchanged") for x in decisions)


def test_no_change_ends_unchanged() -> None:
    rng = random.Random(78)
    design = SequentialDesign(max_rounds=40)
    d = _simulate(rng, 500, design.max_rounds, 0.0, (0.05, 0.05))
    decisions = [_run(row.tolist(), 0.05, design) for row in d]
    states = Counter(x.state for x in decisions)
    assert states["unchanged"] / len(decisions) >= 0.9
    assert states["regression"] + states["improvement"] <= design.alpha * len(decisions)
    for decision in decisions:
        if decision.state == "unchanged":
            assert decision.ci is not None
            assert decision.ci[0] > -0.05 / 1.05 and decision.ci[1] < 0.05


def test_unchanged_is_said_of_a_change_at_the_threshold_at_most_at_rate_beta() -> None:
    """The equivalence claim has its own error budget: with the true change exactly at the
    threshold (the hardest case), "unchanged" comes out in at most ``beta`` of the runs."""
    design = SequentialDesign(max_rounds=40)
    rng = random.Random(11)
    bound = math.log1p(0.05)
    runs, said_unchanged = 1500, 0
    for _ in range(runs):
        ratios = [bound + rng.gauss(0, 0.04) for _ in range(design.max_rounds)]
        decision = replay(ratios, threshold=0.05, design=design, final=True)
        said_unchanged += decision.state == "unchanged"
    assert said_unchanged / runs <= design.beta + 0.015  # 1.5 points of Monte Carlo margin


@pytest.mark.parametrize("max_rounds", [40, 100])
def test_a_quiet_aa_comparison_is_shown_unchanged_early(max_rounds: int) -> None:
    design = SequentialDesign(max_rounds=max_rounds)
    rng = random.Random(5)
    rounds = []
    for _ in range(200):
        ratios = [rng.gauss(0, 0.03) for _ in range(design.max_rounds)]
        decision = replay(ratios, threshold=0.05, design=design, final=True)
        assert decision.state == "unchanged"
        rounds.append(decision.rounds)
    assert statistics.median(rounds) <= 14
