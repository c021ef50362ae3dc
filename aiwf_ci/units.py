"""Parsing of the human units the config and inputs use: durations, sizes, percentages.
Writing numbers back out is ``aiwf_ci.numbers``' job.

Pure functions that raise ``ValueError`` with a short hint; the config layer turns that into a
``ConfigError`` naming the file, line and field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

Q = TypeVar("Q", int, float)

_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(ns|us|µs|ms|s|m|h)?\s*$")
_DURATION_FACTORS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    None: 1.0,
}
_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([KMGT]i?B|B)?\s*$", re.IGNORECASE)
_SIZE_FACTORS = {
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
_PERCENT = re.compile(r"^\s*([-+]?[0-9]*\.?[0-9]+)\s*%\s*$")

DURATION_HINT = "a number of seconds or a string like 500ms, 2s, 1.5m"
SIZE_HINT = "a number of bytes or a string like 4KiB, 10MB, 1GiB"
PERCENT_HINT = "a percentage like 20% or -10%"


def parse_duration(value: object) -> float:
    """Seconds from ``2``, ``2.5``, ``"500ms"``, ``"2s"``, ``"1.5m"``; must be >= 0."""
    return _quantity(value, _DURATION, _DURATION_FACTORS.__getitem__, float, DURATION_HINT)


def parse_size(value: object) -> int:
    """Bytes from ``4096``, ``"4KiB"``, ``"10MB"``, ``"1GiB"``; must be >= 0."""
    return _quantity(value, _SIZE, _size_factor, int, SIZE_HINT)


def _size_factor(unit: str | None) -> int:
    return _SIZE_FACTORS[(unit or "B").lower()]


def _quantity(
    value: object,
    pattern: re.Pattern[str],
    factor: Callable[[str | None], float],
    convert: Callable[[float], Q],
    hint: str,
) -> Q:
    """A number (not a bool), or a string ``pattern`` matches (a number, then a unit whose
    ``factor`` scales it), as ``convert`` makes it; negative amounts are refused."""
    if isinstance(value, bool):
        raise ValueError(f"expected {hint}")
    if isinstance(value, int | float):
        amount = convert(value)
    elif isinstance(value, str) and (match := pattern.match(value)):
        amount = convert(float(match.group(1)) * factor(match.group(2)))
    else:
        raise ValueError(f"expected {hint}")
    if amount < 0:
        raise ValueError(f"must not be negative; expected {hint}")
    return amount


def parse_percent(value: object) -> float:
    """A fraction from ``"20%"`` (0.2) or ``"-10%"`` (-0.1). Bare numbers are rejected."""
    if isinstance(value, str) and (match := _PERCENT.match(value)):
        return float(match.group(1)) / 100.0
    raise ValueError(f"expected {PERCENT_HINT}")
