"""The results data model's types: metrics, alerts, series, benchmark results and a run.

Frozen dataclasses; ``models.write`` turns them into ``results.json`` and ``models.read`` back.
Also the rule every reader of measurements applies (``models.read``, ``ingest``): no sample or
statistic is negative.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from aiwf_ci.stats import Summary, summarize

SCHEMA = "aiwf-ci/results@1"
READABLE_SCHEMAS = frozenset({SCHEMA})

Direction = Literal["lower", "higher"]
JSONValue = Any

NOT_NEGATIVE = "a time, size, count or rate cannot be negative"
"""Why a negative sample or statistic is refused wherever one is read (results files, other
harnesses' output): every metric aiwf-ci measures or imports is a time, a size, a count or a
rate, none is signed (a change between two runs is a comparison, never a metric). Read as if
real, ``-10.5 ms`` against ``10.5 ms`` would be a 200% improvement."""


def negative_sample(samples: Iterable[float]) -> str:
    """``negative value -0.0105 (...)`` for the first negative sample, else ``""``."""
    negative = next((value for value in samples if value < 0), None)
    return "" if negative is None else f"negative value {negative:g} ({NOT_NEGATIVE})"


def impossible_summary(stats: Mapping[str, float]) -> str:
    """What makes summary statistics impossible, else ``""``: a negative one, a minimum above
    the maximum, a mean or a percentile outside them, percentiles out of order (median ≤
    p95 ≤ p99). A statistic not reported is left out."""
    for name, value in stats.items():
        if value < 0:
            return f"negative {name} {value:g} ({NOT_NEGATIVE})"
    low, high = stats.get("min", -math.inf), stats.get("max", math.inf)
    if low > high:
        return f"min {low:g} is larger than max {high:g}"
    for name in ("mean", "median", "p95", "p99"):
        centre = stats.get(name)
        if centre is not None and not low <= centre <= high:
            return f"{name} {centre:g} lies outside min {low:g} .. max {high:g}"
    ranks = [(n, stats[n]) for n in ("median", "p95", "p99") if n in stats]
    for (lower, a), (upper, b) in itertools.pairwise(ranks):
        if a > b:
            return f"{lower} {a:g} is larger than {upper} {b:g}"
    return ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Metric:
    """One measured quantity of a benchmark, with every raw sample kept.

    ``summary_only`` marks metrics ingested from a harness that only reports summary
    statistics: the verdict then cannot run a significance test on samples. ``rounds``,
    when not empty, holds the round of each sample of an interleaved run (same length as
    ``samples``): base and head samples of the same round were measured seconds apart.
    """

    unit: str
    direction: Direction
    samples: tuple[float, ...]
    stats: Summary
    summary_only: bool = False
    rounds: tuple[int, ...] = ()
    deterministic: bool = False
    """Samples that repeat exactly (instruction counts checked to agree): compared without a
    significance test, a change beyond the threshold is a regression."""

    @classmethod
    def from_samples(
        cls,
        samples: Sequence[float],
        *,
        unit: str,
        direction: Direction = "lower",
        rounds: Sequence[int] = (),
        deterministic: bool = False,
    ) -> Metric:
        values = tuple(float(x) for x in samples)
        if rounds and len(rounds) != len(values):
            raise ValueError("rounds must give one round per sample")
        return cls(
            unit=unit,
            direction=direction,
            samples=values,
            stats=summarize(values),
            rounds=tuple(int(r) for r in rounds),
            deterministic=deterministic,
        )

    def by_round(self) -> dict[int, list[float]]:
        """The samples of each round (empty without rounds)."""
        grouped: dict[int, list[float]] = {}
        for value, index in zip(self.samples, self.rounds, strict=False):
            grouped.setdefault(index, []).append(value)
        return grouped


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    """An alert raised while measuring: ``threshold_exceeded``, ``memory_leak_suspected``, ..."""

    kind: str
    metric: str
    message: str
    limit: float | None = None
    value: float | None = None
    details: Mapping[str, JSONValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Series:
    """A time series (e.g. RSS over time), downsampled: ``t`` in seconds from start."""

    unit: str
    t: tuple[float, ...]
    values: tuple[float, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class BenchmarkResult:
    """The outcome of one benchmark: metrics, errors, alerts and free-form extras."""

    name: str
    kind: str
    metrics: Mapping[str, Metric] = field(default_factory=dict)
    errors: tuple[str, ...] = ()
    alerts: tuple[Alert, ...] = ()
    series: Mapping[str, Series] = field(default_factory=dict)
    extra: Mapping[str, JSONValue] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return bool(self.errors)


@dataclass(frozen=True, slots=True, kw_only=True)
class Commit:
    sha: str = ""
    ref: str = ""


def short_sha(sha: object) -> str:
    """The first 7 characters of a hex commit SHA, as git shows it; anything else as given."""
    text = str(sha or "")
    return text[:7] if text and all(c in "0123456789abcdefABCDEF" for c in text) else text


@dataclass(frozen=True, slots=True, kw_only=True)
class Results:
    """A whole run: the content of one results.json."""

    suite: str
    benchmarks: tuple[BenchmarkResult, ...]
    created_at: str = field(default_factory=lambda: utc_now())
    commit: Commit = field(default_factory=Commit)
    environment: Mapping[str, JSONValue] = field(default_factory=dict)
    schema: str = SCHEMA
    thresholds: Mapping[str, JSONValue] = field(default_factory=dict)
    """The threshold rules the run was judged by, in ``verdict.rules_json``'s form, so a
    replay (``compare``, ``report``, a later run reading this file as its baseline) judges
    by them without the config; empty when not recorded (``import``, older files)."""

    def by_name(self) -> dict[str, BenchmarkResult]:
        return {b.name: b for b in self.benchmarks}


def utc_now() -> str:
    """ISO 8601 UTC timestamp with a ``Z`` suffix."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
