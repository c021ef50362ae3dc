"""The base branch's trend in the reports: the push run's summary and the pinned issue
(through GitHub's Markdown renderer), the dashboard page, and the PR comment's and HTML
report's additions, with hostile benchmark names throughout."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from aiwf_ci.history.trend import Trend, build_trend
from aiwf_ci.models import Results, load_results
from aiwf_ci.report import (
    ReportContext,
    history_marker,
    render_comment,
    render_dashboard,
    render_history_issue,
    render_history_summary,
    render_html,
    render_summary,
)
from aiwf_ci.report.dashboard import csp_hash, script_json
from aiwf_ci.report.trend import BLOCKS, sparkline, trend_lines
from aiwf_ci.report.view import build_view
from aiwf_ci.verdict.compare import compare
from aiwf_ci.verdict.model import Comparison, Report
from tests.trend_points import HOSTILE, flat, history, scaled_history, step_at

GOLDEN = Path(__file__).parents[2] / "data" / "golden"
TREND_BLOCK = re.compile(r"\n\n<details><summary>Trend on the base branch.*?</details>", re.S)


def gfm(text: str) -> str:
    return cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE)


@pytest.fixture(scope="module")
def trend() -> Trend:
    """Two benchmarks with a step (one with a hostile name), two flat ones with hostile
    names, and runs 3 and 4 on another machine."""
    levels = {
        "parse": (step_at(20, 1e-3, 1.25e-3), "s"),
        HOSTILE[0]: (step_at(15, 2e6, 3e6), "B"),
        HOSTILE[1]: (flat(0.5), "s"),
        HOSTILE[2]: (flat(100.0), "req/s"),
        HOSTILE[3]: (flat(1e-3), "s"),
    }
    return build_trend(history(levels, runs=30, unlike=(3, 4)))


@pytest.fixture(scope="module")
def quiet() -> Trend:
    return build_trend(history({"parse": (flat(1e-3), "s")}, runs=12))


def test_the_fixture_has_two_steps_and_unlike_runs(trend: Trend) -> None:
    assert [(s.benchmark, s.metric) for s, _ in trend.steps()] == [
        ("parse", "duration"),
        (HOSTILE[0], "duration"),
    ]
    assert sum(trend.series[0].unlike) == 2


# --- the push run's summary and the issue ---------------------------------------------------


def test_summary_names_each_change_point(trend: Trend) -> None:
    text = render_history_summary(trend, branch="main")
    assert text.startswith("## 📈 2 change points in the last 30 runs\n")
    html = gfm(text)
    for _, step in trend.steps():
        assert step.describe() in html
    assert "<li><code>parse</code> duration: between 19c0ffe and 20c0ffe: +2" in html
    assert "2 run(s) on another CPU model or core count are shown, not used" in html


def test_summary_without_a_step_says_so(quiet: Trend) -> None:
    text = render_history_summary(quiet)
    assert text.startswith("## 📈 No change point in the last 12 runs\n")
    assert "<li>" not in gfm(text)


def test_summary_of_no_runs() -> None:
    text = render_history_summary(Trend(suite="", series=(), runs=0))
    assert "No history yet" in text.splitlines()[0]


def _no_injection(html: str) -> None:
    assert "<img" not in html
    assert "<script" not in html
    assert "<strong>bold</strong>" not in html
    assert not re.search(r"<a [^>]*evil", html)  # the link and the URL stay text
    assert "@team" not in html  # pings nobody
    assert "GH-12" not in html and "#3" not in html  # links no issue


def test_summary_and_issue_keep_hostile_names_text(trend: Trend) -> None:
    summary = gfm(render_history_summary(trend))
    issue = gfm(render_history_issue(trend, marker=history_marker("demo")))
    for html in (summary, issue):
        _no_injection(html)
    assert "&lt;img src=x onerror=alert(1)&gt;" in issue
    assert "@\u200bteam GH-\u200b12 #\u200b3" in issue
    assert "aiwf-ci:\u200bhistory" in issue  # the name quoting a marker is no marker


def test_issue_ends_with_its_one_marker(trend: Trend) -> None:
    marker = history_marker("demo")
    body = render_history_issue(trend, marker=marker, branch="main")
    assert body.rstrip("\n").endswith(marker)
    assert body.count("aiwf-ci:history") == 1
    assert marker != history_marker("other") and "aiwf-ci:report" not in marker


def test_issue_has_every_metric_with_its_sparkline(trend: Trend) -> None:
    html = gfm(render_history_issue(trend, marker=history_marker("demo")))
    assert html.count("<table>") == 1
    assert html.count("<tr>") == 1 + len(trend.series)
    parse = next(s for s in trend.series if s.benchmark == "parse")
    row = html.split("<td>parse</td>")[1].split("</tr>")[0]
    spark = re.search(f"[{BLOCKS}]+", row)
    assert spark is not None and len(spark.group(0)) == 20
    assert spark.group(0).startswith("▁") and spark.group(0).endswith(("█", "▇"))
    assert parse.steps[-1].describe() in row


def test_issue_shrinks_to_fit_and_keeps_the_marker(trend: Trend) -> None:
    marker = history_marker("demo")
    full = render_history_issue(trend, marker=marker)
    short = render_history_issue(trend, marker=marker, limit=900)
    assert len(short) <= 900 < len(full)
    assert short.startswith("## 📈 2 change points in the last 30 runs")
    assert short.rstrip().endswith(marker)
    tiny = render_history_issue(trend, marker=marker, limit=10)
    assert tiny.startswith("## 📈 2 change points") and tiny.rstrip().endswith(marker)


# --- the dashboard --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dashboard(trend: Trend) -> str:
    return render_dashboard(trend, branch="<b>main</b>", run_url="javascript:alert(1)")


def test_dashboard_escapes_hostile_names(dashboard: str) -> None:
    assert "<img" not in dashboard
    assert "<b>main" not in dashboard
    assert "javascript:" not in dashboard
    assert "&lt;img src=x onerror=alert(1)&gt;" in dashboard
    assert dashboard.count("<script") == 2  # the JSON data and our one script
    assert "alert(1)</script>" not in dashboard


def test_dashboard_data_cannot_break_out_of_its_script_element(
    dashboard: str, trend: Trend
) -> None:
    data = dashboard.split('<script type="application/json" id="chart-data">')[1]
    data = data.split("</script>")[0]
    assert not set("<>&") & set(data)
    names = [card["name"] for card in json.loads(data)]
    assert names == [s.benchmark for s in trend.series]
    assert str(script_json(["</script><!--&"])) == '["\\u003c/script\\u003e\\u003c!--\\u0026"]'


def test_dashboard_script_is_allowed_by_its_hash_only(dashboard: str) -> None:
    script = dashboard.split("<script>")[1].split("</script>")[0]
    policy = re.search(r'Content-Security-Policy" content="([^"]+)"', dashboard)
    assert policy is not None
    assert f"script-src '{csp_hash(script)}'" in policy.group(1)
    assert "unsafe-inline'; img" not in policy.group(1).split("script-src")[1]
    assert "://" not in dashboard.split("<body>")[0]  # nothing fetched


def test_dashboard_draws_steps_unlike_runs_and_lists_change_points(
    dashboard: str, trend: Trend
) -> None:
    assert dashboard.count('<g class="step">') == 2
    assert dashboard.count('class="unlike"') == 2 * len(trend.series)
    assert "other machine" in dashboard and "change point" in dashboard
    changes = dashboard.split('<section id="changes">')[1].split("</section>")[0]
    assert "Change points (2)" in changes
    for _, step in trend.steps():
        assert step.describe() in changes
    assert '<a href="#m0"><code>parse</code> duration</a>' in changes
    assert "2 run(s) on another CPU model" in dashboard


def test_dashboard_shows_everything_without_javascript(dashboard: str, trend: Trend) -> None:
    assert '<div class="filter" id="filter-form" role="search" hidden>' in dashboard
    cards = re.findall(r'<figure class="card" id="m\d+"[^>]*>', dashboard)
    assert len(cards) == len(trend.series)
    assert not any("hidden" in card for card in cards)
    assert dashboard.count("<svg") == len(trend.series)


def test_dashboard_x_labels_are_thinned_commits(trend: Trend) -> None:
    html = render_dashboard(trend)
    first = html.split('<figure class="card" id="m0">')[1].split("</svg>")[0]
    labels = re.findall(r'class="lbl">([0-9a-f]{7})</text>', first)
    assert 3 <= len(labels) <= 8
    assert labels[-1] == trend.series[0].shas[-1][:7]


def test_dashboard_of_no_runs() -> None:
    html = render_dashboard(Trend(suite="s", series=(), runs=0))
    assert "No history yet" in html
    assert '<main class="cards">' in html


# --- the PR's comment and HTML report -------------------------------------------------------


@pytest.fixture(scope="module")
def runs() -> tuple[Results, Results]:
    return load_results(GOLDEN / "baseline.json"), load_results(GOLDEN / "head.json")


@pytest.fixture(scope="module")
def comparison(runs: tuple[Results, Results]) -> Comparison:
    return compare(*runs)


@pytest.fixture(scope="module")
def pr_trend(runs: tuple[Results, Results]) -> Trend:
    return build_trend(scaled_history(runs[0]))


@pytest.fixture(scope="module")
def context(runs: tuple[Results, Results]) -> ReportContext:
    """The context of the golden files (``test_report_render``)."""
    baseline, head = runs
    return ReportContext(
        suite=head.suite,
        head_sha=head.commit.sha,
        head_ref=head.commit.ref,
        baseline_sha=baseline.commit.sha,
        baseline_ref="main",
        baseline_run_url="https://github.com/o/r/actions/runs/42",
        run_url="https://github.com/o/r/actions/runs/43",
        api_stats={"github_requests": 9, "cache_hit_rate": 0.75},
    )


def test_without_a_trend_the_outputs_are_the_golden_files(
    comparison: Comparison, context: ReportContext
) -> None:
    report = Report.of(comparison)
    assert context.trend is None
    assert render_comment(report, context) == (GOLDEN / "comment.md").read_text()
    assert render_summary(report, context) == (GOLDEN / "summary.md").read_text()
    assert render_html(report, context) == (GOLDEN / "report.html").read_text()


def test_the_comment_with_a_trend_is_the_golden_one_plus_trend_lines(
    comparison: Comparison, context: ReportContext, pr_trend: Trend
) -> None:
    text = render_comment(Report.of(comparison), replace(context, trend=pr_trend))
    block = TREND_BLOCK.search(text)
    assert block is not None
    assert TREND_BLOCK.sub("", text) == (GOLDEN / "comment.md").read_text()
    html = gfm(block.group(0))
    assert "<summary>Trend on the base branch (24 runs)</summary>" in html
    assert "<li><code>sort-1m</code> duration ▁" in html
    assert "→ █ this PR" in html
    assert "last step between 15c0ffe and 16c0ffe: +" in html
    _no_injection(html.replace("&lt;img", ""))


def test_trend_lines_only_for_changed_metrics_with_a_history(
    comparison: Comparison, pr_trend: Trend
) -> None:
    view = build_view(Report.of(comparison), ReportContext(trend=pr_trend))
    shown = {(t.benchmark, t.metric) for t in view.trend_lines}
    known = {(s.benchmark, s.metric) for s in pr_trend.series}
    changed = {(r.benchmark, r.metric) for r in view.changed}
    assert shown == changed & known
    assert ("sort-1m", "duration") in shown
    assert ("sort-1m", "memory_peak") not in shown  # unchanged
    assert ("brand-new", "duration") not in shown  # new: no history
    assert all(len(t.spark) == 20 for t in view.trend_lines)
    assert trend_lines(comparison.benchmarks[0].metrics, None) == ()


def test_the_html_report_gets_a_trend_chart_per_metric_with_the_head(
    comparison: Comparison,
    context: ReportContext,
    pr_trend: Trend,
    runs: tuple[Results, Results],
) -> None:
    html = render_html(Report.of(comparison), replace(context, trend=pr_trend))
    plain = render_html(Report.of(comparison), context)
    series = {(s.benchmark, s.metric): s for s in pr_trend.series}
    drawn = [
        (bench.name, name)
        for bench in runs[1].benchmarks
        for name in bench.metrics
        if (bench.name, name) in series and any(series[bench.name, name].values)
    ]
    assert ("sort-1m", "duration") in drawn
    assert ("parse-json", "memory_gc_freed") not in drawn  # zero throughout: no chart
    assert html.count("on the base branch (24 runs) and this PR") == len(drawn)
    assert html.count("<svg") == plain.count("<svg") + len(drawn)
    assert html.count('class="head"') == len(drawn)  # this PR's point, highlighted
    assert html.count('<g class="step">') == len(drawn)  # one step each, at run 16
    assert html.count('class="unlike"') == len(drawn)  # run 4
    assert "change point between 15c0ffe and 16c0ffe" in html
    assert "<img" not in html


# --- sparklines -----------------------------------------------------------------------------


def test_sparkline_shapes() -> None:
    assert sparkline([]) == ""
    assert sparkline([1.0, 1.0, 1.0]) == "▅▅▅"
    assert sparkline([0.0, 0.0]) == "▅▅"
    assert sparkline([1.0, 1.0, 2.0, 2.0]) == "▁▁██"
    assert sparkline([1.0, 1.01, 1.0]) == "▄▅▄"  # 1% noise stays flat: the range is 10% wide
    assert sparkline([5.0], 0.0, 10.0) == "▅"
    assert sparkline([20.0, -5.0], 0.0, 10.0) == "█▁"  # clamped
