"""Bring your own harness: turn other benchmark tools' output into aiwf-ci results.

Teams already have benchmarks in their language's harness; this package reads what those
harnesses write so the same statistical gate, memory metrics and PR comment apply to them.
One module per format, all behind one registry:

    pytest-benchmark   pytest --benchmark-json=FILE (raw samples), or a --benchmark-save file
    hyperfine          hyperfine --export-json FILE
    google-benchmark   --benchmark_out=FILE --benchmark_out_format=json (or --benchmark_format=json)
    go-test            go test -bench . -benchmem -count N  (plain text or -json)

Every result has kind ``ingest`` and ``extra["format"]``; metrics that only carry summary
statistics are marked ``summary_only``. Anything unreadable raises ``IngestError`` naming the
file and the problem; an unknown format name raises ``ConfigError``.

Modules:
    common              what every parser shares: strict field access, metrics, names
    pytest_benchmark    pytest-benchmark JSON
    hyperfine           hyperfine JSON
    google_benchmark    Google Benchmark JSON
    go_bench            go test -bench output
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from aiwf_ci.errors import ConfigError, IngestError
from aiwf_ci.fileio import MAX_INPUT_BYTES, read_regular_file
from aiwf_ci.ingest import go_bench, google_benchmark, hyperfine, pytest_benchmark
from aiwf_ci.ingest.common import dedupe_names
from aiwf_ci.models import BenchmarkResult, Commit, JSONValue, Results

__all__ = [
    "MAX_INPUT_BYTES",
    "SUPPORTED_FORMATS",
    "Parser",
    "ingest_results",
    "parse_file",
    "parse_text",
    "read_regular_file",
]

Parser = Callable[[str, str], tuple[BenchmarkResult, ...]]
"""``parser(text, source_name)``: every benchmark in the text, in file order."""

_PARSERS: Mapping[str, Parser] = {
    pytest_benchmark.FORMAT: pytest_benchmark.parse,
    hyperfine.FORMAT: hyperfine.parse,
    google_benchmark.FORMAT: google_benchmark.parse,
    go_bench.FORMAT: go_bench.parse,
}
SUPPORTED_FORMATS: tuple[str, ...] = tuple(_PARSERS)


def _parser(format: str) -> Parser:
    key = format.strip().lower().replace("_", "-")
    if key not in _PARSERS:
        raise ConfigError(
            f"unknown ingest format {format[:40]!r}",
            field="format",
            fix=f"use one of: {', '.join(SUPPORTED_FORMATS)}",
        )
    return _PARSERS[key]


def parse_text(format: str, text: str, *, source: str = "<text>") -> tuple[BenchmarkResult, ...]:
    """Parse harness output held in memory; ``source`` names it in error messages."""
    return dedupe_names(_parser(format)(text, source))


def parse_file(format: str, path: Path) -> tuple[BenchmarkResult, ...]:
    """Parse a harness output file (UTF-8, with or without a BOM): a regular file of at most
    ``MAX_INPUT_BYTES`` (64 MiB), never a FIFO or a device (see ``fileio``)."""
    _parser(format)  # an unknown format is said before the file is read
    data = read_regular_file(path, what=f"{format} output")
    try:
        text = data.decode("utf-8-sig")  # tolerate a BOM (Windows editors)
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"{path}: not a UTF-8 text file (byte {exc.start}); expected {format} output"
        ) from None
    del data
    return parse_text(format, text, source=str(path))


def ingest_results(
    format: str,
    path: Path,
    *,
    suite: str = "ingested",
    commit: Commit | None = None,
    environment: Mapping[str, JSONValue] | None = None,
) -> Results:
    """A whole ``Results`` from one harness file, ready for ``write_results``."""
    return Results(
        suite=suite,
        benchmarks=parse_file(format, path),
        commit=commit or Commit(),
        environment=dict(environment or {}),
    )
