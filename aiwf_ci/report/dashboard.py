"""The suite's dashboard: one self-contained HTML page of the base branch's trend.

Why a page of its own: the PR comment shows a line per changed metric and the issue a table;
to see *how* a metric moved over the last runs, and where, a reader needs every metric's
chart side by side (``svg_trend``), the change points listed first, and a way to find one
benchmark among hundreds (a filter on the benchmark's and the metric's name).

Safety: every name is untrusted. Text is escaped by the autoescaping HTML environment;
element ids are generated (``m0``, ``m1``), never taken from a name; the filter's data
reaches the script as JSON inside ``<script type="application/json">`` with ``<``, ``>``
and ``&`` written as ``\\u003c``-style escapes, so no name can close the element or start a
comment. The one script is allowed by its SHA-256 in the page's Content-Security-Policy:
anything else that managed to get into the page would not run.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

from markupsafe import Markup

from aiwf_ci.history.trend import Series, Trend
from aiwf_ci.report.render import make_environment
from aiwf_ci.report.svg_trend import trend_chart
from aiwf_ci.report.trend import StepItem, headline, latest, newest_sha, runs_phrase

SCRIPT = "dashboard.js.j2"


@dataclass(frozen=True, slots=True, kw_only=True)
class Card:
    """One benchmark metric's chart with its caption."""

    anchor: str
    benchmark: str
    metric: str
    latest: str
    runs: int
    svg: Markup
    steps: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class DashboardView:
    suite: str
    headline: str
    runs_phrase: str
    branch: str
    run_url: str
    generated_at: str
    newest_sha: str
    notes: tuple[str, ...]
    steps: tuple[StepItem, ...]
    cards: tuple[Card, ...]


def card(anchor: str, series: Series) -> Card:
    return Card(
        anchor=anchor,
        benchmark=series.benchmark,
        metric=series.metric,
        latest=latest(series),
        runs=len(series.values),
        svg=trend_chart(series),
        steps=tuple(step.describe() for step in series.steps),
    )


def dashboard_view(
    trend: Trend, *, branch: str = "", run_url: str = "", generated_at: str = ""
) -> DashboardView:
    """A card per benchmark metric in the trend's order (the newest run's), change points
    linked to their cards; ids from positions (``m0``, ``m1``), never from names."""
    cards = tuple(card(f"m{i}", series) for i, series in enumerate(trend.series))
    steps = tuple(
        StepItem(benchmark=c.benchmark, metric=c.metric, text=text, anchor=c.anchor)
        for c in cards
        for text in c.steps
    )
    return DashboardView(
        suite=trend.suite,
        headline=headline(trend),
        runs_phrase=runs_phrase(trend.runs),
        branch=branch,
        run_url=run_url,
        generated_at=generated_at,
        newest_sha=newest_sha(trend),
        notes=trend.notes,
        steps=steps,
        cards=cards,
    )


def script_json(data: object) -> Markup:
    """``data`` as JSON that is inert inside ``<script type="application/json">``: no
    ``<``, ``>`` or ``&`` (so no ``</script>``, no ``<!--``), non-ASCII escaped too."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - no character left that HTML parsing inside <script> sees


def csp_hash(script: str) -> str:
    """``sha256-…`` of an inline script, the Content-Security-Policy's way to allow it."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def render_dashboard(
    trend: Trend, *, branch: str = "", run_url: str = "", generated_at: str = ""
) -> str:
    """One self-contained HTML page of the suite's trend on the base branch (see the
    module docstring); ``branch``, ``run_url`` and ``generated_at`` only label it."""
    env = make_environment("html")
    script = env.get_template(SCRIPT).render()
    view = dashboard_view(trend, branch=branch, run_url=run_url, generated_at=generated_at)
    data = [{"id": c.anchor, "name": c.benchmark, "metric": c.metric} for c in view.cards]
    return env.get_template("dashboard.html.j2").render(
        view=view,
        data=script_json(data),
        script=Markup(script),  # noqa: S704 - our own package file, allowed by its hash
        script_hash=csp_hash(script),
    )
