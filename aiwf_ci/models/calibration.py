"""A calibration of the runner (``aiwf-ci calibrate``) as data and as ``calibration.json``.

What the suite measured against itself on one machine: per benchmark and gated metric the
spread of the per-round log ratio, the A/A verdict, and what the stopping rule can show
with that spread within the budget (``verdict.reach``). Written beside the results so the
action keeps it with them, and read back (``compare --calibration``, ``ab --calibration``)
so a report can warn when a threshold is below what the runner can detect. The file's
shape is ``aiwf_ci/schemas/calibration.schema.json``; ``version`` is 1.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiwf_ci.errors import ResultsFormatError
from aiwf_ci.fileio import read_regular_file
from aiwf_ci.models.core import JSONValue

VERSION = 1
MAX_CALIBRATION_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricCalibration:
    """One gated metric: its rule (the worsening fraction it allows), the rounds measured,
    the spread of their log ratios and its rank lag-1 autocorrelation, the A/A verdict and
    change, and the reach (fractions and round counts, ``None``: not within the budget or
    the design)."""

    metric: str
    threshold: float
    rounds: int
    spread: float
    lag1: float
    verdict: str
    change: float | None
    detectable: float | None
    noise_floor: float | None
    rounds_unchanged: int | None
    rounds_twice: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class BenchmarkCalibration:
    """One benchmark: the seconds one round of it took (both sides) and its gated metrics."""

    name: str
    seconds_per_round: float
    metrics: tuple[MetricCalibration, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Calibration:
    """The whole calibration: the budget it was run with and the rounds that budget allows
    every benchmark of the suite in a run of ``ab`` (``budget_rounds``), the rounds
    measured, the design's numbers and the machine."""

    suite: str
    time_budget: float
    budget_rounds: int
    rounds: int
    seconds: float
    design: Mapping[str, JSONValue]
    environment: Mapping[str, JSONValue]
    benchmarks: tuple[BenchmarkCalibration, ...]

    def metric(self, benchmark: str, metric: str) -> MetricCalibration | None:
        for bench in self.benchmarks:
            if bench.name == benchmark:
                return next((m for m in bench.metrics if m.metric == metric), None)
        return None


def calibration_to_dict(calibration: Calibration) -> dict[str, Any]:
    return {
        "version": VERSION,
        "suite": calibration.suite,
        "time_budget": calibration.time_budget,
        "budget_rounds": calibration.budget_rounds,
        "rounds": calibration.rounds,
        "seconds": calibration.seconds,
        "design": dict(calibration.design),
        "environment": dict(calibration.environment),
        "benchmarks": [
            {
                "name": b.name,
                "seconds_per_round": b.seconds_per_round,
                "metrics": [_metric_dict(m) for m in b.metrics],
            }
            for b in calibration.benchmarks
        ],
    }


def _metric_dict(m: MetricCalibration) -> dict[str, Any]:
    return {name: getattr(m, name) for name in MetricCalibration.__dataclass_fields__}


def dumps_calibration(calibration: Calibration) -> str:
    return json.dumps(calibration_to_dict(calibration), indent=2, allow_nan=False) + "\n"


def load_calibration(path: Path) -> Calibration:
    """Read a ``calibration.json``; anything wrong is one line naming the file and field."""
    raw = read_regular_file(
        path, limit=MAX_CALIBRATION_BYTES, what="an aiwf-ci calibration", error=ResultsFormatError
    )
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ResultsFormatError(
            f"{path}: not JSON; expected a calibration.json written by aiwf-ci calibrate"
        ) from None
    try:
        return calibration_from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ResultsFormatError(
            f"{path}: not a calibration ({_why(exc)}); run aiwf-ci calibrate to write one"
        ) from None


def _why(exc: Exception) -> str:
    return f"field {exc.args[0]} missing" if isinstance(exc, KeyError) else str(exc)


def calibration_from_dict(data: object) -> Calibration:
    if not isinstance(data, dict):
        raise ValueError("the top level is not an object")
    if data.get("version") != VERSION:
        raise ValueError(f"version {data.get('version')!r}, this aiwf-ci reads {VERSION}")
    return Calibration(
        suite=_str(data, "suite"),
        time_budget=_number(data, "time_budget"),
        budget_rounds=int(_number(data, "budget_rounds")),
        rounds=int(_number(data, "rounds")),
        seconds=_number(data, "seconds"),
        design=_object(data, "design"),
        environment=_object(data, "environment"),
        benchmarks=tuple(_benchmark(b) for b in _list(data, "benchmarks")),
    )


def _benchmark(data: object) -> BenchmarkCalibration:
    if not isinstance(data, dict):
        raise ValueError("a benchmark is not an object")
    return BenchmarkCalibration(
        name=_str(data, "name"),
        seconds_per_round=_number(data, "seconds_per_round"),
        metrics=tuple(_metric(m) for m in _list(data, "metrics")),
    )


def _metric(data: object) -> MetricCalibration:
    if not isinstance(data, dict):
        raise ValueError("a metric is not an object")
    return MetricCalibration(
        metric=_str(data, "metric"),
        threshold=_number(data, "threshold"),
        rounds=int(_number(data, "rounds")),
        spread=_number(data, "spread"),
        lag1=_signed(data, "lag1"),
        verdict=_str(data, "verdict"),
        change=_optional(data, "change"),
        detectable=_optional(data, "detectable"),
        noise_floor=_optional(data, "noise_floor"),
        rounds_unchanged=_optional_int(data, "rounds_unchanged"),
        rounds_twice=_optional_int(data, "rounds_twice"),
    )


def _str(data: Mapping[str, object], key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise ValueError(f"field {key} is not a string")
    return value


def _number(data: Mapping[str, object], key: str) -> float:
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"field {key} is not a number >= 0")
    return float(value)


def _optional(data: Mapping[str, object], key: str) -> float | None:
    return None if data.get(key) is None else _signed(data, key)


def _signed(data: Mapping[str, object], key: str) -> float:
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"field {key} is not a number")
    return float(value)


def _optional_int(data: Mapping[str, object], key: str) -> int | None:
    return None if data.get(key) is None else int(_number(data, key))


def _object(data: Mapping[str, object], key: str) -> dict[str, JSONValue]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ValueError(f"field {key} is not an object")
    return value


def _list(data: Mapping[str, object], key: str) -> list[object]:
    value = data[key]
    if not isinstance(value, list):
        raise ValueError(f"field {key} is not a list")
    return value
