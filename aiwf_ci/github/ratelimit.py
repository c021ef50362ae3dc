"""Rate limiting and retry policy: decide how long to wait, never whether to crash.

GitHub answers a flood with 403 or 429 (primary limit: ``x-ratelimit-remaining: 0`` until
``x-ratelimit-reset``; secondary limit: a message and often ``retry-after``) and, rarely, with
5xx or a dropped connection. PyGithub's own ``GithubRetry`` would sleep a minute to an hour and
re-send POSTs, so this module replaces it with small pure decisions plus two stateful helpers:

* :func:`classify` names what a response means (``ok``, ``transient``, ``primary``, ...);
* :func:`retry_delay` says how long to wait before the next attempt (``retry-after`` first,
  then the reset time, then exponential backoff with jitter);
* :class:`WaitBudget` caps the *total* time one client may spend sleeping, so a CI job never
  sleeps for an hour;
* the shared ``aiwf_ci.pacing.TokenBucket`` paces requests (a burst, then a steady rate);
  :func:`pacing_delay` slows down further as
  ``x-ratelimit-remaining`` approaches zero.

``sleep`` is injected (``Sleep``) so tests never really wait.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

Sleep = Callable[[float], None]

Outcome = Literal["ok", "transient", "primary", "secondary", "fatal"]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
SECONDARY_DEFAULT_WAIT = 60.0  # GitHub: "wait at least one minute" without retry-after


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def classify(status: int, headers: Mapping[str, str], body: str) -> Outcome:
    """What a response means for the retry loop (GitHub's documented rate-limit shapes)."""
    if status < 400:
        return "ok"
    if status in TRANSIENT_STATUSES:
        return "transient"
    if status not in (403, 429):
        return "fatal"
    lowered = body.lower()
    if "secondary rate limit" in lowered or "abuse" in lowered:
        return "secondary"
    if _number(_header(headers, "x-ratelimit-remaining")) == 0:
        return "primary"
    if status == 429 or _header(headers, "retry-after") is not None:
        return "secondary"
    return "fatal"  # e.g. 403 "Resource not accessible by integration"


def may_retry(method: str, outcome: Outcome) -> bool:
    """Rate-limit answers were never processed, so even writes may be re-sent; 5xx only reads."""
    if outcome in ("primary", "secondary"):
        return True
    return outcome == "transient" and method.upper() in IDEMPOTENT_METHODS


def backoff(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with "equal jitter": half fixed, half random (attempt counts from 0)."""
    ceiling = min(cap, base * (2.0**attempt))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def retry_delay(
    outcome: Outcome,
    headers: Mapping[str, str],
    *,
    attempt: int,
    now: float,
    base: float,
    cap: float,
    rng: random.Random,
) -> float:
    """Seconds to wait before retrying: ``retry-after``, else the reset time, else backoff."""
    retry_after = _number(_header(headers, "retry-after"))
    if retry_after is not None:
        return max(0.0, retry_after)
    reset = _number(_header(headers, "x-ratelimit-reset"))
    if outcome == "primary" and reset is not None:
        return max(0.0, reset - now + 1.0)
    if outcome == "secondary":
        return max(SECONDARY_DEFAULT_WAIT, backoff(attempt, base=base, cap=cap, rng=rng))
    return backoff(attempt, base=base, cap=cap, rng=rng)


class WaitBudget:
    """The total seconds a client may sleep (pacing plus retries)."""

    def __init__(self, total: float, sleep: Sleep) -> None:
        self._left = total
        self._sleep = sleep

    def take(self, seconds: float) -> bool:
        """Sleep ``seconds`` if the budget allows it; ``False`` (no sleep) when it does not."""
        if seconds > self._left:
            return False
        self._left -= seconds
        if seconds > 0:
            self._sleep(seconds)
        return True


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimitState:
    """The last rate-limit headers seen: ``remaining`` requests until ``reset`` (epoch s)."""

    remaining: int | None = None
    reset: float | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateLimitState | None:
        remaining = _number(_header(headers, "x-ratelimit-remaining"))
        if remaining is None:
            return None
        return cls(remaining=int(remaining), reset=_number(_header(headers, "x-ratelimit-reset")))


def pacing_delay(state: RateLimitState | None, *, now: float, slow_below: int) -> float:
    """Spread the requests left evenly until the reset once fewer than ``slow_below`` remain."""
    if state is None or state.remaining is None or state.reset is None:
        return 0.0
    if state.remaining >= slow_below:
        return 0.0
    window = max(0.0, state.reset - now)
    return window / max(state.remaining, 1)
