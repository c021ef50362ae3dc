"""The base-tree cache (``<cache-dir>/trees/<scope>/<sha>``) kept to a bounded size.

A pull request's base commit moves with its branch, so without eviction every base ever
measured stays in ``cache-dir`` (and in the ``actions/cache`` entry that persists it). A tree
counts as complete only with its marker, which records the marker's format and the tree's
bytes (so eviction never walks a tree to size it); each use touches the marker, and after a
tree is used the least recently used others are removed until at most ``max_trees`` trees
and ``max_bytes`` bytes are left (the tree in use is always kept, however big). A tree
unpacked by an older release (a marker without this format: its links were checked by name
only) is not used and is removed. Staging folders (``.<sha>.<random>``) that a killed run
left are removed after a day.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aiwf_ci.github.artifacts import COMPLETE_MARKER

MARKER_FORMAT = "aiwf-ci tree 2"
"""The first line of a complete tree's marker; trees with another are unpacked again."""
STALE_STAGING_SECONDS = 24 * 3600


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheLimits:
    """How much of ``<cache-dir>/trees/`` is kept."""

    max_trees: int = 5
    max_bytes: int = 2 * 1024 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class CachedTree:
    """One complete tree: its folder, when it was last used, its bytes."""

    path: Path
    used: float
    size: int


def mark_complete(tree: Path) -> None:
    """Write the marker of a filled tree folder (its files in ``files/``)."""
    size = _bytes_under(tree / "files")
    (tree / COMPLETE_MARKER).write_text(f"{MARKER_FORMAT}\nbytes {size}\n", encoding="utf-8")
    _touch(tree)


def use(tree: Path) -> bool:
    """``True`` (and the marker touched) when ``tree`` is complete in this format."""
    if _read(tree) is None:
        return False
    _touch(tree)
    return True


def _touch(tree: Path) -> None:
    """The marker's time set from the fine clock (a file system's own clock can give two
    uses a few milliseconds apart the same time)."""
    now = time.time_ns()
    os.utime(tree / COMPLETE_MARKER, ns=(now, now))


def to_evict(trees: Sequence[CachedTree], keep: Path, limits: CacheLimits) -> list[Path]:
    """The trees to remove, least recently used first, so that at most ``limits`` remain;
    ``keep`` (the tree in use) is never one of them and counts first."""
    ordered = sorted(trees, key=lambda t: (t.path != keep, -t.used))
    count, total, evict = 0, 0, []
    for tree in ordered:
        count, total = count + 1, total + tree.size
        fits = count <= limits.max_trees and total <= limits.max_bytes
        if tree.path != keep and not fits:
            evict.append(tree.path)
            count, total = count - 1, total - tree.size
    return evict


def evict(root: Path, keep: Path, limits: CacheLimits) -> list[Path]:
    """Remove from ``root`` (``<cache-dir>/trees``) what :func:`to_evict` says, trees of an
    older format and stale staging folders; returns what was removed."""
    complete: list[CachedTree] = []
    removed: list[Path] = []
    for scope in _folders(root):
        for tree in _folders(scope):
            found = _read(tree)
            if found is not None:
                complete.append(found)
            elif tree != keep and _unused(tree):
                removed.append(tree)
    removed += to_evict(complete, keep, limits)
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed


def _unused(tree: Path) -> bool:
    """A tree folder without a current marker that no run is filling: an older format's
    tree, or a staging folder older than a day."""
    if not tree.name.startswith("."):
        return True
    try:
        return time.time() - tree.stat().st_mtime > STALE_STAGING_SECONDS
    except OSError:
        return False


def _read(tree: Path) -> CachedTree | None:
    marker = tree / COMPLETE_MARKER
    try:
        lines = marker.read_text(encoding="utf-8").splitlines()
        used = marker.stat().st_mtime
    except (OSError, UnicodeDecodeError):
        return None
    if len(lines) < 2 or lines[0] != MARKER_FORMAT or not lines[1].startswith("bytes "):
        return None
    size = lines[1].removeprefix("bytes ")
    return CachedTree(tree, used, int(size)) if size.isdigit() else None


def _folders(root: Path) -> list[Path]:
    try:
        return [p for p in root.iterdir() if p.is_dir() and not p.is_symlink()]
    except OSError:
        return []


def _bytes_under(root: Path) -> int:
    total = 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            total += os.lstat(os.path.join(folder, name)).st_size
    return total
