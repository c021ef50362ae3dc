"""Turns the JSON a worker's memory pass produced (``bench.memory.worker``) into a ``MemoryOutcome``
in the parent process, where the config's rules are applied.

Metrics, one sample per measured iteration (the warm-up iterations excluded), so the
baseline comparison can test significance: ``memory_peak`` (tracemalloc peak per call),
``memory_rss_after_gc`` (process RSS after ``gc.collect()``, tracemalloc's own memory
excluded) and ``memory_gc_freed`` (bytes a forced collection frees after each call).
The leak rule (``leak.assess_memory``) is recomputed here from the raw columns, so the
decision lives in one pure function; the worker only attached the growth evidence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aiwf_ci.bench.memory.leak import LeakAssessment, assess_memory
from aiwf_ci.bench.memory.limits import human_bytes, limit_alerts
from aiwf_ci.bench.memory.outcome import MemoryOutcome
from aiwf_ci.bench.memory.series import memory_series
from aiwf_ci.config.models import MemorySettings
from aiwf_ci.metrics import measured
from aiwf_ci.models import Alert

METRIC_COLUMNS = {
    "memory_peak": "peak",
    "memory_rss_after_gc": "rss",
    "memory_gc_freed": "gc_freed",
}


def memory_outcome_from_worker(data: Any, settings: MemorySettings) -> MemoryOutcome:
    """The outcome of a callable's memory pass; an empty one when memory is off."""
    if not data or not settings.enabled:
        return MemoryOutcome()
    if "error" in data:
        return MemoryOutcome(errors=(str(data["error"]),))
    skip = int(data.get("skip", 0))
    metrics = {
        name: measured(name, data[column][skip:])
        for name, column in METRIC_COLUMNS.items()
        if data.get(column, [])[skip:]
    }
    assessment = assess_memory(
        data["rss"][skip:], data["traced"][skip:], threshold=settings.leak_threshold
    )
    leak = leak_alert(assessment, data.get("evidence"))
    return MemoryOutcome(
        metrics=metrics,
        alerts=(*leak, *limit_alerts(metrics, settings)),
        series={"memory_rss": memory_series(list(zip(data["t"], data["rss"], strict=True)))},
        extra={"memory": _extra(data, assessment)},
    )


def leak_alert(assessment: LeakAssessment, evidence: Mapping[str, Any] | None) -> tuple[Alert, ...]:
    """A ``memory_leak_suspected`` alert naming the trend numbers and what grows."""
    if not assessment.suspected or assessment.trend is None:
        return ()
    found = evidence or {}
    sites: Sequence[Mapping[str, Any]] = found.get("sites", [])
    types: Sequence[Mapping[str, Any]] = found.get("types", [])
    return (
        Alert(
            kind="memory_leak_suspected",
            metric="memory_rss_after_gc",
            message=_message(assessment, sites, types),
            limit=assessment.threshold,
            value=assessment.growth,
            details={**assessment.details(), "sites": list(sites), "types": list(types)},
        ),
    )


def _message(
    assessment: LeakAssessment,
    sites: Sequence[Mapping[str, Any]],
    types: Sequence[Mapping[str, Any]],
) -> str:
    trend = assessment.trend
    assert trend is not None
    what = "memory after gc.collect()" if assessment.signal == "rss" else "traced Python heap"
    parts = [
        f"{what} {assessment.reason}: +{human_bytes(trend.slope)} per call "
        f"(± {human_bytes(trend.stderr)})"
    ]
    if sites:
        top = sites[0]
        parts.append(f"top site {top['site']} (+{human_bytes(float(top['size_diff']))})")
    if types:
        parts.append(f"growing type {types[0]['type']} (+{types[0]['count_diff']})")
    return "; ".join(parts)


def _extra(data: Mapping[str, Any], assessment: LeakAssessment) -> dict[str, object]:
    return {
        "mode": "tracemalloc",
        "iterations": data.get("iterations"),
        "skipped": data.get("skip"),
        "tracemalloc_frames": data.get("nframes"),
        "evidence_seconds": data.get("evidence_seconds"),
        "leak": assessment.details(),
    }
