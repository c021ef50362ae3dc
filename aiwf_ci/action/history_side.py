"""The base branch's history in the action: what a push run adds, and what a pull request
may use.

- **On a push** (``history-runs`` > 0): the branch's last push runs (their results
  artifacts) plus this run's own results make the trend; its change points go into the job
  summary, the whole suite's dashboard into ``results-dir/dashboard.html`` (upload it as an
  artifact or publish it to Pages), and, with ``history-issue``, into one issue per suite kept
  up to date; with ``bisect-on-change``, a newly confirmed slowdown over several commits is
  bisected for its culprit (``action.culprits``). Never a failed build on history alone: any
  problem is a warning.
- **On a pull request** with ``pooled-baseline: K`` and the artifact baseline: the last K
  like-machine push runs after the latest change point, pooled, are the baseline (one stored
  run is too noisy a reference), and the trend goes into the report.
- **Separate runs judged by their spread**: a pull request compared with the artifact or
  pooled baseline, and a push compared with the previous push, hand the base branch's last
  push runs since the latest change point (at most ``SPREAD_RUNS`` of ``history-runs``, or
  those the pooled baseline read) to the unpaired gate, which learns each metric's
  run-to-run spread from them (``verdict.spread``). Without them it needs a change's whole
  interval beyond the threshold. The comment side of a fork's pair fetches them the same
  way, with its own token (``spread_runs``), never from the fork's artifact.
- **Accepting a regression on purpose**: the ``accept-label`` on the pull request (in the
  event and, read again, still there) turns a regression into a pass, with an audit line
  (who added the label, when, or why that is unknown).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiwf_ci.action.culprits import with_culprits
from aiwf_ci.action.inputs import ActionConfig
from aiwf_ci.action.job import Job
from aiwf_ci.action.output import Console
from aiwf_ci.errors import AiwfCIError
from aiwf_ci.github.client import GitHubClient
from aiwf_ci.github.history import fetch_history
from aiwf_ci.github.issues import (
    LabelEvent,
    current_labels,
    label_event,
    upsert_history_issue,
)
from aiwf_ci.history.trend import RunPoint, Trend, build_trend, pooled_baseline
from aiwf_ci.models import Results, write_text_atomic
from aiwf_ci.report import (
    history_marker,
    render_dashboard,
    render_history_issue,
    render_history_summary,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PushHistory:
    """What a push run's history produced: the trend and its summary section (the dashboard
    and the tracking issue are written on the way)."""

    trend: Trend
    summary: str


SPREAD_RUNS = 10
"""Push runs the unpaired gate learns the run-to-run spread from, within ``history-runs``:
enough for its prediction interval (``verdict.spread.MIN_HISTORY`` is 5), and few downloads
for a pull request that fell back to the artifact baseline (a warm cache downloads none)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredRuns:
    """The branch's stored runs of one suite, oldest first, and notes on those left out."""

    points: list[RunPoint]
    notes: tuple[str, ...] = ()


def points_of(
    config: ActionConfig, client: GitHubClient, branch: str, suite: str, points: int | None = None
) -> StoredRuns:
    """The branch's stored runs of ``suite``, oldest first (``points``, else what
    ``history-runs`` asks for)."""
    history = fetch_history(
        client,
        branch=branch,
        name=config.baseline_artifact,
        suite=suite,
        points=config.history_runs if points is None else points,
    )
    found = [
        RunPoint(
            sha=p.sha,
            run_id=p.run_id,
            created_at=p.created_at.isoformat() if p.created_at else "",
            results=p.results,
        )
        for p in history.points
    ]
    return StoredRuns(points=found, notes=history.notes)


def _history(
    job: Job, wanted: int, suite: str, points: int | None = None, branch: str | None = None
) -> StoredRuns | None:
    """The base branch's (``branch``, else the plan's) stored runs of ``suite`` when
    ``wanted`` (an input) asks for them and they can be had; a failure is a warning, never
    the build's."""
    branch = branch or job.plan.base_branch
    if wanted <= 0 or job.client is None or not branch:
        return None
    try:
        return points_of(job.config, job.client, branch, suite, points)
    except AiwfCIError as exc:
        job.console.annotate("warning", f"history not available: {exc}", title="aiwf-ci")
        return None


def push_history(job: Job, head: Results) -> PushHistory | None:
    """The trend with this run's results as its newest point; ``None`` (with a warning when
    something failed) when there is no history to build."""
    config = job.config
    stored = _history(job, config.history_runs, head.suite)
    if stored is None:
        return None
    own = RunPoint(sha=config.sha, run_id=config.run_id or 0, created_at="", results=head)
    trend = build_trend([*_without(stored.points, config.sha), own], notes=stored.notes)
    trend = with_culprits(job, trend)
    write_text_atomic(config.results_dir / "dashboard.html", render_dashboard(trend))
    if config.history_issue and job.client is not None:
        _issue(job.client, job.console, trend)
    return PushHistory(trend=trend, summary=render_history_summary(trend))


def _without(points: Sequence[RunPoint], sha: str) -> list[RunPoint]:
    """A re-run of this very commit must not count twice."""
    return [p for p in points if not sha or p.sha != sha]


def _issue(client: GitHubClient, console: Console, trend: Trend) -> None:
    marker = history_marker(trend.suite)
    try:
        outcome = upsert_history_issue(
            client,
            title=f"Benchmark history: {trend.suite}"[:200],
            body=render_history_issue(trend, marker=marker),
            marker=marker,
        )
    except AiwfCIError as exc:
        console.annotate("warning", f"could not update the history issue: {exc}", title="aiwf-ci")
        return
    console.line(f"aiwf-ci: history issue {outcome.action}: {outcome.html_url}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Pooled:
    """The pooled baseline, the trend it came from and the runs (oldest first) whose
    run-to-run spread the unpaired gate learns."""

    baseline: Results
    trend: Trend
    runs: tuple[Results, ...]


def pooled_artifact_baseline(job: Job, suite: str) -> Pooled | None:
    """With ``pooled-baseline: K``: the pooled baseline of ``suite``, its trend and its
    runs."""
    stored = _history(job, job.config.pooled_baseline, suite)
    if stored is None:
        return None
    pooled = pooled_baseline(stored.points, job.config.pooled_baseline)
    if pooled is None:
        return None
    trend = build_trend(stored.points, notes=stored.notes)
    runs = _stable(_without(stored.points, job.config.sha))
    return Pooled(baseline=pooled, trend=trend, runs=runs)


def spread_runs(
    job: Job, suite: str, *, branch: str | None = None, own_sha: str | None = None
) -> tuple[Results, ...]:
    """The base branch's last push runs of ``suite`` (at most ``SPREAD_RUNS``, within
    ``history-runs``), oldest first, without those of ``own_sha`` (this commit's, by
    default): empty when history is off or not to be had. ``branch`` when the plan knows
    none (the comment side of a fork's pair reads it from the pull request)."""
    wanted = min(job.config.history_runs, SPREAD_RUNS)
    stored = _history(job, wanted, suite, wanted, branch)
    own = job.config.sha if own_sha is None else own_sha
    return _stable(_without(stored.points if stored else [], own))


def _stable(points: Sequence[RunPoint]) -> tuple[Results, ...]:
    """The runs since the latest change point of any metric: a step in the level (a change
    merged on the branch) is no run-to-run spread."""
    if not points:
        return ()
    trend = build_trend(points)
    starts = [s.points[s.steps[-1].index] for s in trend.series if s.steps]
    return tuple(p.results for p in points[max(starts, default=0) :])


def acceptance(job: Job) -> str:
    """The audit line when the pull request carries the acceptance label, else ``""``.

    The event's labels are as old as the event, so with a token the labels are read again:
    a label removed since accepts nothing, and when they cannot be read nothing is accepted
    (a warning says why). Who added the label comes from the PR's events; when those cannot
    be read the regression is still accepted, and the audit line says who and when are
    unknown and why — never an acceptance without one."""
    label = job.config.accept_label
    pr = job.plan.pr_number
    if not label or pr is None or label not in labels_of(job.config.event):
        return ""
    if job.client is None:
        return audit_line(label, None, "no github-token to read the labels and events")
    try:
        still_on = label in current_labels(job.client, pr)
    except AiwfCIError as exc:
        job.console.annotate(
            "warning", f"regression not accepted: could not read the labels now: {exc}"
        )
        return ""
    if not still_on:
        job.console.line(f"aiwf-ci: label {label!r} was removed since the event: not accepted")
        return ""
    try:
        event = label_event(job.client, pr, label)
    except AiwfCIError as exc:
        job.console.annotate("warning", f"could not read who added {label!r}: {exc}")
        return audit_line(label, None, "events not readable")
    return audit_line(label, event, "no labeled event found")


def audit_line(label: str, event: LabelEvent | None, unknown: str) -> str:
    """Pure: the audit line of an accepted regression; ``unknown`` says why who and when are
    not known when there is no ``event``."""
    if event is None:
        return f"accepted by label {label!r} (who/when unknown: {unknown})"
    return f"label {label!r} added by @{event.actor} at {event.at}"


def labels_of(event: Mapping[str, Any]) -> set[str]:
    """The pull request's labels as the event carried them."""
    pull = event.get("pull_request") or {}
    labels = pull.get("labels") if isinstance(pull, Mapping) else None
    if not isinstance(labels, list):
        return set()
    return {str(x.get("name")) for x in labels if isinstance(x, Mapping) and x.get("name")}
