"""Turns the JSON a worker's memory pass produced into a ``MemoryOutcome`` (first cut; the
memory issue extends it with leak alerts and limits)."""

from __future__ import annotations

from typing import Any

from aiwf_ci.bench.memory_types import MemoryOutcome
from aiwf_ci.config.models import MemorySettings
from aiwf_ci.models import Metric


def memory_outcome_from_worker(data: Any, settings: MemorySettings) -> MemoryOutcome:
    if not data or not settings.enabled:
        return MemoryOutcome()
    metrics = {
        name: Metric.from_samples(m["samples"], unit=m["unit"], direction=m["direction"])
        for name, m in data.get("metrics", {}).items()
        if m.get("samples")
    }
    return MemoryOutcome(metrics=metrics)
