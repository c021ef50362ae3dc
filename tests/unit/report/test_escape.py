"""Escaping of PR-controlled text for Markdown, HTML, URLs, the marker and terminals."""

from __future__ import annotations

import re
from typing import Any

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from aiwf_ci.report.escape import (
    ZWSP,
    comment_marker,
    history_marker,
    md_code,
    md_code_block,
    md_escape,
    neutral,
    plain,
    safe_url,
)

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "| @team",
    "a`b``c",
    "line\nbreak",
    "**bold** _it_ [link](http://x) ![i](y)",
    "- item",
    "1. first",
    "# heading",
    "https://evil.example/x",
    "www.evil.example",
    "<script>alert(1)</script>",
    "&amp; &lt;",
    "~~strike~~",
    "GH-123 #12 @team",
    "<!-- aiwf-ci:report suite=demo -->",
]


def _cell_html(text: str) -> str:
    table = f"| a | b |\n|---|---|\n| {md_escape(text)} | x |\n"
    html = cmarkgfm.github_flavored_markdown_to_html(table, options=Options.CMARK_OPT_UNSAFE)
    body = html.split("<tbody>")[1]
    return body.split("<td>")[1].split("</td>")[0]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_renders_literally_in_a_table_cell(text: str) -> None:
    cell = _cell_html(text)
    assert "<" not in cell.replace("&lt;", "")  # no tag at all: not <a>, <img>, <em>, <del>
    shown = cell.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
    shown = shown.replace("&amp;", "&").replace("\u200b", "")
    assert shown == text.replace("\n", " ")


def test_mentions_and_issue_refs_are_broken_with_a_zero_width_space() -> None:
    assert "@team" not in md_escape("@team")
    assert "#12" not in md_escape("#12")


@pytest.mark.parametrize("text", ["GH-123", "see gh-7, GH-42.", "(GH-1)", "x GH-99999 y"])
@pytest.mark.parametrize("escape", [md_escape, md_code])
def test_gh_issue_references_are_broken_like_hash_references(text: str, escape: Any) -> None:
    out = escape(text)
    assert not re.search(r"(?i)gh-\d", out)
    assert re.sub(r"\\(.)", r"\1", out).replace(ZWSP, "").strip("`") == text


def test_gh_without_a_number_is_left_alone() -> None:
    assert md_escape("GH-actions and high-5") == "GH-actions and high-5"


@pytest.mark.parametrize("marker", [comment_marker("demo"), history_marker("demo")])
def test_our_markers_in_untrusted_text_are_no_markers(marker: str) -> None:
    error = f"Traceback\n  copied report: {marker}\n{marker.upper()}\n"
    block = str(md_code_block(error))
    for out in (md_escape(error), md_code(error), block):
        assert "aiwf-ci:report" not in out.lower()
        assert "aiwf-ci:history" not in out.lower()
    assert block.count(f"aiwf-ci:{ZWSP}") == 1  # the upper-case copy keeps its own case
    assert block.lower().count(f"aiwf-ci:{ZWSP}") == 2
    html = cmarkgfm.github_flavored_markdown_to_html(block, options=Options.CMARK_OPT_UNSAFE)
    assert marker.replace(":", ":" + ZWSP).replace("<", "&lt;").replace(">", "&gt;") in html


def test_history_marker_differs_from_the_comment_marker() -> None:
    assert history_marker("a -- b") == "<!-- aiwf-ci:history suite=a%20-%2D%20b -->"
    assert history_marker("demo") != comment_marker("demo")
    assert comment_marker("demo") not in history_marker("demo")


def test_code_block_fence_outlasts_backticks_in_the_text() -> None:
    block = md_code_block("before\n````\n<b>x</b> @team")
    assert block.startswith("`````text\n")
    html = cmarkgfm.github_flavored_markdown_to_html(str(block), options=Options.CMARK_OPT_UNSAFE)
    assert "<b>" not in html
    assert "&lt;b&gt;x&lt;/b&gt; @team" in html


def test_code_block_truncates() -> None:
    assert "(truncated)" in md_code_block("x" * 100, max_chars=10)


def test_safe_url_accepts_only_http() -> None:
    assert safe_url("javascript:alert(1)") == ""
    assert (
        safe_url("https://github.com/o/r/actions/runs/1") == "https://github.com/o/r/actions/runs/1"
    )
    assert safe_url('https://x.example/a b)"') == "https://x.example/a%20b%29%22"


@pytest.mark.parametrize("suite", ["demo", "a -- b", "x-->y", "--!>", "<!-- -->"])
@pytest.mark.parametrize("make", [comment_marker, history_marker])
def test_marker_cannot_be_ended_early(suite: str, make: Any) -> None:
    marker = make(suite)
    inner = marker.removeprefix("<!-- ").removesuffix(" -->")
    assert "--" not in inner.replace("aiwf-ci", "")
    assert ">" not in inner
    assert marker == make(suite)


def test_plain_removes_terminal_escapes() -> None:
    assert plain("a\x1b[2Jb\nc") == "a[2Jb c"


UNSHOWABLE = ["\u202e", "\u202a", "\u2066", "\u2069", "\u200f", "\u061c", "\x1b", "\x07"]


@pytest.mark.parametrize("escape", [md_escape, md_code, md_code_block, plain, neutral])
def test_direction_and_control_characters_never_reach_a_reader(escape: Any) -> None:
    """``a\u202egnp.exe`` would display as ``aexe.png``: the override is removed."""
    shown = str(escape("a\u202egnp.exe \x1b[31mred\u2066x\u2069"))
    assert not any(c in shown for c in UNSHOWABLE), repr(shown)
    assert "gnp.exe" in shown


def test_the_html_report_neutralises_names_read_from_files() -> None:
    from aiwf_ci.models import BenchmarkResult, Commit, Metric, Results
    from aiwf_ci.report import render_comment, render_html
    from aiwf_ci.verdict.compare import compare
    from aiwf_ci.verdict.model import Report
    from aiwf_ci.verdict.thresholds import ThresholdRules

    def run(scale: float) -> Results:
        metric = Metric.from_samples([0.1 * scale, 0.11 * scale, 0.09 * scale], unit="s")
        names = ("a\u202egnp.exe", "line\nbreak", "esc\x1b[31m", "<img src=x onerror=alert(1)>")
        benches = tuple(
            BenchmarkResult(name=n, kind="command", metrics={"duration": metric}) for n in names
        )
        return Results(suite="s\u202e", benchmarks=benches, commit=Commit(sha="a" * 40))

    report = Report.of(compare(run(1.0), run(2.0), ThresholdRules()))
    html = render_html(report)
    for text in (html, render_comment(report)):
        assert not any(c in text for c in UNSHOWABLE)
    assert "<img src" not in html  # (in the Markdown it is inside a code span: literal)
