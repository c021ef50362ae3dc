"""Rendering the reports: one Jinja2 environment factory and one function per output.

``make_environment`` is the only place a Jinja2 ``Environment`` is built. Both kinds use
``StrictUndefined`` (a typo in a template fails loudly, in tests first) and autoescape: HTML
with MarkupSafe; Markdown additionally escapes every ``{{ value }}`` with ``md_escape`` through
``finalize``, so a template author has to opt *out* of escaping (``|safe``), never in.

Templates are package data (``templates/*.j2``); a user template given as a path is looked up
first, so it can still ``{% import "_macros.md.j2" %}`` the built-in macros.

Size limits: a PR comment holds at most 65,536 characters and a job summary 1 MiB. The
renderers try ever smaller ``Limits`` (fewer rows, shorter error text) until the text fits;
the verdict line is never shortened.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

import jinja2
from markupsafe import Markup, escape

from aiwf_ci.errors import ReportError
from aiwf_ci.models import short_sha
from aiwf_ci.report import svg
from aiwf_ci.report.escape import (
    comment_marker,
    md_code,
    md_code_block,
    md_escape,
    neutral,
    safe_url,
)
from aiwf_ci.report.svg_trend import with_trends
from aiwf_ci.report.view import build_view
from aiwf_ci.report.view_model import FULL, Limits, Part, ReportContext, View
from aiwf_ci.verdict.model import Report

Kind = Literal["markdown", "html"]

COMMENT_LIMIT = 65_536
TOO_LONG = "The details do not fit here: see the job summary or the HTML report."
SUMMARY_LIMIT_BYTES = 1_000_000  # GitHub's cap is 1 MiB per step summary; keep a margin

#: From full detail to bare verdict: tried in order until the report fits.
SHORTER: tuple[Limits, ...] = (
    FULL,
    Limits(changed=300, unchanged=300, alerts=50, latency=50, errors=50, error_chars=1500,
           items_per_alert=5),
    Limits(changed=100, unchanged=50, alerts=20, latency=20, errors=20, error_chars=500,
           items_per_alert=3),
    Limits(changed=25, unchanged=0, alerts=5, latency=5, errors=5, error_chars=200,
           items_per_alert=2),
    Limits(changed=0, unchanged=0, alerts=0, latency=0, errors=0, error_chars=0,
           items_per_alert=0),
)  # fmt: skip


def _md_finalize(value: object) -> object:
    """Escape every interpolated value for Markdown unless it is already ``Markup``.

    Runs before autoescape: the result is ``Markup``, so MarkupSafe leaves it alone, while
    macro output (``Markup`` under autoescape) passes through untouched.
    """
    if value is None:
        return ""
    if isinstance(value, Markup | int | float):
        return value
    return Markup(md_escape(value))  # noqa: S704 - md_escape made it inert


def _html_finalize(value: object) -> object:
    """Text (not ``Markup``) without control or bidirectional characters, then autoescaped."""
    return neutral(value) if isinstance(value, str) and not isinstance(value, Markup) else value


def md_sentence(parts: Iterable[Part]) -> Markup:
    """A headline's parts as Markdown: names as code spans they cannot close, the rest
    escaped (one line whatever the names hold)."""
    return Markup(  # noqa: S704 - every part went through md_code or md_escape
        "".join(md_code(value) if kind == "code" else md_escape(value) for kind, value in parts)
    )


def html_sentence(parts: Iterable[Part]) -> Markup:
    """A headline's parts as HTML: names in ``<code>``, everything escaped."""
    return Markup("").join(
        Markup("<code>{}</code>").format(neutral(value))
        if kind == "code"
        else escape(neutral(value))
        for kind, value in parts
    )


def tidy_markdown(text: str) -> str:
    """Collapse runs of blank lines (template whitespace) outside fenced code blocks."""
    out: list[str] = []
    fence = ""
    for line in text.split("\n"):
        if fence:
            fence = "" if line == fence else fence
        elif line.startswith("```"):
            fence = line[: len(line) - len(line.lstrip("`"))]
        elif not line.strip() and (not out or not out[-1].strip()):
            continue
        out.append(line.rstrip() if not fence else line)
    return "\n".join(out).strip("\n") + "\n"


def make_environment(kind: Kind, *, search_path: Path | None = None) -> jinja2.Environment:
    """The one Jinja2 environment factory: package templates, plus ``search_path`` first."""
    loaders: list[jinja2.BaseLoader] = [jinja2.PackageLoader("aiwf_ci.report", "templates")]
    if search_path is not None:
        loaders.insert(0, jinja2.FileSystemLoader(str(search_path)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        finalize=_md_finalize if kind == "markdown" else _html_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    markdown = kind == "markdown"
    env.filters.update(
        md=lambda v: Markup(md_escape(v)),  # noqa: S704 - md_escape made it inert
        code=(lambda v: Markup(md_code(v))) if markdown else html_code,  # noqa: S704
        sentence=md_sentence if markdown else html_sentence,
        code_block=md_code_block,
        url=lambda v: Markup(safe_url(v)),  # noqa: S704 - percent-encoded http(s) only
        short_sha=short_sha,
    )
    env.globals.update(svg=svg)
    return env


def html_code(value: object) -> Markup:
    return Markup("<code>{}</code>").format(neutral(value))


def _template(kind: Kind, default: str, template: Path | None) -> jinja2.Template:
    try:
        if template is None:
            return make_environment(kind).get_template(default)
        if not template.is_file():
            raise ReportError(f"report template {template} not found; check the path")
        env = make_environment(kind, search_path=template.parent)
        return env.get_template(template.name)
    except jinja2.TemplateError as exc:
        raise ReportError(f"report template {template or default} is invalid: {exc}") from None


def _render(tpl: jinja2.Template, view: View, **extra: object) -> str:
    try:
        return tpl.render(view=view, **extra)
    except jinja2.TemplateError as exc:
        raise ReportError(
            f"report template {tpl.name} failed to render: {exc}; fix the template"
        ) from None


def _fit(
    report: Report, ctx: ReportContext, render: Callable[[View], str], fits: Callable[[str], bool]
) -> str:
    """The most detailed rendering that fits; at worst the verdict alone (never shortened)."""
    view = build_view(report, ctx)
    for limits in SHORTER:
        text = render(build_view(report, ctx, limits))
        if fits(text):
            return text
    return f"### {view.icon} {md_sentence(view.headline) or view.verdict_line}\n\n{TOO_LONG}\n"


def _context(report: Report, context: ReportContext | None) -> ReportContext:
    if context is not None:
        return context
    head = report.head
    return ReportContext(suite=head.suite, head_sha=head.commit.sha, head_ref=head.commit.ref)


def render_comment(
    report: Report,
    context: ReportContext | None = None,
    *,
    template: Path | None = None,
    limit: int = COMMENT_LIMIT,
) -> str:
    """The PR comment (GitHub Markdown), at most ``limit`` characters, ending with the marker.

    ``report`` holds the comparison, or head results alone when there is no baseline.
    """
    ctx = _context(report, context)
    tpl = _template("markdown", "comment.md.j2", template)
    marker = comment_marker(ctx.suite or report.suite)

    def render(view: View) -> str:
        body = tidy_markdown(_render(tpl, view, marker=Markup(marker))).rstrip("\n")  # noqa: S704
        return with_marker(body, marker)

    text = _fit(report, ctx, render, lambda text: len(text) <= limit)
    return text if text.rstrip().endswith(marker) else with_marker(text.rstrip("\n"), marker)


def with_marker(body: str, marker: str) -> str:
    """The comment body ending with the hidden marker (added if a user template left it out)."""
    return f"{body}\n" if body.endswith(marker) else f"{body}\n\n{marker}\n"


def render_summary(
    report: Report,
    context: ReportContext | None = None,
    *,
    template: Path | None = None,
    limit_bytes: int = SUMMARY_LIMIT_BYTES,
) -> str:
    """The job summary (``GITHUB_STEP_SUMMARY``): the comment's content, under 1 MiB."""
    ctx = _context(report, context)
    tpl = _template("markdown", "summary.md.j2", template)
    return _fit(
        report,
        ctx,
        lambda view: tidy_markdown(_render(tpl, view)),
        lambda text: len(text.encode("utf-8")) <= limit_bytes,
    )


def render_html(
    report: Report, context: ReportContext | None = None, *, template: Path | None = None
) -> str:
    """One self-contained HTML file with inline SVG charts; it needs no network to view.
    With ``context.trend``, each benchmark metric also gets its trend on the base branch
    with this PR's median appended."""
    ctx = _context(report, context)
    tpl = _template("html", "report.html.j2", template)
    baseline = report.comparison.baseline if report.comparison else None
    charts = svg.benchmark_charts(report.head, baseline)
    if ctx.trend is not None:
        charts = with_trends(charts, ctx.trend, report.head)
    return _render(tpl, build_view(report, ctx), charts=charts)
