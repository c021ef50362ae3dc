"""Turning globs and counts into ``FileOperation``s (planning, no data moved).

A copy keeps each file's path relative to the glob's static prefix: ``data/**/*.csv`` copied
to ``out`` puts ``data/a/b.csv`` at ``out/a/b.csv``. Only regular files match (folders matched
by ``**`` are skipped).

Globs follow ``glob``'s rules (a name starting with ``.`` is only matched by a pattern part
that starts with ``.``; ``**`` never enters such folders; symlinks are followed), with one
difference that keeps every walk finite: ``**`` walks each folder at most once, known by its
device and inode. ``glob`` follows a symlink loop
(``data/loop -> .``) until the path gets too long and lists every file again on each lap; here
the folder is recognised and skipped, so each file is found once (through the first route
in name order, when two symlinks lead to one folder). The walk can also stop at a
number of matches or a deadline (``PlanError``), so a glob over a huge tree fails in time.

``write_operations`` is a generator: a million planned writes cost nothing until they run.
"""

from __future__ import annotations

import fnmatch
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from aiwf_ci.filebatch.models import GIB, FileOperation

_MAGIC = re.compile(r"[*?[]")

MAX_GLOB_FILES = 1_000_000
"""Files one glob may match when a limit is asked for (the ``file-batch`` workload's)."""
MAX_WRITE_COUNT = 1_000_000
"""Files one ``write`` operation may create."""
MAX_WRITE_SIZE = 64 * GIB
"""Bytes of one written file."""


class PlanError(Exception):
    """A glob that could not be expanded: too many matches, or out of time."""


def static_prefix(pattern: str) -> str:
    """The folder part of ``pattern`` before its first wildcard component."""
    parts = pattern.split(os.sep)
    for index, part in enumerate(parts):
        if _MAGIC.search(part):
            return os.sep.join(parts[:index]) or os.sep
    return os.path.dirname(pattern)


def glob_files(pattern: str, *, base_dir: Path) -> list[tuple[Path, str]]:
    """(absolute path, path relative to the static prefix) of each regular file, sorted."""
    return [(Path(path), relative) for path, relative in glob_paths(pattern, base_dir=base_dir)]


def glob_paths(
    pattern: str,
    *,
    base_dir: Path,
    limit: int | None = None,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> list[tuple[str, str]]:
    """``glob_files`` as plain strings (building a ``Path`` costs more than copying a small
    file's data, so planned operations carry ``str`` paths). ``PlanError`` past ``limit``
    matches or ``deadline`` (on ``clock``)."""
    full, base = _anchor(pattern, base_dir)
    unique: dict[str, None] = {}  # `a/**/**/x` reaches a file by two routes
    for path in _walk(full, base, deadline, clock):
        unique[path] = None
        if limit is not None and len(unique) > limit:
            shown = pattern if len(pattern) <= 80 else pattern[:79] + "…"
            raise PlanError(f"glob {shown!r} matches more than {limit:,} files")
    found = sorted(unique)
    head = base if base.endswith(os.sep) else base + os.sep
    cut = len(head)
    return [(m, m[cut:] if m.startswith(head) else os.path.relpath(m, base)) for m in found]


def iter_glob(pattern: str, *, base_dir: Path, deadline: float | None = None) -> Iterator[str]:
    """The matches of ``pattern`` as they are found, unsorted: ``next(iter_glob(...), None)``
    tells whether a glob matches anything without walking the whole tree."""
    full, base = _anchor(pattern, base_dir)
    return _walk(full, base, deadline, time.monotonic)


def _anchor(pattern: str, base_dir: Path) -> tuple[str, str]:
    """(the absolute, normalised pattern, its static prefix)."""
    full = pattern if os.path.isabs(pattern) else os.path.join(base_dir, pattern)
    full = os.path.normpath(os.path.abspath(full))
    return full, static_prefix(full)


def _walk(
    full: str, base: str, deadline: float | None, clock: Callable[[], float]
) -> Iterator[str]:
    """Regular files matching ``full``, walking from ``base`` depth-first in name order."""
    parts = [p for p in full[len(base) :].split(os.sep) if p]
    if not parts:
        return
    seen: set[tuple[int, int, int]] = set()
    stack: list[tuple[str, int]] = [(base, 0)]
    while stack:
        folder, index = stack.pop()
        if deadline is not None and clock() >= deadline:
            raise PlanError(f"ran out of time while listing {folder}")
        if parts[index] == "**" and not _first_visit(folder, index, seen):
            continue
        files, folders = _step(folder, parts, index)
        yield from files
        stack.extend(reversed(folders))


def _first_visit(folder: str, index: int, seen: set[tuple[int, int, int]]) -> bool:
    """Whether ``**`` at ``index`` enters ``folder`` for the first time. Only ``**`` can
    come back to a folder without end; other parts go one level down each."""
    try:
        info = os.stat(folder)
    except OSError:
        return False
    key = (info.st_dev, info.st_ino, index)
    if key in seen:
        return False
    seen.add(key)
    return True


def _step(folder: str, parts: list[str], index: int) -> tuple[list[str], list[tuple[str, int]]]:
    """The files that part ``index`` of the pattern matches in ``folder``, and the folders
    (with the index of the part that applies there) still to walk."""
    part, last = parts[index], index == len(parts) - 1
    if part == "**":
        files, subfolders = _listing(folder, None, hidden=False)
        more = [(path, index) for path in subfolders]
        if last:
            return files, more
        return [], [(folder, index + 1), *more]
    if _MAGIC.search(part):
        match = re.compile(fnmatch.translate(part)).match
        files, subfolders = _listing(folder, match, hidden=part.startswith("."))
        return (files, []) if last else ([], [(path, index + 1) for path in subfolders])
    path = os.path.join(folder, part)
    if last:
        return ([path] if os.path.isfile(path) else []), []
    return [], ([(path, index + 1)] if os.path.isdir(path) else [])


def _listing(
    folder: str, match: Callable[[str], object] | None, *, hidden: bool
) -> tuple[list[str], list[str]]:
    """(regular files, folders) in ``folder`` whose names match, sorted; names starting with
    ``.`` only when ``hidden``. One ``scandir``, the entries' own types (no ``stat`` per
    file: that was half the planning time of 10,000 files)."""
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError:
        return [], []
    files: list[str] = []
    folders: list[str] = []
    for entry in entries:
        name = entry.name
        if (name[0] == "." and not hidden) or (match is not None and not match(name)):
            continue
        try:
            if entry.is_file():
                files.append(entry.path)
            elif entry.is_dir():
                folders.append(entry.path)
        except OSError:
            continue
    return files, folders


def read_operations(pattern: str, *, base_dir: Path) -> list[FileOperation]:
    return [FileOperation.read(path) for path, _ in glob_paths(pattern, base_dir=base_dir)]


def copy_operations(
    pattern: str, *, base_dir: Path, dest: Path, overwrite: bool = False
) -> list[FileOperation]:
    return list(copies(glob_paths(pattern, base_dir=base_dir), dest, overwrite=overwrite))


def copies(
    matches: list[tuple[str, str]], dest: Path | str, *, overwrite: bool = False
) -> Iterator[FileOperation]:
    """A copy of each (path, relative path) match into ``dest``, made as it is taken."""
    into = os.fspath(dest)
    into = into if into.endswith(os.sep) else into + os.sep
    for path, relative in matches:
        yield FileOperation.copy(path, into + relative, overwrite=overwrite)


def write_operations(
    dest: Path | str, *, count: int, size: int, overwrite: bool = False
) -> Iterator[FileOperation]:
    """``count`` files of ``size`` synthetic bytes named ``file-000000.bin``... in ``dest``,
    made one at a time as the processor takes them."""
    if count > MAX_WRITE_COUNT or size > MAX_WRITE_SIZE:
        raise ValueError(
            f"at most {MAX_WRITE_COUNT:,} files of at most {MAX_WRITE_SIZE:,} bytes a write"
        )
    folder = os.fspath(dest)
    return (
        FileOperation.write(
            os.path.join(folder, f"file-{i:06d}.bin"), size=size, overwrite=overwrite
        )
        for i in range(count)
    )
