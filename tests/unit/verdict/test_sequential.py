"""The sequential stopping rule (aiwf_ci.verdict.design and .sequential): the look schedule,
what each look spends, the decision at a look, and the replay of a run. The error rates over
whole simulated runs are in test_gate_promises.py."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import pytest

from aiwf_ci.verdict.design import (
    SequentialDesign,
    alpha_spent,
    beta_spent,
    fewest_rounds,
    final_shares,
    last_look,
    looks,
)
from aiwf_ci.verdict.independence import NOTE_DEPENDENT
from aiwf_ci.verdict.paired import min_rounds_for
from aiwf_ci.verdict.sequential import Decision, is_look, judge, planned_looks, replay

B = math.log1p(0.05)  # a 5% threshold on the log scale


# --- the design ----------------------------------------------------------------------------


def test_default_design() -> None:
    design = SequentialDesign()
    assert (design.alpha, design.beta, design.max_rounds) == (0.01, 0.05, 100)
    assert (design.rho, design.beta_rho, design.margin, design.holm) == (3.0, 2.0, 0.5, False)
    # alpha * (n/100)^3 first reaches the exact test's floor 2^(1-n) at n = 16:
    # n = 14: 2.7e-5 < 1.2e-4; n = 16: 4.1e-5 >= 3.1e-5.
    assert design.min_rounds == 16
    assert planned_looks(design) == (12, *range(16, 101, 2))
    beta_looks = [(k.rounds, k.beta) for k in looks(design) if k.beta]
    # max_rounds, then halving back: 100, 50, 24 (25), 12 (12.5); 6 and 2 cannot reject
    assert [n for n, _ in beta_looks] == [12, 24, 50, 100]
    assert beta_looks[0][1] == pytest.approx(0.05 * 0.12**2)
    assert fewest_rounds(design) == 8  # a final look spending the whole 1%: 2^-7 <= 0.01


@pytest.mark.parametrize(
    "design",
    [
        SequentialDesign(),
        SequentialDesign(max_rounds=25),
        SequentialDesign(alpha=0.05, max_rounds=40, rho=1.0),
        SequentialDesign(min_rounds=11, rho=1.0, beta_rho=1.0),  # a file of an older version
        SequentialDesign(look_every=4, max_rounds=61),
    ],
)
def test_every_look_is_at_an_even_round_count_and_can_reject_what_it_spends(
    design: SequentialDesign,
) -> None:
    """The side going first alternates by round: only even counts cancel an order effect.
    A look whose share could never be reached by the exact test is not taken."""
    taken = looks(design)
    assert taken and all(k.rounds % 2 == 0 for k in taken)
    assert [k.rounds for k in taken] == sorted({k.rounds for k in taken})
    assert taken[-1].rounds == last_look(design) == design.max_rounds - design.max_rounds % 2
    for k in taken:
        assert k.alpha or k.beta
        assert not k.alpha or min_rounds_for(k.alpha) <= k.rounds
        assert not k.beta or min_rounds_for(2 * k.beta) <= k.rounds


@pytest.mark.parametrize("rho", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("alpha", [0.01, 0.0005])
def test_the_shares_of_the_looks_taken_add_up_to_alpha_and_beta(rho: float, alpha: float) -> None:
    """Nothing is wasted: a look that cannot reject passes its share on (at 0.05% the
    first looks of the schedule cannot: Holm's procedure across 20 benchmarks)."""
    design = SequentialDesign(alpha=alpha, rho=rho, min_rounds=16)
    taken = looks(design)
    assert math.fsum(k.alpha for k in taken) == pytest.approx(alpha, rel=1e-12)
    assert math.fsum(k.beta for k in taken) == pytest.approx(design.beta, rel=1e-12)
    first = next(k for k in taken if k.alpha)
    assert first.alpha == pytest.approx(alpha_spent(design, first.rounds))
    if alpha == 0.0005 and rho == 3.0:
        assert first.rounds == 20  # 16 and 18 could not reject: their share went on


def test_a_final_look_spends_the_rest() -> None:
    """Bug: a budget that ended the run at 20 rounds spent 0.0001 of alpha at its final
    look (the increment since the look at 18) and threw the rest away."""
    design = SequentialDesign()
    final = final_shares(design, 20)
    assert final.alpha == pytest.approx(0.01 - alpha_spent(design, 18))
    assert final.alpha > 0.0099
    assert final.beta == pytest.approx(0.05 - beta_spent(design, 12))
    assert final_shares(design, 100) == looks(design)[-1]  # at the last look, its own share
    assert final_shares(design, 0).alpha == design.alpha


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"alpha": 0.0}, "alpha"),
        ({"alpha": 1.0}, "alpha"),
        ({"beta": 0.5}, "beta"),
        ({"max_rounds": 1}, "max_rounds"),
        ({"look_every": 3}, "look_every"),
        ({"look_every": 0}, "look_every"),
        ({"rho": 0.0}, "rho"),
        ({"beta_rho": math.nan}, "beta_rho"),
        ({"margin": 1.0}, "margin"),
        ({"margin": -0.1}, "margin"),
        ({"min_rounds": 101}, "min_rounds"),
        ({"alpha": 0.001, "max_rounds": 9}, "cannot be reached"),
    ],
)
def test_design_rejects_bad_settings(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SequentialDesign(**kwargs)  # type: ignore[arg-type]


def test_is_look_follows_the_schedule() -> None:
    design = SequentialDesign(max_rounds=40)
    for rounds in range(45):
        assert is_look(design, rounds) == (rounds in planned_looks(design))


# --- the decision at a look ----------------------------------------------------------------


def _judge(d: Sequence[float], *, final: bool = False, threshold: float = 0.05) -> Decision:
    return judge(d, threshold=threshold, design=SequentialDesign(), final=final)


def _spread(centre: float, width: float, n: int) -> list[float]:
    """n values evenly spread over centre +- width, in an order with no serial pattern."""
    values = [centre + width * (2 * i / (n - 1) - 1) for i in range(n)]
    random.Random(n).shuffle(values)
    return values


def test_between_looks_nothing_is_computed() -> None:
    assert _judge([0.5] * 15) == Decision(
        state="undecided", change=None, ci=None, p_value=None, rounds=15, alpha_spent_here=0.0
    )
    assert _judge([0.5] * 11).state == "undecided"  # before the first look


def test_clear_regression_at_the_first_alpha_look() -> None:
    # 16 rounds all about 20% slower: p = 2^-15 <= 4.1e-5, the interval the 16 rounds' range.
    d = _spread(math.log(1.2), 0.01, 16)
    decision = _judge(d)
    assert decision.state == "regression"
    assert decision.change == pytest.approx(0.2)
    assert decision.ci == pytest.approx((math.exp(min(d)) - 1, math.exp(max(d)) - 1))
    assert decision.p_value == 2.0**-15
    assert decision.alpha_spent_here == pytest.approx(0.01 * 0.16**3)
    assert _judge([-x for x in d]).state == "improvement"


def test_a_regression_must_be_shown_beyond_half_the_threshold() -> None:
    """Bug: H0 was "no change". Rounds around +6% spread +-20%: the interval clears 0
    (the old rule: a regression, estimate beyond 5%) but not +2.5%, half the threshold."""
    d = _spread(math.log(1.06), 0.20, 100)
    decision = _judge(d, final=True)
    assert decision.ci is not None and decision.change is not None
    assert decision.change > 0.05 and decision.p_value is not None
    assert 0.0 < decision.ci[0] < math.sqrt(1.05) - 1  # above no change, not above half
    assert decision.p_value <= decision.alpha_spent_here  # significant against no change
    assert decision.state == "inconclusive"
    mirrored = _judge([-x for x in d], final=True)
    assert mirrored.state == "inconclusive"
    clear = _judge(_spread(math.log(1.06), 0.10, 100), final=True)
    assert clear.state == "regression"
    assert clear.ci is not None and clear.ci[0] > math.sqrt(1.05) - 1


def test_significant_but_small_change_is_unchanged_at_a_beta_look() -> None:
    # 1% slower every round: significant, but the interval lies within +-5%.
    d = [math.log(1.01)] * 24
    assert _judge(d[:16]).state == "undecided"  # an alpha look only: no equivalence test
    decision = _judge(d)
    assert decision.state == "unchanged"
    assert decision.alpha_spent_here == pytest.approx(
        2 * (beta_spent(SequentialDesign(), 24) - beta_spent(SequentialDesign(), 12))
    )
    assert decision.ci == pytest.approx((0.01, 0.01))


@pytest.mark.parametrize("seed", range(20))
def test_judging_head_against_base_mirrors_base_against_head(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.choice([12, 16, 24, 30, 50])
    d = [rng.gauss(rng.choice([0.0, 0.03, 0.1]), 0.05) for _ in range(n)]
    mirror = {"regression": "improvement", "improvement": "regression"}
    one, other = _judge(d, final=True), _judge([-x for x in d], final=True)
    assert other.state == mirror.get(one.state, one.state)
    assert one.change is not None and other.change is not None
    assert math.log1p(other.change) == pytest.approx(-math.log1p(one.change))
    assert one.ci is not None and other.ci is not None
    if one.ci != (-1.0, math.inf):
        assert math.log1p(other.ci[0]) == pytest.approx(-math.log1p(one.ci[1]))
    assert one.p_value == other.p_value


def test_a_final_look_uses_an_even_number_of_rounds() -> None:
    d = _spread(math.log(1.2), 0.01, 9)  # a budget ended the run after 9 rounds
    decision = _judge(d, final=True)
    assert (decision.state, decision.rounds) == ("regression", 8)
    assert replay(d, threshold=0.05, design=SequentialDesign(), final=True) == decision


def test_final_look_with_too_few_rounds_is_inconclusive() -> None:
    # A budget ends after 6 rounds: even the whole 1% is out of the exact test's reach.
    decision = _judge([math.log(2.0)] * 6, final=True)
    assert decision.state == "inconclusive"
    assert decision.ci == (-1.0, math.inf)
    assert decision.alpha_spent_here == pytest.approx(0.01)
    assert _judge([math.log(2.0)] * 8, final=True).state == "regression"  # 2^-7 <= 1%
    assert _judge([], final=True).state == "inconclusive"


def test_judge_rejects_a_bad_threshold() -> None:
    for threshold in (-0.1, math.nan, math.inf):
        with pytest.raises(ValueError, match="threshold"):
            _judge([0.1] * 16, threshold=threshold)
        with pytest.raises(ValueError, match="threshold"):
            replay([0.1] * 16, threshold=threshold, design=SequentialDesign(), final=True)


def test_threshold_zero_is_pure_significance() -> None:
    d = _spread(0.02, 0.01, 16)
    assert _judge(d, threshold=0.0).state == "regression"  # margin 0, bound 0
    assert _judge(_spread(0.0, 0.01, 24), threshold=0.0).state == "undecided"  # no equivalence


# --- rounds that are not independent ---------------------------------------------------------


def _ar1(phi: float, n: int, seed: int, shift: float = 0.0) -> list[float]:
    rng = random.Random(seed)
    x, out = rng.gauss(0, 1), []
    for _ in range(n):
        x = phi * x + math.sqrt(1 - phi * phi) * rng.gauss(0, 1)
        out.append(shift + 0.05 * x)
    return out


def test_correlated_rounds_are_judged_in_batches_and_said_to_be_so() -> None:
    """Bug: nothing checked independence; a per-side AR(1) of 0.6 made a change of half the
    threshold a regression in 11% of simulated runs."""
    d = _ar1(0.9, 100, seed=3, shift=math.log(1.1))
    decision = replay(d, threshold=0.05, design=SequentialDesign(), final=True)
    assert decision.batch >= 8 and decision.lag1 is not None and decision.lag1 > 0.5
    assert decision.state == "inconclusive"
    assert decision.note == NOTE_DEPENDENT
    independent = replay(
        _spread(math.log(1.1), 0.05, 100), threshold=0.05, design=SequentialDesign(), final=True
    )
    assert (independent.state, independent.batch, independent.note) == ("regression", 1, "")


def test_undecided_at_a_look_says_nothing_of_independence() -> None:
    decision = _judge(_ar1(0.9, 50, seed=4))
    assert decision.state == "undecided" and decision.note == ""


# --- the replay ----------------------------------------------------------------------------


def test_replay_stops_at_the_first_decisive_look_and_agrees_with_judge() -> None:
    rng = random.Random(8)
    design = SequentialDesign()
    for shift in (0.0, 0.03, 0.1, -0.1):
        d = [rng.gauss(shift, 0.04) for _ in range(100)]
        decision = replay(d, threshold=0.05, design=design, final=True)
        for n in planned_looks(design):
            if n >= decision.rounds:
                break
            assert judge(d[:n], threshold=0.05, design=design, final=False).state == "undecided"
        again = judge(d[: decision.rounds], threshold=0.05, design=design, final=False)
        assert again == decision or decision.rounds == 100


def test_replay_without_final_is_what_sampling_sees() -> None:
    d = [0.3] * 11
    design = SequentialDesign()
    assert replay(d, threshold=0.05, design=design, final=False).state == "undecided"
    assert replay(d, threshold=0.05, design=design, final=True).state == "regression"  # 10 rounds
