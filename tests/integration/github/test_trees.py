"""The base commit's tree: from local git or from the repository tarball (through a real
client against the fake GitHub and its separate storage host), unpacked safely, cached."""

from __future__ import annotations

import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from aiwf_ci.errors import BaselineError
from aiwf_ci.github.checkout import git_failure
from aiwf_ci.github.trees import base_tree
from tests.fakegithub import FakeGitHub
from tests.fakegithub.clients import ClientFactory
from tests.fakegithub.zips import tree_tarball

SHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"


def source(tmp_path: Path) -> Path:
    root = tmp_path / "src-tree"
    (root / ".aiwf").mkdir(parents=True)
    (root / ".aiwf" / "bench.yml").write_text("suite: s\n")
    (root / "pkg").mkdir()
    (root / "pkg" / "mod.py").write_text("X = 1\n")
    (root / "pkg" / "alias.py").symlink_to("mod.py")  # a link inside the tree is fine
    return root


def test_tarball_is_fetched_without_the_token_on_the_storage_host_and_cached(
    tmp_path: Path, fake: FakeGitHub, make_client: ClientFactory
) -> None:
    fake.add_tarball(SHA, tree_tarball(source(tmp_path)))
    client = make_client()
    tree, where = base_tree(sha=SHA, cache_dir=tmp_path / "cache", workspace=None, client=client)
    assert where == "tarball"
    assert (tree / ".aiwf" / "bench.yml").read_text() == "suite: s\n"  # top folder stripped
    assert (tree / "pkg" / "alias.py").read_text() == "X = 1\n"
    storage = fake.storage.requests
    assert storage and all("Authorization" not in r.headers for r in storage)
    before = fake.count() + len(storage)
    again, where = base_tree(sha=SHA, cache_dir=tmp_path / "cache", workspace=None, client=client)
    assert (again, where) == (tree, "cache")
    assert fake.count() + len(fake.storage.requests) == before  # a warm run downloads nothing


def member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.size = 3 if kind == tarfile.REGTYPE else 0
    return info


@pytest.mark.parametrize(
    ("hostile", "message"),
    [
        (member("top/../../evil.txt"), "escapes"),
        (member("/etc/evil.txt"), "absolute"),
        (member("top/link", tarfile.SYMTYPE, "../../../etc/passwd"), "points outside the tree"),
        (member("top/abs", tarfile.SYMTYPE, "/etc/passwd"), "points outside the tree"),
        (member("top/hard", tarfile.LNKTYPE, "top/pkg/mod.py"), "not a plain file"),
        (member("top/fifo", tarfile.FIFOTYPE), "not a plain file"),
    ],
    ids=["dotdot", "absolute", "symlink-out", "symlink-abs", "hardlink", "fifo"],
)
def test_a_hostile_tarball_is_refused_and_nothing_is_kept(
    tmp_path: Path,
    fake: FakeGitHub,
    make_client: ClientFactory,
    hostile: tarfile.TarInfo,
    message: str,
) -> None:
    fake.add_tarball(SHA, tree_tarball(source(tmp_path), top="top", extra=[hostile]))
    with pytest.raises(BaselineError, match=message):
        base_tree(sha=SHA, cache_dir=tmp_path / "cache", workspace=None, client=make_client())
    assert not (tmp_path / "evil.txt").exists()
    assert not [p for p in (tmp_path / "cache" / "trees").rglob("*") if p.is_file()]


def test_no_tarball_is_a_reason_not_a_crash(
    tmp_path: Path, fake: FakeGitHub, make_client: ClientFactory
) -> None:
    with pytest.raises(BaselineError, match=r"HTTP 404; the token needs contents: read"):
        base_tree(sha=SHA, cache_dir=tmp_path / "cache", workspace=None, client=make_client())


def test_a_corrupt_tarball_is_a_reason(
    tmp_path: Path, fake: FakeGitHub, make_client: ClientFactory
) -> None:
    fake.add_tarball(SHA, b"\x1f\x8bnot really gzip")
    with pytest.raises(BaselineError, match="corrupt"):
        base_tree(sha=SHA, cache_dir=tmp_path / "cache", workspace=None, client=make_client())


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", *args],
        cwd=cwd, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def committed(tmp_path: Path) -> tuple[Path, str]:
    """A checkout whose one commit (returned) is the base; head's change not committed."""
    repo = source(tmp_path)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    sha = git(repo, "rev-parse", "HEAD")
    (repo / "pkg" / "mod.py").write_text("X = 2\n")
    return repo, sha


def owned_by_the_runner(folder: Path) -> None:
    """``folder`` handed to uid 1001, as ``actions/checkout`` leaves a runner's workspace
    while the action's container runs as root."""
    if os.geteuid() != 0:
        pytest.skip("handing files to another user needs root")
    for path in (folder, *folder.rglob("*")):
        os.chown(path, 1001, 1001, follow_symlinks=False)


def test_local_git_is_used_when_the_checkout_has_the_commit(tmp_path: Path) -> None:
    repo, sha = committed(tmp_path)
    tree, where = base_tree(sha=sha, cache_dir=tmp_path / "cache", workspace=repo, client=None)
    assert where == "git"
    assert (tree / "pkg" / "mod.py").read_text() == "X = 1\n"


def test_a_checkout_owned_by_another_user_is_read_without_touching_any_git_config(
    tmp_path: Path,
) -> None:
    repo, sha = committed(tmp_path)
    owned_by_the_runner(repo)
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "XDG_CONFIG_HOME": str(home)}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        tree, where = base_tree(sha=sha, cache_dir=tmp_path / "cache", workspace=repo, client=None)
    assert where == "git"
    assert (tree / "pkg" / "mod.py").read_text() == "X = 1\n"
    assert list(home.iterdir()) == []  # no ~/.gitconfig written


def test_a_commit_missing_from_a_shallow_clone_says_so_and_only_what_a_workflow_can_do(
    tmp_path: Path,
) -> None:
    repo, base = committed(tmp_path)
    git(repo, "commit", "-q", "-am", "head")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow))
    with pytest.raises(BaselineError) as caught:
        base_tree(sha=base, cache_dir=tmp_path / "cache", workspace=shallow, client=None)
    message = str(caught.value)
    assert "git: the checkout's history does not have it" in message
    assert "actions/checkout with fetch-depth: 0" in message
    assert "git config" not in message


def test_a_workspace_that_is_no_checkout_says_so(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="git: the workspace is not a git checkout"):
        base_tree(sha=SHA, cache_dir=tmp_path / "cache", workspace=source(tmp_path), client=None)


def test_git_s_refusal_is_told_as_a_refusal_without_its_git_config_advice(
    tmp_path: Path,
) -> None:
    repo, sha = committed(tmp_path)
    owned_by_the_runner(repo)
    refused = subprocess.run(
        ["git", "-C", str(repo), "archive", sha], capture_output=True, text=True, check=False
    )
    assert "git config --global --add safe.directory" in refused.stderr  # git's real advice
    reason = git_failure(refused.stderr)
    assert reason.startswith("git refused to read the checkout, which belongs to another user")
    assert "dubious ownership" in reason
    assert "git config" not in reason


def test_not_a_sha_is_refused_before_anything(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="no base commit SHA"):
        base_tree(sha="main; rm -rf /", cache_dir=tmp_path, workspace=None, client=None)
