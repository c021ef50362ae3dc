"""One check run per suite on the pull request's head commit, updated in place on re-runs.

The check run is found by its name and head SHA (``GET /repos/{o}/{r}/commits/{sha}/check-runs
?check_name=NAME``); the oldest match is edited (``PATCH``), otherwise one is created
(``POST``). GitHub takes at most 50 annotations a request: the first 50 go with the create or
edit, the rest follow in further edits (GitHub appends them). What the check run says is
decided by ``aiwf_ci.report.checks``; this module only carries it.

A token without ``checks: write`` (GitHub answers ``403 Resource not accessible by
integration``) is a ``"notice"`` outcome, not an error: the report still reaches the job
summary and the PR comment. After creating one, the cached list is amended in place
(write-through), so a re-run within the cache's lifetime finds it and does not duplicate it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from github.CheckRun import CheckRun
from github.Repository import Repository

from aiwf_ci.errors import GitHubHTTPError
from aiwf_ci.github.client import GitHubClient, api_errors
from aiwf_ci.github.comments import NOT_ACCESSIBLE
from aiwf_ci.redaction import redact
from aiwf_ci.report.checks import CheckRunPlan

Action = Literal["created", "updated", "notice"]

NO_PERMISSION = (
    "no check run: the token may not write checks ({reason}). Add `checks: write` to the "
    "workflow's permissions to see the verdict in the merge box; the report is in the job "
    "summary"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckOutcome:
    """What happened to the check run; ``notice`` explains a ``"notice"`` action."""

    action: Action
    html_url: str = ""
    check_run_id: int | None = None
    requests: int = 0
    """Write requests sent (the create or first edit, then one per further annotation batch)."""
    notice: str = ""


def upsert_check_run(
    client: GitHubClient, repo: str, head_sha: str, plan: CheckRunPlan
) -> CheckOutcome:
    """Create or update ``plan``'s check run on commit ``head_sha`` of ``repo``."""
    try:
        return _Upsert(client, repo, head_sha).run(plan)
    except GitHubHTTPError as exc:
        if exc.status == 403 and NOT_ACCESSIBLE.lower() in str(exc).lower():
            return CheckOutcome(action="notice", notice=NO_PERMISSION.format(reason=NOT_ACCESSIBLE))
        raise


class _Upsert:
    def __init__(self, client: GitHubClient, repo: str, head_sha: str) -> None:
        self.client = client
        self.repo: Repository = client.repo(repo)
        self.head_sha = head_sha
        self.list_path = f"/repos/{repo}/commits/{head_sha}/check-runs"

    def run(self, plan: CheckRunPlan) -> CheckOutcome:
        batches = plan.batches()
        existing = self._find(plan.name)
        if existing is None:
            check = self._create(plan, batches[0])
            action: Action = "created"
        else:
            check = existing
            self._edit(check, plan, batches[0], final=True)
            action = "updated"
        for batch in batches[1:]:
            self._edit(check, plan, batch, final=False)
        return CheckOutcome(
            action=action,
            html_url=str(check.html_url or ""),
            check_run_id=int(check.id),
            requests=len(batches),
        )

    def _find(self, name: str) -> CheckRun | None:
        """The oldest check run of this name on this commit (every page read)."""
        commit = self.repo.get_commit(self.head_sha)
        with api_errors("listing the commit's check runs"):
            found = [
                run
                for run in commit.get_check_runs(check_name=name)
                if run.name == name and run.head_sha == self.head_sha
            ]
        return min(found, key=lambda run: int(run.id), default=None)

    def _create(self, plan: CheckRunPlan, annotations: list[dict[str, Any]]) -> CheckRun:
        with api_errors("creating the check run"):
            created = self.repo.create_check_run(
                name=plan.name,
                head_sha=self.head_sha,
                status="completed",
                conclusion=plan.conclusion,
                output=_output(plan, annotations),
            )
        self.client.amend_cached_json(self.list_path, _append(dict(created.raw_data)))
        return created

    def _edit(
        self, check: CheckRun, plan: CheckRunPlan, annotations: list[dict[str, Any]], *, final: bool
    ) -> None:
        """``final``: the edit that sets the verdict; the others only add annotations."""
        with api_errors("updating the check run"):
            if final:
                check.edit(
                    status="completed",
                    conclusion=plan.conclusion,
                    output=_output(plan, annotations),
                )
            else:
                check.edit(output=_output(plan, annotations))


def _output(plan: CheckRunPlan, annotations: list[dict[str, Any]]) -> dict[str, Any]:
    output: dict[str, Any] = {"title": redact(plan.title), "summary": redact(plan.summary)}
    if annotations:
        output["annotations"] = [
            {k: redact(v) if isinstance(v, str) else v for k, v in note.items()}
            for note in annotations
        ]
    return output


def _append(created: dict[str, Any]) -> Callable[[Any, bool], Any | None]:
    """Add our new check run to the last cached page of the commit's list."""

    def edit(page: Any, is_last: bool) -> Any | None:
        if not is_last or not isinstance(page, dict):
            return None
        runs = page.get("check_runs")
        if not isinstance(runs, list) or any(r.get("id") == created["id"] for r in runs):
            return None
        return {**page, "total_count": int(page.get("total_count") or 0) + 1,
                "check_runs": [*runs, created]}  # fmt: skip

    return edit
