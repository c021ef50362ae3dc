"""The report's data shapes: the context a report is rendered in (where the results came
from), how much detail fits, and the view model the templates lay out. Kept apart from
``view``, which builds these values, so templates and renderers can name them cheaply."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


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


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    """One metric of one benchmark, formatted."""

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
class ErrorView:
    benchmark: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class View:
    """The whole report, ready for a template."""

    suite: str
    status: str
    icon: str
    verdict_line: str
    has_baseline: bool
    context: ReportContext
    changed: tuple[Row, ...] = ()
    unchanged: tuple[Row, ...] = ()
    omitted_changed: int = 0
    omitted_unchanged: int = 0
    alerts: tuple[AlertView, ...] = ()
    omitted_alerts: int = 0
    latency: tuple[LatencyView, ...] = ()
    omitted_latency: int = 0
    errors: tuple[ErrorView, ...] = ()
    omitted_errors: int = 0
    error_chars: int | None = None
    warnings: tuple[str, ...] = ()
    ci_label: str = "95% CI"
    method: str = ""
    footer: tuple[tuple[str, str], ...] = ()
    benchmarks: int = 0
    shortened: bool = False
