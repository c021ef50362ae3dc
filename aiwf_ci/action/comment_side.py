"""The ``workflow_run`` side of the fork-safe pair (``mode: comment``).

It never checks out or runs PR code. It downloads the artifact the PR's run uploaded and
treats everything in it as untrusted data: ``results.json`` and ``baseline.json`` are
validated against the results schema and re-rendered with our own (escaping) templates, the
PR number is checked against the triggering run's head SHA, and links are kept only when
they point at this repository's own runs. The pre-rendered ``body`` is never posted.

It also writes the suite's check run on that head SHA (the fork's own run has a read-only
token); the config path and lines its annotations point at are checked like the rest.

Two separate runs (the artifact baseline) are judged as the run side judges them: with the
base branch's run-to-run spread (``verdict.spread``), from the push runs this side fetches
with its own token exactly as the run side does (``history_side.spread_runs``), never from
the artifact; without them (none stored, history off, a failed fetch) by the no-history
rule, and the report says which.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiwf_ci.action.history_side import spread_runs
from aiwf_ci.action.inputs import ActionConfig
from aiwf_ci.action.job import Job
from aiwf_ci.action.output import (
    COMMENT_SCHEMA,
    ActionResult,
    append_summary,
    post_check_run,
    post_comment,
    set_outputs,
)
from aiwf_ci.action.plan import Plan
from aiwf_ci.errors import AiwfCIError, BaselineError, CommentDataError, ConfigError, GitHubAPIError
from aiwf_ci.github.artifacts import download_run_artifact
from aiwf_ci.github.client import GitHubClient
from aiwf_ci.models import Results, load_results
from aiwf_ci.report import ReportContext, render_comment, render_summary
from aiwf_ci.report.checks import plan_check_run
from aiwf_ci.verdict.compare import compare, unrelated
from aiwf_ci.verdict.model import GatePolicy, Report, Status
from aiwf_ci.verdict.pairing import one_run
from aiwf_ci.verdict.rules_json import rules_from_dict
from aiwf_ci.verdict.spread import History, learn_history


def comment_side(job: Job) -> ActionResult:
    config, plan, console, client = job.config, job.plan, job.console, job.client
    if client is None or plan.triggering_run_id is None:
        raise ConfigError(
            "mode comment needs a github-token and a workflow_run event",
            field="input github-token",
            fix="pass github-token with pull-requests: write permission",
        )
    try:
        folder = download_run_artifact(client, plan.triggering_run_id, config.baseline_artifact)
        data = read_comment_json(folder / "comment.json")
        pull = verified_pull(client, config, plan, data)
        report = judge(job, folder, data, plan.base_branch or pull.base_ref)
    except (BaselineError, GitHubAPIError, CommentDataError) as exc:
        console.annotate("warning", f"nothing posted: {exc}", title="aiwf-ci")
        return _outcome(config, "error", "")
    context = _context(config, report, data)
    body = render_comment(report, context)
    append_summary(config.summary_path, render_summary(report, context))
    url = post_comment(client, config.repository, pull.number, report.suite, body, console)
    if plan.check_run and plan.head_sha:
        path, lines = check_locations(data)
        check = plan_check_run(report, context, body, path=path, lines=lines)
        post_check_run(
            client, config.repository, plan.head_sha, check, console, config.summary_path
        )
    return _outcome(config, report.status, url, report)


DESIGNS = ("same-runner", "artifact")


def read_comment_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommentDataError(f"the artifact has no readable comment.json ({exc})") from None
    if not isinstance(data, dict) or data.get("schema") != COMMENT_SCHEMA:
        raise CommentDataError(f"comment.json is not {COMMENT_SCHEMA}")
    number = data.get("pr_number")
    if isinstance(number, bool) or not isinstance(number, int) or number <= 0:
        raise CommentDataError("comment.json has no valid pr_number")
    return data


SAFE_PATH = re.compile(r"[A-Za-z0-9_.@+-]+(?:/[A-Za-z0-9_.@+-]+)*")
MAX_LINES = 10_000


def check_locations(data: Mapping[str, Any]) -> tuple[str, dict[str, int]]:
    """The suite config's path and benchmark lines from comment.json, only when they are a
    plain relative path (no ``..``) and positive line numbers; else no annotations."""
    raw = data.get("check")
    check: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    path = check.get("path")
    if not isinstance(path, str) or len(path) > 300 or not SAFE_PATH.fullmatch(path):
        return "", {}
    if any(part in (".", "..") for part in path.split("/")):
        return "", {}
    given = check.get("lines")
    items = list(given.items())[:MAX_LINES] if isinstance(given, Mapping) else []
    lines = {
        str(name): line
        for name, line in items
        if isinstance(line, int) and not isinstance(line, bool) and 0 < line < 10**7
    }
    return path, lines


@dataclass(frozen=True, slots=True)
class VerifiedPull:
    """The pull request the artifact's run tested, as the API (not the artifact) says:
    its number and its base branch (``""`` when the API gives none)."""

    number: int
    base_ref: str


def verified_pull(
    client: GitHubClient, config: ActionConfig, plan: Plan, data: Mapping[str, Any]
) -> VerifiedPull:
    """The PR to comment on, only if it really is the PR whose run produced the artifact."""
    number = int(data["pr_number"])
    if plan.pr_number is not None and plan.pr_number != number:
        raise CommentDataError(
            f"comment.json names PR #{number}, the run belongs to #{plan.pr_number}"
        )
    run = config.event.get("workflow_run") or {}
    pull = client.get_json(f"/repos/{config.repository}/pulls/{number}")
    head_sha = ((pull or {}).get("head") or {}).get("sha")
    if not head_sha or head_sha != run.get("head_sha"):
        raise CommentDataError(f"PR #{number}'s head is not the commit the triggering run tested")
    base_ref = (pull.get("base") or {}).get("ref")
    return VerifiedPull(number=number, base_ref=base_ref if isinstance(base_ref, str) else "")


def judge(job: Job, folder: Path, data: Mapping[str, Any], branch: str) -> Report:
    """The artifact's results judged by the PR run's rules (and the thresholds input); two
    separate runs with ``branch``'s history, when it can be had (``base_history``)."""
    head, baseline = artifact_results(folder)
    if baseline is None:
        return Report(head=head)
    rules = rules_from_dict(data.get("thresholds")).with_overrides(job.config.thresholds)
    policy = GatePolicy(history=base_history(job, baseline, head, branch))
    return Report.of(compare(baseline, head, rules, policy=policy))


def artifact_results(folder: Path) -> tuple[Results, Results | None]:
    """Head's results and the baseline's (``None`` when the run found none), validated."""
    try:
        head = load_results(folder / "results.json")
        base_path = folder / "baseline.json"
        baseline = load_results(base_path) if base_path.is_file() else None
    except AiwfCIError as exc:
        raise CommentDataError(str(exc)) from None
    if baseline is not None and unrelated(baseline, head):
        raise CommentDataError(f"the artifact's results are unrelated: {unrelated(baseline, head)}")
    return head, baseline


def base_history(job: Job, baseline: Results, head: Results, branch: str) -> History | None:
    """The run-to-run spread of ``branch``'s push runs, fetched with this side's token as
    the run side fetches it, when the comparison is of two separate runs (files of one
    interleaved run are paired: no use for it); ``None`` when there are none. Nothing is
    left out by commit: this event's ``GITHUB_SHA`` is the default branch's tip, whose push
    run belongs to the history (head itself is left out by ``learn_history``)."""
    if one_run(baseline, head):
        return None
    with job.api_phase("history"):
        runs = spread_runs(job, head.suite, branch=branch, own_sha="")
    return learn_history(runs, head) if runs else None


def is_own_run_url(config: ActionConfig, url: str) -> bool:
    """Exactly ``{server}/{owner}/{repo}/actions/runs/<id>``: nothing a fork could bend
    into a link elsewhere (``..`` segments, queries, other repositories)."""
    prefix = re.escape(f"{config.server_url}/{config.repository}/actions/runs/")
    return re.fullmatch(prefix + r"[0-9]+", url) is not None


def _context(config: ActionConfig, report: Report, data: Mapping[str, Any]) -> ReportContext:
    head = report.head
    raw = data.get("baseline")
    info: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    run_url = str(info.get("run_url") or "")
    reason = str(info.get("reason") or "no baseline in the pull request's artifact")[:500]
    triggering = (config.event.get("workflow_run") or {}).get("html_url") or ""
    design = str(info.get("design") or "")
    return ReportContext(
        suite=head.suite,
        head_sha=head.commit.sha,
        head_ref=head.commit.ref,
        baseline_sha=str(info.get("sha") or "")[:40],
        baseline_run_url=run_url if is_own_run_url(config, run_url) else "",
        run_url=str(triggering) if is_own_run_url(config, str(triggering)) else "",
        no_baseline_reason="" if report.comparison else reason,
        design=design if design in DESIGNS else "",
        design_note=str(info.get("note") or "")[:500],
        thresholds_source=(
            "the pull request's run" + (" + the thresholds input" if config.thresholds else "")
            if report.comparison
            else ""
        ),
    )


def _outcome(
    config: ActionConfig, status: Status, url: str, report: Report | None = None
) -> ActionResult:
    regressions = report.regressions if report else 0
    outputs = {"status": status, "regressions": str(regressions), "comment-url": url}
    set_outputs(config.output_path, outputs)
    return ActionResult(status=status, exit_code=0, outputs=outputs)
