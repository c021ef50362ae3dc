"""Run settings (``defaults``, ``profiles.*`` and per-benchmark keys) and their merging.

Precedence, lowest first: built-in defaults, ``defaults:``, the active profile, the
benchmark's own keys, then the ``AIWF_MEMORY=0`` feature flag which turns memory off.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from aiwf_ci.config.fields import (
    OutOfRange,
    Problems,
    as_bool,
    duration_at_most,
    int_between,
    join,
    read,
    size_at_most,
    type_name,
)
from aiwf_ci.config.models import DEFAULT_MAX_PEAK, MEASURES, Measure, MemorySettings, Settings
from aiwf_ci.config.yamlload import LineMap, quote
from aiwf_ci.units import DURATION_HINT, PERCENT_HINT, SIZE_HINT, parse_percent
from aiwf_ci.verdict.timer import parse_timer

SETTING_KEYS = ("warmup", "iterations", "min-time", "timeout", "measure", "timer", "memory")
MEMORY_KEYS = ("enabled", "interval", "leak-threshold", "max-peak", "iterations")

# Limits no real suite comes near: they turn a typo (1e400, .nan, three zeros too many) into a
# one-line error instead of a run that never ends or a limit that can never be reached.
MAX_WARMUP = 1_000_000_000  # runs are bounded by the timeout; these catch typos like 1e12
MAX_ITERATIONS = 1_000_000_000
MAX_MIN_TIME = 3600.0
MAX_TIMEOUT = 24 * 3600.0
MIN_INTERVAL = 0.001
MAX_INTERVAL = 60.0
MAX_LEAK_THRESHOLD = 10.0  # 1000%
MAX_PEAK = 64 * 1024**4
MAX_MEMORY_ITERATIONS = 10_000

Partial = dict[str, Any]


def read_settings(problems: Problems, data: LineMap, prefix: str) -> Partial:
    """The setting keys present in ``data``, validated, as a partial override."""
    partial: Partial = {}
    readers = {
        "warmup": (int_between(0, MAX_WARMUP, "warmup runs"), "a whole number, e.g. 2"),
        "iterations": (int_between(1, MAX_ITERATIONS, "runs"), "a whole number, e.g. 10"),
        "min-time": (duration_at_most(MAX_MIN_TIME), DURATION_HINT),
        "timeout": (duration_at_most(MAX_TIMEOUT, positive=True), DURATION_HINT),
        "measure": (_measure, "time (the default) or instructions"),
        "timer": (parse_timer, "auto (the default), wall or cpu"),
    }
    for key, (parse, hint) in readers.items():
        value = read(problems, data, key, prefix, parse, hint)
        if value is not None:
            partial[key.replace("-", "_")] = value
    if "memory" in data:
        memory = _read_memory(problems, data, join(prefix, "memory"))
        if memory is not None:
            partial["memory"] = memory
    return partial


def _read_memory(problems: Problems, data: LineMap, field: str) -> Partial | None:
    value = data["memory"]
    if isinstance(value, bool):
        return {"enabled": value}
    if not isinstance(value, LineMap):
        problems.add(
            data.line_of("memory"),
            field,
            f"expected true, false or a mapping, got {type_name(value)}",
            "e.g. memory: {interval: 10ms, leak-threshold: 5%, max-peak: 500MB}",
        )
        return None
    problems.check_keys(value, MEMORY_KEYS, field)
    partial: Partial = {"enabled": True}
    readers = {
        "enabled": (as_bool, "true or false"),
        "interval": (_interval, DURATION_HINT),
        "leak-threshold": (_positive_percent, PERCENT_HINT),
        "max-peak": (_max_peak, f"{SIZE_HINT}, or 'default' for 500MB"),
        "iterations": (
            int_between(3, MAX_MEMORY_ITERATIONS, "memory-pass iterations"),
            "a whole number >= 3 of memory-pass iterations",
        ),
    }
    for key, (parse, hint) in readers.items():
        parsed = read(problems, value, key, field, parse, hint)
        if parsed is not None:
            partial[key.replace("-", "_")] = parsed
    return partial


def merge_settings(base: Settings, *layers: Partial) -> Settings:
    """Apply partial overrides in order; ``memory`` merges field by field."""
    result = base
    for layer in layers:
        flat = {k: v for k, v in layer.items() if k != "memory"}
        memory = result.memory
        if "memory" in layer:
            memory = replace(memory, **layer["memory"])
        result = replace(result, memory=memory, **flat)
    return result


def apply_env_flags(settings: Settings, env: dict[str, str] | Any) -> Settings:
    """A feature flag: ``AIWF_MEMORY=0`` (or false/off/no) turns memory profiling off."""
    flag = str(env.get("AIWF_MEMORY", "")).strip().lower()
    if flag in ("0", "false", "off", "no"):
        return replace(settings, memory=replace(settings.memory, enabled=False))
    return settings


def _interval(value: Any) -> float:
    """A sampling interval: below a millisecond the sampler would use a core of its own."""
    seconds = duration_at_most(MAX_INTERVAL, positive=True)(value)
    if seconds < MIN_INTERVAL:
        raise OutOfRange(f"{quote(value)} is shorter than the limit", "at least 1ms")
    return seconds


def _positive_percent(value: Any) -> float:
    fraction = parse_percent(value)
    if not math.isfinite(fraction):
        raise ValueError(f"{quote(value)} is not a finite percentage")
    if fraction <= 0:
        raise ValueError("must be greater than 0%")
    if fraction > MAX_LEAK_THRESHOLD:
        raise OutOfRange(f"{quote(value)} is more than the limit", "at most 1000%")
    return fraction


def _measure(value: Any) -> Measure:
    for measure in MEASURES:
        if value == measure:
            return measure
    raise ValueError(f"{quote(value)} is not a measure")


def _max_peak(value: Any) -> int:
    if value in ("default", "seed"):  # "seed": the name older configs used
        return DEFAULT_MAX_PEAK
    return size_at_most(MAX_PEAK)(value)


__all__ = ["MemorySettings", "Settings", "apply_env_flags", "merge_settings", "read_settings"]
