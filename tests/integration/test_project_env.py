"""A tree's environment (``run.project``): a virtualenv of its own with pip's downloads
cached where ``actions/cache`` can keep them, the set-up's failures told well, and a project
whose version comes from git installed from a checkout another user owns or from a tree
without git history (a real setuptools-scm build)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from aiwf_ci.config.models import EnvironmentSpec
from aiwf_ci.errors import SetupError
from aiwf_ci.github.checkout import tree_dir
from aiwf_ci.run.environment import detect_commit
from aiwf_ci.run.project import prepared_tree
from tests.projects import SETUP, download_scm_wheels, make_project

DUMP = (
    "python -c \"import json, os, sys; json.dump({'exe': sys.executable, "
    "'cache': os.environ.get('PIP_CACHE_DIR'), 'nocache': os.environ.get('PIP_NO_CACHE_DIR'), "
    "'venv': os.environ.get('VIRTUAL_ENV')}, open('env.json', 'w'))\""
)


def test_the_set_up_runs_in_the_tree_s_own_virtualenv_with_a_persistent_pip_cache(
    tmp_path: Path,
) -> None:
    lines: list[str] = []
    env = {"PATH": "/usr/bin:/bin", "PIP_NO_CACHE_DIR": "1"}  # as a container image may set
    spec = EnvironmentSpec(setup=(DUMP,))
    with prepared_tree(tmp_path, spec, env, log=lines.append, cache_dir=tmp_path / "cache") as tree:
        seen = json.loads((tmp_path / "env.json").read_text())
        assert tree.isolated and Path(tree.python).parent.name == "bin"
        assert seen["exe"].startswith(seen["venv"])  # `python` is the virtualenv's
        assert seen["cache"] == str(tmp_path / "cache" / "pip")
        assert seen["nocache"] is None
        venv = Path(seen["venv"])
    assert not venv.exists()  # removed with the block
    assert f"$ {DUMP}" in lines


def test_a_timed_out_set_up_says_so(tmp_path: Path) -> None:
    spec = EnvironmentSpec(setup=("sleep 30",), timeout=1.0)
    with (
        pytest.raises(SetupError, match=r"set-up command 'sleep 30' timed out after 1s"),
        prepared_tree(tmp_path, spec, {"PATH": "/usr/bin:/bin"}, log=lambda _: None),
    ):
        pass


SHA = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
VERSION = (
    'python -c "import importlib.metadata as m; '
    "open('version.txt', 'w').write(m.version('mdproj'))\""
)


@pytest.fixture(scope="session")
def scm_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        return download_scm_wheels(tmp_path_factory.mktemp("scm-wheels"))
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"setuptools-scm's wheels cannot be had from the package index: {exc}")


def set_up(project: Path, env: dict[str, str], *commands: str) -> list[str]:
    lines: list[str] = []
    spec = EnvironmentSpec(setup=commands)
    base = {"PATH": os.environ["PATH"], "HOME": str(project.parent)}
    with prepared_tree(project, spec, {**base, **env}, log=lines.append):
        pass
    return lines


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", *args],
        cwd=cwd, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def owned_by_the_runner(folder: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("handing files to another user needs root")
    for path in (folder, *folder.rglob("*")):
        os.chown(path, 1001, 1001, follow_symlinks=False)


@pytest.mark.slow
def test_a_base_tree_without_git_history_installs_with_a_pretend_version_it_names(
    tmp_path: Path, scm_wheels: Path
) -> None:
    root = tree_dir(tmp_path / "cache", "local", SHA) / "files"  # as github.trees unpacks it
    project = make_project(root, scm_wheels=scm_wheels)
    lines = set_up(project, {}, SETUP, VERSION)
    assert (project / "version.txt").read_text() == "0.0.0+gf95f852"
    assert any("SETUPTOOLS_SCM_PRETEND_VERSION=0.0.0+gf95f852" in line for line in lines)


@pytest.mark.slow
def test_without_a_version_the_set_up_error_names_setuptools_scm_s_cause(
    tmp_path: Path, scm_wheels: Path
) -> None:
    project = make_project(tmp_path / "proj", scm_wheels=scm_wheels)
    own = {"SETUPTOOLS_SCM_PRETEND_VERSION_FOR_ANOTHER_PROJECT": "1.0"}  # so none is set here
    with pytest.raises(SetupError) as caught:
        set_up(project, own, SETUP)
    first = str(caught.value).splitlines()[0]
    assert first.startswith(f"set-up command {SETUP!r} exited with code 1: LookupError: ")
    assert "setuptools-scm was unable to detect version" in first


@pytest.mark.slow
def test_a_checkout_another_user_owns_gives_its_git_version_and_lets_set_up_run_git(
    tmp_path: Path, scm_wheels: Path
) -> None:
    project = make_project(tmp_path / "proj", scm_wheels=scm_wheels)
    git(project, "init", "-q")
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "release")
    git(project, "tag", "v1.2.3")
    sha = git(project, "rev-parse", "HEAD")
    owned_by_the_runner(project)
    set_up(project, {}, SETUP, VERSION, "git rev-parse HEAD > head.txt")
    assert (project / "version.txt").read_text() == "1.2.3"
    assert (project / "head.txt").read_text().strip() == sha
    assert detect_commit(project, {}).sha == sha
    assert not (tmp_path / ".gitconfig").exists()  # HOME: nobody's git config was changed
