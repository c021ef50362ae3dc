"""Descriptive statistics as small pure functions over raw samples.

Percentiles use linear interpolation between closest ranks (the method numpy calls
``linear``, Hyndman & Fan type 7); the standard deviation is the sample one (n - 1).
These feed ``results.json`` (``stats``) and the reports; the significance tests that decide a
regression live in ``compare``/``significance``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary:
    """The ``stats`` object of a metric in results.json."""

    min: float
    max: float
    mean: float
    median: float
    p95: float
    p99: float
    stddev: float
    iqr: float
    cv: float

    def as_dict(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in self.__slots__}


def mean(samples: Sequence[float]) -> float:
    """Arithmetic mean (math.fsum, so long runs do not lose precision)."""
    _require(samples)
    return math.fsum(samples) / len(samples)


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear interpolation between closest ranks (type 7)."""
    return percentile_sorted(sorted(samples), q)


def percentile_sorted(ordered: Sequence[float], q: float) -> float:
    """``percentile`` of an already sorted sequence, without sorting it again."""
    _require(ordered)
    if not 0.0 <= q <= 100.0:
        raise ValueError("q must be within 0..100")
    position = (len(ordered) - 1) * q / 100.0
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    fraction = position - lower
    return ordered[lower] + (ordered[upper] - ordered[lower]) * fraction


def median(samples: Sequence[float]) -> float:
    """The 50th percentile (the mean of the two middle values when the count is even)."""
    _require(samples)
    return median_sorted(sorted(samples))


def median_sorted(ordered: Sequence[float]) -> float:
    """The median of an already sorted sequence, without sorting it again."""
    _require(ordered)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2.0


def stddev(samples: Sequence[float]) -> float:
    """Sample standard deviation (Bessel's n - 1); 0.0 for a single sample."""
    _require(samples)
    if len(samples) < 2:
        return 0.0
    centre = mean(samples)
    return math.sqrt(math.fsum((x - centre) ** 2 for x in samples) / (len(samples) - 1))


def iqr(samples: Sequence[float]) -> float:
    """Interquartile range: p75 - p25."""
    return percentile(samples, 75.0) - percentile(samples, 25.0)


def cv(samples: Sequence[float]) -> float:
    """Coefficient of variation: stddev / |mean|; 0.0 when the mean is 0."""
    centre = mean(samples)
    return stddev(samples) / abs(centre) if centre else 0.0


def summarize(samples: Sequence[float]) -> Summary:
    """Every statistic results.json stores for one metric."""
    _require(samples)
    return Summary(
        min=min(samples),
        max=max(samples),
        mean=mean(samples),
        median=median(samples),
        p95=percentile(samples, 95.0),
        p99=percentile(samples, 99.0),
        stddev=stddev(samples),
        iqr=iqr(samples),
        cv=cv(samples),
    )


def _require(samples: Sequence[float]) -> None:
    if len(samples) == 0:
        raise ValueError("statistics need at least one sample")
