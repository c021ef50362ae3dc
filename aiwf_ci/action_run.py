"""The benchmark side of the action: run the suite, find the baseline, compare, report.

Used for ``push``, ``pull_request`` and ``mode: run``. A missing baseline is never a failure
(status ``no-baseline``, exit 0); a failed PR comment is a warning (the job summary still
has the report); only bad input (2), a failed benchmark (3) or a regression (1) fail the step.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from aiwf_ci.action import ActionResult
from aiwf_ci.action_inputs import ActionConfig
from aiwf_ci.action_output import (
    Console,
    append_summary,
    emit_annotations,
    head_annotations,
    regression_annotations,
    set_outputs,
    write_json,
    write_text,
)
from aiwf_ci.action_plan import Plan
from aiwf_ci.action_rules import rules_to_dict
from aiwf_ci.bench.environment import child_environment, detect_commit, fingerprint
from aiwf_ci.bench.runner import RunOptions, run_suite
from aiwf_ci.bench.selection import select
from aiwf_ci.cli_commands import load_checked_config, status_exit_code
from aiwf_ci.cli_output import ProgressPrinter
from aiwf_ci.compare import Comparison, compare, exit_status
from aiwf_ci.config import SuiteConfig
from aiwf_ci.errors import BaselineError, GitHubAPIError
from aiwf_ci.github.baseline import (
    ArtifactBaselineStore,
    Baseline,
    BaselineQuery,
    workflow_file_from_ref,
)
from aiwf_ci.github.client import GitHubClient
from aiwf_ci.github.comments import upsert_comment
from aiwf_ci.models import Results, results_to_dict, write_results
from aiwf_ci.report import ReportContext, render_comment, render_html, render_summary
from aiwf_ci.thresholds import ThresholdRules, build_rules

COMMENT_SCHEMA = "aiwf-ci/comment@1"
FOOTER_STATS = ("requests_sent", "cache_hits", "not_modified", "hit_rate", "rate_limit_remaining")


def run_side(
    config: ActionConfig,
    plan: Plan,
    env: Mapping[str, str],
    console: Console,
    client: GitHubClient | None,
) -> ActionResult:
    suite = load_checked_config(config.config, env, config.profile)
    rules = build_rules(suite.thresholds, suite.benchmark_thresholds(), config.thresholds)
    head = _run_suite(config, suite, env, console)
    results_path = write_results(head, config.results_dir / "results.json")
    baseline = fetch_baseline(config, plan, client)
    if isinstance(baseline, str):
        console.annotate("notice", f"no baseline: {baseline}", title="aiwf-ci")
    subject: Comparison | Results = (
        head if isinstance(baseline, str) else compare(baseline.results, head, rules)
    )
    status = run_status(subject)
    context = report_context(config, head, baseline, client)
    body = render_comment(subject, context)
    report_path = write_text(config.results_dir / "report.md", body)
    write_text(config.results_dir / "report.html", render_html(subject, context))
    append_summary(config.summary_path, render_summary(subject, context))
    if plan.write_comment_json:
        _write_comment_json(config, plan, head, baseline, rules, body)
    comment_url = _post(config, plan, client, console, head.suite, body)
    _annotate(console, subject)
    outputs = {
        "status": status,
        "regressions": str(subject.regressions if isinstance(subject, Comparison) else 0),
        "results-path": str(results_path),
        "report-path": str(report_path),
        "comment-url": comment_url,
    }
    set_outputs(config.output_path, outputs)
    console.line(f"aiwf-ci: status {status}")
    code = status_exit_code(status, fail_on_regression=config.fail_on_regression)
    return ActionResult(status=status, exit_code=code, outputs=outputs)


def _run_suite(
    config: ActionConfig, suite: SuiteConfig, env: Mapping[str, str], console: Console
) -> Results:
    benchmarks = select(suite.benchmarks, shard=config.shard)
    options = RunOptions(
        env=child_environment(env, sys.executable),
        commit=detect_commit(config.workspace, env),
        environment=fingerprint(env),
    )
    printer = ProgressPrinter(console.stream, github_actions=True)
    return run_suite(suite, benchmarks, options, printer)


def run_status(subject: Comparison | Results) -> str:
    """``pass``/``regression``/``error`` from a comparison; ``no-baseline`` or ``error``
    (a benchmark failed) for head results alone."""
    if isinstance(subject, Comparison):
        return exit_status(subject)
    return "error" if any(b.failed for b in subject.benchmarks) else "no-baseline"


def fetch_baseline(config: ActionConfig, plan: Plan, client: GitHubClient | None) -> Baseline | str:
    """The baseline, or the reason there is none (shown in the report)."""
    if not plan.base_branch:
        return "no base branch known for this event; set the baseline-branch input"
    if client is None:
        return "no GitHub token or repository: cannot look up the baseline artifact"
    workflow = workflow_file_from_ref(config.workflow_ref)
    if not workflow:
        return "GITHUB_WORKFLOW_REF is not set: cannot tell which workflow's runs to search"
    query = BaselineQuery(
        base_branch=plan.base_branch,
        base_sha=plan.base_sha or "",
        workflow=workflow,
        artifact_name=config.baseline_artifact,
    )
    try:
        return ArtifactBaselineStore(client, repository=config.repository).fetch(query)
    except BaselineError as exc:
        return str(exc)


def report_context(
    config: ActionConfig,
    head: Results,
    baseline: Baseline | str,
    client: GitHubClient | None,
) -> ReportContext:
    run_url = ""
    if config.repository and config.run_id:
        run_url = f"{config.server_url}/{config.repository}/actions/runs/{config.run_id}"
    stats = client.stats().as_dict() if client is not None else None
    found = baseline if isinstance(baseline, Baseline) else None
    return ReportContext(
        suite=head.suite,
        head_sha=head.commit.sha,
        head_ref=head.commit.ref,
        baseline_sha=found.head_sha if found else "",
        baseline_ref="",
        baseline_run_url=found.run_url if found else "",
        run_url=run_url,
        no_baseline_reason=baseline if isinstance(baseline, str) else "",
        api_stats={k: v for k, v in (stats or {}).items() if k in FOOTER_STATS and v is not None}
        or None,
    )


def _write_comment_json(
    config: ActionConfig,
    plan: Plan,
    head: Results,
    baseline: Baseline | str,
    rules: ThresholdRules,
    body: str,
) -> Path:
    """What the ``workflow_run`` side needs to post the report without running PR code."""
    if isinstance(baseline, Baseline):
        write_json(config.results_dir / "baseline.json", results_to_dict(baseline.results))
    data = {
        "schema": COMMENT_SCHEMA,
        "pr_number": plan.pr_number,
        "suite": head.suite,
        "head_sha": (config.event.get("pull_request") or {}).get("head", {}).get("sha", ""),
        "baseline": {
            "sha": baseline.head_sha if isinstance(baseline, Baseline) else "",
            "run_url": baseline.run_url if isinstance(baseline, Baseline) else "",
            "reason": baseline if isinstance(baseline, str) else "",
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


def post_comment(
    client: GitHubClient, repository: str, number: int, suite: str, body: str, console: Console
) -> str:
    """Upsert the PR comment; any failure is a warning (the job summary has the report)."""
    try:
        outcome = upsert_comment(client, repository, number, suite, body)
    except GitHubAPIError as exc:
        console.annotate("warning", f"could not post the PR comment: {exc}", title="aiwf-ci")
        return ""
    if outcome.warning:
        console.annotate("warning", outcome.warning, title="aiwf-ci")
    console.line(f"aiwf-ci: PR #{number} comment {outcome.action}: {outcome.html_url}")
    return outcome.html_url


def _annotate(console: Console, subject: Comparison | Results) -> None:
    head = subject.head if isinstance(subject, Comparison) else subject
    notes = regression_annotations(subject) if isinstance(subject, Comparison) else []
    emit_annotations(console, [*notes, *head_annotations(head)])
