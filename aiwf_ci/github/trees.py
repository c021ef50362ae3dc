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

Either way the archive is untrusted input and is unpacked by ``github.untar``: no absolute
paths, no ``..``, no hard links, devices or pipes, symbolic links only when they resolve
inside the tree through every other link, header sizes bounded before they are read, caps on
members and bytes. The tarball's single top folder (``OWNER-REPO-SHORTSHA/``) is stripped.
Trees are cached by commit SHA in the cache folder (``<cache-dir>/trees/<scope>/<sha>``,
complete only with its marker), so a warm run downloads nothing; ``github.treecache`` keeps
that folder bounded. A file of the tree is read through :func:`tree_file`, which refuses a
path that leads outside the tree. Every failure is a ``BaselineError`` whose message says
why (the caller falls back to the artifact baseline and shows the reason).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath

from aiwf_ci.errors import AiwfCIError, BaselineError, DownloadTooLarge, GitHubHTTPError
from aiwf_ci.github import treecache
from aiwf_ci.github.checkout import SHA, checkout_top, git_command, git_failure, tree_dir
from aiwf_ci.github.client import GitHubClient
from aiwf_ci.github.treecache import CacheLimits
from aiwf_ci.github.untar import TreeLimits, extract_tar

__all__ = ["CacheLimits", "TreeLimits", "base_tree", "extract_tar", "tree_file"]


def base_tree(
    *,
    sha: str,
    cache_dir: Path,
    workspace: Path | None,
    client: GitHubClient | None,
    limits: TreeLimits | None = None,
    cache: CacheLimits | None = None,
) -> tuple[Path, str]:
    """The unpacked tree of commit ``sha`` and where it came from (``cache``, ``git``,
    ``tarball``); ``BaselineError`` with the reasons when neither source has it. The cache
    is trimmed to ``cache`` afterwards, this tree kept."""
    if not SHA.match(sha or ""):
        raise BaselineError(f"no base commit SHA to fetch (got {sha[:50]!r})")
    want = _Want(sha=sha, workspace=workspace, client=client, limits=limits or TreeLimits())
    final = tree_dir(cache_dir, _scope(client), sha)
    tree, source = _cached_or_unpacked(final, want)
    treecache.evict(cache_dir / "trees", final, cache or CacheLimits())
    return tree, source


def _cached_or_unpacked(final: Path, want: _Want) -> tuple[Path, str]:
    if treecache.use(final):
        return final / "files", "cache"
    reasons = []
    for source, fetch in (("git", _from_git), ("tarball", _from_tarball)):
        try:
            return _unpack_into(final, partial(fetch, want=want)), source
        except BaselineError as exc:
            reasons.append(f"{source}: {exc}")
    raise BaselineError("the base commit's tree is not available (" + "; ".join(reasons) + ")")


def tree_file(tree: Path, relative: PurePosixPath | Path) -> Path:
    """``tree / relative`` once it surely resolves inside ``tree`` (through any link in
    the tree); ``BaselineError`` otherwise. How a file of a base tree is read."""
    path = tree / relative
    try:
        inside = path.resolve().is_relative_to(tree.resolve())
    except (OSError, RuntimeError):  # a loop of links
        inside = False
    if not inside:
        raise BaselineError(f"the base commit's {relative} leads outside its tree (a link)")
    return path


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
        treecache.mark_complete(staging)
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
