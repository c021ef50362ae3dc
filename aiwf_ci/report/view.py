"""The report's view model: what every report shows, already sorted, formatted and capped.

Templates only lay out; every decision about *what* to show (the first line, which rows are
changes, which are folded away, in what order, how many fit, how a number is written) is
made here, once, for the PR comment, the job summary, the HTML report and the terminal table
alike. Strings stay raw (unescaped): each output format escapes them its own way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from aiwf_ci import numbers
from aiwf_ci.metrics import BYTES
from aiwf_ci.models import Metric, Results, short_sha
from aiwf_ci.report import sections
from aiwf_ci.report.headline import (
    code,
    comparison_headline,
    design_line,
    names,
    text,
    timer_line,
)
from aiwf_ci.report.rows import ICONS, head_row, metric_row, split_quiet, split_rows
from aiwf_ci.report.trend import trend_lines
from aiwf_ci.report.view_model import (
    FULL,
    Folded,
    Limits,
    Part,
    ReportContext,
    View,
)
from aiwf_ci.verdict.model import (
    EXACT_METHOD,
    VERDICTS,
    Comparison,
    GatePolicy,
    MetricComparison,
    Report,
)

__all__ = ["ICONS", "build_view", "comparison_view", "head_only_view", "split_rows"]

_PLURAL = {"regression": "regressions", "improvement": "improvements"}
ESTIMATE_NOTE = (
    "Base is the baseline's median; head is estimated from it, base × (1 + change), where the "
    "change is the Hodges-Lehmann estimate of head/base{paired}, so the three agree; both "
    "measured medians are under “How sure”."
)


def verdict_line(counts: Mapping[str, int]) -> str:
    parts = [
        f"{counts[v]} {_PLURAL.get(v, v) if counts[v] != 1 else v}"
        for v in VERDICTS
        if counts.get(v)
    ]
    return ", ".join(parts) or "no benchmarks"


def method_text(
    policy: GatePolicy, *, paired: bool = False, unpaired: bool = True, exact: bool = False
) -> str:
    """The gate in one paragraph, for the designs that produced the rows shown."""
    counted = (
        " Instruction counts checked to repeat are compared exactly: a change beyond the "
        "threshold is a regression, no test needed."
        if exact
        else ""
    )
    if exact and not (paired or unpaired):
        return (
            counted.strip() + " Metrics without a threshold are reported but never fail the build."
        )
    tests = []
    if unpaired:
        tests.append(
            f"Mann-Whitney U two-sided p < {policy.alpha:g} with Moses' {policy.confidence:.0%} "
            f"interval on the worse side (at least {policy.min_samples} samples per side"
            + (_SPREAD_TEXT if policy.history is not None else _NO_HISTORY_TEXT)
            + ")"
        )
    if paired:
        tests.append(_paired_text(policy))
    return (
        "Regression = the estimated change beyond the threshold and significant: "
        f"{'; '.join(tests)}."
        f"{counted} Metrics without a threshold are reported but never fail the build."
    )


_SPREAD_TEXT = (
    "; head's median beyond the run-to-run spread the base side's history allows one new run, "
    "else the whole interval beyond the threshold"
)
_NO_HISTORY_TEXT = "; separate runs without history: the whole interval beyond the threshold"


def _paired_text(policy: GatePolicy) -> str:
    """The paired gate in words: the margin its interval must clear and its error rate."""
    design = policy.design
    margin = f"{design.margin:.0%} of the threshold" if design.margin else "no change"
    text = (
        "for paired rounds, Wilcoxon signed-rank under the run's stopping rule, its interval "
        f"beyond {margin} (false-alarm rate {design.alpha:g} per metric over all its looks"
    )
    if policy.holm_alpha:
        text += f"; Holm's procedure across {len(policy.holm_alpha)} metrics: {design.alpha:g}"
        text += " for the whole suite"
    return text + ")"


def _levels(rows: Sequence[MetricComparison]) -> list[float]:
    return sorted({round(r.ci_level, 6) for r in rows if r.ci is not None})


def change_label(rows: Sequence[MetricComparison]) -> str:
    """``Change (95% CI)`` when every interval shown has that level, else ``Change (CI)``."""
    levels = _levels(rows)
    if not levels:
        return "Change"
    return f"Change ({numbers.level(levels[0])} CI)" if len(levels) == 1 else "Change (CI)"


def notes(rows: Sequence[MetricComparison]) -> tuple[str, ...]:
    """The footnotes the tables need: the estimate, and interval levels when they differ."""
    paired = any(r.rounds for r in rows)
    out = [ESTIMATE_NOTE.format(paired=" (paired rows: of the per-round ratios)" if paired else "")]
    levels = _levels(rows)
    if len(levels) > 1:
        shown = ", ".join(numbers.level(x) for x in levels)
        out.append(
            f"Intervals: {shown}. Unpaired rows use {numbers.level(0.95)}; a paired row's "
            "interval has the confidence its stopping rule kept for the look that decided."
        )
    return tuple(out)


def _sections(view: View, head: Results, baseline: Results | None, limits: Limits) -> View:
    """Fill in what both kinds of report show: alerts, latency, errors, footer."""
    alerts, omit_a = sections.alerts(head.benchmarks, limits)
    latency, omit_l = sections.latency(head, baseline, limits)
    errors, omit_e = sections.errors(head, limits)
    return replace(
        view,
        alerts=tuple(alerts),
        omitted_alerts=omit_a,
        latency=tuple(latency),
        omitted_latency=omit_l,
        profiles=tuple(sections.profiles(head)),
        errors=tuple(errors),
        omitted_errors=omit_e,
        error_chars=limits.error_chars,
        footer=sections.footer(view.context.api_stats),
        shortened=limits != FULL,
    )


# --- the two kinds of report ---------------------------------------------------------------


def comparison_view(comparison: Comparison, ctx: ReportContext, limits: Limits = FULL) -> View:
    changed, unchanged = split_rows(comparison.benchmarks)
    quiet, folded = split_quiet(unchanged)
    keep_c, omit_c = sections.cap(changed, limits.changed)
    keep_u, omit_u = sections.cap(quiet, limits.unchanged)
    keep_f, _ = sections.cap(folded, limits.unchanged)
    counts = {str(k): v for k, v in comparison.counts.items()}
    status = _status(counts)
    if status == "regression" and ctx.accepted:
        status = "pass"  # accepted on purpose: shown, audited, not failing
    shown = [*changed[:keep_c], *quiet[:keep_u]]
    view = View(
        suite=comparison.suite,
        status=status,
        icon=ICONS[status] if status != "pass" else "✅",
        verdict_line=verdict_line(counts),
        headline=comparison_headline(comparison, ctx, changed),
        design_line=design_line(comparison, ctx),
        timer_line=timer_line(comparison),
        thresholds_line=thresholds_line(comparison, ctx),
        has_baseline=True,
        context=ctx,
        changed=tuple(metric_row(m) for m in changed[:keep_c]),
        omitted_changed=omit_c,
        unchanged=tuple(metric_row(m) for m in quiet[:keep_u]),
        folded=tuple(folded[:keep_f]),
        omitted_unchanged=omit_u + len(folded) - keep_f,
        warnings=(*comparison.warnings, *ctx.warnings),
        ci_label=f"{comparison.policy.confidence:.0%} CI",
        change_label=change_label(shown),
        notes=notes(shown),
        method=method_text(
            comparison.policy,
            paired=any(m.rounds and m.method != EXACT_METHOD for m in shown),
            unpaired=any(not m.rounds and m.method != EXACT_METHOD for m in shown) or not shown,
            exact=any(m.method == EXACT_METHOD for m in shown),
        ),
        benchmarks=len(comparison.benchmarks),
        trend_lines=trend_lines(changed[:keep_c], ctx.trend),
        trend_runs=ctx.trend.runs if ctx.trend else 0,
    )
    return _sections(view, comparison.head, comparison.baseline, limits)


def thresholds_line(comparison: Comparison, ctx: ReportContext) -> str:
    """``duration +10%, instructions +10% (from duration), … — recorded in the head results``."""
    rules = comparison.rules.describe()
    return f"{rules} — {ctx.thresholds_source}" if ctx.thresholds_source else rules


def _status(counts: Mapping[str, int]) -> str:
    for verdict in ("errored", "regression", "inconclusive"):
        if counts.get(verdict):
            return verdict
    return "pass"


def _head_headline(head: Results, ctx: ReportContext) -> tuple[Part, ...]:
    failed = [b.name for b in head.benchmarks if b.failed]
    measured = numbers.counted(len(head.benchmarks), "benchmark")
    parts: list[Part] = [text(f"No baseline: {measured} measured")]
    if failed:
        parts += [text(f", {len(failed)} errored ("), *names(failed), text(")")]
    sha = short_sha(ctx.head_sha or head.commit.sha)
    if sha:
        parts += [text(" · head "), code(sha)]
    return tuple(parts)


def _all_zero(metric: Metric) -> bool:
    """A size that was 0 in every sample (``memory_gc_freed`` of a callable without cycles)."""
    return metric.unit == BYTES and bool(metric.samples) and not any(metric.samples)


def head_only_view(head: Results, ctx: ReportContext, limits: Limits = FULL) -> View:
    """No baseline: the head's numbers and the reason there is nothing to compare with."""
    measured = [
        (b.name, n, m) for b in head.benchmarks if not b.failed for n, m in b.metrics.items()
    ]
    kept = [head_row(b, n, m) for b, n, m in measured if not _all_zero(m)]
    zero = [Folded(benchmark=b, metric=n, reason="0 B in every sample")
            for b, n, m in measured if _all_zero(m)]  # fmt: skip
    keep, omitted = sections.cap(kept, limits.unchanged)
    errored = sum(1 for b in head.benchmarks if b.failed)
    line = f"No baseline: {numbers.counted(len(head.benchmarks), 'benchmark')} measured"
    view = View(
        suite=head.suite,
        status="errored" if errored else "no-baseline",
        icon="💥" if errored else "ℹ️",
        verdict_line=f"{line}, {errored} errored" if errored else line,
        headline=_head_headline(head, ctx),
        has_baseline=False,
        context=ctx,
        unchanged=tuple(kept[:keep]),
        folded=tuple(zero) if limits.unchanged is None else (),
        omitted_unchanged=omitted,
        warnings=ctx.warnings,
        benchmarks=len(head.benchmarks),
    )
    return _sections(view, head, None, limits)


def build_view(report: Report, ctx: ReportContext, limits: Limits = FULL) -> View:
    """The view of a comparison, or of head results alone when there is no baseline."""
    if report.comparison is not None:
        return comparison_view(report.comparison, ctx, limits)
    return head_only_view(report.head, ctx, limits)
