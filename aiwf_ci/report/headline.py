"""The first line of a report and the line that says how the verdict was measured.

A reviewer reads the first line and maybe nothing else, so it names what matters: the worst
regression with its size, its numbers and the commits (``❌ `sort-1m` 30% slower (99.9 ms →
130 ms) and 4 more regressions · base `aaaaaaa` → head `bbbbbbb```); the benchmarks that
failed to run; or, when nothing could be decided, *which* benchmarks and what would decide
them. Inconclusive is never a green check. The sentence is a tuple of parts (text, or a name
shown as code) so each output escapes names its own way.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiwf_ci import numbers
from aiwf_ci.models import short_sha
from aiwf_ci.report.rows import head_estimate
from aiwf_ci.report.view_model import Part, ReportContext
from aiwf_ci.verdict.compare import time_budget_of
from aiwf_ci.verdict.model import EXACT_METHOD, UNPAIRED_METHOD, Comparison, MetricComparison
from aiwf_ci.verdict.spread import rule_text

NAMES_SHOWN = 3
NAME_CHARS = 48
PAIRED_ADVICE = (
    "more time ({budget}), fewer benchmarks per job, or instruction counts (measure: instructions)"
)
UNPAIRED_ADVICE = "a same-runner comparison (baseline: same-runner) or more iterations"


def _cut(name: str) -> str:
    return name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "…"


def code(name: str) -> Part:
    return ("code", _cut(name))


def text(words: str) -> Part:
    return ("text", words)


def _plural(count: int, word: str, plural: str = "") -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def names(items: Sequence[str]) -> list[Part]:
    """``a``, ``b``, ``c`` and N more."""
    parts: list[Part] = []
    for index, name in enumerate(items[:NAMES_SHOWN]):
        parts += [text(", ")] if index else []
        parts.append(code(name))
    if len(items) > NAMES_SHOWN:
        parts.append(text(f" and {len(items) - NAMES_SHOWN} more"))
    return parts


def size_words(row: MetricComparison) -> str:
    """``30% slower``, ``memory_peak 60% higher``, ``throughput 20% lower``; without a
    relative change (from a base of 0) which way only: ``allocs_per_op higher``."""
    if row.change is None:
        up, amount = (row.head or 0.0) > (row.baseline or 0.0), ""
    else:
        up, amount = row.change > 0, f"{numbers.magnitude_pct(row.change)} "
    if row.unit == "s":
        what = "" if row.metric == "duration" else f"{row.metric} "
        return f"{what}{amount}{'slower' if up else 'faster'}"
    return f"{row.metric} {amount}{'higher' if up else 'lower'}"


def describe(row: MetricComparison) -> list[Part]:
    """One metric's change in words with its numbers: `` `sort-1m` 30% slower (99.9 ms →
    130 ms)`` (the head estimated as in the table, so the numbers agree)."""
    base = numbers.human(row.baseline, row.unit)
    head = numbers.human(head_estimate(row), row.unit)
    return [code(row.benchmark), text(f" {size_words(row)} ({base} → {head})")]


def commits(comparison: Comparison | None, ctx: ReportContext) -> list[Part]:
    """`` · base `aaaaaaa` → head `bbbbbbb``` from the context, else the results files."""
    head = short_sha(ctx.head_sha or (comparison.head.commit.sha if comparison else ""))
    base = short_sha(ctx.baseline_sha or (comparison.baseline.commit.sha if comparison else ""))
    parts: list[Part] = []
    if base:
        parts += [text(" · base "), code(base)]
    if head:
        parts += [text(" → head " if base else " · head "), code(head)]
    return parts


def _worst(rows: Sequence[MetricComparison], verdict: str) -> MetricComparison | None:
    found = [r for r in rows if r.verdict == verdict]
    return max(found, key=lambda r: abs(r.worsening or 0.0), default=None)


def _benchmarks(
    comparison: Comparison, verdict: str, rows: Sequence[MetricComparison]
) -> list[str]:
    """Benchmarks with this overall verdict, in the order of their rows (worst first)."""
    wanted = {b.name for b in comparison.benchmarks if b.verdict == verdict}
    ordered = list(dict.fromkeys(r.benchmark for r in rows if r.benchmark in wanted))
    return ordered + sorted(wanted - set(ordered))


def paired_design(comparison: Comparison) -> bool:
    """Paired rounds in the rows themselves: how the data was measured, whatever the
    context calls its source (two files of an ``ab`` run are still paired)."""
    return any(m.rounds for b in comparison.benchmarks for m in b.metrics)


def advice(comparison: Comparison, ctx: ReportContext) -> str:
    """What would settle the undecided benchmarks, for the design that left them open."""
    if not paired_design(comparison):
        return UNPAIRED_ADVICE
    budget = "time-budget"
    seconds = time_budget_of(comparison.head.environment)
    if seconds:
        budget = f"time-budget, now {numbers.seconds_span(seconds)}"
    return PAIRED_ADVICE.format(budget=budget)


def _errored(comparison: Comparison, rows: Sequence[MetricComparison]) -> list[Part]:
    failed = [b for b in comparison.benchmarks if b.verdict == "errored"]
    first = failed[0]
    message = next((line.strip() for e in first.errors for line in e.splitlines() if line), "")
    parts = [code(first.name), text(" failed to run")]
    if message:
        parts.append(text(f" ({message[:60]}{'…' if len(message) > 60 else ''})"))
    if len(failed) > 1:
        parts.append(text(f" and {len(failed) - 1} more"))
    worst = _worst(rows, "regression")
    if worst is not None:
        parts += [
            text(f" · {_plural(comparison.regressions, 'regression')}, worst "),
            *describe(worst),
        ]
    return parts


def _regressed(comparison: Comparison, rows: Sequence[MetricComparison]) -> list[Part]:
    worst = _worst(rows, "regression")
    parts = describe(worst) if worst is not None else [text("regression")]
    more = comparison.regressions - 1
    if more > 0:
        parts.append(text(f" and {_plural(more, 'more regression')}"))
    if comparison.inconclusive:
        parts.append(text(f" · {comparison.inconclusive} undecided"))
    return parts


def _undecided(
    comparison: Comparison, ctx: ReportContext, rows: Sequence[MetricComparison]
) -> list[Part]:
    open_ = _benchmarks(comparison, "inconclusive", rows)
    word = "benchmark" if len(open_) == 1 else "benchmarks"
    parts = [
        text(f"{len(open_)} {word} undecided: "),
        *names(open_),
        text(f" · to settle {'it' if len(open_) == 1 else 'them'}: {advice(comparison, ctx)}"),
    ]
    decided = sum(1 for b in comparison.benchmarks if b.verdict in ("unchanged", "improvement"))
    if decided:  # what one open benchmark must not hide: the others were decided
        parts.append(text(f" · {decided} decided, no regression"))
    return parts


def _passed(comparison: Comparison, rows: Sequence[MetricComparison]) -> list[Part]:
    compared = sum(1 for b in comparison.benchmarks if b.verdict in ("unchanged", "improvement"))
    parts = [text(f"No regression in {_plural(compared, 'benchmark')}")]
    best = _worst(rows, "improvement")
    if best is not None:
        parts += [text(" · "), *describe(best)]
        more = comparison.counts.get("improvement", 0) - 1
        if more > 0:
            parts.append(text(f" and {_plural(more, 'more improvement')}"))
    for verdict in ("new", "removed"):
        if comparison.counts.get(verdict):
            parts.append(text(f" · {comparison.counts[verdict]} {verdict}"))
    return parts


def comparison_headline(
    comparison: Comparison, ctx: ReportContext, rows: Sequence[MetricComparison]
) -> tuple[Part, ...]:
    """The first line of a comparison (see the module docstring); ``rows`` are the changed
    metrics, worst first."""
    status = comparison.status
    if status == "error":
        parts = _errored(comparison, rows)
    elif status == "regression" and ctx.accepted:
        parts = [text("Accepted on purpose: "), *_regressed(comparison, rows)]
        parts.append(text(f" · {ctx.accepted}"))
    elif status == "regression":
        parts = _regressed(comparison, rows)
    elif status == "inconclusive":
        parts = _undecided(comparison, ctx, rows)
    else:
        parts = _passed(comparison, rows)
    return tuple(parts + commits(comparison, ctx))


def run_label(url: str) -> str:
    """``run #123`` from ``…/actions/runs/123``."""
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return f"run #{tail}" if tail.isdigit() else "an earlier run"


def _rounds(comparison: Comparison) -> str:
    counts = sorted({m.rounds for b in comparison.benchmarks for m in b.metrics if m.rounds})
    if not counts:
        return ""
    if len(counts) == 1:
        return f", {numbers.counted(counts[0], 'paired round')}"
    return f", {counts[0]}–{counts[-1]} paired rounds"


def design_line(comparison: Comparison, ctx: ReportContext) -> str:
    """Which design produced the verdict, read from the rows (paired rounds or not), with
    the source the context names: ``same runner, interleaved (paired, …), 24 paired
    rounds`` or ``baseline artifact of run #123 (another runner: unpaired, …)``; files whose
    rounds were not paired say why (``rounds from two different runs: compared unpaired``)."""
    rounds = _rounds(comparison)
    if rounds:
        line = "same runner, interleaved (paired, Wilcoxon signed-rank)" + rounds
        if ctx.design == "files":
            line = f"two results files of one interleaved run: {line}"
    elif comparison.policy.unpaired:
        line = f"two results files with rounds, {comparison.policy.unpaired} (Mann-Whitney)"
    elif ctx.design == "same-runner":
        line = "same runner, interleaved, but no paired rounds in the data (unpaired)"
    elif ctx.design == "artifact" or (not ctx.design and ctx.baseline_run_url):
        run = run_label(ctx.baseline_run_url)
        line = f"baseline artifact of {run} (another runner: unpaired, Mann-Whitney)"
    elif ctx.design == "files":
        line = "two results files (separate runs: unpaired, Mann-Whitney)"
    else:
        line = "two separate blocks of runs (unpaired, Mann-Whitney)"
    if not rounds and unpaired_rows(comparison):
        line += f"; {rule_text(comparison.policy.history)}"
    if any(m.method == EXACT_METHOD for b in comparison.benchmarks for m in b.metrics):
        line += "; instruction counts: exact, no test"
    return f"{line} — {ctx.design_note}" if ctx.design_note else line


def unpaired_rows(comparison: Comparison) -> bool:
    """Whether some gated row was judged as two separate blocks of runs."""
    return any(
        m.method == UNPAIRED_METHOD and m.threshold is not None and not m.rounds
        for b in comparison.benchmarks
        for m in b.metrics
    )


TIMER_NAMES = 4
"""Benchmarks named per timer in the line; the rest are counted."""


def timer_line(comparison: Comparison) -> str:
    """Which time each benchmark's ``duration`` rule gated, grouped: ``CPU time: a, b
    (CPU-bound); wall time less the wait for a CPU: c (waits)``, and the largest share of wall
    time spent waiting for a CPU. ``""`` when no benchmark chose a timer."""
    groups: dict[tuple[str, str], list[str]] = {}
    waited: list[tuple[float, str]] = []
    for bench in comparison.benchmarks:
        choice = bench.timer
        if choice is None:
            continue
        kind = choice.reason.split(",")[0].split(" (")[0]
        groups.setdefault((TIMER_LABELS.get(choice.gated, choice.gated), kind), []).append(
            bench.name
        )
        waited += [(q, bench.name) for q in choice.queued if q is not None]
    if not groups:
        return ""
    parts = [f"{label}: {_named(names)} ({kind})" for (label, kind), names in groups.items()]
    line = "; ".join(parts)
    if waited:
        share, name = max(waited)
        line += f". Up to {share:.0%} of the wall time was spent waiting for a CPU ({name})"
    return line


TIMER_LABELS = {
    "duration": "wall time",
    "cpu_time": "CPU time",
    "active_time": "wall time less the wait for a CPU",
}


def _named(names: list[str]) -> str:
    shown = ", ".join(names[:TIMER_NAMES])
    more = len(names) - TIMER_NAMES
    return f"{shown} and {more} more" if more > 0 else shown
