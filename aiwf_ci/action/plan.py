"""The action's decision: what to do for this event and mode (a pure function).

    mode     event                     runs suite  baseline  posts comment  writes comment.json
    auto     pull_request (same repo)  yes         yes       yes            yes
    auto     pull_request (fork)       yes         yes       no             yes
    auto     push / other              yes         yes       no             no
    auto     workflow_run              no          (in the comment side)    yes   no
    run      pull_request              yes         yes       no             yes
    comment  workflow_run              no          yes       yes            no

The check run on the PR's head commit (input ``check-run``) is created where the comment is
posted: by a same-repository pull request's run in ``auto`` mode, else by the comment side.

A fork PR's token cannot comment, and a ``workflow_run`` must never run PR code: it only
reads the data the PR's run uploaded, renders it with our own templates and posts it.

Where the baseline comes from (input ``baseline``): ``auto`` measures the base commit on
this runner, interleaved with head, for pull requests (``same_runner``) and uses the
artifact of a previous push run otherwise; ``same-runner`` asks for it on any event with a
base commit (a push compares with the commit before it); ``artifact`` never does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from aiwf_ci.action.inputs import BaselineMode, Mode
from aiwf_ci.errors import ConfigError

PR_EVENTS = ("pull_request", "pull_request_target")


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    run_suite: bool
    post_comment: bool
    write_comment_json: bool
    pr_number: int | None
    base_branch: str | None
    base_sha: str | None
    fork: bool = False
    triggering_run_id: int | None = None
    reason: str = ""
    same_runner: bool = False
    check_run: bool = False
    """Create or update the suite's check run on ``head_sha``, the PR's head commit."""
    head_sha: str | None = None


def decide(
    *,
    mode: Mode,
    event_name: str,
    event: Mapping[str, Any],
    comment_on_pr: bool,
    baseline_branch: str | None = None,
    baseline: BaselineMode = "auto",
    check_run: bool = True,
) -> Plan:
    if mode == "comment" or (mode == "auto" and event_name == "workflow_run"):
        plan = _comment_plan(event_name, event, comment_on_pr, baseline_branch)
        return replace(plan, check_run=check_run and bool(plan.head_sha))
    if event_name in PR_EVENTS:
        plan = _pr_plan(mode, event, comment_on_pr, baseline_branch)
        own = check_run and mode == "auto" and not plan.fork and bool(plan.head_sha)
        return replace(
            plan, same_runner=baseline != "artifact" and bool(plan.base_sha), check_run=own
        )
    branch = baseline_branch or _pushed_branch(event)
    before = _before_sha(event)
    return Plan(
        run_suite=True,
        post_comment=False,
        write_comment_json=False,
        pr_number=None,
        base_branch=branch,
        base_sha=before,
        reason=f"{event_name or 'local'} event: baseline from {branch or 'the default branch'}",
        same_runner=baseline == "same-runner" and bool(before),
    )


def _pr_plan(
    mode: Mode, event: Mapping[str, Any], comment_on_pr: bool, baseline_branch: str | None
) -> Plan:
    pr = event.get("pull_request") or {}
    base = pr.get("base") or {}
    fork = is_fork(event)
    post = mode == "auto" and not fork and comment_on_pr
    why = "fork PR: read-only token, report goes to comment.json" if fork else "pull request"
    return Plan(
        run_suite=True,
        post_comment=post,
        write_comment_json=True,
        pr_number=_int(pr.get("number") or event.get("number")),
        base_branch=baseline_branch or base.get("ref"),
        base_sha=base.get("sha"),
        head_sha=_sha((pr.get("head") or {}).get("sha")),
        fork=fork,
        reason=why if mode == "auto" else "mode run: no comment, comment.json written",
    )


def _comment_plan(
    event_name: str, event: Mapping[str, Any], comment_on_pr: bool, baseline_branch: str | None
) -> Plan:
    run = event.get("workflow_run")
    if event_name != "workflow_run" or not isinstance(run, Mapping):
        raise ConfigError(
            f"mode comment needs a workflow_run event, not {event_name or 'none'!r}",
            field="input mode",
            fix="use mode: comment only in a workflow triggered by workflow_run",
        )
    prs = run.get("pull_requests") or []
    first = prs[0] if prs and isinstance(prs[0], Mapping) else {}
    base = first.get("base") or {}
    return Plan(
        run_suite=False,
        post_comment=comment_on_pr,
        write_comment_json=False,
        pr_number=_int(first.get("number")),
        base_branch=baseline_branch or base.get("ref"),
        base_sha=base.get("sha"),
        triggering_run_id=_int(run.get("id")),
        head_sha=_sha(run.get("head_sha")),
        reason="workflow_run: posting the report of the triggering run",
    )


def is_fork(event: Mapping[str, Any]) -> bool:
    """A PR whose head lives in another repository than its base."""
    pr = event.get("pull_request") or {}
    head_repo = ((pr.get("head") or {}).get("repo") or {}).get("full_name")
    base_repo = ((pr.get("base") or {}).get("repo") or {}).get("full_name")
    return bool(head_repo and base_repo and head_repo != base_repo)


def _pushed_branch(event: Mapping[str, Any]) -> str | None:
    ref = event.get("ref")
    if isinstance(ref, str) and ref.startswith("refs/heads/"):
        return ref.removeprefix("refs/heads/")
    repo = event.get("repository") or {}
    default = repo.get("default_branch") if isinstance(repo, Mapping) else None
    return default if isinstance(default, str) else None


def _before_sha(event: Mapping[str, Any]) -> str | None:
    before = event.get("before")
    if isinstance(before, str) and before.strip("0"):
        return before
    return None


def _sha(value: object) -> str | None:
    """A full commit SHA (40 or 64 hex digits), else ``None``: it goes into an API path."""
    if isinstance(value, str) and re.fullmatch(r"[0-9a-f]{40}(?:[0-9a-f]{24})?", value):
        return value
    return None


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
