"""Escaping of PR-controlled text for Markdown, HTML, URLs, the marker and terminals."""

from __future__ import annotations

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from aiwf_ci.report.escape import (
    comment_marker,
    md_code_block,
    md_escape,
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
def test_marker_cannot_be_ended_early(suite: str) -> None:
    marker = comment_marker(suite)
    inner = marker.removeprefix("<!-- ").removesuffix(" -->")
    assert "--" not in inner.replace("aiwf-ci", "")
    assert ">" not in inner
    assert marker == comment_marker(suite)


def test_plain_removes_terminal_escapes() -> None:
    assert plain("a\x1b[2Jb\nc") == "a[2Jb c"
