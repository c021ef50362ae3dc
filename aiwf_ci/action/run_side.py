"""The benchmark side of the action: run the suite, find the baseline, compare, report.

Used for ``push``, ``pull_request`` and ``mode: run``. A missing baseline is never a failure
(status ``no-baseline``, exit 0); a failed PR comment is a warning (the job summary still
has the report); only bad input (2), a failed benchmark (3) or a regression (1) fail the step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from aiwf_ci.action.history_side import acceptance, pooled_artifact_baseline, push_history
from aiwf_ci.action.inputs import ActionConfig
from aiwf_ci.action.output import (
    COMMENT_SCHEMA,
    ActionResult,
    Console,
    append_summary,
    emit_annotations,
    head_annotations,
    post_comment,
    regression_annotations,
    set_outputs,
    write_json,
)
from aiwf_ci.action.plan import Plan
from aiwf_ci.action.same_runner import measure_same_runner
from aiwf_ci.config import SuiteConfig
from aiwf_ci.console.progress import ProgressPrinter
from aiwf_ci.errors import BaselineError
from aiwf_ci.github.baseline import (
    ArtifactBaselineStore,
    Baseline,
    BaselineQuery,
    workflow_file_from_ref,
)
from aiwf_ci.github.client import GitHubClient
from aiwf_ci.history.trend import Trend
from aiwf_ci.models import Results, results_to_dict, write_results, write_text_atomic
from aiwf_ci.report import ReportContext, render_comment, render_html, render_summary
from aiwf_ci.run.runner import run_suite
from aiwf_ci.run.selection import select
from aiwf_ci.usecases import exit_code, load_suite, ready_tree, run_options, threshold_rules
from aiwf_ci.verdict.compare import compare, unrelated
from aiwf_ci.verdict.model import Report
from aiwf_ci.verdict.rules_json import rules_to_dict
from aiwf_ci.verdict.thresholds import ThresholdRules

FOOTER_STATS = ("requests_sent", "cache_hits", "not_modified", "hit_rate", "rate_limit_remaining")


@dataclass(frozen=True, slots=True, kw_only=True)
class Measured:
    """Head's results and what they are compared with: the base commit measured on this
    runner (``same-runner``), a previous run's artifact (``artifact``), or nothing (with the
    reason); ``note`` says why same-runner fell back to the artifact."""

    head: Results
    design: str
    baseline: Results | None = None
    baseline_sha: str = ""
    baseline_run_url: str = ""
    reason: str = ""
    note: str = ""
    budget: float | None = None
    trend: Trend | None = None


def run_side(
    config: ActionConfig,
    plan: Plan,
    env: Mapping[str, str],
    console: Console,
    client: GitHubClient | None,
) -> ActionResult:
    suite = load_suite(config.config, env, config.profile, timer=config.timer)
    rules = threshold_rules(suite, config.thresholds)
    measured = measure(config, plan, env, console, client, suite, rules)
    head = measured.head
    results_path = write_results(head, config.results_dir / "results.json")
    comparison = compare(measured.baseline, head, rules) if measured.baseline else None
    accepted = ""
    if comparison is not None and comparison.status == "regression":
        accepted = acceptance(config, plan, client, console)
    report = Report(head=head, comparison=comparison, accepted=accepted)
    history = push_history(config, plan, client, head, console) if not plan.pr_number else None
    context = report_context(config, measured, client, history.trend if history else None, accepted)
    body = render_comment(report, context)
    report_path = write_text_atomic(config.results_dir / "report.md", body)
    write_text_atomic(config.results_dir / "report.html", render_html(report, context))
    append_summary(config.summary_path, render_summary(report, context))
    if history is not None:
        append_summary(config.summary_path, history.summary)
    if plan.write_comment_json:
        _write_comment_json(config, plan, measured, rules, body)
    comment_url = _post(config, plan, client, console, head.suite, body)
    emit_annotations(console, [*regression_annotations(report), *head_annotations(head)])
    outputs = {
        "status": report.status,
        "regressions": str(report.regressions),
        "results-path": str(results_path),
        "report-path": str(report_path),
        "comment-url": comment_url,
    }
    set_outputs(config.output_path, outputs)
    console.line(f"aiwf-ci: status {report.status}")
    code = exit_code(
        report.status,
        fail_on_regression=config.fail_on_regression,
        fail_on_inconclusive=config.fail_on_inconclusive,
    )
    return ActionResult(status=report.status, exit_code=code, outputs=outputs)


def measure(
    config: ActionConfig,
    plan: Plan,
    env: Mapping[str, str],
    console: Console,
    client: GitHubClient | None,
    suite: SuiteConfig,
    rules: ThresholdRules,
) -> Measured:
    """Same-runner when the plan asks for it and the base side can be had; otherwise (and
    on every push) head alone, against the artifact baseline, the fallback's reason kept."""
    note = ""
    if plan.same_runner:
        try:
            run = measure_same_runner(config, plan, env, console, client, suite, rules)
        except BaselineError as exc:
            note = f"same-runner comparison not possible ({exc}); compared with the artifact"
            console.annotate("notice", note, title="aiwf-ci")
        else:
            return Measured(
                head=run.head,
                design="same-runner",
                baseline=run.base,
                baseline_sha=plan.base_sha or "",
                note=run.note,
                budget=run.budget,
            )
    head = _run_suite(config, suite, env, console)
    pooled = pooled_artifact_baseline(config, plan, client, console) if plan.pr_number else None
    if pooled is not None:
        runs = f"the last {config.pooled_baseline} push runs after the latest change point"
        return Measured(
            head=head,
            design="artifact",
            baseline=pooled[0],
            note=f"{note}; pooled baseline: {runs}" if note else f"pooled baseline: {runs}",
            trend=pooled[1],
        )
    try:
        found = fetch_baseline(config, plan, client)
        if unrelated(found.results, head):
            raise BaselineError(
                f"the baseline artifact is not usable: {unrelated(found.results, head)}; "
                "check baseline-artifact (each suite needs an artifact of its own)"
            )
    except BaselineError as exc:
        console.annotate("notice", f"no baseline: {exc}", title="aiwf-ci")
        return Measured(head=head, design="artifact", reason=str(exc), note=note)
    return Measured(
        head=head,
        design="artifact",
        baseline=found.results,
        baseline_sha=found.head_sha,
        baseline_run_url=found.run_url,
        note=note,
    )


def _run_suite(
    config: ActionConfig, suite: SuiteConfig, env: Mapping[str, str], console: Console
) -> Results:
    """The suite run in the workspace, set up first as its ``environment:`` says (package
    downloads cached under ``cache-dir``)."""
    benchmarks = select(suite.benchmarks, shard=config.shard)
    printer = ProgressPrinter(console.stream, github_actions=True)
    root = config.workspace.resolve()
    with (
        printer.section("aiwf-ci: setting up the project") as section,
        ready_tree(suite, root, env, log=section.log, cache_dir=config.cache_dir) as tree,
    ):
        section.close()
        return run_suite(suite, benchmarks, run_options(tree, env), printer)


def fetch_baseline(config: ActionConfig, plan: Plan, client: GitHubClient | None) -> Baseline:
    """The baseline; ``BaselineError`` says why there is none (shown in the report)."""
    if not plan.base_branch:
        raise BaselineError("no base branch known for this event; set the baseline-branch input")
    if client is None:
        raise BaselineError("no GitHub token or repository: cannot look up the baseline artifact")
    workflow = workflow_file_from_ref(config.workflow_ref)
    if not workflow:
        raise BaselineError(
            "GITHUB_WORKFLOW_REF is not set: cannot tell which workflow's runs to search"
        )
    query = BaselineQuery(
        base_branch=plan.base_branch,
        base_sha=plan.base_sha or "",
        workflow=workflow,
        artifact_name=config.baseline_artifact,
    )
    return ArtifactBaselineStore(client, repository=config.repository).fetch(query)


def report_context(
    config: ActionConfig,
    measured: Measured,
    client: GitHubClient | None,
    trend: Trend | None = None,
    accepted: str = "",
) -> ReportContext:
    run_url = ""
    if config.repository and config.run_id:
        run_url = f"{config.server_url}/{config.repository}/actions/runs/{config.run_id}"
    stats = client.stats().as_dict() if client is not None else None
    head = measured.head
    return ReportContext(
        suite=head.suite,
        head_sha=head.commit.sha,
        head_ref=head.commit.ref,
        baseline_sha=measured.baseline_sha,
        baseline_ref="",
        baseline_run_url=measured.baseline_run_url,
        run_url=run_url,
        no_baseline_reason=measured.reason,
        design=measured.design,
        design_note=measured.note,
        budget_seconds=measured.budget,
        trend=trend or measured.trend,
        accepted=accepted,
        api_stats={k: v for k, v in (stats or {}).items() if k in FOOTER_STATS and v is not None}
        or None,
    )


def _write_comment_json(
    config: ActionConfig, plan: Plan, measured: Measured, rules: ThresholdRules, body: str
) -> Path:
    """What the ``workflow_run`` side needs to post the report without running PR code."""
    if measured.baseline is not None:
        write_json(config.results_dir / "baseline.json", results_to_dict(measured.baseline))
    data = {
        "schema": COMMENT_SCHEMA,
        "pr_number": plan.pr_number,
        "suite": measured.head.suite,
        "head_sha": (config.event.get("pull_request") or {}).get("head", {}).get("sha", ""),
        "baseline": {
            "sha": measured.baseline_sha,
            "run_url": measured.baseline_run_url,
            "reason": measured.reason,
            "design": measured.design,
            "note": measured.note,
        },
        "thresholds": rules_to_dict(rules),
        "body": body,
    }
    return write_json(config.results_dir / "comment.json", data)


def _post(
    config: ActionConfig,
    plan: Plan,
    client: GitHubClient | None,
    console: Console,
    suite: str,
    body: str,
) -> str:
    if not plan.post_comment or plan.pr_number is None:
        return ""
    if client is None:
        console.annotate("warning", "no GitHub token: the report is in the job summary only")
        return ""
    return post_comment(client, config.repository, plan.pr_number, suite, body, console)
