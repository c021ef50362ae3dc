"""Culprits for change points: on a push with ``bisect-on-change``, each newly confirmed
slowdown whose commit range spans several commits is bisected on this runner.

Why in the action: a change point says "between a1b2c3d and e4f5a6b"; with sparse push runs
that is several commits, and which one is the next question. The push run has the
checkout (with ``fetch-depth: 0``, the commits between) and the runner, so it answers it
with ``aiwf-ci bisect``'s search (``usecases.bisect``), within ``bisect-budget`` shared by
the searches. Each answer is one line among the trend's notes, so the job summary, the
dashboard and the history issue show it. Never a failed build: a search that cannot run
says why in its line.
"""

from __future__ import annotations

import io
from dataclasses import replace

from aiwf_ci.action.job import Job
from aiwf_ci.console.progress import ProgressPrinter
from aiwf_ci.errors import AiwfCIError
from aiwf_ci.history.bisection import steps_to_bisect
from aiwf_ci.history.trend import Series, Step, Trend
from aiwf_ci.models import short_sha
from aiwf_ci.numbers import counted, pct
from aiwf_ci.usecases.bisect import BisectOutcome, BisectRequest, bisect, commit_range

MIN_SEARCH = 10.0
"""Seconds a search gets at least (the shortest time budget of paired rounds)."""


def with_culprits(job: Job, trend: Trend) -> Trend:
    """``trend`` with a note per newly confirmed slowdown: its culprit, or why none."""
    config = job.config
    chosen = steps_to_bisect(trend)
    if not config.bisect_on_change or not chosen:
        return trend
    share = max(MIN_SEARCH, config.bisect_budget / len(chosen))
    lines = [_search(job, series, step, share) for series, step in chosen]
    for line in lines:
        job.console.line(f"aiwf-ci: {line}")
    return replace(trend, notes=(*trend.notes, *lines))


def _search(job: Job, series: Series, step: Step, budget: float) -> str:
    what = (
        f"{series.benchmark} {series.metric} {pct(step.change)} between "
        f"{short_sha(step.before_sha)} and {short_sha(step.after_sha)}"
    )
    workspace = job.config.workspace.resolve()
    try:
        _, revisions = commit_range(workspace, step.before_sha, step.after_sha)
        if len(revisions) == 1:
            only = revisions[0]
            return f"culprit of {what}: {only.short} {only.subject} (the only commit between)"
        outcome = bisect(_request(job, series, step, budget), job.env, _quiet(), _none)
    except AiwfCIError as exc:
        return f"no culprit for {what}: {str(exc).splitlines()[0] if str(exc) else exc}"
    return f"{_found(outcome)} for {what}"


def _request(job: Job, series: Series, step: Step, budget: float) -> BisectRequest:
    workspace = job.config.workspace.resolve()
    return BisectRequest(
        repo=workspace,
        config=job.config.config.resolve().relative_to(workspace),
        good=step.before_sha,
        bad=step.after_sha,
        only=series.benchmark,
        time_budget=budget,
        thresholds=job.config.thresholds or None,
        profile=job.config.profile,
        timer=job.config.timer,
    )


def _found(outcome: BisectOutcome) -> str:
    steps = counted(len(outcome.steps), "step")
    if outcome.state == "found":
        culprit = outcome.candidates[0]
        return f"culprit {culprit.short} {culprit.subject} (bisected in {steps})"
    if outcome.state == "ambiguous":
        names = ", ".join(f"{r.short} {r.subject}" for r in outcome.candidates)
        return f"culprit one of {names} (skipped commits in between; {steps})"
    return f"no regression reproduced on this runner ({steps})"


def _quiet() -> ProgressPrinter:
    """The searches' runs are not shown one by one in the job's log."""
    return ProgressPrinter(io.StringIO(), github_actions=False)


def _none(_step: object) -> None:
    return None
