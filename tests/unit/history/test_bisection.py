"""The bisection's choices: halving, skips, and when the search is over."""

from __future__ import annotations

import pytest

from aiwf_ci.history.bisection import Answer, Bisection, steps_to_bisect
from aiwf_ci.history.trend import Series, Step, Trend

COMMITS = tuple(f"c{i}" for i in range(8))


def search_for(culprit: int, skipped: frozenset[int] = frozenset()) -> tuple[Bisection, int]:
    """The search run to its end against commits that are bad from ``culprit`` on."""
    search, steps = Bisection.over(COMMITS), 0
    while (index := search.next()) is not None:
        answer: Answer = "skip" if index in skipped else ("bad" if index >= culprit else "good")
        search, steps = search.judged(index, answer), steps + 1
    return search, steps


@pytest.mark.parametrize("culprit", range(8))
def test_every_culprit_of_eight_commits_is_found_in_three_steps(culprit: int) -> None:
    search, steps = search_for(culprit)
    assert search.done and search.culprit == COMMITS[culprit]
    assert steps <= 3  # plus the first step (bad against good): at most 4


def test_the_first_choice_is_the_middle_and_halves_the_range() -> None:
    search = Bisection.over(COMMITS)
    assert search.next() == 3
    assert search.judged(3, "good").next() == 5
    assert search.judged(3, "bad").next() == 1


def test_a_skipped_commit_is_stepped_around() -> None:
    search, _ = search_for(5, skipped=frozenset({3}))
    assert search.culprit == "c5" and 3 in search.skipped


def test_skips_right_before_the_first_bad_commit_leave_candidates() -> None:
    search, _ = search_for(5, skipped=frozenset({4}))
    assert search.done and search.culprit is None
    assert search.candidates == ("c4", "c5")  # c4 could not be judged: either may be first


def test_one_commit_is_its_own_culprit_without_a_step() -> None:
    search = Bisection.over(("only",))
    assert search.next() is None and search.culprit == "only"


def test_a_commit_outside_the_open_range_cannot_be_judged() -> None:
    search = Bisection.over(COMMITS).judged(3, "good")
    with pytest.raises(ValueError, match="not open"):
        search.judged(2, "bad")
    with pytest.raises(ValueError, match="at least"):
        Bisection.over(())


def series_with_step(metric: str, change: float, runs: int, index: int) -> Series:
    step = Step(
        metric=metric, before_sha="a" * 40, after_sha="b" * 40, change=change, ci=None,
        p_value=1e-6, index=index,
    )  # fmt: skip
    return Series(
        benchmark="etl", metric=metric, unit="s", values=(1.0,) * runs, shas=("c" * 40,) * runs,
        unlike=(False,) * runs, points=tuple(range(runs)), steps=(step,),
    )  # fmt: skip


def test_only_newly_confirmed_slowdowns_are_searched() -> None:
    new = series_with_step("duration", 0.4, runs=20, index=17)  # 3 runs on the new level
    old = series_with_step("duration", 0.4, runs=20, index=12)  # searched pushes ago
    faster = series_with_step("duration", -0.3, runs=20, index=17)
    less_throughput = series_with_step("throughput", -0.3, runs=20, index=17)
    trend = Trend(suite="s", series=(new, old, faster, less_throughput), runs=20)
    chosen = [series for series, _ in steps_to_bisect(trend)]
    assert chosen == [new, less_throughput]
