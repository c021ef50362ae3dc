"""Turning globs and counts into ``FileOperation`` lists (planning, no data moved).

A copy keeps each file's path relative to the glob's static prefix: ``data/**/*.csv`` copied
to ``out`` puts ``data/a/b.csv`` at ``out/a/b.csv``. Globs are expanded once, when the
operations are planned; only regular files match (folders matched by ``**`` are skipped).
"""

from __future__ import annotations

import glob
import os
import re
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
    found = sorted(m for m in glob.glob(full, recursive=True) if os.path.isfile(m))
    head = base if base.endswith(os.sep) else base + os.sep
    cut = len(head)
    return [(m, m[cut:] if m.startswith(head) else os.path.relpath(m, base)) for m in found]


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
