"""Per-worker counters of a load run, merged into a ``LoadReport`` at the end.

Each worker owns one ``Tally`` (no lock on the hot path); latencies go into a compact
``array('d')`` so percentiles can be exact over every call (8 bytes a call: a million calls
is 8 MB), and the stored sample is drawn uniformly from all of them.
"""

from __future__ import annotations

import random
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence

from aiwf_ci.loadgen.models import LoadReport
from aiwf_ci.stats import percentile_sorted

PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "max": 100.0}


class Tally:
    """What one worker saw."""

    def __init__(self) -> None:
        self.latencies = array("d")
        self.succeeded = 0
        self.status_codes: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.examples: dict[str, str] = {}
        self.in_flight = False

    def snapshot(self) -> Tally:
        """A copy, for a worker that is still running (and may still append)."""
        copy = Tally()
        copy.latencies = self.latencies[:]
        copy.succeeded = self.succeeded
        copy.status_codes = Counter(self.status_codes)
        copy.errors = Counter(self.errors)
        copy.examples = dict(self.examples)
        return copy

    def add(self, latency: float, status: int | None, error: str | None, detail: str = "") -> None:
        self.latencies.append(latency)
        if status is not None:
            self.status_codes[str(status)] += 1
        if error is None:
            self.succeeded += 1
            return
        self.errors[error] += 1
        if error not in self.examples:
            self.examples[error] = detail or error

    def absorb(self, other: Tally) -> None:
        """Add a settled ``other`` (no longer appended to) to this one; an error kind keeps
        the first example seen."""
        self.latencies.extend(other.latencies)
        self.succeeded += other.succeeded
        self.status_codes.update(other.status_codes)
        self.errors.update(other.errors)
        for kind, text in other.examples.items():
            self.examples.setdefault(kind, text)


def percentiles(ordered: Sequence[float]) -> dict[str, float]:
    """The ``PERCENTILES`` of sorted data (type 7, as ``aiwf_ci.stats``); none of no data."""
    if not ordered:
        return {}
    return {name: percentile_sorted(ordered, q) for name, q in PERCENTILES.items()}


def merge(
    tallies: Iterable[Tally],
    *,
    elapsed: float,
    max_samples: int,
    abandoned: int = 0,
    workers: int = 0,
    rng: random.Random | None = None,
) -> LoadReport:
    total = Tally()
    for part in tallies:
        total.absorb(part)
    if abandoned:
        total.errors["abandoned"] += abandoned
        total.examples.setdefault("abandoned", "still in flight at the run's hard time limit")
    ordered = sorted(total.latencies)
    sample = (
        ordered if len(ordered) <= max_samples else (rng or random).sample(ordered, max_samples)
    )
    return LoadReport(
        requests=len(total.latencies) + abandoned,
        succeeded=total.succeeded,
        elapsed=elapsed,
        latency_sample=tuple(sample),
        latency_percentiles=percentiles(ordered),
        status_codes=dict(sorted(total.status_codes.items())),
        errors_by_kind=dict(sorted(total.errors.items())),
        error_examples=total.examples,
        abandoned=abandoned,
        workers_started=workers,
    )
