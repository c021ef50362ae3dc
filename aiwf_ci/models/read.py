"""Reading results: a ``results.json`` (or its parsed form) validated into a ``Results``.

Anything wrong is a ``ResultsFormatError`` naming the file and the field (and, inside a metric,
the benchmark and the metric); a harness's own output is recognised and pointed at
``aiwf-ci import``; only regular files are opened. A negative sample or statistic is refused
(``core.NOT_NEGATIVE``), so are summary statistics that contradict themselves (min above
max, a percentile outside them) and a benchmark name that appears twice. Units are read in
today's spelling: ``bytes`` (what older versions wrote for memory) is ``B``, ``bytes/s`` is
``B/s``, so old files and new ones compare.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from aiwf_ci.errors import ImpossibleValueError, ResultsFormatError
from aiwf_ci.fileio import read_regular_file
from aiwf_ci.models.core import (
    READABLE_SCHEMAS,
    SCHEMA,
    Alert,
    BenchmarkResult,
    Commit,
    JSONValue,
    Metric,
    Results,
    Series,
    impossible_summary,
    negative_sample,
)
from aiwf_ci.stats import Summary, summarize

MAX_RESULTS_BYTES = 256 * 1024 * 1024
"""A results file larger than this is refused (a large suite's is a few MiB): a path that
names a FIFO, a device or a runaway file is a one-line error, never a hang."""


def load_results(path: Path) -> Results:
    """Read and validate a results file; any problem is a ``ResultsFormatError`` naming it."""
    raw = read_regular_file(
        path, limit=MAX_RESULTS_BYTES, what="an aiwf-ci results file", error=ResultsFormatError
    )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ResultsFormatError(
            f"{path}: not UTF-8 text; expected an aiwf-ci results file"
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResultsFormatError(
            f"{path}:{exc.lineno}: not valid JSON ({exc.msg}); expected an aiwf-ci results file"
        ) from None
    except RecursionError:
        raise ResultsFormatError(f"{path}: JSON nested too deeply to be a results file") from None
    return results_from_dict(data, source=str(path))


def load_history(path: Path) -> list[Results]:
    """Results files of earlier runs, oldest first: one file, or every ``*.json`` in a
    folder sorted by its recorded time (``created_at``, then the name). Any file that is not
    a results file is a ``ResultsFormatError`` naming it; so is a folder with none."""
    if not path.is_dir():
        return [load_results(path)]
    files = sorted(p for p in path.glob("*.json") if p.is_file())
    if not files:
        raise ResultsFormatError(
            f"{path}: no *.json results files in this folder; pass earlier runs' results files"
        )
    runs = [(load_results(p), p.name) for p in files]
    return [r for r, _ in sorted(runs, key=lambda pair: (pair[0].created_at, pair[1]))]


def results_from_dict(data: object, *, source: str = "results") -> Results:
    data = _valid_text(data)
    harness = harness_format(data)
    if harness:
        raise ResultsFormatError(
            f"{source}: this is {harness} output, not an aiwf-ci results file; convert it "
            f"first: aiwf-ci import {harness} {source} --out results.json"
        )
    try:
        return _parse_results(data)
    except _Impossible as exc:
        raise ImpossibleValueError(
            f"{source}: {exc}; the file is damaged: make it again with `aiwf-ci run` "
            "(or `aiwf-ci import` for another harness's output)"
        ) from None
    except _READ_ERRORS as exc:
        raise ResultsFormatError(
            f"{source}: not a valid {SCHEMA} file ({_describe(exc)}); "
            "regenerate it with `aiwf-ci run`"
        ) from None


_READ_ERRORS = (KeyError, TypeError, ValueError, AttributeError, OverflowError, RecursionError)


class _Impossible(ValueError):
    """A value no measurement can have (``core.NOT_NEGATIVE``): the file is damaged."""


def _valid_text(data: object, depth: int = 0) -> object:
    """Every string with lone surrogates (valid JSON escapes, invalid text: they cannot be
    written out again) made valid by U+FFFD replacement characters."""
    if depth > 100:
        return data
    if isinstance(data, str):
        return _SURROGATE.sub("\ufffd", data)
    if isinstance(data, list):
        return [_valid_text(x, depth + 1) for x in data]
    if isinstance(data, dict):
        return {_valid_text(k, depth + 1): _valid_text(v, depth + 1) for k, v in data.items()}
    return data


_SURROGATE = re.compile("[\ud800-\udfff]")


def harness_format(data: object) -> str:
    """The benchmark harness a JSON document came from, when it is not ours (by the keys each
    harness always writes), so an error can say which ``aiwf-ci import`` to run."""
    if not isinstance(data, dict) or "schema" in data:
        return ""
    if "machine_info" in data and "benchmarks" in data:
        return "pytest-benchmark"
    if "context" in data and "benchmarks" in data:
        return "google-benchmark"
    results = data.get("results")
    first = results[0] if isinstance(results, list) and results else None
    if isinstance(first, dict) and "command" in first and ("times" in first or "mean" in first):
        return "hyperfine"
    return ""


def _parse_results(data: object) -> Results:
    if not isinstance(data, dict):
        raise TypeError("top level must be an object")
    schema = data.get("schema")
    if schema not in READABLE_SCHEMAS:
        readable = ", ".join(sorted(READABLE_SCHEMAS))
        raise ValueError(f"unknown schema {schema!r}; this version reads {readable}")
    commit = data.get("commit") or {}
    benchmarks = tuple(_parse_benchmark(b) for b in _list(data["benchmarks"], "benchmarks"))
    _unique(benchmarks)
    return Results(
        schema=SCHEMA,
        suite=_str(data["suite"], "suite"),
        created_at=str(data.get("created_at", "")),
        commit=Commit(sha=str(commit.get("sha", "")), ref=str(commit.get("ref", ""))),
        environment=dict(data.get("environment") or {}),
        thresholds=_mapping(data.get("thresholds"), "thresholds"),
        benchmarks=benchmarks,
    )


def _unique(benchmarks: tuple[BenchmarkResult, ...]) -> None:
    """A name twice would be compared, listed and gated twice: the file is refused."""
    seen: set[str] = set()
    for bench in benchmarks:
        if bench.name in seen:
            raise ValueError(
                f"benchmark name {bench.name[:80]!r} appears twice: names must be unique"
            )
        seen.add(bench.name)


def _parse_benchmark(data: object) -> BenchmarkResult:
    if not isinstance(data, dict):
        raise TypeError("each benchmark must be an object")
    errors = data.get("errors") or {}
    messages = errors.get("messages", []) if isinstance(errors, dict) else errors
    name = _str(data["name"], "benchmarks[].name")
    return BenchmarkResult(
        name=name,
        kind=_str(data["kind"], "benchmarks[].kind"),
        metrics={str(k): _metric(name, str(k), v) for k, v in (data.get("metrics") or {}).items()},
        errors=tuple(str(m) for m in _list(messages, "errors.messages")),
        alerts=tuple(_parse_alert(a) for a in _list(data.get("alerts") or [], "alerts")),
        series={str(k): _parse_series(v) for k, v in (data.get("series") or {}).items()},
        extra=dict(data.get("extra") or {}),
    )


def _metric(bench: str, name: str, data: dict[str, JSONValue]) -> Metric:
    """``_parse_metric``, its error saying which benchmark and metric first."""
    where = f"benchmark {bench[:80]!r}, metric {name[:80]!r}"
    try:
        return _parse_metric(data)
    except _Impossible as exc:
        raise _Impossible(f"{where}: {exc}") from None
    except _READ_ERRORS as exc:
        raise ValueError(f"{where}: {_describe(exc)}") from None


def _parse_metric(data: dict[str, JSONValue]) -> Metric:
    direction = data["direction"]
    if direction not in ("lower", "higher"):
        raise ValueError(f"direction must be 'lower' or 'higher', not {direction!r}")
    samples = tuple(_sample(x) for x in _list(data["samples"], "samples"))
    stats_data = data.get("stats")
    if samples:
        problem = negative_sample(samples)
        stats = summarize(samples)
    elif isinstance(stats_data, dict):
        stats = Summary(**{k: _sample(stats_data[k]) for k in Summary.__slots__})
        problem = impossible_summary(stats.as_dict())
    else:
        raise ValueError("a metric needs samples or stats")
    if problem:
        raise _Impossible(problem)
    return Metric(
        unit=_unit(_str(data["unit"], "unit")),
        direction=direction,
        samples=samples,
        stats=stats,
        summary_only=bool(data.get("summary_only", False)),
        rounds=_rounds(data.get("rounds"), len(samples)),
        deterministic=data.get("deterministic") is True,
    )


def _rounds(value: object, count: int) -> tuple[int, ...]:
    if value is None:
        return ()
    items = _list(value, "rounds")
    if len(items) != count:
        raise ValueError("rounds must give one round per sample")
    if not all(isinstance(r, int) and not isinstance(r, bool) and 0 <= r < 10**6 for r in items):
        raise ValueError("rounds must be whole numbers from 0")
    return tuple(items)


def _parse_alert(data: dict[str, JSONValue]) -> Alert:
    def _opt(key: str) -> float | None:
        value = data.get(key)
        return None if value is None else _sample(value)

    return Alert(
        kind=_str(data["kind"], "alerts[].kind"),
        metric=str(data.get("metric", "")),
        message=str(data.get("message", "")),
        limit=_opt("limit"),
        value=_opt("value"),
        details=dict(data.get("details") or {}),
    )


def _parse_series(data: dict[str, JSONValue]) -> Series:
    t = tuple(_sample(x) for x in _list(data["t"], "series.t"))
    values = tuple(_sample(x) for x in _list(data["values"], "series.values"))
    if len(t) != len(values):
        raise ValueError("series t and values differ in length")
    return Series(unit=_unit(str(data.get("unit", ""))), t=t, values=values)


_UNIT_SPELLINGS = {"bytes": "B", "bytes/s": "B/s"}
"""Units older versions wrote, and how they are spelt now."""


def _unit(unit: str) -> str:
    return _UNIT_SPELLINGS.get(unit, unit)


MAX_SAMPLE = 1e30
"""No real measurement comes near this (1e30 bytes, seconds or ops/s); beyond it statistics
overflow, so such a file is corrupt or hostile."""


def _sample(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"samples must be numbers, not {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number) or abs(number) > MAX_SAMPLE:
        raise ValueError(f"sample {value!r} is not a finite measurement")
    return number


def _str(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string")
    return value


def _mapping(value: object, name: str) -> dict[str, JSONValue]:
    """An optional object (``{}`` when absent, as files of older versions are)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be an object")
    return value


def _list(value: object, name: str) -> list[JSONValue]:
    if not isinstance(value, list):
        raise TypeError(f"{name} must be a list")
    return value


def _describe(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing key {exc.args[0]!r}"
    return str(exc)
