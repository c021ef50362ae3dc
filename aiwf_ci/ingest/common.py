"""Shared helpers for the harness parsers: strict field access, metric building, naming.

Every parser reads untrusted files written by another tool, possibly truncated or of the wrong
format. ``Source`` wraps each access so a missing key, a wrong type or bad JSON becomes an
``IngestError`` naming the file, the field and the format expected, never a ``KeyError`` or a
traceback. ``summary_metric`` builds metrics for harnesses that only report summary statistics
(``summary_only=True``) from those they report (``mean``, ``median`` and ``stddev`` at least);
the others are estimated, and the names of the estimated fields are returned so the parser can
record them in ``extra["estimated_stats"]``:

    min / max   the smaller / larger of mean and median when the harness gives no extremes
    p95 / p99   max (an upper bound): no harness here reports tail percentiles
    iqr         1.349 x stddev (the normal distribution's IQR) when not reported
    cv          stddev / |mean|, always computed

Every value is a time, a size, a count or a rate: a negative one, or a summary whose minimum
lies above its maximum, is a corrupt file, refused with the entry that holds it (results files
are read by the same rule, ``models.core.NOT_NEGATIVE``). A file may hold at most
``MAX_BENCHMARKS`` benchmarks, and JSON is only decoded when its values fit in ``JSON_BUDGET``
bytes of Python objects (one ``{}`` costs 64 bytes decoded, 3 in the file).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TypeGuard

from aiwf_ci.errors import IngestError
from aiwf_ci.models import BenchmarkResult, Direction, JSONValue, Metric
from aiwf_ci.models.core import impossible_summary, negative_sample
from aiwf_ci.stats import Summary

KIND = "ingest"
NORMAL_IQR_PER_STDDEV = 1.349
MAX_BENCHMARKS = 10_000
"""Benchmarks one harness file may hold (a large real suite has a few hundred)."""
JSON_BUDGET = 512 * 1024 * 1024
"""Bytes of Python objects a harness's JSON may decode to, as estimated by ``json_cost``."""


def too_many(limit: int) -> str:
    return (
        f"more than {limit:,} benchmarks in one file, the limit; "
        "split the run into several files (one per module or package)"
    )


def json_cost(text: str) -> int:
    """An upper bound, in bytes, of what ``json.loads(text)`` allocates beyond the text:
    a dict per ``{``, a list per ``[``, a value (and a slot) per ``,`` and ``:``. Counted
    in C (``str.count``), so the check costs a few milliseconds for 64 MiB."""
    return 232 * text.count("{") + 72 * text.count("[") + 64 * (text.count(",") + text.count(":"))


@dataclass(frozen=True, slots=True)
class Source:
    """The file being parsed: its name (for messages), format and how to produce it."""

    name: str
    fmt: str
    hint: str

    def error(self, problem: str) -> IngestError:
        return IngestError(f"{self.name}: {problem}; expected {self.fmt} output ({self.hint})")

    def entries(self, text: str, key: str, *, benchmarks: bool = True) -> list[JSONValue]:
        """The non-empty list under ``key`` of the JSON object ``text``; when its entries are
        ``benchmarks`` (one result each), at most ``MAX_BENCHMARKS`` of them."""
        data = self.mapping(self.load_json(text), "the top level")
        rows = self.items(data.get(key), f"'{key}'")
        if not rows:
            raise self.error(f"'{key}' is empty")
        if benchmarks and len(rows) > MAX_BENCHMARKS:
            raise self.error(f"'{key}' has {len(rows):,} entries: {too_many(MAX_BENCHMARKS)}")
        return rows

    def load_json(self, text: str) -> object:
        if not text.strip():
            raise self.error("the file is empty")
        if json_cost(text) > JSON_BUDGET:
            raise self.error(
                f"too many values to read (about {json_cost(text) // 2**20:,} MiB decoded, "
                f"more than the {JSON_BUDGET // 2**20} MiB limit)"
            )
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
        if is_finite_number(value):
            return float(value)
        raise self.error(_wrong_type(value, where, "a finite number"))

    def string(self, value: object, where: str) -> str:
        if isinstance(value, str) and value:
            return value
        raise self.error(_wrong_type(value, where, "a non-empty string"))

    def metric(
        self, samples: Sequence[float], where: str, *, unit: str, direction: Direction
    ) -> Metric:
        """``Metric.from_samples``, refusing negative values and values whose statistics
        overflow."""
        self.refuse(negative_sample(samples), where)
        try:
            metric = Metric.from_samples(samples, unit=unit, direction=direction)
        except (OverflowError, ValueError):
            metric = None
        return self.checked(metric, where)

    def summary(
        self, reported: Mapping[str, float], where: str, *, unit: str, direction: Direction
    ) -> tuple[Metric, tuple[str, ...]]:
        """``summary_metric``, refusing statistics that contradict each other (a negative
        value, a minimum above the maximum, a mean or median outside them) or overflow."""
        self.refuse(impossible_summary(reported), where)
        metric, estimated = summary_metric(reported, unit=unit, direction=direction)
        return self.checked(metric, where), estimated

    def refuse(self, problem: str, where: str) -> None:
        """An error for values no measurement can have, when there is a ``problem``."""
        if problem:
            raise self.error(f"{where}: {problem}")

    def checked(self, metric: Metric | None, where: str) -> Metric:
        if metric is None or not all(map(math.isfinite, metric.stats.as_dict().values())):
            raise self.error(f"{where}: values too large to summarise")
        return metric

    def numbers(self, value: object, where: str) -> tuple[float, ...]:
        values = self.items(value, where)
        if not values:
            raise self.error(f"{where} is empty")
        return tuple(self.number(v, f"{where}[{i}]") for i, v in enumerate(values))

    def stats(
        self, row: Mapping[str, JSONValue], where: str, names: Sequence[str]
    ) -> dict[str, float]:
        """The summary statistics ``names`` of ``row``, each a finite number."""
        return {name: self.number(row.get(name), f"{where}.{name}") for name in names}


def _wrong_type(value: object, where: str, expected: str) -> str:
    if value is None:
        return f"{where} is missing or null, expected {expected}"
    return f"{where} is {type(value).__name__} {short(value)}, expected {expected}"


def short(value: object, limit: int = 40) -> str:
    """``repr(value)``, cut to ``limit`` characters (a huge value never gives a huge line)."""
    if isinstance(value, str) and len(value) > limit:
        value = value[:limit]
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_finite_number(value: object) -> TypeGuard[int | float]:
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


def summary_metric(
    reported: Mapping[str, float], *, unit: str, direction: Direction
) -> tuple[Metric, tuple[str, ...]]:
    """A ``summary_only`` metric from the statistics a harness reported (``mean``, ``median``
    and ``stddev``, and ``min``, ``max`` and ``iqr`` when it gives them) and the names of the
    statistics that had to be estimated."""
    mean, median, stddev = reported["mean"], reported["median"], reported["stddev"]
    estimates = {
        "min": min(mean, median),
        "max": max(mean, median),
        "iqr": NORMAL_IQR_PER_STDDEV * stddev,
    }
    high = reported.get("max", estimates["max"])
    summary = Summary(
        **{**estimates, **reported},
        p95=high,
        p99=high,
        cv=stddev / abs(mean) if mean else 0.0,
    )
    estimated = ["p95", "p99", *(name for name in estimates if name not in reported)]
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
    """Make names unique within one file: the second ``x`` becomes ``x #2``, and so on,
    skipping numbers another result is already called (``x``, ``x #2``, ``x`` gives
    ``x``, ``x #2``, ``x #3``: two results with one name would be compared as one)."""
    taken = {r.name for r in results}
    seen: Counter[str] = Counter()
    unique = []
    for result in results:
        seen[result.name] += 1
        if seen[result.name] > 1:
            number = seen[result.name]
            while f"{result.name} #{number}" in taken:
                number += 1
            seen[result.name] = number
            name = f"{result.name} #{number}"
            taken.add(name)
            result = replace(result, name=name)
        unique.append(result)
    return tuple(unique)
