"""Reports a reviewer reads in ten seconds: the first line names what matters, the design is
said, tables fit a PR comment, the numbers agree and carry no exponent, what cannot change
is folded away. Each through GitHub's own Markdown renderer (cmark-gfm) where it matters."""

from __future__ import annotations

import random
import re
import zlib
from dataclasses import replace
from pathlib import Path

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from aiwf_ci import numbers
from aiwf_ci.models import BenchmarkResult, Commit, Metric, Results, load_results
from aiwf_ci.report import (
    ReportContext,
    comparison_to_dict,
    render_comment,
    render_html,
    render_summary,
    render_text,
    rows,
)
from aiwf_ci.report.view import build_view
from aiwf_ci.verdict.compare import compare
from aiwf_ci.verdict.model import Comparison, MetricComparison, Report

GOLDEN = Path(__file__).parents[2] / "data" / "golden"
SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE][+-]?\d")
BASE_SHA, HEAD_SHA = "1234567" + "0" * 33, "abcdef0" + "1" * 33


def gfm(text: str) -> str:
    return cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE)


def first_line(text: str) -> str:
    return text.splitlines()[0]


def heading_html(text: str) -> str:
    return gfm(first_line(text)).strip()


@pytest.fixture(scope="module")
def golden() -> Comparison:
    return compare(load_results(GOLDEN / "baseline.json"), load_results(GOLDEN / "head.json"))


# --- data: blocks of runs (unpaired) and interleaved rounds (paired) ------------------------


def _rng(name: str, side: str) -> random.Random:
    return random.Random(zlib.crc32(f"{name}/{side}".encode()))


def block(name: str, side: str, centre: float, cv: float = 0.01, n: int = 20) -> Metric:
    rng = _rng(name, side)
    return Metric.from_samples([centre * (1 + rng.gauss(0, cv)) for _ in range(n)], unit="s")


def rounds(name: str, side: str, centre: float, *, shared: bool, rounds_: int = 12) -> Metric:
    """Interleaved rounds of 3 samples: with ``shared`` the round's noise hits both sides
    alike (a busy neighbour), else each side has its own (wide) noise."""
    common = _rng(name, "common")
    own = _rng(name, side)
    values, index = [], []
    for r in range(rounds_):
        drift = common.gauss(0, 0.05)
        for _ in range(3):
            noise = own.gauss(0, 0.01 if shared else 0.2)
            values.append(centre * (1 + drift) * (1 + noise))
            index.append(r)
    return Metric.from_samples(values, unit="s", rounds=index)


def results(sha: str, metrics: dict[str, Metric], time_budget: float = 0) -> Results:
    benches = tuple(
        BenchmarkResult(name=name, kind="python", metrics={"duration": metric})
        for name, metric in metrics.items()
    )
    record = {"run_id": "one-run", **({"time_budget": time_budget} if time_budget else {})}
    environment = {"interleaved": record}
    return Results(
        suite="demo", benchmarks=benches, commit=Commit(sha=sha), environment=environment
    )


def unpaired(factors: dict[str, tuple[float, float]]) -> Comparison:
    """``{name: (head factor, cv)}`` as two blocks of runs."""
    base = {n: block(n, "base", 1e-3, cv) for n, (_, cv) in factors.items()}
    head = {n: block(n, "head", 1e-3 * f, cv) for n, (f, cv) in factors.items()}
    return compare(results(BASE_SHA, base), results(HEAD_SHA, head))


def paired(factors: dict[str, tuple[float, bool]], time_budget: float = 0) -> Comparison:
    """``{name: (head factor, shared noise)}`` as interleaved rounds (within ``time_budget``
    seconds, as the results record it)."""
    base = {n: rounds(n, "base", 1e-3, shared=s) for n, (_, s) in factors.items()}
    head = {n: rounds(n, "head", 1e-3 * f, shared=s) for n, (f, s) in factors.items()}
    return compare(results(BASE_SHA, base, time_budget), results(HEAD_SHA, head, time_budget))


# --- the first line ---------------------------------------------------------------------------


def test_first_line_names_the_worst_regression_its_size_and_the_commits() -> None:
    comparison = unpaired({"sort-records": (1.92, 0.01), "parse": (1.3, 0.01), "a": (1.0, 0.01)})
    text = render_comment(Report.of(comparison))
    head = comparison.benchmarks[0].metrics[0]
    estimate = numbers.human(head.baseline * (1 + head.change), "s")  # type: ignore[operator]
    assert first_line(text) == (
        f"### ❌ `sort-records` 92% slower (1.00 ms → {estimate}) and 1 more regression · "
        "base `1234567` → head `abcdef0`"
    )
    html = heading_html(text)
    assert html.startswith("<h3>❌ <code>sort-records</code> 92% slower (")
    assert html.endswith("· base <code>1234567</code> → head <code>abcdef0</code></h3>")


def test_golden_first_lines_for_each_status(golden: Comparison) -> None:
    text = render_comment(Report.of(golden))
    assert first_line(text).startswith(
        "### 💥 `crashes-now` failed to run (exit status 1) · 5 regressions, worst `parse-json` "
        "memory\\_peak 60% higher (9.53 MiB → 15.2 MiB)"
    )


def test_inconclusive_is_amber_names_the_benchmarks_and_what_would_settle_them() -> None:
    comparison = unpaired({f"noisy-{i}": (1.25, 0.35) for i in range(5)} | {"ok": (1.0, 0.01)})
    assert comparison.status == "inconclusive"
    text = render_comment(Report.of(comparison))
    line = first_line(text)
    assert line.startswith("### ⚠️ 5 benchmarks undecided: `noisy-")
    assert line.count("`noisy-") == 3 and " and 2 more · " in line
    assert (
        "to settle them: a same-runner comparison (baseline: same-runner) or more iterations"
        in (line)
    )
    assert "✅" not in line
    html = render_html(Report.of(comparison))
    assert '<span class="badge v-inconclusive">inconclusive</span>' in html
    assert 'class="pill v-inconclusive"' in html


def test_paired_inconclusive_advises_time_fewer_benchmarks_or_instruction_counts() -> None:
    comparison = paired({"wobbly": (1.05, False), "steady": (1.0, True)}, time_budget=600)
    assert comparison.status == "inconclusive"
    ctx = ReportContext(design="same-runner")
    line = first_line(render_comment(Report.of(comparison), ctx))
    assert line.startswith("### ⚠️ 1 benchmark undecided: `wobbly` · to settle it: ")
    assert (
        "more time (time-budget, now 10 min), fewer benchmarks per job, or instruction counts "
        "(measure: instructions) · 1 decided, no regression · base "
    ) in line  # one open benchmark does not hide that the others were decided


def test_pass_says_how_many_benchmarks_did_not_regress() -> None:
    comparison = unpaired({"a": (1.0, 0.01), "b": (1.0, 0.01), "c": (0.7, 0.01)})
    line = first_line(render_comment(Report.of(comparison)))
    assert line.startswith("### ✅ No regression in 3 benchmarks · `c` 30% faster (1.00 ms → ")
    assert line.endswith(" · base `1234567` → head `abcdef0`")


def test_hostile_names_in_the_first_line_stay_text() -> None:
    name = "|@team `x` **b** <img src=x onerror=alert(1)>\nx"
    comparison = unpaired({name: (1.5, 0.01)})
    html = heading_html(render_comment(Report.of(comparison)))
    assert "<img" not in html and "<strong>" not in html
    assert html.count("<code>") == 3  # the name and the two commits
    code = html.split("<code>")[1].split("</code>")[0]
    assert code == "|@\u200bteam `x` **b** &lt;img src=x onerror=alert(1)&gt; x"


# --- the design ---------------------------------------------------------------------------


def test_design_line_for_a_paired_comparison() -> None:
    comparison = paired({"sort": (1.5, True), "same": (1.0, True)})
    rows = [m for b in comparison.benchmarks for m in b.metrics]
    assert all(m.rounds > 0 and m.method == "Wilcoxon signed-rank" for m in rows)
    span = sorted({m.rounds for m in rows})
    text = render_comment(Report.of(comparison))
    rounds_text = str(span[0]) if len(span) == 1 else f"{span[0]}–{span[-1]}"
    expected = (
        f"same runner, interleaved (paired, Wilcoxon signed-rank), {rounds_text} paired rounds"
    )
    assert f"<sub>How measured: {expected}</sub>" in text
    assert "per-round ratios" in text  # the estimate's footnote names the paired estimate
    assert f"measured: {expected}" in render_text(Report.of(comparison))
    assert comparison_to_dict(comparison)["design"]["paired"] is True


def test_design_line_for_an_unpaired_comparison_and_the_contexts_words() -> None:
    comparison = unpaired({"sort": (1.5, 0.01)})
    rule = (
        "no history of the base side: only a change whose whole interval lies beyond the "
        "threshold counts (large changes only)"
    )
    assert (
        f"How measured: two separate blocks of runs (unpaired, Mann-Whitney); {rule}"
        in render_comment(Report.of(comparison))
    )
    ctx = ReportContext(
        design="artifact",
        design_note="same-runner fell back: the base branch did not build",
        baseline_run_url="https://github.com/o/r/actions/runs/123",
    )
    text = render_comment(Report.of(comparison), ctx)
    assert (
        "How measured: baseline artifact of run #\u200b123 (another runner: unpaired, "
        f"Mann-Whitney); {rule} — same-runner fell back: the base branch did not build"
    ) in text
    files = render_comment(Report.of(comparison), ReportContext(design="files"))
    assert "How measured: two results files (separate runs: unpaired, Mann-Whitney)" in files
    data = comparison_to_dict(comparison, ctx)
    assert data["design"]["kind"] == "artifact" and data["design"]["paired"] is False
    assert data["design"]["unpaired_rule"] == "interval"


def test_paired_rows_replayed_from_files_keep_their_design_and_advice() -> None:
    """``aiwf-ci compare`` of ``ab``'s two results files: every row is a paired Wilcoxon,
    so the design line says so (not "separate runs: unpaired") and the advice for an
    undecided benchmark is more time, not "a same-runner comparison" it already is."""
    comparison = paired({"wobbly": (1.05, False), "steady": (1.0, True)})
    text = render_comment(Report.of(comparison), ReportContext(design="files"))
    assert "unpaired" not in text and "Mann-Whitney" not in text.split("How measured:")[1]
    assert (
        "How measured: two results files of one interleaved run: same runner, interleaved "
        "(paired, Wilcoxon signed-rank), 12 paired rounds"
    ) in text
    assert "a same-runner comparison" not in first_line(text)
    assert "more time (time-budget)" in first_line(text)


def test_json_has_method_rounds_level_and_the_inconclusive_status() -> None:
    comparison = paired({"wobbly": (1.05, False)}, time_budget=60)
    data = comparison_to_dict(comparison, ReportContext(design="same-runner"))
    metric = data["benchmarks"][0]["metrics"][0]
    assert data["status"] == "inconclusive"
    assert metric["method"] == "Wilcoxon signed-rank"
    assert metric["rounds"] == 12 and 0.95 < metric["ci_level"] < 1.0
    assert data["design"] == {
        "kind": "same-runner",
        "paired": True,
        "rounds": 12,
        "note": "",
        "budget_seconds": 60,
        "text": "same runner, interleaved (paired, Wilcoxon signed-rank), 12 paired rounds",
        "unpaired_rule": None,
    }


# --- the tables -----------------------------------------------------------------------------


def _tables(html: str) -> list[str]:
    return re.findall(r"<table>.*?</table>", html, flags=re.DOTALL)


def test_no_table_of_the_comment_or_summary_is_wider_than_six_columns(
    golden: Comparison,
) -> None:
    for text in (render_comment(Report.of(golden)), render_summary(Report.of(golden))):
        tables = _tables(gfm(text))
        assert len(tables) >= 4
        for table in tables:
            header = table.split("</thead>")[0]
            assert len(re.findall(r"<th[ >]", header)) <= 6, header


def test_no_table_cell_holds_scientific_notation(golden: Comparison) -> None:
    big = unpaired({"x": (1.0, 0.01)})
    assert big.benchmarks  # the golden runs hold 33.8k files/s and 131 MB/s
    report = Report.of(golden)
    cells = [
        cell
        for html in (gfm(render_comment(report)), gfm(render_summary(report)), render_html(report))
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", html, flags=re.DOTALL)
    ]
    assert len(cells) > 100
    assert [c for c in cells if SCIENTIFIC.search(c)] == []
    assert "33.7k files/s" in cells and "131 MB/s" in cells
    labels = re.findall(r"<text[^>]*>(.*?)</text>", render_html(report))
    assert labels and [t for t in labels if SCIENTIFIC.search(t)] == []
    assert not SCIENTIFIC.search(render_text(report))


def test_base_head_and_change_agree(golden: Comparison) -> None:
    """Head is the baseline's median moved by the estimated change, as the footnote says."""
    text = render_comment(Report.of(golden))
    assert "| sort-1m | duration | 99.9 ms | 130 ms | +30% (+28…+33) | ❌ regression |" in text
    assert "| sort-1m | duration | 99.9 ms → 131 ms | Mann-Whitney p &lt; 0.001" in text  # medians
    assert "head is estimated from it, base × (1 + change)" in text


def test_zero_gc_rows_and_flat_memory_rows_are_folded(golden: Comparison) -> None:
    text = render_comment(Report.of(golden))
    html = gfm(text)
    rows = [row for table in _tables(html) for row in re.findall(r"<tr>.*?</tr>", table, re.S)]
    for folded in ("memory\\_gc\\_freed", "memory\\_rss\\_after\\_gc", "error\\_rate"):
        assert not any(folded.replace("\\", "") in row for row in rows), folded
    assert "<details><summary>9 metrics unchanged or not comparable</summary>" in html
    line = next(x for x in text.splitlines() if x.startswith("**Not comparable"))
    assert "`parse-json` memory\\_gc\\_freed (0 B on both sides)" in line
    assert "`parse-json` memory\\_rss\\_after\\_gc (±0.0%)" in line
    assert "`health-endpoint` error\\_rate (0.00% on both sides)" in line
    assert "memory_gc_freed samples" not in render_html(Report.of(golden))  # no empty chart


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (33_810.0, "files/s", "33.8k files/s"),
        (1.307e7, "B/s", "13.1 MB/s"),
        (1507.0, "req/s", "1.51k req/s"),
        (1.36e-3, "s", "1.36 ms"),
        (2.7e-3, "s", "2.70 ms"),
        (0.99996, "s", "1.00 s"),
        (125.0, "s", "2.08 min"),
        (9.53 * 2**20, "B", "9.53 MiB"),
        (0.0, "B", "0 B"),
        (1.5e-5, "things", "0.0000150 things"),
        (1.2e9, "instructions", "1.20G instructions"),
        (0.0017, "ratio", "0.17%"),
    ],
)
def test_numbers_are_human(value: float, unit: str, text: str) -> None:
    assert numbers.human(value, unit) == text


def test_changes_are_compact() -> None:
    assert numbers.change_cell(0.131, (0.09, 0.17)) == "+13% (+9…+17)"
    assert numbers.change_cell(0.015, (-0.003, 0.033)) == "+1.5% (-0.3…+3.3)"
    assert numbers.pct(0.0004) == "±0.0%"
    assert numbers.p_value(6.8e-8) == "p < 0.001"


def test_one_of_a_thing_is_singular() -> None:
    """Bug: "1 paired rounds", "1 metrics unchanged"."""
    row = MetricComparison(benchmark="b", metric="duration", unit="s", direction="lower",
                           verdict="unchanged", p_value=0.5, rounds=1,
                           method="Wilcoxon signed-rank")  # fmt: skip
    assert row.statement.endswith("; 1 paired round")
    assert rows.test_text(row).endswith(", 1 paired round")
    assert rows.test_text(replace(row, rounds=12)).endswith(", 12 paired rounds")
    view = build_view(Report.of(paired({"a": (1.0, True)})), ReportContext())
    assert view.quiet_summary == "1 metric unchanged or not comparable"
    assert numbers.counted(1_200, "paired round") == "1,200 paired rounds"


def test_one_benchmark_without_a_baseline_is_singular() -> None:
    bench = BenchmarkResult(name="nap", kind="command",
                            metrics={"duration": Metric.from_samples([0.1] * 5, unit="s")})  # fmt: skip
    text = render_text(Report(head=Results(suite="s", benchmarks=(bench,))))
    assert text.startswith("ℹ️ No baseline: 1 benchmark measured")
