"""Untrusted source tarballs unpacked for real: symbolic links resolved through each other,
header bombs refused before they are read (memory measured, and under an address-space
limit in a subprocess), ordinary archives unpacked as tarfile would, the tree cache bounded,
and a base tree's file never read from outside it."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
import tarfile
import tracemalloc
from pathlib import Path

import pytest

from aiwf_ci.errors import BaselineError
from aiwf_ci.github.trees import CacheLimits, TreeLimits, base_tree, extract_tar, tree_file

MiB = 1024 * 1024
DIR, FILE, LINK, HARD = tarfile.DIRTYPE, tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE
Member = tuple[str, bytes, str, bytes]


def tarball(members: list[Member], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    """A gzipped tar of ``(name, type, link target, content)`` members, in that order."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=fmt) as archive:
        for name, kind, link, data in members:
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.size = kind, link, len(data)
            archive.addfile(info, io.BytesIO(data) if data else None)
    return buffer.getvalue()


def chain(n: int, top: str = "top") -> list[Member]:
    """``l0 -> .``, ``lK -> l(K-1)/..``: inside the tree by name, one folder up per link."""
    links = [(f"{top}/l0", LINK, ".", b"")]
    return links + [(f"{top}/l{k}", LINK, f"l{k - 1}/..", b"") for k in range(1, n)]


def unpack(data: bytes, sandbox: Path, limits: TreeLimits | None = None) -> Path:
    """Unpack into a folder three levels down ``sandbox`` (room for a chain to climb into)."""
    dest = sandbox / "a" / "b" / "c" / "dest"
    dest.parent.mkdir(parents=True)
    extract_tar(io.BytesIO(data), dest, limits or TreeLimits(), strip_top=True)
    return dest


def outside(sandbox: Path) -> list[Path]:
    """What exists in ``sandbox`` but not in the tree, and links in the tree leading out."""
    dest = sandbox / "a" / "b" / "c" / "dest"
    ours = {sandbox / "a", sandbox / "a" / "b", sandbox / "a" / "b" / "c"}
    stray = [p for p in sandbox.rglob("*") if p not in ours and not p.is_relative_to(dest)]
    links = [p for p in dest.rglob("*") if p.is_symlink()] if dest.exists() else []
    return stray + [p for p in links if not p.resolve().is_relative_to(dest.resolve())]


@pytest.mark.parametrize(
    ("members", "why"),
    [
        (chain(4), "'l1' points outside the tree"),
        ([*chain(3), ("top/l2/pwned", LINK, ".", b"")], "'l1' points outside the tree"),
        ([*chain(4), ("top/l3/x", FILE, "", b"pwned")], "'l1' points outside the tree"),
        ([("top/b", LINK, "..", b""), ("top/a", LINK, "b/x", b"")], "'b' points outside"),
        ([("top/d", LINK, "sub", b""), ("top/sub/", DIR, "", b""), ("top/d/x", FILE, "", b"x")],
         "'d' is also a file or folder"),
        ([("top/d", LINK, "sub", b""), ("top/d/y", LINK, "ok", b"")], "below another link"),
        ([("top/a", LINK, "b", b""), ("top/b", LINK, "a", b"")], "loop"),
        ([("top/a", LINK, "x", b""), ("top/a", LINK, "y", b"")], "twice"),
        ([("top/f", FILE, "", b"x"), ("top/h", HARD, "top/f", b"")], "not a plain file"),
        ([("top/a", LINK, "/etc/passwd", b"")], "points outside"),
    ],
    ids=["chain", "chain-link-under", "chain-file-under", "link-to-link", "link-file-under",
         "link-under-link", "loop", "twice", "hard-link", "absolute"],
)  # fmt: skip
def test_links_are_resolved_through_each_other_and_nothing_leaves_the_tree(
    tmp_path: Path, members: list[Member], why: str
) -> None:
    with pytest.raises(BaselineError, match=why):
        unpack(tarball(members), tmp_path)
    assert outside(tmp_path) == []


def test_links_inside_the_tree_through_other_links_are_kept(tmp_path: Path) -> None:
    members: list[Member] = [
        ("top/sub/mod.py", FILE, "", b"X = 1\n"),
        ("top/cur", LINK, "sub", b""),
        ("top/alias.py", LINK, "cur/mod.py", b""),
        ("top/sub/up", LINK, "../cur/..", b""),  # cur/.. is the top, as the kernel sees it
    ]
    dest = unpack(tarball(members), tmp_path)
    assert (dest / "alias.py").read_text() == "X = 1\n"
    assert (dest / "sub" / "up").resolve() == dest.resolve()
    assert outside(tmp_path) == []


def header_bomb(kind: bytes, size: int) -> bytes:
    """A gzip (one member per MiB, so it stays small) whose first header, a pax or GNU
    long-name header, claims ``size`` bytes of body, which follow."""
    info = tarfile.TarInfo("././@LongLink" if kind in (b"L", b"K") else "pax")
    info.type, info.size = kind, size
    body = gzip.compress(b"0" * MiB, mtime=0) * (size // MiB)
    last = tarfile.TarInfo("top/f")
    tail = b"\0" * (-size % 512) + last.tobuf(format=tarfile.GNU_FORMAT) + b"\0" * 1024
    return (
        gzip.compress(info.tobuf(format=tarfile.GNU_FORMAT), mtime=0) + body + gzip.compress(tail)
    )


def pax_record(key: str, value: str) -> bytes:
    text = f" {key}={value}\n".encode()
    length = len(text) + 1
    while len(str(length)) + len(text) != length:
        length += 1
    return str(length).encode() + text


def raw_tar(*blocks: tuple[tarfile.TarInfo, bytes]) -> bytes:
    out = b"".join(info.tobuf(format=tarfile.GNU_FORMAT) + d + b"\0" * (-len(d) % 512)
                   for info, d in blocks)  # fmt: skip
    return gzip.compress(out + b"\0" * 1024, mtime=0)


def pax_header(records: bytes, kind: bytes = tarfile.XHDTYPE) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo("pax")
    info.type, info.size = kind, len(records)
    return info, records


def many_global_records() -> bytes:
    """A global pax header of 10,000 records then 300 members: tarfile copied the records
    into every member and kept them all."""
    records = b"".join(pax_record(f"k{i}", "v") for i in range(10_000))
    members = [(tarfile.TarInfo(f"top/f{i}"), b"") for i in range(300)]
    return raw_tar(pax_header(records, tarfile.XGLTYPE), *members)


def sparse_map_bomb(size: int) -> bytes:
    """A GNU sparse 1.0 member (pax records) whose map, read by tarfile until it ends, is
    ``size`` bytes of one-digit numbers."""
    records = pax_record("GNU.sparse.major", "1") + pax_record("GNU.sparse.minor", "0")
    member = tarfile.TarInfo("top/s")
    member.size = size
    head = gzip.compress(b"".join(i.tobuf(format=tarfile.GNU_FORMAT) + d + b"\0" * (-len(d) % 512)
                                  for i, d in [pax_header(records), (member, b"")]))  # fmt: skip
    return (
        head
        + gzip.compress(b"%d\n" % (size // 2))
        + gzip.compress(b"0\n" * (MiB // 2)) * (size // MiB)
    )


@pytest.mark.parametrize(
    ("archive", "why"),
    [
        (header_bomb(tarfile.XHDTYPE, 64 * MiB), "extended header, over the 1048576-byte cap"),
        (header_bomb(tarfile.XGLTYPE, 64 * MiB), "extended header, over the 1048576-byte cap"),
        (header_bomb(tarfile.GNUTYPE_LONGNAME, 64 * MiB), "extended header"),
        (header_bomb(tarfile.GNUTYPE_LONGLINK, 64 * MiB), "extended header"),
        (many_global_records(), "pax header of over 64 records"),
        (sparse_map_bomb(64 * MiB), "sparse file"),
        (raw_tar(pax_header(pax_record("path", "top/" + "n" * 600_000))), "name or link of more"),
    ],
    ids=["pax", "pax-global", "gnu-long-name", "gnu-long-link", "many-records", "sparse-map",
         "long-path"],
)  # fmt: skip
def test_a_header_bomb_is_refused_before_it_is_read(
    tmp_path: Path, archive: bytes, why: str
) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(BaselineError, match=why):
            unpack(archive, tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * MiB, f"{peak / MiB:.0f} MiB"  # one header body at most, not its claim


BOMB_UNDER_A_LIMIT = """
import io, resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (400 * 1024 * 1024,) * 2)
from aiwf_ci.errors import BaselineError
from aiwf_ci.github.trees import TreeLimits, extract_tar
try:
    with open(sys.argv[1], "rb") as handle:
        extract_tar(handle, Path(sys.argv[2]), TreeLimits(), strip_top=True)
except BaselineError as exc:
    print("refused:", exc)
"""


@pytest.mark.parametrize("kind", [tarfile.XHDTYPE, tarfile.GNUTYPE_LONGNAME])
def test_a_1_5_gb_header_under_a_400_mb_limit_is_a_clean_refusal(
    tmp_path: Path, kind: bytes
) -> None:
    archive = tmp_path / "bomb.tar.gz"
    archive.write_bytes(header_bomb(kind, 1536 * MiB))
    assert archive.stat().st_size < 2 * MiB
    done = subprocess.run(
        [sys.executable, "-c", BOMB_UNDER_A_LIMIT, str(archive), str(tmp_path / "dest")],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "refused: the source archive has a 1610612736-byte extended header" in done.stdout
    assert "Traceback" not in done.stderr


def test_every_byte_of_the_stream_counts_against_the_cap(tmp_path: Path) -> None:
    info = tarfile.TarInfo("top/d")
    info.type, info.size = DIR, 8 * MiB  # a folder's "body" is skipped, still decompressed
    archive = raw_tar((info, b"\0" * 8 * MiB))
    with pytest.raises(BaselineError, match="more bytes than its cap"):
        unpack(archive, tmp_path, TreeLimits(max_total_bytes=4 * MiB))


@pytest.mark.parametrize(
    "fmt",
    [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT],
    ids=["pax", "gnu", "ustar"],
)
def test_ordinary_archives_unpack_as_tarfile_unpacks_them(tmp_path: Path, fmt: int) -> None:
    long_dir = "top/" + "/".join(["deep" * 12] * 3)  # a ustar prefix, or a long-name header
    members: list[Member] = [
        ("top/", DIR, "", b""),
        ("top/README.md", FILE, "", b"# hi\n"),
        ("top/empty", FILE, "", b""),
        (f"{long_dir}/mod.py", FILE, "", b"X = 1\n" * 1000),
        ("top/pkg/alias.py", LINK, "../README.md", b""),
        ("top/bin/run", FILE, "", b"#!/bin/sh\n"),
    ]
    if fmt != tarfile.USTAR_FORMAT:  # names and targets that need pax or GNU headers
        members.append(("top/données/é" + "x" * 120, FILE, "", b"unicode and long\n"))
        target = "../" + long_dir.removeprefix("top/") + "/mod.py"
        members.append(("top/pkg/deep.py", LINK, target, b""))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=fmt) as archive:
        for name, kind, link, data in members:
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.size = kind, link, len(data)
            info.mode = 0o755 if name.endswith("run") else 0o644
            archive.addfile(info, io.BytesIO(data) if data else None)
    dest = unpack(buffer.getvalue(), tmp_path)
    expected = tmp_path / "expected"
    with tarfile.open(fileobj=io.BytesIO(buffer.getvalue())) as archive:
        archive.extractall(expected, filter="data")
    assert snapshot(dest) == snapshot(expected / "top")
    assert os.access(dest / "bin" / "run", os.X_OK)


def snapshot(root: Path) -> dict[str, object]:
    found: dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_symlink():
            found[key] = ("link", os.readlink(path))
        elif path.is_file():
            found[key] = ("file", path.read_bytes(), os.access(path, os.X_OK))
        else:
            found[key] = ("dir",)
    return found


def test_git_archive_output_goes_through_the_same_checks(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".aiwf").mkdir(parents=True)
    (repo / ".aiwf" / "bench.yml").write_text("suite: s\n")
    for k in range(3):
        (repo / f"l{k}").symlink_to("." if k == 0 else f"l{k - 1}/..")
    sha = commit_all(repo)
    with pytest.raises(BaselineError, match="git: the source archive's link 'l1' points outside"):
        base_tree(sha=sha, cache_dir=tmp_path / "cache", workspace=repo, client=None)
    assert not list((tmp_path / "cache" / "trees").rglob("l0"))


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", *args],
        cwd=cwd, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def commit_all(repo: Path, message: str = "c") -> str:
    if not (repo / ".git").exists():
        git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def test_the_tree_cache_keeps_the_most_recently_used_trees(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    shas = []
    for i in range(4):
        (repo / "f.txt").write_text(f"{i}\n" * 1000)
        shas.append(commit_all(repo, str(i)))
    cache, limits = tmp_path / "cache", CacheLimits(max_trees=2)

    def get(sha: str) -> str:
        return base_tree(sha=sha, cache_dir=cache, workspace=repo, client=None, cache=limits)[1]

    assert [get(s) for s in shas[:2]] == ["git", "git"]
    assert get(shas[0]) == "cache"  # now the most recently used of the two
    assert get(shas[2]) == "git"  # shas[1], the least recently used, goes
    kept = {p.name for p in (cache / "trees" / "local").iterdir()}
    assert kept == {shas[0], shas[2]}
    small = CacheLimits(max_trees=10, max_bytes=1)  # the tree in use stays, however big
    assert base_tree(sha=shas[3], cache_dir=cache, workspace=repo, client=None, cache=small)
    assert {p.name for p in (cache / "trees" / "local").iterdir()} == {shas[3]}


def test_a_tree_cached_by_an_older_release_is_unpacked_again(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "f.txt").write_text("new\n")
    sha = commit_all(repo)
    old = tmp_path / "cache" / "trees" / "local" / sha
    (old / "files").mkdir(parents=True)
    (old / "files" / "l1").symlink_to("..")  # checked by name only, back then
    (old / ".aiwf-complete").write_text("ok\n")
    tree, source = base_tree(sha=sha, cache_dir=tmp_path / "cache", workspace=repo, client=None)
    assert source == "git"
    assert sorted(p.name for p in tree.iterdir()) == ["f.txt"]


def test_a_file_of_the_base_tree_is_never_read_from_outside_it(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tmp_path / "elsewhere" / ".aiwf").mkdir(parents=True)
    (tmp_path / "elsewhere" / ".aiwf" / "bench.yml").write_text("suite: not yours\n")
    (tree / ".aiwf").symlink_to("../elsewhere/.aiwf")
    with pytest.raises(BaselineError, match=r"\.aiwf/bench\.yml leads outside its tree"):
        tree_file(tree, Path(".aiwf/bench.yml"))
    (tree / "loop").symlink_to("loop")
    with pytest.raises(BaselineError, match="leads outside"):
        tree_file(tree, Path("loop/x"))
    (tree / "inner").mkdir()
    (tree / "alias").symlink_to("inner")
    assert tree_file(tree, Path("alias/bench.yml")) == tree / "alias" / "bench.yml"


def test_a_pax_size_record_is_decimal_and_overrides_the_header(tmp_path: Path) -> None:
    member = tarfile.TarInfo("top/big")  # its header says 0 bytes; the pax record, 12
    archive = raw_tar(pax_header(pax_record("size", "12")), (member, b"twelve bytes"))
    dest = unpack(archive, tmp_path)
    assert (dest / "big").read_bytes() == b"twelve bytes"
    with tarfile.open(fileobj=io.BytesIO(archive)) as same:
        assert same.getmember("top/big").size == 12
