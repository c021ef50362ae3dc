"""What a memory pass returns to a workload: metrics, alerts, series and extras to merge
into the benchmark's result. Kept apart from ``memory`` so workloads can name the type
without importing the profiler (psutil, tracemalloc) until it is used."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aiwf_ci.models import Alert, Metric, Series


@dataclass(frozen=True, slots=True, kw_only=True)
class MemoryOutcome:
    metrics: Mapping[str, Metric] = field(default_factory=dict)
    alerts: tuple[Alert, ...] = ()
    series: Mapping[str, Series] = field(default_factory=dict)
    errors: tuple[str, ...] = ()
    extra: Mapping[str, object] = field(default_factory=dict)
