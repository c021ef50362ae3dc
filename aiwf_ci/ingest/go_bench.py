"""Read ``go test -bench`` output (plain text, or the ``go test -json`` event stream).

Go projects benchmark with ``testing.B``. A result line looks like
``BenchmarkX-8  1000  1234 ns/op  56 B/op  2 allocs/op  3.5 custom/op``; with ``-count N``
each repeated line is one sample. Units become metrics:

    ns/op      -> duration             s (converted), lower is better
    B/op       -> memory_bytes_per_op  B, lower
    allocs/op  -> allocs_per_op        allocs, lower
    MB/s       -> throughput_bytes     B/s (converted, b.SetBytes), higher
    other/op   -> other_per_op         as reported (b.ReportMetric), lower
    other/s    -> other_per_s          as reported, higher (a rate)

The ``-8`` GOMAXPROCS suffix is stripped into ``extra["procs"]`` so results from machines with
different core counts compare; when one file holds several procs values for the same benchmark
(``-cpu 1,2``) every one of them keeps ``-N`` in its name (``-1`` included). With several
packages in one output, names are prefixed ``pkg.``. ``--- FAIL: BenchmarkX`` (and the indented
lines after it) are errors on that benchmark; a package that failed without a benchmark failure
(build error, panic) becomes an error-only result named after the package.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aiwf_ci.ingest.common import Source, ingested, metric_name
from aiwf_ci.models import BenchmarkResult, Direction, JSONValue, Metric

FORMAT = "go-test"
HINT = "save the output of `go test -run '^$' -bench . -benchmem -count 10`"

_RESULT = re.compile(r"^(?P<name>Benchmark\S*)\s+(?P<iterations>\d+)\s+(?P<rest>\S.*)$")
_FAIL = re.compile(r"^\s*--- FAIL: (?P<name>Benchmark\S*)")
_PACKAGE_FAIL = re.compile(r"^FAIL\s+(?P<pkg>\S+)")
_HEADER = re.compile(r"^(?P<key>goos|goarch|pkg|cpu):\s*(?P<value>.*)$")
_PROCS = re.compile(r"^(?P<base>.+?)-(?P<procs>\d+)$")
_UNITS: Mapping[str, tuple[str, str, float, Direction]] = {
    "ns/op": ("duration", "s", 1e-9, "lower"),
    "B/op": ("memory_bytes_per_op", "B", 1.0, "lower"),
    "allocs/op": ("allocs_per_op", "allocs", 1.0, "lower"),
    "MB/s": ("throughput_bytes", "B/s", 1e6, "higher"),
}
_RESERVED = frozenset(spec[0] for spec in _UNITS.values())

Key = tuple[str, str]  # (package, benchmark name without the procs suffix)


@dataclass(frozen=True, slots=True)
class _Row:
    pkg: str
    name: str
    procs: int
    iterations: int
    values: Mapping[str, float]
    header: Mapping[str, str]


@dataclass(slots=True)
class _Output:
    """What a pass over the lines found: result rows, failures and the current header."""

    src: Source
    header: dict[str, str] = field(default_factory=dict)
    rows: list[_Row] = field(default_factory=list)
    failures: dict[Key, list[str]] = field(default_factory=dict)
    failed_packages: list[str] = field(default_factory=list)
    failing: Key | None = None

    def feed(self, lineno: int, line: str) -> None:
        if self.failing and line[:1].isspace() and line.strip() and "--- " not in line:
            self.failures[self.failing].append(line.strip())
            return
        self.failing = None
        if match := _HEADER.match(line):
            self.header[match["key"]] = match["value"].strip()
        elif match := _RESULT.match(line):
            self.rows.append(self._row(lineno, line, match))
        elif match := _FAIL.match(line):
            self.failing = (self.header.get("pkg", ""), _split_procs(match["name"])[0])
            self.failures.setdefault(self.failing, [])
        elif match := _PACKAGE_FAIL.match(line):
            self.failed_packages.append(match["pkg"])

    def _row(self, lineno: int, line: str, match: re.Match[str]) -> _Row:
        name, procs = _split_procs(match["name"])
        tokens = match["rest"].split()
        try:
            if len(tokens) % 2:
                raise ValueError("a value without a unit")
            values = {
                unit: _finite(value) for value, unit in zip(tokens[::2], tokens[1::2], strict=True)
            }
        except ValueError as exc:
            raise self.src.error(f"line {lineno}: cannot read {line.strip()!r} ({exc})") from None
        pkg = self.header.get("pkg", "")
        return _Row(pkg, name, procs, int(match["iterations"]), values, dict(self.header))


def parse(text: str, source: str) -> tuple[BenchmarkResult, ...]:
    """One result per benchmark (and procs value), in the order they first appear."""
    src = Source(source, FORMAT, HINT)
    if not text.strip():
        raise src.error("the file is empty")
    output = _Output(src)
    for lineno, line in enumerate(_plain_text(src, text).splitlines(), start=1):
        output.feed(lineno, line)
    results = _results(output)
    if not results:
        raise src.error("no benchmark result lines (like 'BenchmarkX-8  1000  1234 ns/op')")
    return results


def _plain_text(src: Source, text: str) -> str:
    """The text itself, or for a ``go test -json`` stream its Output, package by package."""
    if not text.lstrip().startswith("{"):
        return text
    outputs: dict[str, list[str]] = defaultdict(list)
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError as exc:
            raise src.error(f"line {lineno}: not a go test -json event ({exc.msg})") from None
        event = src.mapping(event, f"line {lineno}")
        if isinstance(event.get("Output"), str):
            outputs[str(event.get("Package", ""))].append(event["Output"])
    return "".join("".join(chunks) for chunks in outputs.values())


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value


def _split_procs(name: str) -> tuple[str, int]:
    match = _PROCS.match(name)
    return (match["base"], int(match["procs"])) if match else (name, 1)


def _results(output: _Output) -> tuple[BenchmarkResult, ...]:
    groups: dict[tuple[str, str, int], list[_Row]] = {}
    for row in output.rows:
        groups.setdefault((row.pkg, row.name, row.procs), []).append(row)
    procs_seen: dict[Key, set[int]] = defaultdict(set)
    for pkg, name, procs in groups:
        procs_seen[(pkg, name)].add(procs)
    packages = {pkg for pkg, _, _ in groups} | {pkg for pkg, _ in output.failures}
    prefix = len(packages) > 1
    results = [
        _group_result(output, rows, len(procs_seen[(pkg, name)]) > 1, prefix)
        for (pkg, name, _), rows in groups.items()
    ]
    results += _orphan_failures(output, procs_seen, prefix)
    results += _package_failures(output)
    return tuple(results)


def _display_name(pkg: str, name: str, procs: int | None, prefix: bool) -> str:
    shown = name if procs is None else f"{name}-{procs}"
    return f"{pkg}.{shown}" if prefix and pkg else shown


def _group_result(
    output: _Output, rows: Sequence[_Row], show_procs: bool, prefix: bool
) -> BenchmarkResult:
    first = rows[0]
    name = _display_name(first.pkg, first.name, first.procs if show_procs else None, prefix)
    extra: dict[str, JSONValue] = {
        "pkg": first.pkg,
        "procs": first.procs,
        **{k: v for k, v in first.header.items() if k != "pkg"},
        "iterations": [r.iterations for r in rows],
    }
    errors = _failure_messages(first.name, output.failures.get((first.pkg, first.name)))
    metrics = _metrics(output.src, name, rows)
    return ingested(name, metrics, fmt=FORMAT, errors=errors, extra=extra)


def _metrics(src: Source, bench: str, rows: Sequence[_Row]) -> dict[str, Metric]:
    samples: dict[str, list[float]] = {}
    for row in rows:
        for unit, value in row.values.items():
            samples.setdefault(unit, []).append(value)
    metrics = {}
    for unit, values in samples.items():
        name, shown_unit, factor, direction = _UNITS.get(unit) or _custom(unit)
        scaled = [v * factor for v in values]
        metrics[name] = src.metric(scaled, f"{bench} {unit}", unit=shown_unit, direction=direction)
    return metrics


def _custom(unit: str) -> tuple[str, str, float, Direction]:
    direction: Direction = "higher" if unit.endswith("/s") else "lower"
    return metric_name(unit, _RESERVED), unit, 1.0, direction


def _failure_messages(name: str, lines: list[str] | None) -> tuple[str, ...]:
    if lines is None:
        return ()
    detail = "; ".join(lines) if lines else "no message"
    return (f"--- FAIL: {name}: {detail}",)


def _orphan_failures(
    output: _Output, procs_seen: Mapping[Key, set[int]], prefix: bool
) -> list[BenchmarkResult]:
    """Failed benchmarks that printed no result line at all."""
    return [
        ingested(
            _display_name(pkg, name, None, prefix),
            {},
            fmt=FORMAT,
            errors=_failure_messages(name, lines),
            extra={"pkg": pkg},
        )
        for (pkg, name), lines in output.failures.items()
        if (pkg, name) not in procs_seen
    ]


def _package_failures(output: _Output) -> list[BenchmarkResult]:
    """Packages reported FAIL with no benchmark failure to explain it (build error, panic)."""
    explained = {pkg for pkg, _ in output.failures}
    return [
        ingested(
            pkg,
            {},
            fmt=FORMAT,
            errors=(
                f"go test reported FAIL for package {pkg} (build error, panic or test "
                "failure; see the go test output)",
            ),
            extra={"pkg": pkg},
        )
        for pkg in dict.fromkeys(output.failed_packages)
        if pkg not in explained
    ]
