"""Absolute memory limits from the config (``memory: {max-peak: 500MB}``) -> alerts.

Checked in the parent process on the finished metrics, for every workload alike. Messages
use decimal units (``MB``), the units the limit was most likely written in, so
"memory_peak 612 MB exceeds max-peak 500 MB" reads back the config.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiwf_ci.config.models import MemorySettings
from aiwf_ci.models import Alert, Metric

_SI_UNITS = (("TB", 1000**4), ("GB", 1000**3), ("MB", 1000**2), ("kB", 1000))


def human_bytes(size: float) -> str:
    """Three significant digits in decimal units: ``612 MB``, ``1.05 MB``, ``900 B``."""
    for unit, factor in _SI_UNITS:
        if abs(size) >= factor:
            return f"{size / factor:.3g} {unit}"
    return f"{size:.0f} B"


def limit_alerts(metrics: Mapping[str, Metric], settings: MemorySettings) -> tuple[Alert, ...]:
    """A ``threshold_exceeded`` alert when the highest ``memory_peak`` sample is above
    ``max-peak`` (the highest, because a limit is a ceiling every run must respect)."""
    metric = metrics.get("memory_peak")
    limit = settings.max_peak
    if metric is None or limit is None or not metric.samples:
        return ()
    value = max(metric.samples)
    if value <= limit:
        return ()
    over = sum(1 for sample in metric.samples if sample > limit)
    return (
        Alert(
            kind="threshold_exceeded",
            metric="memory_peak",
            message=f"memory_peak {human_bytes(value)} exceeds max-peak {human_bytes(limit)}",
            limit=float(limit),
            value=value,
            details={
                "setting": "max-peak",
                "statistic": "max",
                "samples_over": over,
                "samples": len(metric.samples),
            },
        ),
    )
