"""Unpack an untrusted source tarball (the base commit's tree) without trusting its headers
or its symbolic links.

Why not ``tarfile``: it reads a pax or GNU long-name header whole, at the size the header
claims (a 1.5 MB gzip with a 1.5 GB pax header took 1.6 GB of memory), keeps every member
in memory and copies the global pax records into each, and reads a sparse map for as long as
the stream lasts. The archives met here (``git archive`` and GitHub's tarball endpoint,
which runs ``git archive``) hold only folders, plain files and symbolic links in ustar
headers with pax or GNU extensions, so a reader of exactly that is short:

- every header is 512 bytes; a pax (``x``, ``g``) or GNU long name/link (``L``, ``K``)
  header's body is refused above ``max_header_bytes`` *before* it is read, a pax header
  with more than ``MAX_PAX_RECORDS`` records or a name above ``MAX_NAME_BYTES`` is refused;
- every byte of the decompressed stream (headers, padding, skipped bodies) counts against
  ``max_total_bytes``, so nothing the archive says can make the reader run long;
- anything but folders, plain files and symbolic links is refused (hard links, devices,
  pipes, sparse files);
- members are written as they come, links only at the end, after every link target was
  resolved against the *whole* set of links (:func:`link_target`): a chain ``l0 -> .``,
  ``lK -> l(K-1)/..`` looks inside the tree by name but climbs one folder per link, and is
  refused; so is a link below another link, a link where a file or folder was written, or a
  loop. Since no link exists while members are written, nothing is written through one.

Memory is one header body (at most ``max_header_bytes``) plus a 64 KiB copy buffer.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from aiwf_ci.errors import AiwfCIError, BaselineError
from aiwf_ci.github.artifacts import safe_member_path

BLOCK = 512
MAX_NAME_BYTES = 4096
"""Linux's ``PATH_MAX``: no longer path or link target can be created anyway."""
MAX_PAX_RECORDS = 64
"""Real pax headers hold a handful (path, linkpath, size, times, owners, a comment)."""
MAX_LINK_HOPS = 40
"""As the kernel: more links followed while resolving one path is a loop."""
_CHUNK = 64 * 1024
_FILE_TYPES = (b"0", b"\0", b"7")


@dataclass(frozen=True, slots=True, kw_only=True)
class TreeLimits:
    """Caps for an untrusted source archive."""

    max_download_bytes: int = 512 * 1024 * 1024
    max_members: int = 200_000
    max_total_bytes: int = 2 * 1024 * 1024 * 1024
    max_header_bytes: int = 1024 * 1024


def extract_tar(handle: IO[bytes], dest: Path, limits: TreeLimits, *, strip_top: bool) -> int:
    """Unpack an untrusted tar (gzip or not) into ``dest`` after checking every member;
    returns the number of files. Raises ``BaselineError`` on anything unsafe or corrupt."""
    try:
        stream = _decompressed(handle)
        return _Reader(stream, dest, limits, strip_top).run()
    except AiwfCIError:
        raise
    except (EOFError, OSError, ValueError, zlib.error) as exc:
        problem = f"the source archive is corrupt or cannot be unpacked ({exc})"
        raise BaselineError(problem) from None
    except MemoryError:
        raise BaselineError("the source archive needs more memory than there is") from None


def _decompressed(handle: IO[bytes]) -> IO[bytes]:
    start = handle.read(2)
    handle.seek(-len(start), os.SEEK_CUR)
    if start == b"\x1f\x8b":
        return cast(IO[bytes], gzip.GzipFile(fileobj=handle, mode="rb"))
    return handle


@dataclass(slots=True)
class _Pending:
    """What pax and GNU headers say about the next member."""

    name: str | None = None
    link: str | None = None
    size: int | None = None


class _Reader:
    """One pass over the tar stream: headers checked, files written, links kept for last."""

    def __init__(self, stream: IO[bytes], dest: Path, limits: TreeLimits, strip_top: bool):
        self.stream, self.dest, self.limits, self.strip_top = stream, dest, limits, strip_top
        self.left = limits.max_total_bytes
        self.members = 0
        self.files = 0
        self.links: dict[tuple[str, ...], str] = {}

    def run(self) -> int:
        self.dest.mkdir(parents=True, exist_ok=True)
        pending = _Pending()
        while (header := self._header()) is not None:
            pending = self._member(header, pending)
        _make_links(self.dest, self.links)
        return self.files

    def _read(self, size: int) -> bytes:
        """Exactly ``size`` bytes of the stream, counted against the cap."""
        if size > self.left:
            raise BaselineError("the source archive unpacks to more bytes than its cap")
        data = self.stream.read(size)
        while len(data) < size and (more := self.stream.read(size - len(data))):
            data += more
        self.left -= len(data)
        if len(data) != size:
            raise BaselineError("the source archive is corrupt or cannot be unpacked (cut short)")
        return data

    def _header(self) -> bytes | None:
        """The next header; ``None`` at the end (zero block, or the stream's end as tarfile
        also accepts)."""
        first = self.stream.read(1)
        if not first:
            return None
        self.left -= 1
        header = first + self._read(BLOCK - 1)
        return None if header == bytes(BLOCK) else header

    def _member(self, header: bytes, pending: _Pending) -> _Pending:
        _check_sum(header)
        kind, size = header[156:157], _number(header[124:136])
        if kind in (b"x", b"g", b"L", b"K"):
            return self._extension(kind, self._body(size), pending)
        size = pending.size if pending.size is not None else size
        self.members += 1
        if self.members > self.limits.max_members:
            raise BaselineError(
                f"the source archive has more than {self.limits.max_members} entries"
            )
        raw = pending.name if pending.name is not None else _header_name(header)
        link = pending.link if pending.link is not None else _text(header[157:257])
        name = _member_name(raw, self.strip_top)
        if kind in _FILE_TYPES and not raw.endswith("/"):
            self._file(name, size, header)
        else:
            self._other(kind, name, link, raw)
            self._skip(size)
        return _Pending()

    def _body(self, size: int) -> bytes:
        if size > self.limits.max_header_bytes:
            cap = self.limits.max_header_bytes
            raise BaselineError(
                f"the source archive has a {size}-byte extended header, over the {cap}-byte cap"
            )
        body = self._read(size)
        self._read(-size % BLOCK)
        return body

    def _extension(self, kind: bytes, body: bytes, pending: _Pending) -> _Pending:
        if kind in (b"L", b"K"):
            text = _bounded(_text(body))
            if kind == b"L":
                return _Pending(text, pending.link, pending.size)
            return _Pending(pending.name, text, pending.size)
        records = _pax_records(body)
        if kind == b"g":
            return pending  # global records (git's commit comment) change no member here
        size = records.get("size")
        if size is not None and not size.isdigit():
            raise BaselineError(f"the source archive has a bad pax size {size[:20]!r}")
        return _Pending(
            _bounded(records["path"]) if "path" in records else pending.name,
            _bounded(records["linkpath"]) if "linkpath" in records else pending.link,
            int(size) if size is not None else pending.size,  # decimal, unlike the header's
        )

    def _file(self, name: str | None, size: int, header: bytes) -> None:
        if name is None:
            self._skip(size)
            return
        parts = safe_member_path(name).parts
        target = self.dest.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
        mode = 0o755 if _number(header[100:108]) & 0o111 else 0o644
        with os.fdopen(os.open(target, flags, mode), "wb") as out:
            self._copy(size, out)
        self._read(-size % BLOCK)
        self.files += 1

    def _copy(self, size: int, out: IO[bytes]) -> None:
        while size:
            chunk = self._read(min(size, _CHUNK))
            out.write(chunk)
            size -= len(chunk)

    def _skip(self, size: int) -> None:
        left = size + (-size % BLOCK)
        while left:
            left -= len(self._read(min(left, _CHUNK)))

    def _other(self, kind: bytes, name: str | None, link: str, raw: str) -> None:
        if name is None:
            return
        parts = safe_member_path(name).parts
        if kind == b"5" or (kind in _FILE_TYPES and raw.endswith("/")):
            self.dest.joinpath(*parts).mkdir(parents=True, exist_ok=True)
        elif kind == b"2":
            if parts in self.links:
                raise BaselineError(f"the source archive has the link {name[:100]!r} twice")
            self.links[parts] = _bounded(link)
        else:
            raise BaselineError(
                f"the source archive holds {name[:100]!r}, which is not a plain file"
            )


def _member_name(raw: str, strip_top: bool) -> str | None:
    """The path inside the tree; ``None`` for the top folder itself and pax headers."""
    if raw.startswith("/"):
        raise BaselineError(f"the source archive has an absolute path {raw[:100]!r}")
    name = _bounded(raw.removeprefix("./").rstrip("/"))
    if name in ("", ".", "pax_global_header"):
        return None
    if strip_top:
        _top, _, rest = name.partition("/")
        return rest or None
    return name


def _header_name(header: bytes) -> str:
    name = _text(header[0:100])
    prefix = _text(header[345:500]) if header[257:263] == b"ustar\0" else ""
    return f"{prefix}/{name}" if prefix else name


def _text(field: bytes) -> str:
    return field.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _bounded(name: str) -> str:
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        raise BaselineError(
            f"the source archive has a name or link of more than {MAX_NAME_BYTES} bytes "
            f"({name[:60]!r}…)"
        )
    return name


def _number(field: bytes) -> int:
    """A numeric header field: octal text, or GNU's base-256 when the top bit is set."""
    if field[:1] and field[0] & 0x80:
        if field[0] & 0x40:
            raise BaselineError("the source archive has a negative number")
        return int.from_bytes(field[1:], "big")
    text = field.split(b"\0", 1)[0].strip()
    if not text:
        return 0
    try:
        value = int(text, 8)
    except ValueError:
        raise BaselineError(f"the source archive has a bad number {text[:20]!r}") from None
    if value < 0:
        raise BaselineError(f"the source archive has a negative number {text[:20]!r}")
    return value


def _check_sum(header: bytes) -> None:
    """The header's checksum, summed as unsigned or (old tars) signed bytes, as tarfile."""
    stored = _number(header[148:156])
    unsigned = sum(header) - sum(header[148:156]) + 8 * 32
    if stored == unsigned:
        return
    high = sum(1 for byte in header[:148] + header[156:] if byte > 127)
    if stored != unsigned - 256 * high:
        raise BaselineError("the source archive is corrupt or cannot be unpacked (bad checksum)")


def _pax_records(body: bytes) -> dict[str, str]:
    """The records ``LEN key=value\\n`` of a pax header; sparse files and too many records
    are refused."""
    records: dict[str, str] = {}
    at = 0
    while at < len(body) and body[at] != 0:
        if len(records) >= MAX_PAX_RECORDS:
            raise BaselineError(
                f"the source archive has a pax header of over {MAX_PAX_RECORDS} records"
            )
        length_text, _, _ = body[at : at + 20].partition(b" ")
        if not length_text.isdigit() or int(length_text) < 5:
            raise BaselineError("the source archive has a malformed pax header")
        record = body[at + len(length_text) + 1 : at + int(length_text)]
        at += int(length_text)
        key, eq, value = record.removesuffix(b"\n").partition(b"=")
        if not eq or at > len(body):
            raise BaselineError("the source archive has a malformed pax header")
        name = key.decode("utf-8", "surrogateescape")
        if name.startswith("GNU.sparse."):
            raise BaselineError("the source archive holds a sparse file, which is not a plain file")
        records[name] = value.decode("utf-8", "surrogateescape")
    return records


def link_target(
    name: tuple[str, ...],
    links: Mapping[tuple[str, ...], str],
    budget: list[int] | None = None,
) -> tuple[str, ...]:
    """Where the link ``name`` finally points, as a path inside the tree, following every
    link in ``links`` (name parts → target) as the kernel would (``..`` after a link leaves
    the folder the link points to); ``BaselineError`` when it leaves the tree, is absolute
    or loops. ``budget`` (one count, shared across calls) bounds the steps taken."""
    walk = _Walk(name, links, budget if budget is not None else [MAX_LINK_STEPS])
    return tuple(walk.follow(list(name[:-1]), links[name], MAX_LINK_HOPS))


MAX_LINK_STEPS = 20_000_000
"""Path components looked at (each lookup of a path costs its length) while checking all
links of one archive: a few seconds at most; a real tree's links take far fewer."""


@dataclass(frozen=True, slots=True)
class _Walk:
    name: tuple[str, ...]
    links: Mapping[tuple[str, ...], str]
    budget: list[int]

    def follow(self, start: list[str], target: str, hops: int) -> list[str]:
        if target.startswith("/"):
            raise self._refuse("points outside the tree")
        path = list(start)
        for part in target.split("/"):
            self.spend(len(path) + 1)
            if part == "..":
                if not path:
                    raise self._refuse("points outside the tree")
                path.pop()
            elif part not in ("", "."):
                path.append(part)
                inner = self.links.get(tuple(path))
                if inner is not None:
                    if hops == 0:
                        raise self._refuse("is a loop of links")
                    path = self.follow(path[:-1], inner, hops - 1)
        return path

    def spend(self, steps: int) -> None:
        self.budget[0] -= steps
        if self.budget[0] < 0:
            raise self._refuse("is one of too many links to check")

    def _refuse(self, why: str) -> BaselineError:
        return BaselineError(f"the source archive's link {'/'.join(self.name)[:100]!r} {why}")


def _make_links(dest: Path, links: Mapping[tuple[str, ...], str]) -> None:
    """Every link, once all are known: none below another link, none where a file or folder
    was written, each resolving inside the tree."""
    budget = [MAX_LINK_STEPS]
    for name, target in links.items():
        shown = "/".join(name)[:100]
        _Walk(name, links, budget).spend(len(name) * len(name) // 2)
        if any(name[:cut] in links for cut in range(1, len(name))):
            raise BaselineError(f"the source archive's link {shown!r} is below another link")
        link_target(name, links, budget)
        path = dest.joinpath(*name)
        if os.path.lexists(path):
            raise BaselineError(f"the source archive's link {shown!r} is also a file or folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target)
