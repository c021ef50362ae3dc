"""Time series for the results file: memory over time, downsampled without losing the peak.

A 10 ms sampler produces 100 points per second; results files and reports only need the
shape. Downsampling splits the points into at most ``MAX_POINTS`` consecutive buckets and
keeps each bucket's highest point, so the global peak (what ``memory_peak`` reports) is
always on the plotted line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from aiwf_ci.metrics import BYTES
from aiwf_ci.models import Series

MAX_POINTS = 200

Point = tuple[float, float]


def downsample(points: Sequence[Point], limit: int = MAX_POINTS) -> list[Point]:
    """At most ``limit`` points: the highest of each run of consecutive points, in order."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if len(points) <= limit:
        return list(points)
    size = math.ceil(len(points) / limit)
    return [
        max(points[start : start + size], key=lambda p: p[1])
        for start in range(0, len(points), size)
    ]


def memory_series(points: Sequence[Point], limit: int = MAX_POINTS) -> Series:
    """A ``Series`` in bytes (``B``) from ``(seconds, bytes)`` points, downsampled."""
    kept = downsample(points, limit)
    return Series(
        unit=BYTES,
        t=tuple(round(t, 6) for t, _ in kept),
        values=tuple(float(v) for _, v in kept),
    )
