"""The base branch's history: the results files of its last N push runs, from artifacts.

Every push run uploads ``results.json`` as an artifact; one stored point is too noisy to
judge a trend by, a series of them is what change points and pooled baselines need. Found
with as few requests as GitHub allows:

- **one listing** of the repository's artifacts by name, newest first (each artifact carries
  its run's id, branch, head SHA and repositories), paged only while the branch has fewer
  than N matches (at most ``max_pages`` pages of 100); artifacts of forks (another head
  repository) and of other branches are skipped, expired ones too;
- **one download per new artifact**: each is unpacked once into the cache by artifact id
  (``github.artifacts.fetch_artifact``), so a warm run downloads only what is new, and the
  listing itself is revalidated with ``If-None-Match`` (a ``304`` is free).

Only this suite's runs: an artifact of the same name whose results file records another
suite (a second workflow, or a second suite uploading under the default artifact name) is
left out, and counted. A results file that cannot be read is left out too, and counted, never
a failure: history is never a reason to fail a build. Both counts come back as ``notes`` for
the report, since a trend over fewer runs than asked is not what the user thinks it is.

Memory is bounded: at most ``MAX_POINTS`` runs, whatever the caller asks, and each one is cut
to what the trend needs (``history.trend.trend_view``) as soon as it is read, so the
history in memory is a few KiB a run, not the raw files.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiwf_ci.errors import AiwfCIError
from aiwf_ci.github.artifacts import ArtifactInfo, fetch_artifact, files_of
from aiwf_ci.github.baseline import RESULTS_FILE
from aiwf_ci.github.client import GitHubClient
from aiwf_ci.history.trend import trend_view
from aiwf_ci.models import Results, load_results

logger = logging.getLogger(__name__)

DEFAULT_POINTS = 30
MAX_POINTS = 200
"""The most runs a history holds, whatever is asked (the ``history-runs`` input's own cap)."""
PER_PAGE = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """An artifact listing entry that may be a point of the branch's history."""

    info: ArtifactInfo
    run_id: int
    sha: str


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryPoint:
    """One push run's results on the base branch."""

    run_id: int
    sha: str
    created_at: datetime | None
    results: Results


@dataclass(frozen=True, slots=True, kw_only=True)
class History:
    """Points oldest first; runs left out are counted: ``unreadable`` (their results file
    could not be read, logged with the reason) and ``other_suite`` (another suite's)."""

    points: tuple[HistoryPoint, ...]
    unreadable: int = 0
    other_suite: int = 0

    @property
    def notes(self) -> tuple[str, ...]:
        """One line per kind of run left out, for the report (none when nothing was)."""
        notes = []
        if self.unreadable:
            notes.append(
                f"{self.unreadable} stored run(s) left out: their results artifact could not "
                "be read (the job log says why)"
            )
        if self.other_suite:
            notes.append(
                f"{self.other_suite} stored run(s) of another suite under the same artifact "
                "name left out"
            )
        return tuple(notes)


def branch_artifacts(
    items: Sequence[Mapping[str, Any]], *, name: str, branch: str
) -> list[Candidate]:
    """The listing entries that are this branch's own, unexpired artifacts (pure)."""
    found = []
    for item in items:
        run = item.get("workflow_run") or {}
        own = run.get("head_repository_id") == run.get("repository_id")
        if item.get("name") != name or item.get("expired") or not own:
            continue
        if run.get("head_branch") != branch or not isinstance(run.get("id"), int):
            continue
        info = ArtifactInfo(
            id=int(item["id"]),
            name=name,
            expired=False,
            download_url=str(item.get("archive_download_url", "")),
            size=int(item.get("size_in_bytes") or 0),
            created_at=_time(item.get("created_at")),
        )
        found.append(Candidate(info=info, run_id=int(run["id"]), sha=str(run.get("head_sha", ""))))
    return found


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def fetch_history(
    client: GitHubClient,
    *,
    branch: str,
    name: str,
    suite: str | None = None,
    points: int = DEFAULT_POINTS,
    max_pages: int = 3,
) -> History:
    """The last ``points`` (at most ``MAX_POINTS``) results of ``branch``'s push runs of
    ``suite`` (any suite when ``None``), oldest first, each cut to what a trend needs."""
    points = max(0, min(points, MAX_POINTS))
    candidates = _list(client, branch=branch, name=name, points=points, max_pages=max_pages)
    chosen: list[HistoryPoint] = []
    unreadable = other = 0
    for candidate in candidates:
        if len(chosen) >= points:
            break
        results = _read(client, candidate)
        if results is None:
            unreadable += 1
        elif suite is not None and results.suite != suite:
            logger.info("history: run %s left out: suite %r", candidate.run_id, results.suite[:80])
            other += 1
        else:
            chosen.append(_point(candidate, trend_view(results)))
    return History(points=tuple(reversed(chosen)), unreadable=unreadable, other_suite=other)


def _read(client: GitHubClient, candidate: Candidate) -> Results | None:
    """The candidate's results, or ``None`` (logged) when they cannot be had."""
    try:
        folder = files_of(fetch_artifact(client, candidate.info))
        return load_results(folder / RESULTS_FILE)
    except AiwfCIError as exc:
        logger.info("history: run %s left out: %s", candidate.run_id, exc)
        return None


def _point(candidate: Candidate, results: Results) -> HistoryPoint:
    return HistoryPoint(
        run_id=candidate.run_id,
        sha=candidate.sha,
        created_at=candidate.info.created_at,
        results=results,
    )


def _list(
    client: GitHubClient, *, branch: str, name: str, points: int, max_pages: int
) -> list[Candidate]:
    path = f"/repos/{client.settings.repository}/actions/artifacts"
    found: list[Candidate] = []
    for page in range(1, max_pages + 1):
        data = client.get_json(path, {"name": name, "per_page": PER_PAGE, "page": page})
        items = data.get("artifacts", []) if isinstance(data, Mapping) else []
        found += branch_artifacts(items, name=name, branch=branch)
        if len(found) >= points or len(items) < PER_PAGE:
            break
    return found
