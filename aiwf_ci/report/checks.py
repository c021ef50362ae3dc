"""What a suite's check run on the pull request's head commit says: the decision, apart from
the GitHub calls (``aiwf_ci.github.checks``) that carry it.

The merge box shows a check run's conclusion as its icon, so the conclusion must not claim
more than the verdict: a regression or a failed benchmark is ``failure``; an undecided run
(``inconclusive``), and a run with nothing to compare with, are ``neutral`` — never a green
check; only a decided run without a regression (or one accepted on purpose) is ``success``.

The title is the report's first line as plain text (GitHub shows it unrendered, at most
1,000 characters); the summary is the report's Markdown within GitHub's 65,535 characters,
cut at a line end (never inside an escape) and with an open code fence closed before the
note that says so. Each regressed or failed benchmark gets an annotation on its line of the
suite config; GitHub takes at most 50 a request, so they come in batches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from aiwf_ci.report.escape import comment_marker, plain
from aiwf_ci.report.headline import describe
from aiwf_ci.report.view import build_view
from aiwf_ci.report.view_model import ReportContext, plain_text
from aiwf_ci.verdict.model import BenchmarkComparison, Report, Status

Conclusion = Literal["success", "failure", "neutral"]
Level = Literal["failure", "warning", "notice"]

SUMMARY_LIMIT = 65_535
TITLE_LIMIT = 1_000
NAME_LIMIT = 100
ANNOTATION_TITLE_LIMIT = 255
ANNOTATION_MESSAGE_LIMIT = 4_000
ANNOTATIONS_PER_REQUEST = 50
SUMMARY_CUT_NOTE = (
    "*(summary truncated: it exceeded GitHub's 65,535-character limit; see the job summary)*"
)

CONCLUSIONS: Mapping[Status, Conclusion] = {
    "pass": "success",
    "regression": "failure",
    "error": "failure",
    "inconclusive": "neutral",
    "no-baseline": "neutral",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Annotation:
    """One line of the suite config marked in the pull request's files."""

    path: str
    line: int
    level: Level
    title: str
    message: str

    def as_dict(self) -> dict[str, str | int]:
        """The annotation as the Checks API takes it."""
        return {
            "path": self.path,
            "start_line": self.line,
            "end_line": self.line,
            "annotation_level": self.level,
            "title": self.title,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckRunPlan:
    """Everything one suite's check run says."""

    name: str
    conclusion: Conclusion
    title: str
    summary: str
    annotations: tuple[Annotation, ...] = ()

    def batches(self) -> list[list[dict[str, str | int]]]:
        """The annotations in requests of at most 50 (one empty batch when there are none)."""
        items = [a.as_dict() for a in self.annotations]
        step = ANNOTATIONS_PER_REQUEST
        return [items[i : i + step] for i in range(0, len(items), step)] or [[]]


def check_run_name(suite: str) -> str:
    """``aiwf-ci: SUITE``: the name the check run is found by on a re-run."""
    return plain(f"aiwf-ci: {suite}")[:NAME_LIMIT]


def conclusion_of(report: Report) -> Conclusion:
    """``failure`` / ``neutral`` / ``success`` for the report's status (module docstring)."""
    return CONCLUSIONS[report.status]


def check_title(report: Report, ctx: ReportContext) -> str:
    """The report's first line, plain text, at most 1,000 characters."""
    view = build_view(report, ctx)
    return _cut_line(plain(f"{view.icon} {view.headline_text}").strip(), TITLE_LIMIT)


def check_summary(markdown: str, *, suite: str = "", limit: int = SUMMARY_LIMIT) -> str:
    """The report's Markdown (the PR comment's hidden marker dropped), at most ``limit``
    characters: cut at the end of a line, an open code fence closed, then a note."""
    text = markdown.strip()
    mark = comment_marker(suite) if suite else ""
    if mark:  # first line of a posted comment, last of a rendered one
        text = text.removeprefix(mark).removesuffix(mark).strip()
    text += "\n"
    if len(text) <= limit:
        return text
    room = limit - len(SUMMARY_CUT_NOTE) - 2
    kept = _whole_lines(text, room)
    fence = _open_fence(kept)
    while fence and len(kept) + len(fence) + 1 > room:
        kept = _whole_lines(kept, len(kept) - 1)
        fence = _open_fence(kept)
    closing = f"{fence}\n" if fence else ""
    return f"{kept}{closing}\n{SUMMARY_CUT_NOTE}\n"


def check_annotations(
    report: Report, *, path: str, lines: Mapping[str, int], accepted: bool = False
) -> tuple[Annotation, ...]:
    """A failure annotation per regressed benchmark (a warning when the regression was
    accepted) and per benchmark that failed to run, on its line of the suite config at
    ``path`` (line 1 when unknown); none without a path."""
    if not path or report.comparison is None:
        return ()
    notes: list[Annotation] = []
    for bench in report.comparison.benchmarks:
        line = max(1, int(lines.get(bench.name, 1)))
        if bench.verdict == "errored":
            notes.append(_note(path, line, "failure", f"Benchmark failed: {bench.name}",
                               _errors(bench)))  # fmt: skip
        elif bench.verdict == "regression":
            level: Level = "warning" if accepted else "failure"
            notes.append(_note(path, line, level, f"Benchmark regression: {bench.name}",
                               _regressions(bench)))  # fmt: skip
    return tuple(notes)


def plan_check_run(
    report: Report,
    ctx: ReportContext,
    markdown: str,
    *,
    path: str = "",
    lines: Mapping[str, int] | None = None,
) -> CheckRunPlan:
    """The whole check run of ``report``: name, conclusion, title, summary, annotations.
    ``markdown`` is the report as rendered for the PR; ``path`` is the suite config relative
    to the repository root and ``lines`` each benchmark's line in it."""
    suite = ctx.suite or report.suite
    return CheckRunPlan(
        name=check_run_name(suite),
        conclusion=conclusion_of(report),
        title=check_title(report, ctx),
        summary=check_summary(markdown, suite=suite),
        annotations=check_annotations(
            report, path=path, lines=lines or {}, accepted=bool(report.accepted)
        ),
    )


def _note(path: str, line: int, level: Level, title: str, message: str) -> Annotation:
    return Annotation(
        path=path,
        line=line,
        level=level,
        title=_cut_line(plain(title), ANNOTATION_TITLE_LIMIT),
        message=message[:ANNOTATION_MESSAGE_LIMIT] or title,
    )


def _regressions(bench: BenchmarkComparison) -> str:
    rows = [m for m in bench.metrics if m.verdict == "regression"]
    return "\n".join(plain(f"{plain_text(tuple(describe(m)))}; {m.statement}") for m in rows)


def _errors(bench: BenchmarkComparison) -> str:
    first = next((line.strip() for e in bench.errors for line in e.splitlines() if line), "")
    return plain(first)[:500]


def _cut_line(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _whole_lines(text: str, room: int) -> str:
    """The longest prefix of ``text`` within ``room`` characters that ends a line."""
    if room <= 0:
        return ""
    cut = text.rfind("\n", 0, room)
    return text[: cut + 1] if cut >= 0 else ""


def _open_fence(text: str) -> str:
    """The fence of a code block ``text`` leaves open (``````` …), else ``""``."""
    fence = ""
    for line in text.split("\n"):
        if fence:
            fence = "" if line.strip() == fence else fence
        elif line.startswith("```"):
            fence = line[: len(line) - len(line.lstrip("`"))]
    return fence
