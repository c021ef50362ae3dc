"""Reports: golden files for every template, GitHub's Markdown renderer, size limits.

Regenerate the golden files after an intended change with
``AIWF_UPDATE_GOLDEN=1 pytest tests/unit/report/test_render.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
import random
import re
from dataclasses import replace
from pathlib import Path

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from aiwf_ci.errors import ReportError
from aiwf_ci.models import BenchmarkResult, Metric, Results, load_results
from aiwf_ci.report import (
    COMMENT_LIMIT,
    ReportContext,
    comment_marker,
    comparison_to_dict,
    render_comment,
    render_html,
    render_summary,
    render_text,
)
from aiwf_ci.verdict.compare import compare
from aiwf_ci.verdict.model import Comparison, Report

GOLDEN = Path(__file__).parents[2] / "data" / "golden"
UPDATE = os.environ.get("AIWF_UPDATE_GOLDEN") == "1"  # read before the env-cleaning fixture
NAMES = {b.name for b in load_results(GOLDEN / "head.json").benchmarks} | {"removed-bench"}


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with AIWF_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def baseline() -> Results:
    return load_results(GOLDEN / "baseline.json")


@pytest.fixture(scope="module")
def head() -> Results:
    return load_results(GOLDEN / "head.json")


@pytest.fixture(scope="module")
def comparison(baseline: Results, head: Results) -> Comparison:
    return compare(baseline, head)


@pytest.fixture(scope="module")
def context(baseline: Results, head: Results) -> ReportContext:
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


def gfm(text: str) -> str:
    return cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE)


def test_comment_golden(comparison: Comparison, context: ReportContext) -> None:
    check_golden("comment.md", render_comment(Report.of(comparison), context))


def test_summary_golden(comparison: Comparison, context: ReportContext) -> None:
    check_golden("summary.md", render_summary(Report.of(comparison), context))


def test_html_golden(comparison: Comparison, context: ReportContext) -> None:
    check_golden("report.html", render_html(Report.of(comparison), context))


def test_text_golden(comparison: Comparison, context: ReportContext) -> None:
    check_golden("compare.txt", render_text(Report.of(comparison), context))


def test_no_baseline_golden(head: Results, context: ReportContext) -> None:
    ctx = ReportContext(suite=head.suite, no_baseline_reason="no successful run on main yet")
    text = render_comment(Report(head=head), ctx)
    check_golden("comment_no_baseline.md", text)
    assert text.startswith(
        "### 💥 No baseline: 12 benchmarks measured, 1 errored (`crashes-now`) · head `bbbbbbb`"
    )
    assert "no successful run on main yet" in text
    check_golden("report_no_baseline.html", render_html(Report(head=head), ctx))
    check_golden("no_baseline.txt", render_text(Report(head=head), ctx))


def test_comment_structure_through_githubs_renderer(
    comparison: Comparison, context: ReportContext
) -> None:
    text = render_comment(Report.of(comparison), context)
    first = text.splitlines()[0]
    assert first == (
        "### 💥 `crashes-now` failed to run (exit status 1) · 5 regressions, worst `parse-json` "
        "memory\\_peak 60% higher (9.53 MiB → 15.2 MiB) · base `aaaaaaa` → head `bbbbbbb`"
    )
    assert "5 regressions, 1 errored, 2 inconclusive, 2 new, 1 removed, 2 unchanged" in text
    assert text.rstrip("\n").endswith(comment_marker(comparison.suite))
    html = gfm(text)
    assert html.count("<table>") >= 4  # changes, how sure, latency, unchanged
    assert "<details><summary>9 metrics unchanged or not comparable</summary>" in html
    assert '<a href="https://github.com/o/r/actions/runs/42">aaaaaaa</a>' in html
    assert '<pre lang="text"><code>' in html or '<pre><code class="language-text">' in html


def test_hostile_names_stay_text(comparison: Comparison, context: ReportContext) -> None:
    html = gfm(render_comment(Report.of(comparison), context))
    assert "<img" not in html
    assert "<script" not in html
    assert "<strong>bold</strong>" not in html
    outside_code = re.sub(r"<pre.*?</pre>", "", html, flags=re.DOTALL)
    assert "@team" not in outside_code  # code blocks never ping: that is where errors go
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "| @\u200bteam `rm -rf` **bold** next line" in html
    # The hostile suite name cannot end the hidden marker early.
    assert "--&gt; x" not in html.split("<!-- aiwf-ci")[1]


def test_summary_has_the_same_content_without_marker(
    comparison: Comparison, context: ReportContext
) -> None:
    summary = render_summary(Report.of(comparison), context)
    assert "aiwf-ci:report" not in summary
    comment = render_comment(Report.of(comparison), context)
    assert summary.splitlines()[0] == "#" + comment.splitlines()[0][2:].replace("###", "##", 1)
    assert summary.startswith("## 💥 `crashes-now` failed to run")


def _huge(n: int, factor: float, seed: int) -> Results:
    rng = random.Random(seed)
    name = "benchmark-with-a-rather-long-name-{i}-<x>|@team"
    benches = tuple(
        BenchmarkResult(
            name=name.format(i=i),
            kind="python",
            metrics={
                "duration": Metric.from_samples(
                    [factor * (1 + rng.gauss(0, 0.02)) for _ in range(10)], unit="s"
                )
            },
            errors=("Traceback\n" + "x" * 3000,) if i % 50 == 7 and factor > 1 else (),
        )
        for i in range(n)
    )
    return Results(suite="huge", benchmarks=benches)


def test_two_thousand_benchmarks_fit_in_a_comment_without_losing_the_verdict() -> None:
    comparison = compare(_huge(2000, 1.0, 1), _huge(2000, 1.5, 2))
    text = render_comment(Report.of(comparison), ReportContext(suite="huge"))
    assert len(text) <= COMMENT_LIMIT
    first = text.splitlines()[0]
    assert first.startswith("### 💥 `benchmark-with-a-rather-long-name-7-<x>|@\u200bteam` failed")
    assert " and 39 more · 1960 regressions, worst `benchmark-with-a-rather-long-name-" in first
    assert "1960 regressions, 40 errored" in text
    assert "not shown here to fit" in text
    assert text.rstrip().endswith(comment_marker("huge"))
    assert "<table>" in gfm(text)
    summary = render_summary(Report.of(comparison), ReportContext(suite="huge"))
    assert len(summary.encode()) < 1024 * 1024
    assert summary.count("\n| ") > 1000


def test_no_room_at_all_still_gives_the_verdict(comparison: Comparison) -> None:
    text = render_comment(Report.of(comparison), limit=900)
    assert len(text) <= 900
    assert text.startswith("### 💥 `crashes-now` failed to run (exit status 1) · 5 regressions")


def test_user_template_can_reuse_builtin_macros(
    tmp_path: Path, comparison: Comparison, context: ReportContext
) -> None:
    template = tmp_path / "mine.md.j2"
    template.write_text(
        '{% import "_macros.md.j2" as m %}Custom: {{ view.verdict_line }}\n'
        "{% for r in view.changed %}* {{ r.benchmark }}\n{% endfor %}"
    )
    text = render_comment(Report.of(comparison), context, template=template)
    assert text.startswith("Custom: 5 regressions")
    assert "* \\| @\u200bteam" in text
    assert text.rstrip().endswith(comment_marker(comparison.suite))


def test_template_typos_fail_loudly(tmp_path: Path, comparison: Comparison) -> None:
    template = tmp_path / "bad.md.j2"
    template.write_text("{{ view.no_such_field }}")
    with pytest.raises(ReportError, match=r"bad\.md\.j2"):
        render_comment(Report.of(comparison), template=template)
    with pytest.raises(ReportError, match="not found"):
        render_comment(Report.of(comparison), template=tmp_path / "missing.j2")
    (tmp_path / "syntax.j2").write_text("{% if %}")
    with pytest.raises(ReportError, match="invalid"):
        render_html(Report.of(comparison), template=tmp_path / "syntax.j2")


def test_html_escapes_and_is_self_contained(comparison: Comparison, context: ReportContext) -> None:
    html = render_html(Report.of(comparison), context)
    assert "<img" not in html
    assert "<script" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html.replace("https://github.com/o/r/actions/runs/42", "")
    assert html.count("<svg") >= 10
    assert 'class="series"' in html  # memory over time
    assert "latency percentiles" in html


def test_json_output_is_serialisable(comparison: Comparison) -> None:
    data = comparison_to_dict(comparison)
    text = json.dumps(data, allow_nan=False)
    assert data["status"] == "error"
    assert data["counts"]["regression"] == 5
    assert data["design"]["kind"] == "unpaired" and data["design"]["paired"] is False
    regression = next(b for b in data["benchmarks"] if b["name"] == "sort-1m")
    metric = regression["metrics"][0]
    assert metric["verdict"] == "regression"
    assert metric["ci"][0] > 0.2
    assert (metric["method"], metric["rounds"], metric["ci_level"]) == ("Mann-Whitney", 0, 0.95)
    assert metric["head_estimate"] == pytest.approx(metric["baseline"] * (1 + metric["change"]))
    assert "<img" in text  # raw data, unescaped: JSON consumers escape for their own output


def test_new_metric_of_an_existing_benchmark_is_not_a_change() -> None:
    from aiwf_ci.models import BenchmarkResult, Metric, Results
    from aiwf_ci.report.rows import split_rows
    from aiwf_ci.verdict.compare import compare

    duration = Metric.from_samples([1.0, 1.01, 0.99, 1.0, 1.02], unit="s")
    memory = Metric.from_samples([5e6] * 5, unit="bytes")
    base = Results(
        suite="s",
        benchmarks=(BenchmarkResult(name="a", kind="python", metrics={"duration": duration}),),
    )
    head = Results(
        suite="s",
        benchmarks=(
            BenchmarkResult(
                name="a", kind="python", metrics={"duration": duration, "memory_peak": memory}
            ),
            BenchmarkResult(name="b", kind="python", metrics={"duration": duration}),
        ),
    )
    changed, unchanged = split_rows(compare(base, head).benchmarks)
    assert [(r.benchmark, r.metric, r.verdict) for r in changed] == [("b", "duration", "new")]
    assert ("a", "memory_peak", "new") in [(r.benchmark, r.metric, r.verdict) for r in unchanged]


# --- the other statuses, from subsets of the same two runs ---------------------------------


def subset(results: Results, names: set[str], drop: tuple[str, ...] = ()) -> Results:
    """Only the benchmarks named, without the metrics in ``drop``."""
    benches = tuple(
        replace(b, metrics={k: m for k, m in b.metrics.items() if k not in drop})
        for b in results.benchmarks
        if b.name in names
    )
    return replace(results, benchmarks=benches)


HOSTILE = "<img src=x onerror=alert(1)>"
VARIANTS = {
    "regression": ({b for b in NAMES if b != "crashes-now"}, ()),
    "inconclusive": ({"few-samples", "noisy-io", HOSTILE, "copy-dataset"}, ()),
    "pass": ({"parse-json", HOSTILE, "copy-dataset", "brand-new", "removed-bench"},
             ("memory_peak",)),
}  # fmt: skip


@pytest.mark.parametrize("status", sorted(VARIANTS))
def test_status_variants_golden(
    status: str, baseline: Results, head: Results, context: ReportContext
) -> None:
    names, drop = VARIANTS[status]
    comparison = compare(subset(baseline, names, drop), subset(head, names, drop))
    assert comparison.status == status
    text = render_comment(Report.of(comparison), context)
    check_golden(f"comment_{status}.md", text)
    assert text.startswith(
        {"regression": "### ❌ ", "inconclusive": "### ⚠️ ", "pass": "### ✅ "}[status]
    )
