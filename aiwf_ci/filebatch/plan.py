"""Turning globs and counts into ``FileOperation`` lists (planning, no data moved).

A copy keeps each file's path relative to the glob's static prefix: ``data/**/*.csv`` copied
to ``out`` puts ``data/a/b.csv`` at ``out/a/b.csv``. Globs are expanded once, when the
operations are planned; only regular files match (folders matched by ``**`` are skipped).
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
from collections.abc import Callable
from pathlib import Path

from aiwf_ci.filebatch.models import FileOperation

_MAGIC = re.compile(r"[*?[]")


def static_prefix(pattern: str) -> str:
    """The folder part of ``pattern`` before its first wildcard component."""
    parts = pattern.split(os.sep)
    for index, part in enumerate(parts):
        if _MAGIC.search(part):
            return os.sep.join(parts[:index]) or os.sep
    return os.path.dirname(pattern)


def glob_files(pattern: str, *, base_dir: Path) -> list[tuple[Path, str]]:
    """(absolute path, path relative to the static prefix) of each regular file, sorted."""
    return [(Path(path), relative) for path, relative in _glob(pattern, base_dir)]


def _glob(pattern: str, base_dir: Path) -> list[tuple[str, str]]:
    """``glob_files`` as plain strings: building a ``Path`` costs more than copying a small
    file's data, so planned operations carry ``str`` paths."""
    full = pattern if os.path.isabs(pattern) else os.path.join(base_dir, pattern)
    full = os.path.normpath(full)
    base = static_prefix(full)
    found = _walk(full, base)
    if found is None:
        found = [m for m in glob.glob(full, recursive=True) if os.path.isfile(m)]
    found.sort()
    head = base if base.endswith(os.sep) else base + os.sep
    cut = len(head)
    return [(m, m[cut:] if m.startswith(head) else os.path.relpath(m, base)) for m in found]


def _walk(full: str, base: str) -> list[str] | None:
    """The regular files ``glob`` + ``isfile`` would give for ``base/**/name-pattern``, found
    with one ``scandir`` per folder and the entry's file type (no ``stat`` per file: that
    ``stat`` and ``glob``'s per-name joins were half the planning time of 10,000 files).
    ``None`` for any other shape of pattern, which ``glob`` expands instead.

    Same rules as ``glob``: names starting with ``.`` are skipped (files only matched by a
    pattern that starts with ``.``, folders never by ``**``), symlinks are followed, unreadable
    folders are skipped."""
    if not full.startswith(base):  # a relative pattern starting with a wildcard
        return None
    rest = full[len(base) :].lstrip(os.sep).split(os.sep)
    if len(rest) != 2 or rest[0] != "**" or "**" in rest[1]:
        return None
    match = re.compile(fnmatch.translate(rest[1])).match
    found: list[str] = []
    _scan(base, match, rest[1].startswith("."), found)
    return found


def _scan(folder: str, match: Callable[[str], object], hidden: bool, found: list[str]) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        name = entry.name
        try:
            if entry.is_file():
                if (hidden or name[0] != ".") and match(name):
                    found.append(entry.path)
            elif name[0] != "." and entry.is_dir():
                _scan(entry.path, match, hidden, found)
        except OSError:
            continue


def read_operations(pattern: str, *, base_dir: Path) -> list[FileOperation]:
    return [FileOperation.read(path) for path, _ in _glob(pattern, base_dir)]


def copy_operations(
    pattern: str, *, base_dir: Path, dest: Path, overwrite: bool = False
) -> list[FileOperation]:
    into = os.fspath(dest)
    into = into if into.endswith(os.sep) else into + os.sep
    return [
        FileOperation.copy(path, into + relative, overwrite=overwrite)
        for path, relative in _glob(pattern, base_dir)
    ]


def write_operations(
    dest: Path, *, count: int, size: int, overwrite: bool = False
) -> list[FileOperation]:
    """``count`` files of ``size`` synthetic bytes named ``file-000000.bin``... in ``dest``."""
    return [
        FileOperation.write(dest / f"file-{i:06d}.bin", size=size, overwrite=overwrite)
        for i in range(count)
    ]
