"""Read Google Benchmark JSON (``--benchmark_format=json`` or ``--benchmark_out=FILE``).

C++ projects benchmark with Google Benchmark. Each row's ``real_time`` is the mean time per
iteration in ``time_unit``; it becomes ``duration`` in seconds, ``cpu_time`` likewise. Rows are
grouped by ``run_name`` (older versions: ``name`` minus the aggregate suffix). Repetitions
(``run_type: iteration``, ``--benchmark_repetitions=N``) are the raw samples; aggregate rows
(``run_type: aggregate``: mean, median, stddev, cv, BigO, RMS) are never samples. They are used
only when a run has no iteration rows (``--benchmark_report_aggregates_only``), which gives a
``summary_only`` metric from the mean/median/stddev rows.

Counters: ``items_per_second`` -> ``throughput_items`` (items/s) and ``bytes_per_second`` ->
``throughput_bytes`` (B/s), higher is better. Other user counters keep their name. The JSON
carries no counter flags, so the direction comes from the name: ``*_per_second`` / ``*_rate``
(what ``kIsRate`` counters are usually called) are higher-is-better, anything else lower.
``error_occurred`` rows (``SkipWithError``) add their ``error_message`` to the result's errors;
``skipped`` rows (``SkipWithMessage``, 1.8+) are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aiwf_ci.ingest.common import (
    MAX_BENCHMARKS,
    Source,
    ingested,
    is_finite_number,
    metric_name,
    short,
    too_many,
)
from aiwf_ci.models import BenchmarkResult, Direction, JSONValue, Metric

FORMAT = "google-benchmark"
HINT = "write it with `--benchmark_out=FILE --benchmark_out_format=json`"

_TIME_UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
_THROUGHPUT = {
    "items_per_second": ("throughput_items", "items/s"),
    "bytes_per_second": ("throughput_bytes", "B/s"),
}
_NOT_COUNTERS = frozenset(
    {
        "name", "family_index", "per_family_instance_index", "run_name", "run_type",
        "repetitions", "repetition_index", "threads", "iterations", "real_time", "cpu_time",
        "time_unit", "aggregate_name", "aggregate_unit", "error_occurred", "error_message",
        "skipped", "skip_message", "label", "big_o", "rms", "complexity_n",
    }
)  # fmt: skip
_RESERVED = frozenset({"duration", "cpu_time", "throughput_items", "throughput_bytes"})
_SUMMARY_AGGREGATES = ("mean", "median", "stddev")

Values = dict[str, tuple[float, str, Direction]]


@dataclass(slots=True)
class _Run:
    """Every row of one ``run_name``."""

    name: str
    samples: dict[str, list[float]] = field(default_factory=dict)
    units: dict[str, tuple[str, Direction]] = field(default_factory=dict)
    aggregates: dict[str, dict[str, float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    iterations: list[JSONValue] = field(default_factory=list)
    threads: JSONValue = None


def parse(text: str, source: str) -> tuple[BenchmarkResult, ...]:
    """One result per ``run_name``, in file order."""
    src = Source(source, FORMAT, HINT)
    rows = src.entries(text, "benchmarks", benchmarks=False)  # repetitions, aggregates
    runs: dict[str, _Run] = {}
    for i, value in enumerate(rows):
        _add_row(src, runs, src.mapping(value, f"benchmarks[{i}]"), f"benchmarks[{i}]")
    results = tuple(r for r in (_result(src, run) for run in runs.values()) if r is not None)
    if not results:
        raise src.error("no benchmark rows with results (all skipped?)")
    return results


def _add_row(src: Source, runs: dict[str, _Run], row: Mapping[str, JSONValue], where: str) -> None:
    if row.get("skipped"):
        return
    aggregate = row.get("aggregate_name")
    name = _run_name(src, row, where, aggregate)
    if name not in runs and len(runs) >= MAX_BENCHMARKS:
        raise src.error(f"{where}: {too_many(MAX_BENCHMARKS)}")
    run = runs.setdefault(name, _Run(name=name))
    if row.get("error_occurred"):
        message = str(row.get("error_message") or "error_occurred without a message")
        if message not in run.errors:
            run.errors.append(message)
        return
    values = _row_values(src, row, where)
    if row.get("run_type") == "aggregate" or aggregate is not None:
        if aggregate in _SUMMARY_AGGREGATES:
            run.aggregates[str(aggregate)] = {k: v for k, (v, _, _) in values.items()}
            run.units.update({k: (u, d) for k, (_, u, d) in values.items()})
        return
    for key, (value, unit, direction) in values.items():
        run.samples.setdefault(key, []).append(value)
        run.units[key] = (unit, direction)
    run.iterations.append(row.get("iterations"))
    run.threads = row.get("threads")


def _run_name(src: Source, row: Mapping[str, JSONValue], where: str, aggregate: object) -> str:
    if row.get("run_name"):
        return src.string(row["run_name"], f"{where}.run_name")
    name = src.string(row.get("name"), f"{where}.name")
    suffix = f"_{aggregate}"
    return name.removesuffix(suffix) if aggregate is not None else name


def _row_values(src: Source, row: Mapping[str, JSONValue], where: str) -> Values:
    unit = row.get("time_unit", "ns")
    if not isinstance(unit, str) or unit not in _TIME_UNITS:
        raise src.error(
            f"{where}.time_unit is {short(unit)}, expected one of {sorted(_TIME_UNITS)}"
        )
    factor = _TIME_UNITS[unit]
    values: Values = {
        "duration": (src.number(row.get("real_time"), f"{where}.real_time") * factor, "s", "lower")
    }
    if "cpu_time" in row:
        cpu = src.number(row["cpu_time"], f"{where}.cpu_time") * factor
        values["cpu_time"] = (cpu, "s", "lower")
    values.update(_counters(row))
    return values


def _counters(row: Mapping[str, JSONValue]) -> Values:
    counters: Values = {}
    for key, value in row.items():
        if key in _NOT_COUNTERS or not is_finite_number(value):
            continue
        if key in _THROUGHPUT:
            name, unit = _THROUGHPUT[key]
            counters[name] = (float(value), unit, "higher")
        elif key.endswith(("per_second", "_rate")):
            counters[metric_name(key, _RESERVED)] = (float(value), "1/s", "higher")
        else:
            counters[metric_name(key, _RESERVED)] = (float(value), "", "lower")
    return counters


def _result(src: Source, run: _Run) -> BenchmarkResult | None:
    extra: dict[str, JSONValue] = {}
    if run.iterations:
        extra.update(threads=run.threads, iterations=run.iterations)
    if run.samples:
        metrics = {
            key: src.metric(samples, f"{run.name} {key}", unit=unit, direction=direction)
            for key, samples in run.samples.items()
            for unit, direction in [run.units[key]]
        }
    else:
        metrics, estimated = _summary_metrics(src, run)
        if estimated:
            extra["estimated_stats"] = estimated
    if not metrics and not run.errors:
        return None
    return ingested(run.name, metrics, fmt=FORMAT, errors=run.errors, extra=extra)


def _summary_metrics(src: Source, run: _Run) -> tuple[dict[str, Metric], dict[str, JSONValue]]:
    if not all(a in run.aggregates for a in _SUMMARY_AGGREGATES):
        return {}, {}
    mean, median, stddev = (run.aggregates[a] for a in _SUMMARY_AGGREGATES)
    metrics: dict[str, Metric] = {}
    estimated: dict[str, JSONValue] = {}
    for key in (k for k in mean if k in median and k in stddev):
        unit, direction = run.units[key]
        reported = {"mean": mean[key], "median": median[key], "stddev": stddev[key]}
        metrics[key], fields = src.summary(
            reported, f"{run.name} {key}", unit=unit, direction=direction
        )
        estimated[key] = list(fields)
    return metrics, estimated
