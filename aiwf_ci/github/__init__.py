"""Everything aiwf-ci does on GitHub: the cached client, the baseline store, the PR comment.

Modules:
    settings    ClientSettings (explicit, no os.environ) and ApiStats (counters for reports)
    ratelimit   pure retry / backoff / rate-limit decisions, wait budget
    phases      the time budget, per phase, counted only while the API is being used
    cache       requests-cache on SQLite and the adapter that keeps the token out of it
    streaming   a download: where its redirects may lead; its body streamed to disk
                under a size cap and a deadline
    transport   the HTTP pipeline: retries → cache → pacing → network; downloads
    client      GitHubClient: PyGithub (public API only) sending through the transport
    artifacts   find, download and safely unpack a run's artifact
    baseline    the artifact baseline store: which push run's artifact (pure choose_run)
    history     the base branch's last N results, from its push runs' artifacts
    checkout    git on the workspace whoever owns it (safe.directory), why git failed;
                where unpacked base trees live
    untar       an untrusted source tarball unpacked: headers bounded, links resolved
    treecache   the base-tree cache's markers and eviction (least recently used)
    trees       the base commit's source tree (local git, else the tarball)
    comments    the one PR comment per suite, found by its hidden marker
    checks      the one check run per suite on the PR's head commit, found by its name
    issues      the history issue and the acceptance label's audit

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
        BaselineQuery,
        RunInfo,
        choose_run,
        workflow_file_from_ref,
    )
    from aiwf_ci.github.client import GitHubClient
    from aiwf_ci.github.comments import CommentOutcome, prepare_body, upsert_comment
    from aiwf_ci.github.settings import ApiStats, ClientSettings

_EXPORTS = {
    "ExtractLimits": "artifacts",
    "download_run_artifact": "artifacts",
    "ArtifactBaselineStore": "baseline",
    "BaselineQuery": "baseline",
    "RunInfo": "baseline",
    "choose_run": "baseline",
    "workflow_file_from_ref": "baseline",
    "GitHubClient": "client",
    "CommentOutcome": "comments",
    "prepare_body": "comments",
    "upsert_comment": "comments",
    "ApiStats": "settings",
    "ClientSettings": "settings",
}

__all__ = [
    "ApiStats",
    "ArtifactBaselineStore",
    "BaselineQuery",
    "ClientSettings",
    "CommentOutcome",
    "ExtractLimits",
    "GitHubClient",
    "RunInfo",
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
