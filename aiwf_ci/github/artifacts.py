"""Find, download and safely unpack a workflow run's artifact.

Used twice: by the baseline store (``results.json`` of the base branch's run) and by the
action's ``mode: comment`` (``comment.json`` of the triggering ``workflow_run``). An artifact
zip is untrusted input (anyone who can push to a branch can shape it), so extraction refuses
absolute paths, ``..`` components, links, too many members and more uncompressed bytes than
the cap (zip bombs), counting the bytes actually written rather than trusting the header.

Artifact contents never change for an id, so an unpacked artifact is kept under
``cache_dir/artifacts/``: a warm run downloads nothing.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import stat
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from github.Artifact import Artifact
from github.PaginatedList import PaginatedList

from aiwf_ci.errors import (
    AiwfCIError,
    ArtifactError,
    DownloadTooLarge,
    GitHubHTTPError,
)
from aiwf_ci.github.client import GitHubClient, api_errors

logger = logging.getLogger(__name__)

COMPLETE_MARKER = ".aiwf-complete"


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtractLimits:
    """Caps for untrusted zips: download size, member count, total uncompressed bytes."""

    max_download_bytes: int = 100 * 1024 * 1024
    max_members: int = 1000
    max_total_bytes: int = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class ArtifactInfo:
    """The parts of an artifact listing aiwf-ci needs."""

    id: int
    name: str
    expired: bool
    download_url: str
    size: int
    created_at: datetime | None


def choose_artifact(artifacts: Sequence[ArtifactInfo], name: str) -> ArtifactInfo | str:
    """The newest non-expired artifact called ``name``, or the reason there is none."""
    named = [a for a in artifacts if a.name == name]
    alive = [a for a in named if not a.expired]
    if alive:
        return max(alive, key=lambda a: (a.created_at is not None, a.created_at, a.id))
    if named:
        return f"artifact {name!r} has expired (artifacts are kept 90 days by default)"
    return f"no artifact named {name!r}"


def safe_member_path(name: str) -> PurePosixPath:
    """The relative path an archive member may be written to, or ``ArtifactError`` if unsafe."""
    if not name or name.startswith(("/", "\\")) or "\\" in name or "\0" in name:
        raise ArtifactError(f"archive member {name!r} has an absolute or invalid path")
    if len(name) > 1 and name[1] == ":":
        raise ArtifactError(f"archive member {name!r} has a drive letter")
    path = PurePosixPath(name)
    if any(part == ".." for part in path.parts):
        raise ArtifactError(f"archive member {name!r} escapes the extraction directory")
    return path


def check_members(infos: Sequence[zipfile.ZipInfo], limits: ExtractLimits) -> None:
    """Reject a zip before writing anything: paths, links, member count, declared size."""
    if len(infos) > limits.max_members:
        raise ArtifactError(f"artifact zip has {len(infos)} members, over {limits.max_members}")
    for info in infos:
        safe_member_path(info.filename)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ArtifactError(f"artifact zip member {info.filename!r} is a symbolic link")
    declared = sum(i.file_size for i in infos)
    if declared > limits.max_total_bytes:
        raise ArtifactError(
            f"artifact unpacks to {declared} bytes, over the {limits.max_total_bytes}-byte cap"
        )


def extract_zip(archive_path: Path, dest: Path, limits: ExtractLimits) -> list[Path]:
    """Unpack ``archive_path`` into ``dest`` (created) after checks; returns the files."""
    try:
        with zipfile.ZipFile(archive_path) as archive:
            infos = archive.infolist()
            check_members(infos, limits)
            budget = limits.max_total_bytes
            written: list[Path] = []
            for info in infos:
                if info.is_dir():
                    continue
                target = dest.joinpath(*safe_member_path(info.filename).parts)
                budget -= _copy_member(archive, info, target, budget)
                written.append(target)
            return written
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise ArtifactError(f"artifact zip is corrupt or unreadable ({exc})") from None
    except OSError as exc:  # e.g. a member that is both a file and a folder, a name too long
        raise ArtifactError(f"artifact zip cannot be unpacked ({exc.strerror})") from None


def _copy_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, left: int) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    total = 0
    with archive.open(info) as source, target.open("wb") as out:
        while chunk := source.read(64 * 1024):
            total += len(chunk)
            if total > left:
                raise ArtifactError("artifact unpacks to more bytes than its cap (zip bomb?)")
            out.write(chunk)
    return total


def list_run_artifacts(
    client: GitHubClient, run_id: int, *, name: str | None = None, repo: str | None = None
) -> list[ArtifactInfo]:
    """All artifacts of a run (every page), optionally filtered by name on the server."""
    full_name = repo or client.settings.repository
    params: dict[str, Any] = {"name": name} if name else {}
    listing = PaginatedList(
        Artifact,
        client.github.requester,
        f"/repos/{full_name}/actions/runs/{run_id}/artifacts",
        params,
        list_item="artifacts",
    )
    with api_errors(f"listing artifacts of run {run_id}"):
        return [_info(a) for a in listing]


def _info(artifact: Artifact) -> ArtifactInfo:
    return ArtifactInfo(
        id=int(artifact.id),
        name=str(artifact.name),
        expired=bool(artifact.expired),
        download_url=str(artifact.archive_download_url),
        size=int(artifact.size_in_bytes or 0),
        created_at=artifact.created_at,
    )


def fetch_artifact(
    client: GitHubClient, artifact: ArtifactInfo, *, limits: ExtractLimits | None = None
) -> Path:
    """Download and unpack one artifact into the cache (reused if already there)."""
    limits = limits or ExtractLimits()
    if artifact.size > limits.max_download_bytes:
        raise ArtifactError(
            f"artifact {artifact.name!r} is {artifact.size} bytes, over the "
            f"{limits.max_download_bytes}-byte cap"
        )
    final = _artifact_dir(client) / str(artifact.id)
    if (final / COMPLETE_MARKER).is_file():
        logger.debug("artifact %s already unpacked in the cache", artifact.id)
        return final
    staging = final.with_name(f".{artifact.id}.{uuid.uuid4().hex}")
    try:
        _download_and_unpack(client, artifact, staging, limits)
        (staging / COMPLETE_MARKER).write_text("ok\n", encoding="utf-8")
        shutil.rmtree(final, ignore_errors=True)
        staging.replace(final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


def _download_and_unpack(
    client: GitHubClient, artifact: ArtifactInfo, staging: Path, limits: ExtractLimits
) -> None:
    archive = staging / "artifact.zip"
    try:
        client.download(artifact.download_url, archive, max_bytes=limits.max_download_bytes)
    except GitHubHTTPError as exc:
        if exc.status == 410:
            raise ArtifactError(f"artifact {artifact.name!r} has expired (HTTP 410)") from None
        raise ArtifactError(f"artifact {artifact.name!r} could not be downloaded: {exc}") from None
    except DownloadTooLarge as exc:
        raise ArtifactError(f"artifact {artifact.name!r}: {exc}") from None
    extract_zip(archive, staging / "files", limits)
    archive.unlink()


def _artifact_dir(client: GitHubClient) -> Path:
    s = client.settings
    scope = hashlib.sha256(f"{s.api_url}|{s.repository}".encode()).hexdigest()[:16]
    return s.cache_dir / "artifacts" / scope


def files_of(unpacked: Path) -> Path:
    """The directory holding an unpacked artifact's files."""
    return unpacked / "files"


def download_run_artifact(
    client: GitHubClient,
    run_id: int,
    name: str,
    *,
    repo: str | None = None,
    limits: ExtractLimits | None = None,
) -> Path:
    """Directory with the files of artifact ``name`` of run ``run_id`` (``mode: comment``).

    Raises ``ArtifactError`` (a ``BaselineError``) with a readable reason on any failure.
    """
    try:
        chosen = choose_artifact(list_run_artifacts(client, run_id, name=name, repo=repo), name)
    except AiwfCIError as exc:
        raise ArtifactError(f"could not list artifacts of run {run_id}: {exc}") from None
    if isinstance(chosen, str):
        raise ArtifactError(f"run {run_id}: {chosen}")
    return files_of(fetch_artifact(client, chosen, limits=limits))
