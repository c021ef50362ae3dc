"""Shared helpers for the harness parsers: strict field access, metric building, naming.

Every parser reads untrusted files written by another tool, possibly truncated or of the wrong
format. ``Source`` wraps each access so a missing key, a wrong type or bad JSON becomes an
``IngestError`` naming the file, the field and the format expected, never a ``KeyError`` or a
traceback. ``summary_metric`` builds metrics for harnesses that only report summary statistics
(``summary_only=True``); statistics the harness does not report are estimated, and the names of
the estimated fields are returned so the parser can record them in ``extra["estimated_stats"]``:

    min / max   the smaller / larger of mean and median when the harness gives no extremes
    p95 / p99   max (an upper bound): no harness here reports tail percentiles
    iqr         1.349 x stddev (the normal distribution's IQR) when not reported
    cv          stddev / |mean|, always computed
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from aiwf_ci.errors import IngestError
from aiwf_ci.models import BenchmarkResult, Direction, JSONValue, Metric
from aiwf_ci.stats import Summary

KIND = "ingest"
NORMAL_IQR_PER_STDDEV = 1.349


@dataclass(frozen=True, slots=True)
class Source:
    """The file being parsed: its name (for messages), format and how to produce it."""

    name: str
    fmt: str
    hint: str

    def error(self, problem: str) -> IngestError:
        return IngestError(f"{self.name}: {problem}; expected {self.fmt} output ({self.hint})")

    def load_json(self, text: str) -> object:
        if not text.strip():
            raise self.error("the file is empty")
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            if exc.pos >= len(text.rstrip()):
                raise self.error(f"the JSON ends early at line {exc.lineno} (truncated?)") from None
            raise self.error(
                f"not valid JSON at line {exc.lineno} column {exc.colno} ({exc.msg})"
            ) from None

    def mapping(self, value: object, where: str) -> Mapping[str, JSONValue]:
        if isinstance(value, Mapping):
            return value
        raise self.error(_wrong_type(value, where, "an object"))

    def items(self, value: object, where: str) -> list[JSONValue]:
        if isinstance(value, list):
            return value
        raise self.error(_wrong_type(value, where, "a list"))

    def number(self, value: object, where: str) -> float:
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        raise self.error(_wrong_type(value, where, "a finite number"))

    def string(self, value: object, where: str) -> str:
        if isinstance(value, str) and value:
            return value
        raise self.error(_wrong_type(value, where, "a non-empty string"))

    def metric(
        self, samples: Sequence[float], where: str, *, unit: str, direction: Direction
    ) -> Metric:
        """``Metric.from_samples``, refusing values whose statistics overflow."""
        try:
            metric = Metric.from_samples(samples, unit=unit, direction=direction)
        except (OverflowError, ValueError):
            metric = None
        return self.checked(metric, where)

    def summary(
        self, stats: PartialStats, where: str, *, unit: str, direction: Direction
    ) -> tuple[Metric, tuple[str, ...]]:
        """``summary_metric``, refusing statistics that overflow."""
        metric, estimated = summary_metric(stats, unit=unit, direction=direction)
        return self.checked(metric, where), estimated

    def checked(self, metric: Metric | None, where: str) -> Metric:
        if metric is None or not all(map(math.isfinite, metric.stats.as_dict().values())):
            raise self.error(f"{where}: values too large to summarise")
        return metric

    def numbers(self, value: object, where: str) -> tuple[float, ...]:
        values = self.items(value, where)
        if not values:
            raise self.error(f"{where} is empty")
        return tuple(self.number(v, f"{where}[{i}]") for i, v in enumerate(values))


def _wrong_type(value: object, where: str, expected: str) -> str:
    if value is None:
        return f"{where} is missing or null, expected {expected}"
    return f"{where} is {type(value).__name__} {_short(value)}, expected {expected}"


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def is_finite_number(value: object) -> bool:
    """True for an int or float (not bool) that is neither NaN nor infinite."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def ingested(
    name: str,
    metrics: Mapping[str, Metric],
    *,
    fmt: str,
    errors: Sequence[str] = (),
    extra: Mapping[str, JSONValue] | None = None,
) -> BenchmarkResult:
    """A ``BenchmarkResult`` of kind ``ingest`` with the source format in ``extra``."""
    return BenchmarkResult(
        name=name,
        kind=KIND,
        metrics=dict(metrics),
        errors=tuple(errors),
        extra={"format": fmt, **json_safe(dict(extra or {}))},
    )


def json_safe(value: JSONValue) -> JSONValue:
    """A copy with NaN and infinities (which Python's JSON reader accepts) turned into None,
    so the results file can always be written as strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class PartialStats:
    """Summary statistics as a harness reports them; ``None`` where it does not."""

    mean: float
    median: float
    stddev: float
    min: float | None = None
    max: float | None = None
    iqr: float | None = None


def summary_metric(
    stats: PartialStats, *, unit: str, direction: Direction
) -> tuple[Metric, tuple[str, ...]]:
    """A ``summary_only`` metric and the names of the statistics that had to be estimated."""
    estimated = ["p95", "p99"]
    low = min(stats.mean, stats.median) if stats.min is None else stats.min
    high = max(stats.mean, stats.median) if stats.max is None else stats.max
    iqr = NORMAL_IQR_PER_STDDEV * stats.stddev if stats.iqr is None else stats.iqr
    estimated += [n for n in ("min", "max", "iqr") if getattr(stats, n) is None]
    summary = Summary(
        min=low,
        max=high,
        mean=stats.mean,
        median=stats.median,
        p95=high,
        p99=high,
        stddev=stats.stddev,
        iqr=iqr,
        cv=stats.stddev / abs(stats.mean) if stats.mean else 0.0,
    )
    metric = Metric(unit=unit, direction=direction, samples=(), stats=summary, summary_only=True)
    return metric, tuple(sorted(estimated))


def metric_name(label: str, reserved: frozenset[str] = frozenset()) -> str:
    """A metric name from a harness label: ``chars/op`` -> ``chars_per_op``.

    Labels that would collide with a metric aiwf-ci defines itself get a ``custom_`` prefix.
    """
    text = label.strip().replace("/", "_per_")
    name = "".join(c if c.isalnum() else "_" for c in text).strip("_").lower() or "value"
    return f"custom_{name}" if name in reserved else name


def dedupe_names(results: Sequence[BenchmarkResult]) -> tuple[BenchmarkResult, ...]:
    """Make names unique within one file: the second ``x`` becomes ``x #2``, and so on."""
    totals = Counter(r.name for r in results)
    seen: Counter[str] = Counter()
    unique = []
    for result in results:
        seen[result.name] += 1
        if totals[result.name] > 1 and seen[result.name] > 1:
            result = replace(result, name=f"{result.name} #{seen[result.name]}")
        unique.append(result)
    return tuple(unique)
