"""How the CLI shows a run: live progress lines (``::group::`` blocks inside GitHub
Actions) and the final table. Writes to a given stream; the library itself never prints."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TextIO

from aiwf_ci.config.models import BenchmarkConfig
from aiwf_ci.models import BenchmarkResult
from aiwf_ci.report.workflow import endgroup, group, stop_commands
from aiwf_ci.units import format_value


class ProgressPrinter:
    """A ``RunListener`` that prints one line per benchmark (and its log in CI groups)."""

    def __init__(self, stream: TextIO, *, github_actions: bool, verbose: bool = False) -> None:
        self.stream = stream
        self.github = github_actions
        self.verbose = verbose
        self._label = ""
        self._resume = ""

    def started(self, bench: BenchmarkConfig, index: int, total: int) -> None:
        self._label = f"[{index}/{total}] {bench.name} ({bench.kind})"
        if self.github:
            self._emit(group(self._label))
            # untrusted output follows: GitHub ignores workflow commands until the token
            stop, self._resume = stop_commands()
            self._emit(stop)
        else:
            self.stream.write(f"{self._label} …\n")
            self.stream.flush()

    def log(self, bench: BenchmarkConfig, line: str) -> None:
        if self.github or self.verbose:
            self._emit(line)

    def finished(self, result: BenchmarkResult, seconds: float) -> None:
        if self.github:
            self._emit(self._resume)
            self._emit(endgroup())
        status = "FAILED" if result.failed else "ok"
        line = f"{self._label}: {status} in {seconds:.1f}s — {headline(result)}"
        # a name with a newline must not start a line of its own (a workflow command)
        self._emit(" ".join(line.splitlines()))

    def section(self, title: str) -> Section:
        """A stretch of work that is not a benchmark, such as setting up a tree."""
        return Section(self._emit, title, github=self.github, verbose=self.verbose)

    def _emit(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()


class Section:
    """Output of work that is not a benchmark (setting up a tree). Opened by its first line,
    so work with nothing to say prints nothing; ``close`` may be called early and again.

    In Actions the output goes into a collapsed group with workflow commands switched off
    (it is the project's output: untrusted); locally only the title and the commands run
    (``$ ...`` lines) are shown, everything with ``verbose``.
    """

    def __init__(
        self, emit: Callable[[str], None], title: str, *, github: bool, verbose: bool
    ) -> None:
        self._emit = emit
        self.title = title
        self.github = github
        self.verbose = verbose
        self._resume = ""
        self._open = False

    def log(self, line: str) -> None:
        if not self._open:
            self._begin()
        if self.github:
            self._emit(line)
        elif self.verbose or line.startswith("$ "):
            self._emit(f"  {line}")

    def _begin(self) -> None:
        self._open = True
        if self.github:
            stop, self._resume = stop_commands()
            self._emit(group(self.title))
            self._emit(stop)
        else:
            self._emit(f"{self.title} …")

    def close(self) -> None:
        if self._open and self.github:
            self._emit(self._resume)
            self._emit(endgroup())
        self._open = False

    def __enter__(self) -> Section:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def headline(result: BenchmarkResult) -> str:
    if result.failed:
        return result.errors[0].splitlines()[0][:200]
    parts = []
    for name in ("duration", "throughput", "latency", "memory_peak"):
        metric = result.metrics.get(name)
        if metric is not None:
            spread = f" ±{metric.stats.cv:.1%}" if len(metric.samples) > 1 else ""
            parts.append(f"{name} {format_value(metric.stats.median, metric.unit)}{spread}")
    return ", ".join(parts) or "no metrics"


COLUMNS = ("benchmark", "kind", "median", "p95", "cv", "runs", "memory peak", "status")


def results_table(results: Sequence[BenchmarkResult]) -> str:
    """An aligned plain-text table of a run (head only; comparisons have their own)."""
    rows = [COLUMNS, *(_row(r) for r in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def _row(result: BenchmarkResult) -> tuple[str, ...]:
    main = result.metrics.get("duration") or result.metrics.get("latency")
    memory = result.metrics.get("memory_peak")
    status = "error" if result.failed else ("alert" if result.alerts else "ok")
    if main is None:
        return (result.name, result.kind, "-", "-", "-", "-", _mem(memory), status)
    return (
        result.name,
        result.kind,
        format_value(main.stats.median, main.unit),
        format_value(main.stats.p95, main.unit),
        f"{main.stats.cv:.1%}",
        str(len(main.samples)),
        _mem(memory),
        status,
    )


def _mem(metric: object) -> str:
    from aiwf_ci.models import Metric

    if isinstance(metric, Metric):
        return format_value(metric.stats.max, metric.unit)
    return "-"
