"""What the action tells GitHub: annotations, step outputs, the job summary and the files in
``results-dir``. Everything a PR author controls is escaped on the way out (workflow
commands via ``actions_io``; Markdown and HTML by the report templates)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from aiwf_ci.compare import Comparison, MetricComparison
from aiwf_ci.github.actions_io import append_output, command
from aiwf_ci.models import Alert, Results, write_text_atomic
from aiwf_ci.units import format_value

MAX_ANNOTATIONS = 50  # GitHub shows at most 10 per step and 50 per job


class Console:
    """Writes log lines and workflow commands to the step's log."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def annotate(self, level: str, message: str, *, title: str = "") -> None:
        self.line(command(level, message, title=title or None))

    def mask(self, secret: str) -> None:
        if secret:
            self.line(f"::add-mask::{secret}")


def regression_annotations(comparison: Comparison) -> list[tuple[str, str, str]]:
    """(level, title, message) per regressed metric, errored benchmark and alert."""
    notes: list[tuple[str, str, str]] = []
    for bench in comparison.benchmarks:
        for metric in bench.metrics:
            if metric.verdict == "regression":
                notes.append(("error", f"Benchmark regression: {bench.name}", _change(metric)))
    return notes


def _change(metric: MetricComparison) -> str:
    values = ""
    if metric.baseline is not None and metric.head is not None:
        values = (
            f" {format_value(metric.baseline, metric.unit)} -> "
            f"{format_value(metric.head, metric.unit)}"
        )
    change = f" ({metric.change:+.1%})" if metric.change is not None else ""
    limit = f", threshold {metric.threshold.relative:.0%}" if metric.threshold else ""
    return f"{metric.metric}{values}{change}{limit}; {metric.statement}"


def head_annotations(head: Results) -> list[tuple[str, str, str]]:
    notes: list[tuple[str, str, str]] = []
    for bench in head.benchmarks:
        for error in bench.errors:
            notes.append(("error", f"Benchmark failed: {bench.name}", error.splitlines()[0][:500]))
        for alert in bench.alerts:
            notes.append(("warning", f"{alert.kind}: {bench.name}", _alert_text(alert)))
    return notes


def _alert_text(alert: Alert) -> str:
    if alert.message:
        return alert.message
    if alert.value is not None and alert.limit is not None:
        return f"{alert.metric}: {alert.value:g} exceeds {alert.limit:g}"
    return alert.kind


def emit_annotations(console: Console, notes: Iterable[tuple[str, str, str]]) -> None:
    for index, (level, title, message) in enumerate(notes):
        if index >= MAX_ANNOTATIONS:
            console.annotate("warning", "more annotations were left out; see the job summary")
            break
        console.annotate(level, message, title=title)


def set_outputs(path: Path | None, outputs: dict[str, str]) -> None:
    if path is None:
        return
    for name, value in outputs.items():
        append_output(path, name, value)


def append_summary(path: Path | None, markdown: str) -> None:
    if path is not None:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(markdown.rstrip("\n") + "\n")


def write_text(path: Path, text: str) -> Path:
    """Write atomically, so a crash never leaves half a report."""
    return write_text_atomic(path, text)


def write_json(path: Path, data: object) -> Path:
    return write_text(path, json.dumps(data, indent=2) + "\n")
