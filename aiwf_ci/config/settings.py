"""Run settings (``defaults``, ``profiles.*`` and per-benchmark keys) and their merging.

Precedence, lowest first: built-in defaults, ``defaults:``, the active profile, the
benchmark's own keys, then the ``AIWF_MEMORY=0`` feature flag which turns memory off.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aiwf_ci.config.fields import Problems, as_bool, int_at_least, join, read, type_name
from aiwf_ci.config.models import DEFAULT_MAX_PEAK, MemorySettings, Settings
from aiwf_ci.config.yamlload import LineMap
from aiwf_ci.units import (
    DURATION_HINT,
    PERCENT_HINT,
    SIZE_HINT,
    parse_duration,
    parse_percent,
    parse_size,
)

SETTING_KEYS = ("warmup", "iterations", "min-time", "timeout", "memory")
MEMORY_KEYS = ("enabled", "interval", "leak-threshold", "max-peak", "iterations")

Partial = dict[str, Any]


def read_settings(problems: Problems, data: LineMap, prefix: str) -> Partial:
    """The setting keys present in ``data``, validated, as a partial override."""
    partial: Partial = {}
    readers = {
        "warmup": (int_at_least(0), "a whole number of warmup runs, e.g. 2"),
        "iterations": (int_at_least(1), "a whole number of measured runs, e.g. 10"),
        "min-time": (parse_duration, DURATION_HINT),
        "timeout": (_positive_duration, DURATION_HINT),
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
        "interval": (_positive_duration, DURATION_HINT),
        "leak-threshold": (_positive_percent, PERCENT_HINT),
        "max-peak": (_max_peak, f"{SIZE_HINT}, or 'default' for 500MB"),
        "iterations": (int_at_least(3), "a whole number >= 3 of memory-pass iterations"),
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


def _positive_duration(value: Any) -> float:
    seconds = parse_duration(value)
    if seconds <= 0:
        raise ValueError("must be greater than zero")
    return seconds


def _positive_percent(value: Any) -> float:
    fraction = parse_percent(value)
    if fraction <= 0:
        raise ValueError("must be greater than 0%")
    return fraction


def _max_peak(value: Any) -> int:
    if value in ("default", "seed"):  # "seed": the name older configs used
        return DEFAULT_MAX_PEAK
    return parse_size(value)


__all__ = ["MemorySettings", "Settings", "apply_env_flags", "merge_settings", "read_settings"]
