"""The client's time budget, counted per phase and only while the API is being used.

A job does much more than talk to GitHub: set-up, the suite, same-runner rounds, unpacking a
tree. None of that may count against the API's budget, or a slow suite leaves the baseline,
the history and the PR comment with no time at all. So time is counted only while a call is
in the transport (a request in flight, a retry or rate-limit wait, a download), and per
**phase**: the caller names what it is doing (``base tree``, ``baseline``, ``history``,
``comment``) and each phase gets the whole ``time_budget`` and ``max_total_wait`` of the
settings for itself. One budget re-armed per phase rather than a budget per phase name:
the phases are a handful, sequential and independent (a trickling archive host says nothing
about the API that posts the comment), one knob is easier to set than five, and the whole
GitHub side is still bounded by the number of phases times the budget. Calls made outside
any named phase share the phase :data:`OTHER`. Retry and rate-limit waits count (they are
time the API cost); the client's own pacing near the rate limit does not (it is capped by
the wait budget instead, and it is a choice to go slower, not an API that fails to answer).

Plain data and arithmetic on a monotonic clock: the transport reads it, tests drive it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiwf_ci.github.ratelimit import WaitBudget

OTHER = "other"
"""The phase of calls made outside any named phase."""

MARGIN = 0.5
"""Seconds a request needs at least: with less left, it is not sent."""


@dataclass(slots=True)
class Phase:
    """One phase's account: API seconds ``spent`` of ``budget`` (plus the call in progress
    since ``started``), the requests sent and the retries made, and its own wait budget."""

    name: str
    budget: float
    waits: WaitBudget = field(repr=False)
    spent: float = 0.0
    requests: int = 0
    retries: int = 0
    started: float | None = None

    def left(self, now: float) -> float:
        """Seconds of the budget left at ``now`` (the call in progress counted)."""
        running = 0.0 if self.started is None else now - self.started
        return self.budget - self.spent - running

    def begin(self, now: float) -> bool:
        """Start counting; ``False`` when a call is already being counted (nested)."""
        if self.started is not None:
            return False
        self.started = now
        return True

    def end(self, now: float) -> None:
        if self.started is not None:
            self.spent += now - self.started
            self.started = None

    def excuse(self, seconds: float) -> None:
        """Leave ``seconds`` of the call in progress uncounted (our own pacing)."""
        self.spent -= seconds

    def may_wait(self, seconds: float, now: float) -> bool:
        """Whether a wait of ``seconds`` still leaves time for the request after it."""
        return seconds <= self.left(now) - MARGIN


def out_of_time(phase: Phase, what: str, happened: str = "the API did not answer") -> str:
    """``GET /x: the API did not answer within 60 s spent on the baseline phase (3 requests,
    2 retries)``: what ran out, where, and what was done with the time."""
    return (
        f"{what}: {happened} within {phase.budget:g} s spent on the "
        f"{phase.name} phase ({_counted(phase.requests, 'request')}, "
        f"{_counted(phase.retries, 'retry', 'retries')})"
    )


def _counted(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"
