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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from aiwf_ci.ingest.common import MAX_BENCHMARKS, Source, ingested, metric_name, short, too_many
from aiwf_ci.models import BenchmarkResult, Direction, JSONValue

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
MAX_RESULT_LINE = 64 * 1024  # real ones are a few hundred characters
MAX_FAILURE_TEXT = 2000


@dataclass(slots=True)
class _Group:
    """The result lines of one benchmark (and procs value), folded as they are read: a long
    ``-count`` run costs its numbers, not an object per line."""

    pkg: str
    name: str
    procs: int
    header: Mapping[str, str]
    iterations: list[int] = field(default_factory=list)
    samples: dict[str, list[float]] = field(default_factory=dict)


@dataclass(slots=True)
class _Output:
    """What a pass over the lines found: result groups, failures and the current header."""

    src: Source
    header: dict[str, str] = field(default_factory=dict)
    groups: dict[tuple[str, str, int], _Group] = field(default_factory=dict)
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
            self._add(lineno, line, match)
        elif match := _FAIL.match(line):
            self.failing = (self.header.get("pkg", ""), _split_procs(match["name"])[0])
            self.failures.setdefault(self.failing, [])
        elif match := _PACKAGE_FAIL.match(line):
            self.failed_packages.append(match["pkg"])

    def _add(self, lineno: int, line: str, match: re.Match[str]) -> None:
        values = self._values(lineno, line, match["rest"])
        name, procs = _split_procs(match["name"])
        pkg = self.header.get("pkg", "")
        group = self.groups.get((pkg, name, procs))
        if group is None:
            if len(self.groups) >= MAX_BENCHMARKS:
                raise self.src.error(f"line {lineno}: {too_many(MAX_BENCHMARKS)}")
            group = _Group(pkg, name, procs, dict(self.header))
            self.groups[(pkg, name, procs)] = group
        group.iterations.append(int(match["iterations"]))
        for unit, value in values.items():
            group.samples.setdefault(unit, []).append(value)

    def _values(self, lineno: int, line: str, rest: str) -> dict[str, float]:
        if len(rest) > MAX_RESULT_LINE:
            raise self.src.error(
                f"line {lineno}: a result line of {len(line):,} characters; "
                f"expected at most {MAX_RESULT_LINE:,}"
            )
        tokens = rest.split()
        try:
            if len(tokens) % 2:
                raise ValueError("a value without a unit")
            return {
                unit: _finite(value) for value, unit in zip(tokens[::2], tokens[1::2], strict=True)
            }
        except ValueError as exc:
            shown = short(line.strip(), 120)
            raise self.src.error(f"line {lineno}: cannot read {shown} ({exc})") from None


def parse(text: str, source: str) -> tuple[BenchmarkResult, ...]:
    """One result per benchmark (and procs value), in the order they first appear."""
    src = Source(source, FORMAT, HINT)
    if not text.strip():
        raise src.error("the file is empty")
    plain = _plain_text(src, text)
    if plain is text:
        _refuse_cut_line(src, text)
    output = _Output(src)
    for lineno, line in enumerate(lines(plain), start=1):
        output.feed(lineno, line)
    results = _results(output)
    if not results:
        raise src.error("no benchmark result lines (like 'BenchmarkX-8  1000  1234 ns/op')")
    return results


def _refuse_cut_line(src: Source, text: str) -> None:
    """A file cut off in the middle of a result line (``... 2 al``) would give a metric
    named after half a unit: go test ends every line with a newline, so a last result line
    without one was cut."""
    if text.endswith(("\n", "\r")):
        return
    last = text[text.rfind("\n") + 1 :]
    if _RESULT.match(last):
        lineno = text.count("\n") + 1
        raise src.error(
            f"line {lineno}: the file ends in the middle of a result line "
            f"({short(last.strip(), 120)}); was it cut off?"
        )


def lines(text: str) -> Iterator[str]:
    """The lines of ``text`` one at a time (``splitlines`` would hold a list of them all),
    without their ``\\n`` / ``\\r\\n`` endings."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            end = len(text)
        yield text[start:end].removesuffix("\r")
        start = end + 1


def _plain_text(src: Source, text: str) -> str:
    """The text itself, or for a ``go test -json`` stream its Output, package by package."""
    if not text.lstrip().startswith("{"):
        return text
    outputs: dict[str, list[str]] = defaultdict(list)
    for lineno, line in enumerate(lines(text), start=1):
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
        raise ValueError(f"{short(text)} is not a finite number")
    return value


def _split_procs(name: str) -> tuple[str, int]:
    match = _PROCS.match(name)
    return (match["base"], int(match["procs"])) if match else (name, 1)


def _results(output: _Output) -> tuple[BenchmarkResult, ...]:
    procs_seen: dict[Key, set[int]] = defaultdict(set)
    for pkg, name, procs in output.groups:
        procs_seen[(pkg, name)].add(procs)
    packages = {pkg for pkg, _, _ in output.groups} | {pkg for pkg, _ in output.failures}
    prefix = len(packages) > 1
    results = [
        _group_result(output, group, len(procs_seen[(group.pkg, group.name)]) > 1, prefix)
        for group in output.groups.values()
    ]
    results += _orphan_failures(output, procs_seen, prefix)
    results += _package_failures(output)
    return tuple(results)


def _display_name(pkg: str, name: str, procs: int | None, prefix: bool) -> str:
    shown = name if procs is None else f"{name}-{procs}"
    return f"{pkg}.{shown}" if prefix and pkg else shown


def _group_result(
    output: _Output, group: _Group, show_procs: bool, prefix: bool
) -> BenchmarkResult:
    name = _display_name(group.pkg, group.name, group.procs if show_procs else None, prefix)
    extra: dict[str, JSONValue] = {
        "pkg": group.pkg,
        "procs": group.procs,
        **{k: v for k, v in group.header.items() if k != "pkg"},
        "iterations": group.iterations,
    }
    errors = _failure_messages(group.name, output.failures.get((group.pkg, group.name)))
    metrics = {}
    for unit, values in group.samples.items():
        metric, shown_unit, factor, direction = _UNITS.get(unit) or _custom(unit)
        scaled = [v * factor for v in values]
        where = f"{name} {unit}"
        metrics[metric] = output.src.metric(scaled, where, unit=shown_unit, direction=direction)
    return ingested(name, metrics, fmt=FORMAT, errors=errors, extra=extra)


def _custom(unit: str) -> tuple[str, str, float, Direction]:
    direction: Direction = "higher" if unit.endswith("/s") else "lower"
    return metric_name(unit, _RESERVED), unit, 1.0, direction


def _failure_messages(name: str, lines: list[str] | None) -> tuple[str, ...]:
    if lines is None:
        return ()
    detail = "; ".join(lines) if lines else "no message"
    if len(detail) > MAX_FAILURE_TEXT:  # a panic's whole stack is in the go test output
        detail = detail[: MAX_FAILURE_TEXT - 1] + "…"
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
