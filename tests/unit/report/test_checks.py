"""The check run's decision, a pure function: conclusion (never a green check for an undecided
run), title (the report's first line as plain text), summary (within 65,535 characters, cut
whole lines, fences closed) and annotations (per regressed or failed benchmark, batches of 50)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from aiwf_ci.github.comments import prepare_body
from aiwf_ci.models import BenchmarkResult
from aiwf_ci.report import ReportContext, render_comment
from aiwf_ci.report.checks import (
    ANNOTATIONS_PER_REQUEST,
    SUMMARY_CUT_NOTE,
    SUMMARY_LIMIT,
    TITLE_LIMIT,
    Annotation,
    CheckRunPlan,
    check_annotations,
    check_run_name,
    check_summary,
    check_title,
    conclusion_of,
    plan_check_run,
)
from aiwf_ci.report.escape import comment_marker
from aiwf_ci.verdict.compare import compare
from aiwf_ci.verdict.model import Comparison, Report
from tests.unit.report.test_reading import BASE_SHA, HEAD_SHA, block, results, unpaired

CONFIG = ".aiwf/bench.yml"


def report_of(comparison: Comparison, accepted: str = "") -> Report:
    return Report(head=comparison.head, comparison=comparison, accepted=accepted)


def ctx(report: Report) -> ReportContext:
    return ReportContext(suite=report.suite, head_sha=HEAD_SHA, baseline_sha=BASE_SHA)


@pytest.fixture(scope="module")
def regressed() -> Report:
    return report_of(unpaired({"slow": (1.5, 0.01), "same": (1.0, 0.01), "noisy": (1.1, 0.4)}))


@pytest.fixture(scope="module")
def undecided() -> Report:
    return report_of(unpaired({"same": (1.0, 0.01), "noisy": (1.1, 0.4)}))


# --- conclusion ------------------------------------------------------------------------------


def test_a_regression_fails(regressed: Report) -> None:
    assert regressed.status == "regression"
    assert conclusion_of(regressed) == "failure"


def test_an_undecided_run_is_neutral_never_success(undecided: Report) -> None:
    assert undecided.status == "inconclusive"
    assert conclusion_of(undecided) == "neutral"


def test_a_decided_run_without_regression_succeeds() -> None:
    report = report_of(unpaired({"same": (1.0, 0.01), "other": (1.0, 0.01)}))
    assert report.status == "pass"
    assert conclusion_of(report) == "success"


def test_nothing_to_compare_with_is_neutral(regressed: Report) -> None:
    head_only = Report(head=regressed.head)
    assert head_only.status == "no-baseline"
    assert conclusion_of(head_only) == "neutral"


def test_a_failed_benchmark_fails(regressed: Report) -> None:
    broken = BenchmarkResult(name="broken", kind="python", errors=("Traceback\nboom",))
    head = replace(regressed.head, benchmarks=(*regressed.head.benchmarks, broken))
    report = report_of(compare(regressed.comparison.baseline, head))  # type: ignore[union-attr]
    assert report.status == "error"
    assert conclusion_of(report) == "failure"
    notes = check_annotations(report, path=CONFIG, lines={"broken": 9})
    failed = [n for n in notes if n.title == "Benchmark failed: broken"]
    assert failed == [
        Annotation(
            path=CONFIG,
            line=9,
            level="failure",
            title="Benchmark failed: broken",
            message="Traceback",
        )
    ]


def test_an_accepted_regression_succeeds_with_warnings(regressed: Report) -> None:
    accepted = replace(regressed, accepted="accepted by @lead with a label")
    assert conclusion_of(accepted) == "success"
    plan = plan_check_run(accepted, ctx(accepted), "x", path=CONFIG, lines={"slow": 4})
    assert [(n.level, n.line) for n in plan.annotations] == [("warning", 4)]


# --- title and name ---------------------------------------------------------------------------


def test_title_is_the_reports_first_line_as_plain_text(regressed: Report) -> None:
    context = ctx(regressed)
    title = check_title(regressed, context)
    first = render_comment(regressed, context).splitlines()[0]
    assert first.startswith("### ❌ ")
    assert title.startswith("❌ `slow`".replace("`", ""))
    assert "`" not in title and "\n" not in title
    assert "50% slower" in title and "1234567" in title and "abcdef0" in title


def test_a_hostile_name_is_one_plain_line_in_the_title() -> None:
    name = "evil\n\x1b[31m## heading\r\n" + "x" * 3000
    base = results(BASE_SHA, {name: block(name, "base", 1e-3)})
    head = results(HEAD_SHA, {name: block(name, "head", 2e-3)})
    report = report_of(compare(base, head))
    title = check_title(report, ctx(report))
    assert "\n" not in title and "\r" not in title and "\x1b" not in title
    assert len(title) <= TITLE_LIMIT
    assert check_run_name("a\nb\x1b[0m" + "s" * 500) == "aiwf-ci: a b[0m" + "s" * 85


# --- summary ----------------------------------------------------------------------------------


def test_summary_is_the_report_without_the_comments_marker(regressed: Report) -> None:
    body = render_comment(regressed, ctx(regressed))
    summary = check_summary(body, suite=regressed.suite)
    assert comment_marker(regressed.suite) not in summary
    assert summary.splitlines()[0] == body.splitlines()[0]
    posted = prepare_body(regressed.suite, body)  # the marker first, as the comment is posted
    assert check_summary(posted, suite=regressed.suite) == summary


def test_a_long_summary_is_cut_at_a_line_end_with_a_note() -> None:
    line = "| `a\\*b` | &lt;img&gt; \\| 30% |\n"
    text = line * (SUMMARY_LIMIT // len(line) + 10)
    summary = check_summary(text)
    assert len(summary) <= SUMMARY_LIMIT
    assert summary.endswith(SUMMARY_CUT_NOTE + "\n")
    body = summary.removesuffix("\n" + SUMMARY_CUT_NOTE + "\n")
    assert set(body.splitlines()) == {line.rstrip("\n")}  # no escape or entity cut in half


def test_a_cut_inside_a_code_block_closes_its_fence() -> None:
    text = "### ❌ failed\n\n````text\n" + "error ``` output\n" * 10_000 + "````\n"
    summary = check_summary(text)
    assert len(summary) <= SUMMARY_LIMIT
    kept = summary.splitlines()
    note_at = kept.index(SUMMARY_CUT_NOTE)
    assert kept[note_at - 2] == "````"  # the fence closed before the note, outside it


def test_a_summary_that_fits_is_left_whole() -> None:
    assert check_summary("### ✅ fine\n\nrow\n") == "### ✅ fine\n\nrow\n"


# --- annotations ------------------------------------------------------------------------------


def test_one_failure_annotation_per_regressed_benchmark(regressed: Report) -> None:
    notes = check_annotations(regressed, path=CONFIG, lines={"slow": 7, "same": 9})
    assert len(notes) == 1
    (note,) = notes
    assert (note.path, note.line, note.level) == (CONFIG, 7, "failure")
    assert note.title == "Benchmark regression: slow"
    assert "50% slower" in note.message and "confidence" in note.message
    assert note.as_dict()["start_line"] == note.as_dict()["end_line"] == 7


def test_no_path_no_annotations_and_unknown_lines_are_line_1(regressed: Report) -> None:
    assert check_annotations(regressed, path="", lines={"slow": 7}) == ()
    (note,) = check_annotations(regressed, path=CONFIG, lines={})
    assert note.line == 1


@pytest.mark.parametrize(("count", "sizes"), [(0, [0]), (50, [50]), (51, [50, 1]),
                                               (120, [50, 50, 20])])  # fmt: skip
def test_annotations_come_in_batches_of_50(count: int, sizes: list[int]) -> None:
    notes = tuple(
        Annotation(path=CONFIG, line=n + 1, level="failure", title=str(n), message="m")
        for n in range(count)
    )
    plan = CheckRunPlan(name="n", conclusion="failure", title="t", summary="s", annotations=notes)
    batches = plan.batches()
    assert [len(b) for b in batches] == sizes
    assert all(len(b) <= ANNOTATIONS_PER_REQUEST for b in batches)
    assert [a["title"] for b in batches for a in b] == [str(n) for n in range(count)]


def test_the_whole_plan(undecided: Report) -> None:
    context = ctx(undecided)
    body = render_comment(undecided, context)
    plan = plan_check_run(undecided, context, body, path=CONFIG, lines={"noisy": 3})
    assert plan.name == "aiwf-ci: demo"
    assert plan.conclusion == "neutral"
    assert plan.title.startswith("⚠️")
    assert plan.annotations == ()
    assert plan.summary == check_summary(body, suite="demo")
