"""How the CLI shows a run: live progress lines (``::group::`` blocks inside GitHub
Actions) and the final table. Writes to a given stream; the library itself never prints.

Long work is never silent: a benchmark that runs for a while gets a tick every
``tick_seconds`` (10 s; "… still running, 30 s"), and on a terminal a live line that says
how far it got (the last sample's log line, the seconds so far), rewritten in place.
Names are the PR author's: a newline or a leading ``::`` in one must not become a workflow
command of its own, so every line is one line and the table is neutralised.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TextIO

from aiwf_ci.config.models import BenchmarkConfig
from aiwf_ci.console.workflow import endgroup, group, stop_commands
from aiwf_ci.models import BenchmarkResult
from aiwf_ci.numbers import human


class ProgressPrinter:
    """A ``RunListener`` that prints one line per benchmark (and its log in CI groups)."""

    def __init__(
        self,
        stream: TextIO,
        *,
        github_actions: bool,
        verbose: bool = False,
        tick_seconds: float = 10.0,
    ) -> None:
        self.stream = stream
        self.github = github_actions
        self.verbose = verbose
        self.tick_seconds = tick_seconds
        self.live = not github_actions and _is_tty(stream)
        self._label = ""
        self._resume = ""
        self._last = ""
        self._lock = threading.Lock()
        self._ticker: _Ticker | None = None

    def started(self, bench: BenchmarkConfig, index: int, total: int) -> None:
        self._label = one_line(f"[{index}/{total}] {bench.name} ({bench.kind})")
        self._last = ""
        if self.github:
            self._emit(group(self._label))
            # untrusted output follows: GitHub ignores workflow commands until the token
            stop, self._resume = stop_commands()
            self._emit(stop)
        elif self.live:
            self._status(f"{self._label} …")
        else:
            self._emit(f"{self._label} …")
        self._ticker = _Ticker(self._tick, self.tick_seconds if not self.live else 1.0)

    def log(self, bench: BenchmarkConfig, line: str) -> None:
        self._last = one_line(line)[:120]
        if self.github or self.verbose:
            self._emit(line)
        elif self.live:
            self._status(f"{self._label} … {self._last}")

    def _tick(self, elapsed: float) -> None:
        if self.live:
            self._status(f"{self._label} … {elapsed:.0f}s {self._last}")
        elif elapsed >= self.tick_seconds:
            self._emit(f"  … {self._label} still running, {elapsed:.0f}s")

    def finished(self, result: BenchmarkResult, seconds: float) -> None:
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        if self.github:
            self._emit(self._resume)
            self._emit(endgroup())
        status = "FAILED" if result.failed else "ok"
        line = f"{self._label}: {status} in {seconds:.1f}s — {headline(result)}"
        if self.live:
            self._status("")
        # a name with a newline must not start a line of its own (a workflow command)
        self._emit(one_line(line))

    def _status(self, text: str) -> None:
        """Rewrite the live line of a terminal in place."""
        with self._lock:
            self.stream.write("\r\x1b[K" + text[:160])
            self.stream.flush()

    def section(self, title: str) -> Section:
        """A stretch of work that is not a benchmark, such as setting up a tree."""
        return Section(self._emit, title, github=self.github, verbose=self.verbose)

    def note(self, text: str) -> None:
        """One line of aiwf-ci's own (outside any group), made one harmless line."""
        self._emit(one_line(text))

    def _emit(self, line: str) -> None:
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()


def _is_tty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def one_line(text: str) -> str:
    """Untrusted text as one line that cannot start a workflow command."""
    flat = " ".join(text.splitlines())
    return f" {flat}" if flat.startswith("::") else flat


class _Ticker:
    """Calls ``tick(elapsed)`` every ``every`` seconds on a daemon thread until stopped."""

    def __init__(self, tick: Callable[[float], None], every: float) -> None:
        self._tick = tick
        self._every = every
        self._stop = threading.Event()
        self._start = time.monotonic()
        threading.Thread(target=self._run, name="aiwf-progress", daemon=True).start()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self._tick(time.monotonic() - self._start)

    def stop(self) -> None:
        self._stop.set()


class Section:
    """Output of work that is not a benchmark (setting up a tree). Opened by its first line,
    so work with nothing to say prints nothing; ``close`` may be called early and again.

    In Actions the output goes into a collapsed group with workflow commands switched off
    (it is the project's output: untrusted); locally only the title, the commands run
    (``$ ...`` lines) and aiwf-ci's own notes (``aiwf-ci: ...``, such as how long a step
    took) are shown, everything with ``verbose``.
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
        elif self.verbose or line.startswith(("$ ", "aiwf-ci: ")):
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
    for name in ("duration", "throughput", "latency", "instructions", "memory_peak"):
        metric = result.metrics.get(name)
        if metric is not None:
            spread = f" ±{metric.stats.cv:.1%}" if len(metric.samples) > 1 else ""
            spread = " (repeats agree)" if metric.deterministic else spread
            parts.append(f"{name} {human(metric.stats.median, metric.unit)}{spread}")
    return ", ".join(parts) or "no metrics"


COLUMNS = ("benchmark", "kind", "median", "p95", "cv", "runs", "memory peak", "status")


def results_table(results: Sequence[BenchmarkResult]) -> str:
    """An aligned plain-text table of a run (head only; comparisons have their own); names
    made one line that cannot start a workflow command."""
    rows = [COLUMNS, *(_row(r) for r in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(one_line(line.rstrip()) for line in lines)


def _row(result: BenchmarkResult) -> tuple[str, ...]:
    main = next(
        (result.metrics[n] for n in ("duration", "latency", "instructions") if n in result.metrics),
        None,
    )
    memory = result.metrics.get("memory_peak")
    status = "error" if result.failed else ("alert" if result.alerts else "ok")
    if main is None:
        return (result.name, result.kind, "-", "-", "-", "-", _mem(memory), status)
    return (
        result.name,
        result.kind,
        human(main.stats.median, main.unit),
        human(main.stats.p95, main.unit),
        f"{main.stats.cv:.1%}",
        str(len(main.samples)),
        _mem(memory),
        status,
    )


def _mem(metric: object) -> str:
    from aiwf_ci.models import Metric

    if isinstance(metric, Metric):
        return human(metric.stats.max, metric.unit)
    return "-"
