"""The report's data shapes: the context a report is rendered in (where the results came
from), how much detail fits, and the view model the templates lay out. Kept apart from
``view``, which builds these values, so templates and renderers can name them cheaply."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from aiwf_ci.history.trend import Trend
from aiwf_ci.numbers import counted


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportContext:
    """Everything a report shows that is not in the results: where they came from."""

    suite: str = ""
    head_sha: str = ""
    head_ref: str = ""
    baseline_sha: str = ""
    baseline_ref: str = ""
    baseline_run_url: str = ""
    run_url: str = ""
    html_report_url: str = ""
    no_baseline_reason: str = ""
    api_stats: Mapping[str, float] | None = None
    warnings: tuple[str, ...] = ()
    design: str = ""
    """How the baseline was measured: ``same-runner`` (interleaved on this runner, paired),
    ``artifact`` (a previous run's artifact, unpaired) or ``files`` (two results files, CLI);
    empty: inferred from the data (paired rounds or not)."""
    design_note: str = ""
    """Free text shown with the design, e.g. why same-runner fell back to the artifact."""
    thresholds_source: str = ""
    """Where the threshold rules came from (``recorded in the head results``, ``--config
    bench.yml``, ``the config .aiwf/bench.yml + the thresholds input``), shown with them."""
    accepted: str = ""
    """The audit line when a regression was accepted on purpose (a pull request label)."""
    trend: Trend | None = None
    """The base branch's recent history: when given, each changed metric gets a trend line
    in the comment and every metric a trend chart in the HTML report."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """How much detail fits: rows per table, alerts, characters of each error message."""

    changed: int | None = None
    unchanged: int | None = None
    alerts: int | None = None
    latency: int | None = None
    errors: int | None = None
    error_chars: int | None = 4000
    items_per_alert: int = 10


FULL = Limits()


PartKind = Literal["text", "code"]
Part = tuple[PartKind, str]
"""A piece of a sentence: plain text, or a name shown as code (a benchmark, a commit)."""


def plain_text(parts: tuple[Part, ...]) -> str:
    """The sentence without markup (terminal, HTML ``<title>``, logs)."""
    return "".join(text for _, text in parts)


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    """One metric of one benchmark, formatted. ``baseline`` is the baseline's median and
    ``head`` the head estimated from it (``baseline × (1 + change)``), so the two columns
    agree with ``change``; ``medians`` has both measured medians."""

    benchmark: str
    metric: str
    verdict: str
    icon: str
    baseline: str
    head: str
    change: str
    interval: str
    p_value: str
    threshold: str
    note: str
    confidence: str
    statement: str
    label: str = ""
    medians: str = ""
    test: str = ""
    paired: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Folded:
    """A metric that cannot change or cannot be compared (0 B on both sides, a baseline of
    zero, ±0.0% of memory): one short item instead of a table row."""

    benchmark: str
    metric: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertView:
    benchmark: str
    kind: str
    metric: str
    message: str
    sites: tuple[tuple[str, str], ...] = ()
    types: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class LatencyView:
    benchmark: str
    percentiles: tuple[tuple[str, str, str, str], ...]  # label, baseline, head, change
    status_codes: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProfileRow:
    """One function of a profile difference, formatted; ``bar`` is its self change as a
    share of the largest one in the table, 0-100, for the HTML report's bars."""

    function: str
    self_change: str
    share: str
    inclusive_change: str
    bar: int
    worse: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ProfileView:
    """Where a benchmark's change is, by one measure (instructions or time)."""

    benchmark: str
    measure: str
    whole: str
    rows: tuple[ProfileRow, ...]
    note: str = ""
    files: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorView:
    benchmark: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TrendLine:
    """A changed metric's recent history on the base branch, in one line of text."""

    benchmark: str
    metric: str
    spark: str
    """The last runs as Unicode blocks (``▁▂▃▄▅▆▇█``), oldest first, on one scale with
    ``head_spark``."""
    head_spark: str
    """This PR's median on the same scale (one block), or empty."""
    runs: int
    span: str
    """The lowest and highest of those runs: ``1.00 ms … 1.25 ms``."""
    last_step: str
    """The latest change point's ``describe()``, or empty."""


@dataclass(frozen=True, slots=True, kw_only=True)
class View:
    """The whole report, ready for a template."""

    suite: str
    status: str
    icon: str
    verdict_line: str
    """The counts: ``5 regressions, 1 errored, 2 inconclusive``."""
    has_baseline: bool
    context: ReportContext
    headline: tuple[Part, ...] = ()
    """The first line: what matters most, named (see ``headline``)."""
    design_line: str = ""
    timer_line: str = ""
    """Which time gated each benchmark (``verdict.timer``), grouped."""
    thresholds_line: str = ""
    """The threshold rules the verdict judged by, and where they came from."""
    changed: tuple[Row, ...] = ()
    unchanged: tuple[Row, ...] = ()
    folded: tuple[Folded, ...] = ()
    omitted_changed: int = 0
    omitted_unchanged: int = 0
    alerts: tuple[AlertView, ...] = ()
    omitted_alerts: int = 0
    latency: tuple[LatencyView, ...] = ()
    profiles: tuple[ProfileView, ...] = ()
    omitted_latency: int = 0
    errors: tuple[ErrorView, ...] = ()
    omitted_errors: int = 0
    error_chars: int | None = None
    warnings: tuple[str, ...] = ()
    ci_label: str = "95% CI"
    change_label: str = "Change (95% CI)"
    notes: tuple[str, ...] = ()
    method: str = ""
    footer: tuple[tuple[str, str], ...] = ()
    benchmarks: int = 0
    shortened: bool = False
    trend_lines: tuple[TrendLine, ...] = ()
    trend_runs: int = 0

    @property
    def headline_text(self) -> str:
        return plain_text(self.headline) or self.verdict_line

    @property
    def quiet(self) -> int:
        """Metrics folded away: unchanged rows (shown or cut) and not comparable ones."""
        return len(self.unchanged) + self.omitted_unchanged + len(self.folded)

    @property
    def quiet_summary(self) -> str:
        """``1 metric unchanged or not comparable``, ``12 measured metrics``."""
        if self.has_baseline:
            return f"{counted(self.quiet, 'metric')} unchanged or not comparable"
        return counted(self.quiet, "measured metric")
