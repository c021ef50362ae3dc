"""The per-function profiles an A/B run attaches to a changed benchmark, as the reports show
them: every measure in its order, untrusted names kept as text, malformed parts left out."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cmarkgfm
from cmarkgfm.cmark import Options

from aiwf_ci.models import JSONValue, Results, load_results
from aiwf_ci.report import ReportContext, render_comment, render_html, render_text
from aiwf_ci.report.sections import profiles
from aiwf_ci.verdict.compare import compare
from aiwf_ci.verdict.model import Report

GOLDEN = Path(__file__).parents[2] / "data" / "golden"
HOSTILE = "pipeline:<img src=x onerror=alert(1)> **bold** | cell @team (p.py:3)"


def diff(unit_scale: float, first: str) -> dict[str, JSONValue]:
    return {
        "unit": "Ir",
        "base_total": 100 * unit_scale,
        "head_total": 300 * unit_scale,
        "entries": [
            {
                "function": first,
                "base_self": 10 * unit_scale,
                "head_self": 210 * unit_scale,
                "self_change": 200 * unit_scale,
                "inclusive_change": 200 * unit_scale,
                "share": 1.0,
            },
            {"function": "not a number", "self_change": "x", "inclusive_change": 0},
        ],
    }


def with_profile(head: Results, name: str, profile: dict[str, JSONValue]) -> Results:
    benchmarks = tuple(
        replace(b, extra={**b.extra, "profile": profile}) if b.name == name else b
        for b in head.benchmarks
    )
    return replace(head, benchmarks=benchmarks)


def test_measures_in_order_with_their_files_and_names_kept_as_text() -> None:
    base, head = load_results(GOLDEN / "baseline.json"), load_results(GOLDEN / "head.json")
    profile: dict[str, JSONValue] = {
        "counted": diff(1000, "_PyEval_EvalFrameDefault (ceval.c:1)"),
        "timed": diff(1e-6, "pipeline:step_7 (p.py:43)"),
        "bytecode": {**diff(1, HOSTILE), "note": "bytecode of one call"},
        "files": {
            "base_bytecode": "profiles/x/base/bytecode.callgrind",
            "head_bytecode": "profiles/x/head/bytecode.callgrind",
            "head_pstats": "profiles/x/head/profile.pstats",
            "base_callgrind": ["profiles/x/base/callgrind/run/callgrind.out.1"],
        },
    }
    head = with_profile(head, "parse-json", profile)
    views = profiles(head)
    assert [v.measure for v in views] == [
        "instructions (Python bytecode)",
        "time (cProfile)",
        "instructions (Callgrind)",
    ]
    assert [len(v.rows) for v in views] == [1, 1, 1]  # the malformed entry is left out
    assert views[0].files == (
        "base: profiles/x/base/bytecode.callgrind; head: profiles/x/head/bytecode.callgrind"
    )
    assert views[1].files == "head: profiles/x/head/profile.pstats"
    report = Report.of(compare(base, head))
    context = ReportContext(suite=head.suite)
    html = cmarkgfm.github_flavored_markdown_to_html(
        render_comment(report, context), options=Options.CMARK_OPT_UNSAFE
    )
    where = html.split("Where the changes are", 1)[1]
    order = [where.index(v.measure) for v in views]
    assert order == sorted(order)
    assert "<img" not in html and "<strong>bold</strong>" not in where
    assert "&lt;img src=x onerror=alert(1)&gt;" in where
    page = render_html(report, context)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    text = render_text(report, context)
    assert "where: parse-json by instructions (Python bytecode)" in text


def test_a_malformed_profile_is_left_out() -> None:
    head = load_results(GOLDEN / "head.json")
    broken: dict[str, JSONValue] = {"bytecode": {"entries": "no"}, "timed": [1, 2]}
    assert profiles(with_profile(head, "parse-json", broken)) == []
