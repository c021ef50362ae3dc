"""The set-up environment of a tree whose version may come from git: ``safe.directory`` for a
checkout, a pretend version (said in the log) for a tree without git history, and the
caller's own variables left alone."""

from __future__ import annotations

from pathlib import Path

from aiwf_ci.github.checkout import tree_dir
from aiwf_ci.run.project import git_version_env

SHA = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"


def test_an_unpacked_base_commit_pretends_a_version_naming_the_commit(tmp_path: Path) -> None:
    root = tree_dir(tmp_path / "cache", "local", SHA) / "files"
    root.mkdir(parents=True)
    lines: list[str] = []
    env = git_version_env(root, {"PATH": "/bin"}, log=lines.append)
    assert env == {"PATH": "/bin", "SETUPTOOLS_SCM_PRETEND_VERSION": "0.0.0+gf95f852"}
    assert len(lines) == 1
    assert "SETUPTOOLS_SCM_PRETEND_VERSION=0.0.0+gf95f852" in lines[0]
    assert "no git history" in lines[0] and "commit f95f852" in lines[0]


def test_an_unpacked_tree_inside_the_workspace_s_checkout_still_pretends(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # cache-dir: .aiwf-cache in the workspace
    root = tree_dir(tmp_path / ".aiwf-cache", "local", SHA) / "files"
    root.mkdir(parents=True)
    env = git_version_env(root, {}, log=lambda _: None)
    assert env["SETUPTOOLS_SCM_PRETEND_VERSION"] == "0.0.0+gf95f852"
    assert "GIT_CONFIG_COUNT" not in env


def test_a_folder_of_unknown_commit_says_so_in_its_version(tmp_path: Path) -> None:
    env = git_version_env(tmp_path, {}, log=lambda _: None)
    assert env["SETUPTOOLS_SCM_PRETEND_VERSION"] == "0.0.0+unknown"


def test_the_caller_s_own_pretend_variables_win(tmp_path: Path) -> None:
    lines: list[str] = []
    for own in (
        {"SETUPTOOLS_SCM_PRETEND_VERSION": "1.2.3"},
        {"SETUPTOOLS_SCM_PRETEND_VERSION_FOR_MYPKG": "1.2.3"},
        {"VCS_VERSIONING_PRETEND_VERSION": "1.2.3"},
    ):
        assert git_version_env(tmp_path, own, log=lines.append) == own
    assert lines == []


def test_a_checkout_gets_safe_directory_for_its_top_after_the_caller_s_git_config(
    tmp_path: Path,
) -> None:
    (tmp_path / ".git").mkdir()
    project = tmp_path / "packages" / "one"  # a monorepo's project
    project.mkdir(parents=True)
    own = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.pager", "GIT_CONFIG_VALUE_0": "cat"}
    lines: list[str] = []
    env = git_version_env(project, own, log=lines.append)
    assert env == {
        **own,
        "GIT_CONFIG_COUNT": "2",
        "GIT_CONFIG_KEY_1": "safe.directory",
        "GIT_CONFIG_VALUE_1": str(tmp_path.resolve()),
    }
    assert "SETUPTOOLS_SCM_PRETEND_VERSION" not in env
    assert lines == []
