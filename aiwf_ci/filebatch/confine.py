"""Keeps every write of the processor inside one destination folder.

A destination is checked twice. Lexically: the normalised path must lie under the root (so
``..`` cannot climb out). Physically: the folders below the root are walked one component at
a time with ``openat(O_NOFOLLOW | O_DIRECTORY)`` from a descriptor of the root, and the file is
created with ``O_NOFOLLOW`` relative to its folder's descriptor, so a symlink anywhere below
the root (even one planted between the check and the write) is refused instead of followed.
Existing files are only replaced when the operation allows it (``O_EXCL`` otherwise).
The root itself is trusted: it is resolved once, symlinks and all.
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
from pathlib import Path

from aiwf_ci.filebatch.models import ErrorKind, StrPath

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC


class Refused(Exception):
    """An operation that must not go ahead; ``kind`` is its ``ErrorKind``."""

    def __init__(self, kind: ErrorKind, reason: str) -> None:
        super().__init__(reason)
        self.kind: ErrorKind = kind
        self.reason = reason


class DestinationRoot:
    """The folder writes are confined to, with a cache of opened sub-folder descriptors."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.path = Path(os.path.realpath(root))
        self._aliases = tuple({os.path.normpath(os.path.abspath(root)), str(self.path)})
        self._fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        self._dirs: dict[tuple[str, ...], int] = {(): self._fd}
        self._parents: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()

    def split(self, dest: StrPath) -> tuple[tuple[str, ...], str]:
        """(folders below the root, file name) of ``dest``, or ``Refused`` if it escapes.

        Files of one folder share the check: the folders are remembered per parent text,
        for names that cannot change what normalising the path gives (not ``.``/``..``)."""
        text = os.fspath(dest)
        parent, sep, name = text.rpartition(os.sep)
        plain = bool(sep and parent and name) and name not in (".", "..")
        if plain and (folders := self._parents.get(parent)) is not None:
            return folders, name
        folders, name = self._split(text)
        if plain:
            self._parents[parent] = folders
        return folders, name

    def _split(self, text: str) -> tuple[tuple[str, ...], str]:
        text = os.path.normpath(text if os.path.isabs(text) else os.path.join(self.path, text))
        for alias in self._aliases:
            if text.startswith(alias.rstrip(os.sep) + os.sep):
                parts = text[len(alias.rstrip(os.sep)) + 1 :].split(os.sep)
                return tuple(parts[:-1]), parts[-1]
        raise Refused("outside-destination", f"resolves outside the destination {self.path}")

    def open_file(self, dest: StrPath, *, overwrite: bool, mode: int = 0o644) -> int:
        """A descriptor open for writing on a new (or, with ``overwrite``, emptied) file."""
        folders, name = self.split(dest)
        parent = self._open_dir(folders)
        flags = _FILE_FLAGS | (0 if overwrite else os.O_EXCL)
        try:
            return os.open(name, flags, mode, dir_fd=parent)
        except FileExistsError:
            raise Refused("exists", "already exists (set overwrite: true to replace it)") from None
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.EMLINK):
                raise Refused("symlink", "is a symlink; refusing to write through it") from None
            raise

    def unlink(self, dest: StrPath) -> None:
        """Remove ``dest`` (never through a symlinked folder)."""
        folders, name = self.split(dest)
        os.unlink(name, dir_fd=self._open_dir(folders))

    def _open_dir(self, folders: tuple[str, ...]) -> int:
        cached = self._dirs.get(folders)
        if cached is not None:
            return cached
        with self._lock:
            fd = self._fd
            for depth in range(1, len(folders) + 1):
                fd = self._child(folders[:depth], fd)
            return fd

    def _child(self, key: tuple[str, ...], parent: int) -> int:
        cached = self._dirs.get(key)
        if cached is not None:
            return cached
        name = key[-1]
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, 0o755, dir_fd=parent)
        try:
            fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                where = os.path.join(self.path, *key)
                raise Refused("symlink", f"{where} is a symlink or not a folder") from None
            raise
        self._dirs[key] = fd
        return fd

    def forget_folders(self) -> None:
        """Close the cached sub-folder descriptors (the processor does this after each batch)."""
        with self._lock:
            for key, fd in list(self._dirs.items()):
                if key:
                    os.close(fd)
                    del self._dirs[key]

    def close(self) -> None:
        self.forget_folders()
        os.close(self._fd)
