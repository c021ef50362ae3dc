"""Reports of a comparison: PR comment, job summary, HTML file, terminal table and JSON.

The public entry points for the CLI and the action::

    render_comment(comparison_or_head_results, ReportContext(...)) -> str   # <= 65,536 chars
    render_summary(...) -> str                                              # < 1 MiB
    render_html(...) -> str                                                 # one file
    render_text(...) -> str                                                 # terminal
    comparison_to_dict(comparison, context) -> dict                         # --format json
    comment_marker(suite) -> str                                            # find the comment

The base branch's trend (``history.trend.Trend``), for push runs::

    render_dashboard(trend, branch=..., run_url=..., generated_at=...) -> str  # one HTML page
    render_history_summary(trend, branch=..., dashboard_url=...) -> str       # job summary
    render_history_issue(trend, marker=history_marker(suite), ...) -> str    # pinned issue
    history_marker(suite) -> str                                            # find the issue

``ReportContext(trend=...)`` adds the trend to a PR's comment (a line per changed metric)
and HTML report (a chart per metric, this PR's median appended).

Pass head ``Results`` instead of a ``Comparison`` for the no-baseline variant, with the
reason in ``ReportContext.no_baseline_reason``. This package renders only: progress lines
and workflow commands are ``aiwf_ci.console``'s, number formats ``aiwf_ci.numbers``'.

Modules:
    view_model  the shapes: the context a report is rendered in, the view it shows
    view        the view every report shows: sorted, formatted, capped
    headline    the first line, and how the verdict was measured
    rows        which metrics are changes, quiet or unchangeable; their cells
    sections    alerts, load-test latency, errors: the sections besides the tables
    escape      PR-controlled text made safe for Markdown and HTML; the hidden markers
    render      the Jinja2 environment and one function per output (comment, summary, HTML)
    text        the terminal table of ``aiwf-ci compare`` and ``run``
    as_json     ``--format json``: the comparison as plain data
    checks      a suite's check run: conclusion, title, summary and annotations (pure)
    trend       the base branch's trend in words and blocks
    history     the trend in Markdown: a push run's summary and the history issue
    dashboard   the suite's dashboard: one HTML page of the trend
    svg         inline SVG charts of the HTML report
    svg_axis    the charts' drawing kit: the shell, text, scales and axes
    svg_trend   a metric over the base branch's runs as an SVG line chart
"""

from __future__ import annotations

from aiwf_ci.report.as_json import comparison_to_dict
from aiwf_ci.report.dashboard import render_dashboard
from aiwf_ci.report.escape import comment_marker, history_marker, md_escape
from aiwf_ci.report.history import render_history_issue, render_history_summary
from aiwf_ci.report.render import (
    COMMENT_LIMIT,
    SUMMARY_LIMIT_BYTES,
    make_environment,
    render_comment,
    render_html,
    render_summary,
)
from aiwf_ci.report.text import render_text
from aiwf_ci.report.view_model import ReportContext

__all__ = [
    "COMMENT_LIMIT",
    "SUMMARY_LIMIT_BYTES",
    "ReportContext",
    "comment_marker",
    "comparison_to_dict",
    "history_marker",
    "make_environment",
    "md_escape",
    "render_comment",
    "render_dashboard",
    "render_history_issue",
    "render_history_summary",
    "render_html",
    "render_summary",
    "render_text",
]
