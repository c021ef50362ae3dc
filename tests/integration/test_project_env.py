"""A tree's environment (``run.project``): a virtualenv of its own with pip's downloads
cached where ``actions/cache`` can keep them, aiwf-ci's pip linked in (not copied) without
anything else of aiwf-ci's environment, the set-up's failures told well, and a project
whose version comes from git installed from a checkout another user owns or from a tree
without git history (a real setuptools-scm build)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aiwf_ci.config.models import EnvironmentSpec
from aiwf_ci.errors import SetupError
from aiwf_ci.github.checkout import tree_dir
from aiwf_ci.run import project
from aiwf_ci.run.environment import detect_commit
from aiwf_ci.run.project import own_pip, prepared_tree
from tests.projects import SETUP, download_scm_wheels, make_project, make_sdist, write_wheel

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
    made = [i for i, line in enumerate(lines) if line.startswith("aiwf-ci: virtualenv made in ")]
    assert made and lines[made[0] + 1] == f"$ {DUMP}"
    assert lines[-1].startswith("aiwf-ci: set-up commands done in ")


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


PROBE = """\
import importlib.util, json, os, subprocess, sys
def run(*args):
    done = subprocess.run(args, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None
json.dump({
    "prefix": sys.prefix,
    "base_prefix": sys.base_prefix,
    "pip_file": importlib.util.find_spec("pip").origin,
    "pip_real": os.path.realpath(importlib.util.find_spec("pip").origin),
    "python_m_pip": run(sys.executable, "-m", "pip", "--version"),
    "pip": run("pip", "--version"),
    "pip3": run("pip3", "--version"),
    "cache_dir": run("pip", "cache", "dir"),
    "importable": [n for n in ("requests_cache", "aiwf_ci", "yaml")
                   if importlib.util.find_spec(n) is not None],
}, open("probe.json", "w"))
"""


def probe(root: Path, env: dict[str, str], cache: Path) -> dict[str, object]:
    """What the set-up's commands see of pip and of aiwf-ci's own environment."""
    (root / "probe.py").write_text(PROBE)
    spec = EnvironmentSpec(setup=("python probe.py",))
    with prepared_tree(root, spec, env, log=lambda _: None, cache_dir=cache):
        seen: dict[str, object] = json.loads((root / "probe.json").read_text())
    return seen


def test_the_virtualenv_uses_aiwf_ci_s_pip_linked_not_copied_and_nothing_else(
    tmp_path: Path,
) -> None:
    pip = own_pip()
    assert pip is not None
    for name in ("requests_cache", "aiwf_ci", "yaml"):  # all there, beside aiwf-ci
        assert importlib.util.find_spec(name) is not None, name
    seen = probe(tmp_path, {"PATH": "/usr/bin:/bin"}, tmp_path / "cache")
    prefix = str(seen["prefix"])
    assert seen["base_prefix"] == sys.base_prefix  # made with aiwf-ci's interpreter
    assert seen["pip_real"] == str((pip / "__init__.py").resolve())
    assert str(seen["pip_file"]).startswith(prefix + "/")  # through a link in the venv
    for key in ("python_m_pip", "pip", "pip3"):
        assert str(seen[key]).startswith("pip "), (key, seen[key])
        assert f" from {prefix}/" in str(seen[key]), (key, seen[key])
    assert seen["cache_dir"] == str(tmp_path / "cache" / "pip")
    assert seen["importable"] == []


def fake_pip(folder: Path) -> None:
    """A "pip 99.0" wheel that only says who it is (as ``pip``, ``pip3`` and ``-m pip``)."""
    code = "def main():\n    print('fake pip 99.0')\n    return 0\n"
    write_wheel(
        folder,
        "pip",
        "99.0",
        {
            "pip/__init__.py": code,
            "pip/__main__.py": "import sys, pip\nsys.exit(pip.main())\n",
            "pip-99.0.dist-info/entry_points.txt": "[console_scripts]\npip = pip:main\n"
            "pip3 = pip:main\n",
        },
    )


def test_a_pip_the_set_up_installs_wins_and_aiwf_ci_s_own_is_untouched(tmp_path: Path) -> None:
    pip = own_pip()
    assert pip is not None
    before = (pip / "__init__.py").read_text()
    (tmp_path / "fake").mkdir()
    fake_pip(tmp_path / "fake")
    setup = (
        "pip install --no-index --find-links fake --upgrade pip",
        "pip --version > pip.txt",
        "pip3 --version > pip3.txt",
        "python -m pip --version > python-m-pip.txt",
    )
    spec = EnvironmentSpec(setup=setup)
    with prepared_tree(tmp_path, spec, {"PATH": "/usr/bin:/bin"}, log=lambda _: None) as tree:
        site = subprocess.run(
            [tree.python, "-c", "import pip; print(pip.__file__)"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    for name in ("pip.txt", "pip3.txt", "python-m-pip.txt"):
        assert (tmp_path / name).read_text() == "fake pip 99.0\n", name
    assert "/site-packages/pip/" in site
    assert (pip / "__init__.py").read_text() == before


def test_pip_builds_an_sdist_with_build_isolation_and_caches_the_wheel(tmp_path: Path) -> None:
    """A source distribution whose build needs ``tinymark``: pip installs it into a build
    environment of its own (not the tree's virtualenv, where the set-up installs it too),
    and keeps the wheel it built in ``<cache-dir>/pip``."""
    source = make_project(tmp_path / "src", flat=True, build_requires=("tinymark",))
    sdist = make_sdist(source, tmp_path / "sdists")
    wheels = source / "wheels"
    root = tmp_path / "tree"
    root.mkdir()
    links = f"--no-index --find-links {wheels} --find-links {sdist.parent}"
    spec = EnvironmentSpec(setup=(f"pip install {links} tinymark", f"pip install {links} mdproj"))
    found = tmp_path / "build.json"
    env = {"PATH": "/usr/bin:/bin", "AIWF_TEST_BUILD_PROBE": str(found)}
    cache = tmp_path / "cache"
    with prepared_tree(root, spec, env, log=lambda _: None, cache_dir=cache) as tree:
        imported = subprocess.run(
            [tree.python, "-c", "import mdproj.bench, tinymark; print(tinymark.__file__)"],
            capture_output=True,
            text=True,
            check=True,
            env=tree.env,
        ).stdout
        assert imported.startswith(tree.env["VIRTUAL_ENV"])
    build = json.loads(found.read_text())
    assert "pip-build-env-" in build["tinymark"]  # the build's own copy, not the tree's
    assert build["pip"] is None  # the build sees nothing of the tree, pip's link included
    assert [p.name for p in (cache / "pip" / "wheels").rglob("*.whl")] == [
        "mdproj-0.1.0-py3-none-any.whl"
    ]


def test_without_a_pip_to_link_the_virtualenv_gets_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(project, "own_pip", lambda: None)
    seen = probe(tmp_path, {"PATH": "/usr/bin:/bin"}, tmp_path / "cache")
    assert str(seen["pip_file"]).startswith(f"{seen['prefix']}/lib/")
    assert f" from {seen['prefix']}/lib/" in str(seen["python_m_pip"])
    assert seen["importable"] == []
