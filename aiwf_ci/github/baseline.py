"""Where the baseline comes from: decisions as pure functions, then a thin orchestration.

Baseline resolution: successful ``push`` runs of the *same workflow* on the base
branch, newest first; prefer the run whose ``head_sha`` is the base SHA, else the newest run
older than the base commit; a bounded page walk; then that run's non-expired artifact, its
``results.json`` validated. Every failure becomes a :class:`~aiwf_ci.errors.BaselineError`
whose message is the ``no-baseline`` reason the report shows, never a crash.

:class:`ArtifactBaselineStore` is the action's ``BaselineStore`` (``models.baseline``, beside
the CLI's results-file store): made with its query, fetched like any other.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from github.WorkflowRun import WorkflowRun

from aiwf_ci.errors import AiwfCIError, BaselineError, ImpossibleValueError
from aiwf_ci.github.artifacts import (
    ExtractLimits,
    choose_artifact,
    fetch_artifact,
    files_of,
    list_run_artifacts,
)
from aiwf_ci.github.client import GitHubClient, api_errors
from aiwf_ci.models import Results, load_results, short_sha
from aiwf_ci.models.baseline import Baseline

logger = logging.getLogger(__name__)

DEFAULT_ARTIFACT = "aiwf-benchmark-results"
RESULTS_FILE = "results.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class BaselineQuery:
    """What to look for. ``workflow`` is a workflow id or file name (``bench.yml``).

    ``not_after`` (the base commit's time) is optional: when omitted and no run of the base
    SHA exists, the store looks the commit up (one extra request, on that path only).
    """

    base_branch: str
    base_sha: str
    workflow: str | int
    artifact_name: str = DEFAULT_ARTIFACT
    max_pages: int = 3
    not_after: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunInfo:
    """The parts of a workflow run the decision needs."""

    id: int
    head_sha: str
    created_at: datetime
    html_url: str = ""


# --- pure decisions --------------------------------------------------------------------------


def choose_run(
    runs: Sequence[RunInfo], base_sha: str, *, not_after: datetime | None = None
) -> RunInfo | None:
    """The run of ``base_sha`` if listed, else the newest run created at or before
    ``not_after`` (the base commit's time), else, without that time, the newest run."""
    for run in runs:
        if run.head_sha == base_sha:
            return run
    candidates = [r for r in runs if not_after is None or r.created_at <= not_after]
    return max(candidates, key=lambda r: (r.created_at, r.id), default=None)


def take_newest_first(runs: Iterable[RunInfo], base_sha: str, limit: int) -> list[RunInfo]:
    """Walk at most ``limit`` runs, stopping early at the run of ``base_sha``."""
    taken: list[RunInfo] = []
    for run in runs:
        taken.append(run)
        if run.head_sha == base_sha or len(taken) >= limit:
            break
    return taken


def workflow_file_from_ref(workflow_ref: str) -> str:
    """``owner/repo/.github/workflows/bench.yml@refs/heads/main`` → ``bench.yml``
    (the form of ``GITHUB_WORKFLOW_REF``)."""
    path = workflow_ref.split("@", 1)[0]
    return path.rsplit("/", 1)[-1]


# --- stores ----------------------------------------------------------------------------------


class ArtifactBaselineStore:
    """The action's store: the base branch's results from a workflow run artifact."""

    def __init__(
        self,
        client: GitHubClient,
        query: BaselineQuery,
        *,
        repository: str | None = None,
        limits: ExtractLimits | None = None,
    ) -> None:
        self._client = client
        self._query = query
        self._repo = repository or client.settings.repository
        self._limits = limits or ExtractLimits()

    def fetch(self) -> Baseline:
        try:
            return self._fetch(self._query)
        except (BaselineError, ImpossibleValueError):
            raise
        except AiwfCIError as exc:
            raise BaselineError(f"GitHub API error while looking for a baseline: {exc}") from None
        except OSError as exc:
            raise BaselineError(f"could not store the baseline artifact: {exc.strerror}") from None

    def _fetch(self, query: BaselineQuery) -> Baseline:
        run, note = self._find_run(query)
        chosen = choose_artifact(
            list_run_artifacts(self._client, run.id, name=query.artifact_name, repo=self._repo),
            query.artifact_name,
        )
        if isinstance(chosen, str):
            raise BaselineError(f"run {run.id} ({short_sha(run.head_sha)}): {chosen}")
        folder = files_of(fetch_artifact(self._client, chosen, limits=self._limits))
        results, where = _load(folder, chosen.name)
        return Baseline(
            results=results,
            folder=where,
            source=f"artifact {chosen.name!r} of run {run.id}",
            run_id=run.id,
            run_url=run.html_url,
            head_sha=run.head_sha,
            created_at=run.created_at.isoformat(),
            exact=run.head_sha == query.base_sha,
            note=note,
        )

    def _find_run(self, query: BaselineQuery) -> tuple[RunInfo, str]:
        runs = self._list_runs(query)
        where = f"workflow {query.workflow} on {query.base_branch!r}"
        if not runs:
            raise BaselineError(f"no successful push run of {where} yet")
        if any(r.head_sha == query.base_sha for r in runs):
            return next(r for r in runs if r.head_sha == query.base_sha), ""
        not_after = query.not_after or self._commit_time(query.base_sha)
        run = choose_run(runs, query.base_sha, not_after=not_after)
        if run is None:
            raise BaselineError(
                f"no successful push run of {where} is older than base {short_sha(query.base_sha)}"
            )
        note = (
            f"base commit {short_sha(query.base_sha)} has no successful run; using run {run.id} "
            f"of {short_sha(run.head_sha)} instead"
        )
        return run, note

    def _list_runs(self, query: BaselineQuery) -> list[RunInfo]:
        repo = self._client.repo(self._repo)
        limit = max(1, query.max_pages) * self._client.settings.per_page
        with api_errors(f"listing runs of workflow {query.workflow}"):
            listing = repo.get_workflow(query.workflow).get_runs(
                branch=query.base_branch, event="push", status="success"
            )
            return take_newest_first(map(_run_info, listing), query.base_sha, limit)

    def _commit_time(self, sha: str) -> datetime | None:
        try:
            with api_errors(f"reading commit {short_sha(sha)}"):
                return self._client.repo(self._repo).get_commit(sha).commit.committer.date
        except AiwfCIError as exc:
            logger.info("base commit time unknown (%s); using the newest run", exc)
            return None


def _run_info(run: WorkflowRun) -> RunInfo:
    return RunInfo(
        id=int(run.id),
        head_sha=str(run.head_sha),
        created_at=run.created_at,
        html_url=str(run.html_url),
    )


def _load(folder: Path, artifact: str) -> tuple[Results, Path]:
    """The artifact's results and the folder they were found in."""
    path = folder / RESULTS_FILE
    if not path.is_file():
        nested = sorted(folder.glob(f"*/{RESULTS_FILE}"))
        if len(nested) != 1:
            raise BaselineError(f"artifact {artifact!r} contains no {RESULTS_FILE}")
        path = nested[0]
    try:
        return load_results(path), path.parent
    except ImpossibleValueError as exc:
        raise ImpossibleValueError(f"baseline artifact {artifact!r}: {exc}") from None
    except AiwfCIError as exc:
        raise BaselineError(f"artifact {artifact!r}: unusable {RESULTS_FILE}: {exc}") from None
