"""What the action tells GitHub: annotations, step outputs, the job summary and the files in
``results-dir``. Everything a PR author controls is escaped on the way out (workflow
commands via ``actions_io``; Markdown and HTML by the report templates)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from aiwf_ci.console.workflow import append_output, command, folded
from aiwf_ci.errors import GitHubAPIError
from aiwf_ci.github.checks import upsert_check_run
from aiwf_ci.github.client import GitHubClient
from aiwf_ci.github.comments import upsert_comment
from aiwf_ci.models import Alert, Results, write_text_atomic
from aiwf_ci.numbers import human
from aiwf_ci.redaction import redact
from aiwf_ci.report.checks import CheckRunPlan
from aiwf_ci.verdict.model import MetricComparison, Report, Status

COMMENT_SCHEMA = "aiwf-ci/comment@1"
MAX_ANNOTATIONS = 50  # GitHub shows at most 10 per step and 50 per job


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionResult:
    """What one run of the action ended with: its status, exit code and step outputs."""

    status: Status
    exit_code: int
    outputs: Mapping[str, str] = field(default_factory=dict)


def failed(output_path: Path | None, exit_code: int) -> ActionResult:
    """The result of a run that stopped on an error (outputs written if possible)."""
    outputs = {"status": "error", "regressions": "0"}
    with contextlib.suppress(OSError):
        set_outputs(output_path, outputs)
    return ActionResult(status="error", exit_code=exit_code, outputs=outputs)


class Console:
    """Writes log lines and workflow commands to the step's log."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def line(self, text: str) -> None:
        self.stream.write(redact(text) + "\n")
        self.stream.flush()

    def annotate(self, level: str, message: str, *, title: str = "") -> None:
        self.line(command(level, message, title=title or None))

    def folded(self, title: str, text: str) -> None:
        """Untrusted text in a collapsed group, workflow commands inside it switched off."""
        for line in folded(title, text):
            self.line(line)

    def mask(self, secret: str) -> None:
        """The one line that must carry the secret itself: GitHub masks it from then on."""
        if secret:
            self.stream.write(f"::add-mask::{secret}\n")
            self.stream.flush()


def regression_annotations(report: Report) -> list[tuple[str, str, str]]:
    """(level, title, message) per regressed metric."""
    notes: list[tuple[str, str, str]] = []
    benchmarks = report.comparison.benchmarks if report.comparison else ()
    for bench in benchmarks:
        for metric in bench.metrics:
            if metric.verdict == "regression":
                notes.append(("error", f"Benchmark regression: {bench.name}", _change(metric)))
    return notes


def _change(metric: MetricComparison) -> str:
    values = ""
    if metric.baseline is not None and metric.head is not None:
        values = f" {human(metric.baseline, metric.unit)} -> {human(metric.head, metric.unit)}"
    change = f" ({metric.change:+.1%})" if metric.change is not None else ""
    limit = f", threshold {metric.threshold.percent}" if metric.threshold else ""
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
        append_output(path, name, redact(value))


def append_summary(path: Path | None, markdown: str) -> None:
    if path is not None:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(redact(markdown).rstrip("\n") + "\n")


def write_json(path: Path, data: object) -> Path:
    return write_text_atomic(path, json.dumps(data, indent=2) + "\n")


def post_comment(
    client: GitHubClient, repository: str, number: int, suite: str, body: str, console: Console
) -> str:
    """Upsert the PR comment; any failure is a warning (the job summary has the report)."""
    try:
        outcome = upsert_comment(client, repository, number, suite, body)
    except GitHubAPIError as exc:
        console.annotate("warning", f"could not post the PR comment: {exc}", title="aiwf-ci")
        return ""
    if outcome.warning:
        console.annotate("warning", outcome.warning, title="aiwf-ci")
    console.line(f"aiwf-ci: PR #{number} comment {outcome.action}: {outcome.html_url}")
    return outcome.html_url


def post_check_run(
    client: GitHubClient,
    repository: str,
    head_sha: str,
    check: CheckRunPlan,
    console: Console,
    summary_path: Path | None,
) -> str:
    """Create or update the suite's check run; its URL, or ``""``. A token without
    ``checks: write`` is a notice (log and job summary), any other failure a warning."""
    try:
        outcome = upsert_check_run(client, repository, head_sha, check)
    except GitHubAPIError as exc:
        console.annotate("warning", f"could not write the check run: {exc}", title="aiwf-ci")
        return ""
    if outcome.notice:
        console.annotate("notice", outcome.notice, title="aiwf-ci")
        append_summary(summary_path, f"\n> **aiwf-ci:** {outcome.notice}")
        return ""
    console.line(
        f"aiwf-ci: check run {check.name} {outcome.action} ({check.conclusion}): {outcome.html_url}"
    )
    return outcome.html_url
