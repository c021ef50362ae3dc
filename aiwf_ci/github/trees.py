"""The base commit's source tree, for measuring base and head on the same runner.

Two sources, tried in order:

1. **local git**, when ``git`` is installed and the checkout has the commit
   (``actions/checkout`` with ``fetch-depth: 0``): ``git archive SHA`` — no request at all,
   with ``safe.directory`` naming the checkout (a runner's workspace belongs to another user
   than the container's root: ``github.checkout``);
2. **the repository tarball** of the commit through the cached GitHub client
   (``GET /repos/{owner}/{repo}/tarball/{sha}``, needs ``contents: read``): the API answers
   with a redirect to an archive host, which never receives the token (the client's download
   drops it across hosts), and the archive is streamed to disk under a size cap.

Either way the archive is untrusted input and is unpacked as carefully as an artifact: no
absolute paths, no ``..``, no hard links, devices or pipes, symbolic links only when they
stay inside the tree, caps on members and bytes. The tarball's single top folder
(``OWNER-REPO-SHORTSHA/``) is stripped. Trees are cached by commit SHA in the cache folder
(``<cache-dir>/trees/<sha>``, complete only with its marker), so a warm run downloads
nothing. Every failure is a ``BaselineError`` whose message says why (the caller falls back
to the artifact baseline and shows the reason).
"""

from __future__ import annotations

import hashlib
import posixpath
import shutil
import subprocess
import tarfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO

from aiwf_ci.errors import AiwfCIError, BaselineError, DownloadTooLarge, GitHubHTTPError
from aiwf_ci.github.artifacts import COMPLETE_MARKER, safe_member_path
from aiwf_ci.github.checkout import SHA, checkout_top, git_command, git_failure, tree_dir
from aiwf_ci.github.client import GitHubClient


@dataclass(frozen=True, slots=True, kw_only=True)
class TreeLimits:
    """Caps for an untrusted source archive."""

    max_download_bytes: int = 512 * 1024 * 1024
    max_members: int = 200_000
    max_total_bytes: int = 2 * 1024 * 1024 * 1024


def base_tree(
    *,
    sha: str,
    cache_dir: Path,
    workspace: Path | None,
    client: GitHubClient | None,
    limits: TreeLimits | None = None,
) -> tuple[Path, str]:
    """The unpacked tree of commit ``sha`` and where it came from (``cache``, ``git``,
    ``tarball``); ``BaselineError`` with the reasons when neither source has it."""
    if not SHA.match(sha or ""):
        raise BaselineError(f"no base commit SHA to fetch (got {sha[:50]!r})")
    want = _Want(sha=sha, workspace=workspace, client=client, limits=limits or TreeLimits())
    final = tree_dir(cache_dir, _scope(client), sha)
    if (final / COMPLETE_MARKER).is_file():
        return final / "files", "cache"
    reasons = []
    for source, fetch in (("git", _from_git), ("tarball", _from_tarball)):
        try:
            return _unpack_into(final, partial(fetch, want=want)), source
        except BaselineError as exc:
            reasons.append(f"{source}: {exc}")
    raise BaselineError("the base commit's tree is not available (" + "; ".join(reasons) + ")")


@dataclass(frozen=True, slots=True, kw_only=True)
class _Want:
    """The commit to unpack and what may be used to get it."""

    sha: str
    workspace: Path | None
    client: GitHubClient | None
    limits: TreeLimits


def _scope(client: GitHubClient | None) -> str:
    if client is None:
        return "local"
    s = client.settings
    return hashlib.sha256(f"{s.api_url}|{s.repository}".encode()).hexdigest()[:16]


def _unpack_into(final: Path, fill: Callable[[Path], None]) -> Path:
    """Fill a staging folder, then move it into place with its completion marker."""
    staging = final.with_name(f".{final.name}.{uuid.uuid4().hex}")
    staging.mkdir(parents=True)
    try:
        fill(staging)
        (staging / COMPLETE_MARKER).write_text("ok\n", encoding="utf-8")
        shutil.rmtree(final, ignore_errors=True)
        staging.replace(final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final / "files"


def _from_git(staging: Path, *, want: _Want) -> None:
    if want.workspace is None:
        raise BaselineError("no checkout to read it from")
    command = git_command(want.workspace, "archive", "--format=tar", want.sha)
    if command is None:
        raise BaselineError("git is not installed here")
    if checkout_top(want.workspace) is None:
        raise BaselineError(git_failure("fatal: not a git repository"))
    archive = staging / "tree.tar"
    with archive.open("wb") as out:
        done = subprocess.run(command, stdout=out, stderr=subprocess.PIPE, timeout=300, check=False)
    if done.returncode != 0:
        raise BaselineError(git_failure(done.stderr.decode("utf-8", "replace")))
    with archive.open("rb") as handle:
        extract_tar(handle, staging / "files", want.limits, strip_top=False)
    archive.unlink()


def _from_tarball(staging: Path, *, want: _Want) -> None:
    client = want.client
    if client is None:
        raise BaselineError("no GitHub token or repository to download it with")
    s = client.settings
    url = f"{s.api_url}/repos/{s.repository}/tarball/{want.sha}"
    archive = staging / "tree.tar.gz"
    try:
        client.download(url, archive, max_bytes=want.limits.max_download_bytes)
    except GitHubHTTPError as exc:
        hint = "the token needs contents: read"
        raise BaselineError(f"download failed (HTTP {exc.status}; {hint})") from None
    except DownloadTooLarge as exc:
        raise BaselineError(str(exc)) from None
    except AiwfCIError as exc:
        raise BaselineError(f"download failed ({exc})") from None
    with archive.open("rb") as handle:
        extract_tar(handle, staging / "files", want.limits, strip_top=True)
    archive.unlink()


def extract_tar(handle: IO[bytes], dest: Path, limits: TreeLimits, *, strip_top: bool) -> int:
    """Unpack an untrusted tar (gzip or not) into ``dest`` after checking every member;
    returns the number of files. Raises ``BaselineError`` on anything unsafe or corrupt."""
    try:
        with tarfile.open(fileobj=handle, mode="r:*") as archive:
            return _extract(archive, dest, limits, strip_top)
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        if isinstance(exc, BaselineError):
            raise
        problem = f"the source archive is corrupt or cannot be unpacked ({exc})"
        raise BaselineError(problem) from None


def _extract(archive: tarfile.TarFile, dest: Path, limits: TreeLimits, strip_top: bool) -> int:
    dest.mkdir(parents=True, exist_ok=True)
    budget, files, links = limits.max_total_bytes, 0, []
    for count, member in enumerate(archive, start=1):
        if count > limits.max_members:
            raise BaselineError(f"the source archive has more than {limits.max_members} entries")
        name = _member_name(member.name, strip_top)
        if name is None:
            continue
        target = dest.joinpath(*safe_member_path(name).parts)
        if member.isdir():
            target.mkdir(parents=True, exist_ok=True)
        elif member.isreg():
            budget -= _copy(archive, member, target, budget)
            files += 1
        elif member.issym():
            links.append((name, member.linkname, target))
        else:
            raise BaselineError(f"the source archive holds {name!r}, which is not a plain file")
    for name, link, target in links:
        _symlink(name, link, target)
    return files


def _member_name(raw: str, strip_top: bool) -> str | None:
    """The path inside the tree; ``None`` for the top folder itself and pax headers."""
    name = raw.removeprefix("./")
    if raw.startswith("/"):
        raise BaselineError(f"the source archive has an absolute path {raw[:100]!r}")
    if name in ("", "pax_global_header"):
        return None
    if strip_top:
        _top, _, rest = name.partition("/")
        return rest or None
    return name


def _copy(archive: tarfile.TarFile, member: tarfile.TarInfo, target: Path, left: int) -> int:
    if member.size > left:
        raise BaselineError("the source archive unpacks to more bytes than its cap")
    source = archive.extractfile(member)
    if source is None:
        raise BaselineError(f"the source archive's {member.name[:100]!r} cannot be read")
    target.parent.mkdir(parents=True, exist_ok=True)
    with source, target.open("wb") as out:
        shutil.copyfileobj(source, out, 64 * 1024)
    if member.mode & 0o111:
        target.chmod(target.stat().st_mode | 0o111)
    return member.size


def _symlink(name: str, link: str, target: Path) -> None:
    """A symbolic link, only when it is relative and resolves inside the tree."""
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), link))
    if link.startswith("/") or resolved == ".." or resolved.startswith("../"):
        raise BaselineError(f"the source archive's link {name[:100]!r} points outside the tree")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(link)
