"""Reading a file another tool wrote, without letting it hang or swamp the reader.

A path given as a harness's output (or a results file) can name anything: a FIFO (opening it
for reading waits for a writer that never comes), a device (``/dev/zero`` never ends), a
folder, or a file of gigabytes. ``read_regular_file`` ``stat``s the path first, opens it
non-blocking, checks again on the open descriptor (the path may have changed in between) and
reads at most ``limit`` bytes, so each of those is a one-line error instead of a hang.

Only the standard library and ``aiwf_ci.errors``: the module can move below ``models`` as it
is, for ``models.load_results`` to use it too.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from aiwf_ci.errors import AiwfCIError, IngestError

MAX_INPUT_BYTES = 64 * 1024 * 1024
"""The default size limit (64 MiB): a harness output or results file is rarely over 1 MiB."""

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def read_regular_file(
    path: Path,
    *,
    limit: int = MAX_INPUT_BYTES,
    what: str,
    error: type[AiwfCIError] = IngestError,
) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    Anything else raises ``error`` (``IngestError`` by default; ``ResultsFormatError`` for a
    results file) with one line naming the path, the problem and the fix; ``what`` names what
    the file should be (e.g. "hyperfine output")."""
    try:
        _check(os.stat(path), path, limit, what, error)
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except FileNotFoundError:
        raise error(f"{path}: cannot read {what} (no such file)") from None
    except OSError as exc:
        raise error(f"{path}: cannot read {what} ({exc.strerror or exc})") from None
    try:
        _check(os.fstat(fd), path, limit, what, error)
        os.set_blocking(fd, True)
        return _read_at_most(fd, path, limit, what, error)
    except OSError as exc:
        raise error(f"{path}: cannot read {what} ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


def _check(
    info: os.stat_result, path: Path, limit: int, what: str, error: type[AiwfCIError]
) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a regular file")
        raise error(
            f"{path}: is {kind}, not a regular file; expected {what} "
            "(pass the path of the file the tool wrote)"
        )
    if info.st_size > limit:
        raise error(_too_large(path, info.st_size, limit, what))


def _read_at_most(fd: int, path: Path, limit: int, what: str, error: type[AiwfCIError]) -> bytes:
    """Up to ``limit`` bytes; a file that grew past it since ``fstat`` is refused too."""
    pieces: list[bytes] = []
    total = 0
    while piece := os.read(fd, min(1024 * 1024, limit + 1 - total)):
        pieces.append(piece)
        total += len(piece)
        if total > limit:
            raise error(_too_large(path, total, limit, what))
    return b"".join(pieces)


def _too_large(path: Path, size: int, limit: int, what: str) -> str:
    return (
        f"{path}: {size:,} bytes is more than the {limit:,}-byte limit for {what} "
        f"({limit // (1024 * 1024)} MiB; check the path, or split the file)"
    )
