"""Everything aiwf-ci does on GitHub: the cached client, the baseline store, the PR comment.

Modules, by concern:
    settings    ClientSettings (explicit, no os.environ) and ApiStats (counters for reports)
    ratelimit   pure retry / backoff / rate-limit decisions, token bucket, wait budget
    cache       L1 LRU, L2 requests-cache SQLite, the adapter that keeps the token out of both
    transport   the HTTP pipeline: L1 → de-dup → retries → L2 → pacing → network; downloads
    client      GitHubClient: PyGithub wired onto the transport; batch fetching
    artifacts   find, download and safely unpack a run's artifact
    baseline    baseline resolution (pure choose_run) and the artifact / local-file stores
    comments    the one PR comment per suite, found by its hidden marker

Names are imported lazily (PyGithub and requests-cache are heavy), so importing a sibling
module such as ``aiwf_ci.console.workflow`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiwf_ci.github.artifacts import ExtractLimits, download_run_artifact
    from aiwf_ci.github.baseline import (
        ArtifactBaselineStore,
        Baseline,
        BaselineQuery,
        BaselineStore,
        LocalBaselineStore,
        RunInfo,
        choose_run,
        workflow_file_from_ref,
    )
    from aiwf_ci.github.client import GitHubClient, Settled
    from aiwf_ci.github.comments import CommentOutcome, prepare_body, upsert_comment
    from aiwf_ci.github.settings import ApiStats, ClientSettings

_EXPORTS = {
    "ExtractLimits": "artifacts",
    "download_run_artifact": "artifacts",
    "ArtifactBaselineStore": "baseline",
    "Baseline": "baseline",
    "BaselineQuery": "baseline",
    "BaselineStore": "baseline",
    "LocalBaselineStore": "baseline",
    "RunInfo": "baseline",
    "choose_run": "baseline",
    "workflow_file_from_ref": "baseline",
    "GitHubClient": "client",
    "Settled": "client",
    "CommentOutcome": "comments",
    "prepare_body": "comments",
    "upsert_comment": "comments",
    "ApiStats": "settings",
    "ClientSettings": "settings",
}

__all__ = [
    "ApiStats",
    "ArtifactBaselineStore",
    "Baseline",
    "BaselineQuery",
    "BaselineStore",
    "ClientSettings",
    "CommentOutcome",
    "ExtractLimits",
    "GitHubClient",
    "LocalBaselineStore",
    "RunInfo",
    "Settled",
    "choose_run",
    "download_run_artifact",
    "prepare_body",
    "upsert_comment",
    "workflow_file_from_ref",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
