"""The results data model: what a run produces and what a baseline is compared against.

Frozen dataclasses, serialised to ``results.json`` with the schema tag ``aiwf-ci/results@1``.

Schema history (old versions stay readable; ``tests/data/results/`` holds one file per version):
    aiwf-ci/results@1   first version (2026-11): metrics with raw samples and stats, errors,
                        alerts, series (time series such as memory over time), extra.
                        2026-12: optional ``rounds`` per metric (the round of each sample of
                        an interleaved run, so base and head can be analysed as pairs);
                        files without it read as before. Optional ``deterministic`` per
                        metric (instruction counts: compared exactly).
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from aiwf_ci.errors import ResultsFormatError
from aiwf_ci.fileio import read_regular_file
from aiwf_ci.redaction import redact
from aiwf_ci.stats import Summary, summarize

SCHEMA = "aiwf-ci/results@1"
READABLE_SCHEMAS = frozenset({SCHEMA})

Direction = Literal["lower", "higher"]
JSONValue = Any


@dataclass(frozen=True, slots=True, kw_only=True)
class Metric:
    """One measured quantity of a benchmark, with every raw sample kept.

    ``summary_only`` marks metrics ingested from a harness that only reports summary
    statistics: the verdict then cannot run a significance test on samples. ``rounds``,
    when not empty, holds the round of each sample of an interleaved run (same length as
    ``samples``): base and head samples of the same round were measured seconds apart.
    """

    unit: str
    direction: Direction
    samples: tuple[float, ...]
    stats: Summary
    summary_only: bool = False
    rounds: tuple[int, ...] = ()
    deterministic: bool = False
    """Samples that repeat exactly (instruction counts checked to agree): compared without a
    significance test, a change beyond the threshold is a regression."""

    @classmethod
    def from_samples(
        cls,
        samples: Sequence[float],
        *,
        unit: str,
        direction: Direction = "lower",
        rounds: Sequence[int] = (),
        deterministic: bool = False,
    ) -> Metric:
        values = tuple(float(x) for x in samples)
        if rounds and len(rounds) != len(values):
            raise ValueError("rounds must give one round per sample")
        return cls(
            unit=unit,
            direction=direction,
            samples=values,
            stats=summarize(values),
            rounds=tuple(int(r) for r in rounds),
            deterministic=deterministic,
        )

    def by_round(self) -> dict[int, list[float]]:
        """The samples of each round (empty without rounds)."""
        grouped: dict[int, list[float]] = {}
        for value, index in zip(self.samples, self.rounds, strict=False):
            grouped.setdefault(index, []).append(value)
        return grouped


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    """An alert raised while measuring: ``threshold_exceeded``, ``memory_leak_suspected``, ..."""

    kind: str
    metric: str
    message: str
    limit: float | None = None
    value: float | None = None
    details: Mapping[str, JSONValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Series:
    """A time series (e.g. RSS over time), downsampled: ``t`` in seconds from start."""

    unit: str
    t: tuple[float, ...]
    values: tuple[float, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class BenchmarkResult:
    """The outcome of one benchmark: metrics, errors, alerts and free-form extras."""

    name: str
    kind: str
    metrics: Mapping[str, Metric] = field(default_factory=dict)
    errors: tuple[str, ...] = ()
    alerts: tuple[Alert, ...] = ()
    series: Mapping[str, Series] = field(default_factory=dict)
    extra: Mapping[str, JSONValue] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return bool(self.errors)


@dataclass(frozen=True, slots=True, kw_only=True)
class Commit:
    sha: str = ""
    ref: str = ""


def short_sha(sha: object) -> str:
    """The first 7 characters of a hex commit SHA, as git shows it; anything else as given."""
    text = str(sha or "")
    return text[:7] if text and all(c in "0123456789abcdefABCDEF" for c in text) else text


@dataclass(frozen=True, slots=True, kw_only=True)
class Results:
    """A whole run: the content of one results.json."""

    suite: str
    benchmarks: tuple[BenchmarkResult, ...]
    created_at: str = field(default_factory=lambda: utc_now())
    commit: Commit = field(default_factory=Commit)
    environment: Mapping[str, JSONValue] = field(default_factory=dict)
    schema: str = SCHEMA

    def by_name(self) -> dict[str, BenchmarkResult]:
        return {b.name: b for b in self.benchmarks}


def utc_now() -> str:
    """ISO 8601 UTC timestamp with a ``Z`` suffix."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- serialisation -------------------------------------------------------------------------


def results_to_dict(results: Results) -> dict[str, JSONValue]:
    return {
        "schema": SCHEMA,
        "suite": results.suite,
        "created_at": results.created_at,
        "commit": {"sha": results.commit.sha, "ref": results.commit.ref},
        "environment": dict(results.environment),
        "benchmarks": [_benchmark_to_dict(b) for b in results.benchmarks],
    }


def _benchmark_to_dict(bench: BenchmarkResult) -> dict[str, JSONValue]:
    return {
        "name": bench.name,
        "kind": bench.kind,
        "metrics": {name: _metric_to_dict(m) for name, m in bench.metrics.items()},
        "errors": {"count": len(bench.errors), "messages": list(bench.errors)},
        "alerts": [_alert_to_dict(a) for a in bench.alerts],
        "series": {
            name: {"unit": s.unit, "t": list(s.t), "values": list(s.values)}
            for name, s in bench.series.items()
        },
        "extra": dict(bench.extra),
    }


def _metric_to_dict(metric: Metric) -> dict[str, JSONValue]:
    data: dict[str, JSONValue] = {
        "unit": metric.unit,
        "direction": metric.direction,
        "samples": list(metric.samples),
        "stats": metric.stats.as_dict(),
    }
    if metric.summary_only:
        data["summary_only"] = True
    if metric.rounds:
        data["rounds"] = list(metric.rounds)
    if metric.deterministic:
        data["deterministic"] = True
    return data


def _alert_to_dict(alert: Alert) -> dict[str, JSONValue]:
    return {
        "kind": alert.kind,
        "metric": alert.metric,
        "message": alert.message,
        "limit": alert.limit,
        "value": alert.value,
        "details": dict(alert.details),
    }


def dumps(results: Results) -> str:
    return json.dumps(results_to_dict(results), indent=2, allow_nan=False) + "\n"


def write_results(results: Results, path: Path) -> Path:
    """Write atomically (temp file + rename) so a crash never leaves half a file."""
    return write_text_atomic(path, dumps(results))


def current_umask() -> int:
    """The process's umask, read without changing it where Linux allows (``/proc``)."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder, then rename:
    readers see the old file or the new one, never half of one.

    The file gets the ordinary mode a plain ``open`` would give (0666 minus the umask, so
    0644 usually), not ``mkstemp``'s 0600: the action runs as root in its container and the
    next workflow step (``actions/upload-artifact``) runs as another user on the host.
    """
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(redact(text))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


# --- deserialisation -----------------------------------------------------------------------

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
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, RecursionError) as exc:
        raise ResultsFormatError(
            f"{source}: not a valid {SCHEMA} file ({_describe(exc)}); "
            "regenerate it with `aiwf-ci run`"
        ) from None


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
    return Results(
        schema=SCHEMA,
        suite=_str(data["suite"], "suite"),
        created_at=str(data.get("created_at", "")),
        commit=Commit(sha=str(commit.get("sha", "")), ref=str(commit.get("ref", ""))),
        environment=dict(data.get("environment") or {}),
        benchmarks=tuple(_parse_benchmark(b) for b in _list(data["benchmarks"], "benchmarks")),
    )


def _parse_benchmark(data: object) -> BenchmarkResult:
    if not isinstance(data, dict):
        raise TypeError("each benchmark must be an object")
    errors = data.get("errors") or {}
    messages = errors.get("messages", []) if isinstance(errors, dict) else errors
    return BenchmarkResult(
        name=_str(data["name"], "benchmarks[].name"),
        kind=_str(data["kind"], "benchmarks[].kind"),
        metrics={str(k): _parse_metric(v) for k, v in (data.get("metrics") or {}).items()},
        errors=tuple(str(m) for m in _list(messages, "errors.messages")),
        alerts=tuple(_parse_alert(a) for a in _list(data.get("alerts") or [], "alerts")),
        series={str(k): _parse_series(v) for k, v in (data.get("series") or {}).items()},
        extra=dict(data.get("extra") or {}),
    )


def _parse_metric(data: dict[str, JSONValue]) -> Metric:
    direction = data["direction"]
    if direction not in ("lower", "higher"):
        raise ValueError(f"direction must be 'lower' or 'higher', not {direction!r}")
    samples = tuple(_sample(x) for x in _list(data["samples"], "samples"))
    stats_data = data.get("stats")
    if samples:
        stats = summarize(samples)
    elif isinstance(stats_data, dict):
        stats = Summary(**{k: _sample(stats_data[k]) for k in Summary.__slots__})
    else:
        raise ValueError("a metric needs samples or stats")
    return Metric(
        unit=_str(data["unit"], "unit"),
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
    return Series(unit=str(data.get("unit", "")), t=t, values=values)


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


def _list(value: object, name: str) -> list[JSONValue]:
    if not isinstance(value, list):
        raise TypeError(f"{name} must be a list")
    return value


def _describe(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing key {exc.args[0]!r}"
    return str(exc)
