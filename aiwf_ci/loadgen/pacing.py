"""When workers start: the ramp-up schedule. How fast they may call is capped by the shared
``aiwf_ci.pacing.TokenBucket``, whose waits go through a ``threading.Event`` so a stopping
run wakes every waiting worker at once instead of letting them sleep on.
"""

from __future__ import annotations

from aiwf_ci.pacing import TokenBucket

__all__ = ["TokenBucket", "ramp_offsets"]


def ramp_offsets(concurrency: int, ramp_up: float) -> list[float]:
    """Start offsets (s) of each worker: evenly spread over ``ramp_up``, the first at 0."""
    if ramp_up <= 0 or concurrency == 1:
        return [0.0] * concurrency
    return [ramp_up * i / concurrency for i in range(concurrency)]
