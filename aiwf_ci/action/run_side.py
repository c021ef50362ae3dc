"""The benchmark side of the action: run the suite, find the baseline, compare, report.

Used for ``push``, ``pull_request`` and ``mode: run``. A missing baseline is never a failure
(status ``no-baseline``, exit 0); a failed PR comment is a warning (the job summary still
has the report); only bad input (2), a failed benchmark (3) or a regression (1) fail the step.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

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
from aiwf_ci.config import SuiteConfig
from aiwf_ci.errors import BaselineError
from aiwf_ci.github.baseline import (
    ArtifactBaselineStore,
    Baseline,
    BaselineQuery,
    workflow_file_from_ref,
)
from aiwf_ci.github.client import GitHubClient
from aiwf_ci.models import Results, results_to_dict, write_results, write_text_atomic
from aiwf_ci.report import ReportContext, render_comment, render_html, render_summary
from aiwf_ci.report.progress import ProgressPrinter
from aiwf_ci.run.runner import run_suite
from aiwf_ci.run.selection import select
from aiwf_ci.usecases import exit_code, load_suite, ready_tree, run_options, threshold_rules
from aiwf_ci.verdict.compare import compare
from aiwf_ci.verdict.model import Report
from aiwf_ci.verdict.rules_json import rules_to_dict
from aiwf_ci.verdict.thresholds import ThresholdRules

FOOTER_STATS = ("requests_sent", "cache_hits", "not_modified", "hit_rate", "rate_limit_remaining")


def run_side(
    config: ActionConfig,
    plan: Plan,
    env: Mapping[str, str],
    console: Console,
    client: GitHubClient | None,
) -> ActionResult:
    suite = load_suite(config.config, env, config.profile)
    rules = threshold_rules(suite, config.thresholds)
    head = _run_suite(config, suite, env, console)
    results_path = write_results(head, config.results_dir / "results.json")
    baseline, reason = None, ""
    try:
        baseline = fetch_baseline(config, plan, client)
    except BaselineError as exc:
        reason = str(exc)
        console.annotate("notice", f"no baseline: {reason}", title="aiwf-ci")
    report = Report(
        head=head, comparison=compare(baseline.results, head, rules) if baseline else None
    )
    context = report_context(config, head, baseline, reason, client)
    body = render_comment(report, context)
    report_path = write_text_atomic(config.results_dir / "report.md", body)
    write_text_atomic(config.results_dir / "report.html", render_html(report, context))
    append_summary(config.summary_path, render_summary(report, context))
    if plan.write_comment_json:
        _write_comment_json(config, plan, head, baseline, reason, rules, body)
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
    code = exit_code(report.status, fail_on_regression=config.fail_on_regression)
    return ActionResult(status=report.status, exit_code=code, outputs=outputs)


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
    head: Results,
    baseline: Baseline | None,
    reason: str,
    client: GitHubClient | None,
) -> ReportContext:
    run_url = ""
    if config.repository and config.run_id:
        run_url = f"{config.server_url}/{config.repository}/actions/runs/{config.run_id}"
    stats = client.stats().as_dict() if client is not None else None
    return ReportContext(
        suite=head.suite,
        head_sha=head.commit.sha,
        head_ref=head.commit.ref,
        baseline_sha=baseline.head_sha if baseline else "",
        baseline_ref="",
        baseline_run_url=baseline.run_url if baseline else "",
        run_url=run_url,
        no_baseline_reason=reason,
        api_stats={k: v for k, v in (stats or {}).items() if k in FOOTER_STATS and v is not None}
        or None,
    )


def _write_comment_json(
    config: ActionConfig,
    plan: Plan,
    head: Results,
    baseline: Baseline | None,
    reason: str,
    rules: ThresholdRules,
    body: str,
) -> Path:
    """What the ``workflow_run`` side needs to post the report without running PR code."""
    if baseline is not None:
        write_json(config.results_dir / "baseline.json", results_to_dict(baseline.results))
    data = {
        "schema": COMMENT_SCHEMA,
        "pr_number": plan.pr_number,
        "suite": head.suite,
        "head_sha": (config.event.get("pull_request") or {}).get("head", {}).get("sha", ""),
        "baseline": {
            "sha": baseline.head_sha if baseline else "",
            "run_url": baseline.run_url if baseline else "",
            "reason": reason,
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
