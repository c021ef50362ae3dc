"""Archives for tests: artifact zips (a good one, and each kind of hostile one) and source
tarballs as GitHub's tarball endpoint serves them (one top folder ``OWNER-REPO-SHORTSHA/``)."""

from __future__ import annotations

import io
import json
import stat
import tarfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def make_zip(files: Mapping[str, bytes | str]) -> bytes:
    """A deflated zip with ``files`` (name → content)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def results_zip(
    results: Mapping[str, Any], *, extra: Mapping[str, bytes | str] | None = None
) -> bytes:
    """What ``actions/upload-artifact`` of ``results-dir`` produces: results.json at the root."""
    files: dict[str, bytes | str] = {"results.json": json.dumps(results), "report.md": "# report\n"}
    files.update(extra or {})
    return make_zip(files)


def symlink_zip(name: str = "results.json", target: str = "/etc/passwd") -> bytes:
    """A zip whose member is a symbolic link (Unix mode in ``external_attr``)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo(name)
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, target)
    return buffer.getvalue()


def bomb_zip(size: int = 64 * 1024 * 1024) -> bytes:
    """A tiny zip that inflates to ``size`` bytes of zeros."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("results.json", "w", force_zip64=True) as member,
    ):
        chunk = b"\0" * (1024 * 1024)
        for _ in range(size // len(chunk)):
            member.write(chunk)
    return buffer.getvalue()


def corrupt_zip() -> bytes:
    """Bytes that look like the start of a zip and are not one."""
    return b"PK\x03\x04" + b"\x00garbage" * 64


def tree_tarball(
    root: Path, *, top: str = "Codertocat-Hello-World-6113728", extra: list[tarfile.TarInfo] = ()
) -> bytes:
    """The files under ``root`` as a gzipped tar inside one top folder, plus ``extra``
    members (links, absolute paths ... for hostile-archive tests)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(root, arcname=top, filter=_clean)
        for member in extra:
            data = io.BytesIO(b"x" * member.size) if member.isreg() else None
            archive.addfile(member, data)
    return buffer.getvalue()


def _clean(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    return None if "__pycache__" in info.name else info
