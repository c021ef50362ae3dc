"""The benchmark side of the action: run the suite, find the baseline, compare, report.

Used for ``push``, ``pull_request`` and ``mode: run``. A missing baseline is never a failure
(status ``no-baseline``, exit 0); a failed PR comment is a warning (the job summary still
has the report); only bad input (2), a failed benchmark (3) or a regression (1) fail the step.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from aiwf_ci.action.baseline import Measured, measure
from aiwf_ci.action.history_side import PushHistory, acceptance, push_history
from aiwf_ci.action.job import Job
from aiwf_ci.action.output import (
    COMMENT_SCHEMA,
    ActionResult,
    append_summary,
    emit_annotations,
    head_annotations,
    post_check_run,
    post_comment,
    regression_annotations,
    set_outputs,
    write_json,
)
from aiwf_ci.config import SuiteConfig
from aiwf_ci.console.calibration import calibration_text
from aiwf_ci.console.progress import ProgressPrinter
from aiwf_ci.errors import AiwfCIError
from aiwf_ci.github.comments import prepare_body
from aiwf_ci.history.trend import Trend
from aiwf_ci.models import results_to_dict, write_results, write_text_atomic
from aiwf_ci.models.calibration import dumps_calibration, load_calibration
from aiwf_ci.report import ReportContext, render_comment, render_html, render_summary
from aiwf_ci.report.checks import plan_check_run
from aiwf_ci.usecases import exit_code, load_suite, threshold_rules
from aiwf_ci.usecases.calibrate import CalibrateRequest, calibrate
from aiwf_ci.verdict.compare import compare
from aiwf_ci.verdict.model import GatePolicy, Report
from aiwf_ci.verdict.reach import below_floor
from aiwf_ci.verdict.rules_json import other_rules_note, record_rules, rules_to_dict
from aiwf_ci.verdict.spread import learn_history
from aiwf_ci.verdict.thresholds import ThresholdRules

Locations = tuple[str, dict[str, int]]
"""The suite config's path in the repository and each benchmark's line in it."""

FOOTER_STATS = ("requests_sent", "cache_hits", "not_modified", "hit_rate", "rate_limit_remaining")


def run_side(job: Job) -> ActionResult:
    config = job.config
    suite = load_suite(config.config, job.env, config.profile, timer=config.timer)
    rules = threshold_rules(suite, config.thresholds)
    measured = measure(job, suite, rules)
    measured = replace(measured, head=record_rules(measured.head, rules))
    results_path = write_results(measured.head, config.results_dir / "results.json")
    report, context, history = _report(job, measured, rules)
    body = prepare_body(measured.head.suite, render_comment(report, context))  # as posted
    report_path = write_text_atomic(config.results_dir / "report.md", body)
    write_text_atomic(config.results_dir / "report.html", render_html(report, context))
    append_summary(config.summary_path, render_summary(report, context))
    if history is not None:
        append_summary(config.summary_path, history.summary)
    locations = config_locations(job, suite)
    if job.plan.write_comment_json:
        _write_comment_json(job, measured, rules, body, locations)
    comment_url = _post(job, measured.head.suite, body)
    _check_run(job, report, context, body, locations)
    if config.calibrate and config.event_name == "push":
        _calibrate(job, suite, rules)
    emit_annotations(job.console, [*regression_annotations(report), *head_annotations(report.head)])
    outputs = {
        "status": report.status,
        "regressions": str(report.regressions),
        "results-path": str(results_path),
        "report-path": str(report_path),
        "comment-url": comment_url,
    }
    set_outputs(config.output_path, outputs)
    job.console.line(f"aiwf-ci: status {report.status}")
    code = exit_code(
        report.status,
        fail_on_regression=config.fail_on_regression,
        fail_on_inconclusive=config.fail_on_inconclusive,
    )
    return ActionResult(status=report.status, exit_code=code, outputs=outputs)


def _calibrate(job: Job, suite: SuiteConfig, rules: ThresholdRules) -> None:
    """``calibrate: true`` on a push: the suite against itself (``usecases.calibrate``),
    ``calibration.json`` in the results folder (uploaded with the results), the table in a
    folded group. A calibration that fails is a warning, never the step's failure."""
    config = job.config
    request = CalibrateRequest(
        config=suite,
        root=config.workspace.resolve(),
        rules=rules,
        shard=config.shard,
        cache_dir=config.cache_dir,
        time_budget=config.time_budget,
    )
    printer = ProgressPrinter(job.console.stream, github_actions=True)
    try:
        outcome = calibrate(request, job.env, printer)
    except AiwfCIError as exc:
        job.console.annotate("warning", f"calibration failed: {exc}", title="aiwf-ci calibrate")
        return
    path = config.results_dir / "calibration.json"
    write_text_atomic(path, dumps_calibration(outcome.calibration))
    job.console.folded(
        "aiwf-ci calibrate: this runner's reach", calibration_text(outcome.calibration)
    )
    job.console.line(f"aiwf-ci: wrote {path}")


def _report(
    job: Job, measured: Measured, rules: ThresholdRules
) -> tuple[Report, ReportContext, PushHistory | None]:
    """The verdict (a regression accepted by the PR's label, if so), the context it is
    rendered in, and on a push the branch's history with this run as its newest point."""
    head, baseline = measured.head, measured.baseline
    history = learn_history(measured.history, head) if measured.history else None
    policy = GatePolicy(history=history)
    comparison = compare(baseline.results, head, rules, policy=policy) if baseline else None
    accepted = ""
    if comparison is not None and comparison.status == "regression":
        with job.api_phase("acceptance label"):
            accepted = acceptance(job)
    report = Report(head=head, comparison=comparison, accepted=accepted)
    with job.api_phase("history"):
        pushed = push_history(job, head) if not job.plan.pr_number else None
    context = report_context(job, measured, pushed.trend if pushed else None, accepted)
    if comparison is not None:
        source = rules_source(job)
        note = other_rules_note(comparison.baseline, rules, source)
        found = (note,) if note else ()
        warnings = (*context.warnings, *found, *reach_warnings(job, measured, rules))
        context = replace(context, thresholds_source=source, warnings=warnings)
    return report, context, pushed


def reach_warnings(job: Job, measured: Measured, rules: ThresholdRules) -> tuple[str, ...]:
    """A warning per threshold below what the base branch's runner can detect, from the
    ``calibration.json`` a push run kept beside its results (``calibrate: true``) in the
    baseline's artifact; nothing when there is none. A file that cannot be read is a log
    line, never the report's problem."""
    folder = measured.baseline.folder if measured.baseline else None
    path = folder / "calibration.json" if folder else None
    if path is None or not path.is_file():
        return ()
    try:
        return below_floor(load_calibration(path), rules)
    except AiwfCIError as exc:
        job.console.line(f"aiwf-ci: the baseline's calibration.json is not used: {exc}")
        return ()


def rules_source(job: Job) -> str:
    """Where the run's threshold rules came from, for the report's thresholds line."""
    config = job.config
    try:
        path = config.config.resolve().relative_to(config.workspace.resolve())
    except ValueError:
        path = config.config
    inputs = " + the thresholds input" if config.thresholds else ""
    return f"the config {path}{inputs}"


def report_context(
    job: Job, measured: Measured, trend: Trend | None = None, accepted: str = ""
) -> ReportContext:
    config = job.config
    run_url = ""
    if config.repository and config.run_id:
        run_url = f"{config.server_url}/{config.repository}/actions/runs/{config.run_id}"
    stats = job.client.stats().as_dict() if job.client is not None else {}
    head, baseline = measured.head, measured.baseline
    return ReportContext(
        suite=head.suite,
        head_sha=head.commit.sha,
        head_ref=head.commit.ref,
        baseline_sha=baseline.head_sha if baseline else "",
        baseline_run_url=baseline.run_url if baseline else "",
        run_url=run_url,
        no_baseline_reason=measured.reason,
        design=measured.design,
        design_note=measured.note,
        trend=trend or measured.trend,
        accepted=accepted,
        api_stats={k: v for k, v in stats.items() if k in FOOTER_STATS and v is not None} or None,
    )


def config_locations(job: Job, suite: SuiteConfig) -> Locations:
    """The suite config's path in the repository (``""`` when it lies outside the workspace)
    and each benchmark's line in it: where the check run's annotations point."""
    config = job.config
    try:
        path = config.config.resolve().relative_to(config.workspace.resolve()).as_posix()
    except ValueError:
        path = ""
    return path, {bench.name: bench.line for bench in suite.benchmarks if bench.line > 0}


def _check_run(
    job: Job, report: Report, context: ReportContext, body: str, locations: Locations
) -> str:
    plan, client = job.plan, job.client
    if not plan.check_run or plan.head_sha is None or client is None:
        return ""
    path, lines = locations
    check = plan_check_run(report, context, body, path=path, lines=lines)
    return post_check_run(
        client, job.config.repository, plan.head_sha, check, job.console, job.config.summary_path
    )


def _write_comment_json(
    job: Job, measured: Measured, rules: ThresholdRules, body: str, locations: Locations
) -> Path:
    """What the ``workflow_run`` side needs to post the report without running PR code."""
    folder, baseline = job.config.results_dir, measured.baseline
    if baseline is not None:
        write_json(folder / "baseline.json", results_to_dict(baseline.results))
    pull = job.config.event.get("pull_request") or {}
    data = {
        "schema": COMMENT_SCHEMA,
        "pr_number": job.plan.pr_number,
        "suite": measured.head.suite,
        "head_sha": pull.get("head", {}).get("sha", ""),
        "baseline": {
            "sha": baseline.head_sha if baseline else "",
            "run_url": baseline.run_url if baseline else "",
            "reason": measured.reason,
            "design": measured.design,
            "note": measured.note,
        },
        "thresholds": rules_to_dict(rules),
        "check": {"path": locations[0], "lines": locations[1]},
        "body": body,
    }
    return write_json(folder / "comment.json", data)


def _post(job: Job, suite: str, body: str) -> str:
    plan = job.plan
    if not plan.post_comment or plan.pr_number is None:
        return ""
    if job.client is None:
        job.console.annotate("warning", "no GitHub token: the report is in the job summary only")
        return ""
    with job.api_phase("comment"):
        return post_comment(
            job.client, job.config.repository, plan.pr_number, suite, body, job.console
        )
