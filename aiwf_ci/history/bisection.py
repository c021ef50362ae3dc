"""Which commit to measure next when looking for the first bad one: the bisection's state.

Why a module of its own: ``aiwf-ci bisect`` (and any later culprit search) walks a range of
commits, each step a costly same-runner measurement. Which commit to measure, what a step's
answer means and when the search is over are decisions, kept here as pure values so they are
tested without measuring anything.

The range is the commits after the known-good one, oldest first, the last the known-bad one.
Each step judges one commit against the known-good side:

- ``bad``: it carries the regression, so the first bad commit is it or an earlier one;
- ``good``: it does not (shown unchanged or better), so the first bad commit is later;
- ``skip``: it could not be judged (it cannot be set up, or its measurement was undecided);
  it is neither, and the next step measures a commit beside it, as ``git bisect skip`` does.

The search is over when no unjudged, unskipped commit lies strictly between the last good
and the first bad one: the first bad commit is then known, or — when skipped commits lie in
between — it is one of them or the first bad one (``candidates``), and the caller says so.
Always halving the range needs ``ceil(log2(n))`` steps for ``n`` commits (3 for 8).

``steps_to_bisect`` chooses which change points of a push's trend get such a search.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from aiwf_ci.history.changepoints import ChangePointOptions
from aiwf_ci.history.trend import DEFAULT_OPTIONS, Series, Step, Trend
from aiwf_ci.metrics import direction_of

Answer = Literal["bad", "good", "skip"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Bisection:
    """The search over ``commits`` (after the good one, oldest first, the last known bad):
    ``good`` is the index of the last commit known good (-1: the good reference itself),
    ``bad`` the index of the first known bad one, ``skipped`` the indices that could not be
    judged."""

    commits: tuple[str, ...]
    good: int = -1
    bad: int = -1
    skipped: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def over(cls, commits: tuple[str, ...]) -> Bisection:
        """A search where only the last commit is known bad."""
        if not commits:
            raise ValueError("a bisection needs at least the bad commit")
        return cls(commits=commits, good=-1, bad=len(commits) - 1)

    @property
    def open(self) -> tuple[int, ...]:
        """The indices still worth measuring: between good and bad, not skipped."""
        return tuple(i for i in range(self.good + 1, self.bad) if i not in self.skipped)

    def next(self) -> int | None:
        """The commit to measure next: the open one nearest the middle of the range (the
        earlier of two equally near), ``None`` when the search is over."""
        choices = self.open
        if not choices:
            return None
        middle = (self.good + self.bad) / 2
        return min(choices, key=lambda i: (abs(i - middle), i))

    def judged(self, index: int, answer: Answer) -> Bisection:
        """The search after commit ``index`` was judged ``answer``."""
        if index not in self.open:
            raise ValueError(f"commit {index} is not open in this search")
        if answer == "bad":
            return replace(self, bad=index)
        if answer == "good":
            return replace(self, good=index)
        return replace(self, skipped=self.skipped | {index})

    @property
    def done(self) -> bool:
        return not self.open

    @property
    def candidates(self) -> tuple[str, ...]:
        """When done: the commits that may be the first bad one, oldest first — only the
        first bad one unless skipped commits lie before it."""
        between = [self.commits[i] for i in range(self.good + 1, self.bad) if i in self.skipped]
        return (*between, self.commits[self.bad])

    @property
    def culprit(self) -> str | None:
        """The first bad commit, once it is the only candidate."""
        found = self.candidates
        return found[0] if self.done and len(found) == 1 else None


def steps_to_bisect(
    trend: Trend, options: ChangePointOptions = DEFAULT_OPTIONS
) -> list[tuple[Series, Step]]:
    """The change points worth a culprit search on this push: worse (by the metric's
    direction), between two commits, and newly confirmed — their new level holds no more
    runs than announcing one needs, so a step is searched once, on the push that confirmed
    it, not on every later one."""
    found = []
    for series, step in trend.steps():
        worse = step.change is not None and (
            step.change > 0 if direction_of(series.metric) == "lower" else step.change < 0
        )
        new_level = len(series.values) - step.index
        if worse and step.before_sha and step.after_sha and new_level <= options.newest_segment:
            found.append((series, step))
    return found
