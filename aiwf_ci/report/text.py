"""The terminal report of ``aiwf-ci compare`` / ``run``: an aligned plain-text table.

Built in Python rather than Jinja (alignment needs the widths of the cells). Names are made
terminal-safe with ``plain`` (no ANSI escapes from a hostile benchmark name) and cut to
``MAX_NAME`` characters so the table stays readable.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiwf_ci.report.escape import plain
from aiwf_ci.report.view import build_view
from aiwf_ci.report.view_model import ReportContext, Row, View
from aiwf_ci.verdict.model import Report

MAX_NAME = 48
_COMPARE = ("verdict", "benchmark", "metric", "base", "head (est.)", "{change}", "test", "note")
_HEAD = ("benchmark", "metric", "median", "spread", "samples")


def _cut(text: str, width: int = MAX_NAME) -> str:
    text = plain(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _compare_cells(row: Row) -> tuple[str, ...]:
    return (row.verdict, _cut(row.benchmark), _cut(row.metric, 24), row.baseline, row.head,
            row.change, row.test, row.note)  # fmt: skip


def _head_cells(row: Row) -> tuple[str, ...]:
    return (_cut(row.benchmark), _cut(row.metric, 24), row.head, row.note, row.statement)


def align(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned columns separated by two spaces; trailing spaces stripped."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in (header, *rows)
    ]


def _table(view: View) -> list[str]:
    if view.has_baseline:
        label = view.change_label[0].lower() + view.change_label[1:]
        header = tuple(h.format(change=label) for h in _COMPARE)
        rows = [_compare_cells(r) for r in (*view.changed, *view.unchanged)]
    else:
        header, rows = _HEAD, [_head_cells(r) for r in view.unchanged]
    return align(header, rows) if rows else []


def render_view_text(view: View) -> str:
    lines = [f"{view.icon} {plain(view.headline_text)}"]
    lines.append(f"{view.verdict_line}  (suite {_cut(view.suite)})")
    if view.design_line:
        lines.append(f"measured: {plain(view.design_line)}")
    if view.timer_line:
        lines.append(f"timed: {plain(view.timer_line)}")
    if view.thresholds_line:
        lines.append(f"thresholds: {plain(view.thresholds_line)}")
    lines += [f"warning: {plain(w)}" for w in view.warnings]
    if not view.has_baseline and view.context.no_baseline_reason:
        lines.append(f"no baseline: {plain(view.context.no_baseline_reason)}")
    lines += ["", *_table(view)]
    if view.folded:
        items = ", ".join(
            f"{_cut(f.benchmark)} {_cut(f.metric, 24)} ({f.reason})" for f in view.folded
        )
        lines.append(f"not comparable or cannot change: {items}")
    for error in view.errors:
        first = plain(error.message.strip().splitlines()[-1] if error.message.strip() else "")
        lines.append(f"errored: {_cut(error.benchmark)}: {_cut(first, 200)}")
    lines += [f"alert: {_cut(a.benchmark)}: {a.kind}: {_cut(a.message, 200)}" for a in view.alerts]
    lines += _profiles(view)
    return "\n".join(lines).rstrip() + "\n"


def _profiles(view: View, top: int = 3) -> list[str]:
    """The first functions of each profile difference (the rest is in the other reports)."""
    lines = []
    for p in view.profiles:
        lines.append(f"where: {_cut(p.benchmark)} by {p.measure}, {plain(p.whole)}:")
        lines += [
            f"  {plain(_cut(r.function, 120))}  {r.self_change} ({r.share} of the change)"
            for r in p.rows[:top]
        ]
        if p.files:
            lines.append(f"  raw profiles: {plain(p.files)}")
    return lines


def render_text(report: Report, context: ReportContext | None = None) -> str:
    """The aligned terminal table of a comparison (or of head results with no baseline)."""
    head = report.head
    ctx = context or ReportContext(suite=head.suite, head_sha=head.commit.sha)
    return render_view_text(build_view(report, ctx))
