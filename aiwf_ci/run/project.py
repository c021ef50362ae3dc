"""A source tree made ready to be measured: its own environment, set up before anything runs.

A real project needs installing (``pip install -e .``, its dependencies) before its code can
be imported, and in the action nothing of it is installed: the container has aiwf-ci's own
packages only. The suite's ``environment: {setup: [...]}`` says how. Each tree gets

- its own virtualenv (made with the interpreter aiwf-ci runs on), so the project's
  dependencies never mix with aiwf-ci's own and, in ``aiwf-ci ab``, base code never imports
  head code (each tree installs its own, editable or not);
- pip without a copy of it: ``python -m venv`` would spend seconds putting pip into every
  virtualenv (most of a tree's set-up time). The virtualenv is made without pip, and the pip
  package of aiwf-ci's interpreter is linked in: a folder in the virtualenv holds only a
  symlink to it, put on ``sys.path`` *after* site-packages by a ``.pth`` file, with
  ``bin/pip`` launchers. So ``pip install ...`` and ``python -m pip ...`` install into the
  virtualenv (``sys.prefix`` is the virtualenv's), nothing else of aiwf-ci's environment is
  importable, and a pip the set-up installs (``pip install --upgrade pip``) lands in
  site-packages and wins. Without a pip to link, ``ensurepip`` puts one in, as before;
- the set-up commands run in the tree's root with the virtualenv first on ``PATH`` (so
  ``pip`` and ``python`` are its own), never timed, output logged; a failure stops the run
  with the command, its exit code and the last lines of its output (``SetupError``, exit 3).
  Their temporary folder (``TMPDIR``) is one of their own inside the tree's folder, so what
  an interrupted pip leaves (``pip-*`` folders) is removed with the virtualenv; their output
  is kept in memory, its head and tail only (``bench.process.OutputBuffer``: gigabytes of
  build output take no disk, the log says how much was dropped); whatever they leave running
  (``&``, ``nohup``, ``setsid``) is ended with each command (``bench.reaper``);
- ``worker_path``: a folder holding only the ``aiwf_ci`` package, for the workers'
  ``PYTHONPATH``, so a ``python:`` benchmark's worker (standard library only) runs on the
  tree's interpreter without aiwf-ci's dependencies shadowing the project's.

Without set-up commands a tree runs on aiwf-ci's own interpreter, as before. Package
downloads go to ``PIP_CACHE_DIR`` (``<cache-dir>/pip`` in the action, so ``actions/cache``
can keep them) unless the caller's environment already sets one.

Projects whose version comes from git (setuptools-scm, hatch-vcs) need git to install
(``git_version_env``): a tree in a git checkout gets ``safe.directory`` for that checkout
(the runner's user owns it, the action runs as root), a tree without git history (the base
commit's ``git archive`` or tarball, a plain folder) gets ``SETUPTOOLS_SCM_PRETEND_VERSION``
(``0.0.0+g<short sha>`` when the commit is known, ``0.0.0+unknown`` otherwise), said in the
set-up log, unless the caller's environment sets that variable or a ``..._FOR_<NAME>`` one.
The generic variable, because hatch-vcs gives setuptools-scm no distribution name to match
a ``_FOR_<NAME>`` one; it also applies to any dependency built from a git-versioned sdist in
the same set-up (rare: such packages ship wheels), which the caller's own variable avoids.

How long each step took (virtualenv, set-up commands) is logged with the set-up's output
(``aiwf-ci: ...`` lines).

The tree's folder is removed when its block ends, a second Ctrl-C notwithstanding
(``bench.cleanup``). Nothing here is shared between trees, so two trees may be set up at
once on two threads.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import sys
import sysconfig
import tempfile
import time
import venv
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from aiwf_ci.bench.cleanup import remove_folder
from aiwf_ci.bench.process import cause_line, run_process
from aiwf_ci.config.models import EnvironmentSpec
from aiwf_ci.errors import SetupError
from aiwf_ci.github.checkout import checkout_top, safe_directory_env, unpacked_commit
from aiwf_ci.numbers import duration

PACKAGE_DIR = Path(__file__).resolve().parents[1]
"""The ``aiwf_ci`` package folder (workers import ``aiwf_ci.workloads.*`` from it)."""

SETUP_TAIL_LINES = 15

PRETEND_VERSION = "SETUPTOOLS_SCM_PRETEND_VERSION"
"""Read by setuptools-scm and by hatch-vcs (through setuptools-scm) before asking git."""

OWN_PRETEND = (PRETEND_VERSION, "VCS_VERSIONING_PRETEND_VERSION")
"""A caller's variable starting so (``_FOR_<NAME>`` ones too; setuptools-scm 10 also reads
vcs-versioning's) chooses the version itself."""

SETUP_TEMP = "tmp"
"""The set-up commands' own temporary folder (``TMPDIR``), inside the tree's folder: what
pip leaves there when interrupted (``pip-*`` build folders) goes with the virtualenv."""

PIP_LINK_FOLDER = "aiwf-pip"
"""The folder in a tree's virtualenv that holds only the link to aiwf-ci's ``pip`` package."""

PIP_LAUNCHER = """#!{python}
# pip of the interpreter aiwf-ci runs on, linked into this virtualenv (see {pth})
import sys
from pip._internal.cli.main import main
if __name__ == "__main__":
    sys.exit(main())
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Tree:
    """One source tree, ready: where it is, which Python runs its code, the environment its
    benchmarks run with and the ``PYTHONPATH`` entry through which workers find aiwf-ci."""

    root: Path
    python: str
    env: Mapping[str, str]
    worker_path: str = str(PACKAGE_DIR.parent)
    isolated: bool = False


def with_bin_first(env: Mapping[str, str], bin_dir: str) -> dict[str, str]:
    """``env`` with ``bin_dir`` first on ``PATH`` (once)."""
    merged = dict(env)
    path = merged.get("PATH", "")
    if path.split(os.pathsep)[:1] != [bin_dir]:
        merged["PATH"] = bin_dir + (os.pathsep + path if path else "")
    return merged


def plain_tree(root: Path, env: Mapping[str, str], python: str = sys.executable) -> Tree:
    """A tree run on aiwf-ci's own interpreter (no set-up commands): ``python`` on ``PATH``
    is that interpreter, as tox and nox do, so ``python -c ...`` measures the Python that
    imports the project."""
    return Tree(root=root, python=python, env=with_bin_first(env, str(Path(python).parent)))


@contextmanager
def prepared_tree(
    root: Path,
    spec: EnvironmentSpec | None,
    env: Mapping[str, str],
    *,
    log: Callable[[str], None],
    cache_dir: Path | None = None,
) -> Iterator[Tree]:
    """The tree ready to be measured; its virtualenv is removed when the block ends."""
    if spec is None or not spec.setup:
        yield plain_tree(root, env)
        return
    env = git_version_env(root, env, log=log)
    folder = Path(tempfile.mkdtemp(prefix="aiwf-env-"))
    try:
        tree = _make_venv(root, folder, env, cache_dir, log)
        start = time.monotonic()
        run_setup(tree, spec, log=log, temp=folder / SETUP_TEMP)
        log(f"aiwf-ci: set-up commands done in {duration(time.monotonic() - start)}")
        yield tree
    finally:
        remove_folder(folder)


def git_version_env(
    root: Path, env: Mapping[str, str], *, log: Callable[[str], None]
) -> dict[str, str]:
    """``env`` for setting up ``root`` so that a version read from git can be had: in a
    checkout, git may read it whoever owns it; in a tree without git history (an unpacked
    base commit, a plain folder), a pretend version, logged, unless ``env`` has one."""
    commit = unpacked_commit(root.resolve())
    top = None if commit else checkout_top(root)
    if top is not None:
        return safe_directory_env(env, top)
    if any(key.startswith(OWN_PRETEND) for key in env):
        return dict(env)
    version = f"0.0.0+g{commit[:7]}" if commit else "0.0.0+unknown"
    log(
        f"aiwf-ci: no git history in this tree, so setuptools-scm and hatch-vcs cannot read "
        f"its version: {PRETEND_VERSION}={version} for the set-up "
        f"({f'commit {commit[:7]}' if commit else 'commit unknown'}; set the variable to choose)"
    )
    return {**env, PRETEND_VERSION: version}


def _make_venv(
    root: Path,
    folder: Path,
    env: Mapping[str, str],
    cache_dir: Path | None,
    log: Callable[[str], None],
) -> Tree:
    start = time.monotonic()
    home = folder / "venv"
    clean = {k: v for k, v in env.items() if k not in ("VIRTUAL_ENV", "PYTHONHOME")}
    pip = own_pip()
    try:
        _PipLinkingBuilder(pip).create(home)
    except OSError as exc:
        raise SetupError(f"creating the virtualenv in {home} failed: {exc}") from None
    bin_dir = home / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    if pip is None:  # nothing to link: the virtualenv gets its own copy, as `python -m venv`
        _run_checked(
            f"{_quote(str(python))} -m ensurepip --default-pip",
            root=root,
            env=with_temp(clean, folder / SETUP_TEMP),
            timeout=300.0,
            what="putting pip into the virtualenv",
        )
    how = "pip copied by ensurepip" if pip is None else f"pip linked from {pip}"
    log(f"aiwf-ci: virtualenv made in {duration(time.monotonic() - start)} ({how})")
    worker_path = folder / "aiwf-ci"
    worker_path.mkdir()
    (worker_path / "aiwf_ci").symlink_to(PACKAGE_DIR, target_is_directory=True)
    tree_env = with_bin_first(clean, str(bin_dir))
    tree_env["VIRTUAL_ENV"] = str(home)
    tree_env.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    if cache_dir is not None and "PIP_CACHE_DIR" not in env:
        tree_env["PIP_CACHE_DIR"] = str(cache_dir / "pip")
        tree_env.pop("PIP_NO_CACHE_DIR", None)
    return Tree(
        root=root,
        python=str(python),
        env=tree_env,
        worker_path=str(worker_path),
        isolated=True,
    )


def own_pip() -> Path | None:
    """The folder of the ``pip`` package aiwf-ci's own interpreter imports (``None``: none)."""
    spec = importlib.util.find_spec("pip")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


class _PipLinkingBuilder(venv.EnvBuilder):
    """``python -m venv --without-pip``, in-process, then ``pip`` linked in (module
    docstring): a symlink in ``PIP_LINK_FOLDER``, a ``.pth`` file naming that folder and the
    ``bin/pip*`` launchers; nothing is linked when ``pip`` is ``None``."""

    def __init__(self, pip: Path | None) -> None:
        super().__init__(with_pip=False, symlinks=os.name != "nt")
        self.pip = pip

    def post_setup(self, context: SimpleNamespace) -> None:
        if self.pip is None:
            return
        home = Path(context.env_dir)
        links = home / PIP_LINK_FOLDER
        links.mkdir()
        (links / "pip").symlink_to(self.pip, target_is_directory=True)
        purelib = sysconfig.get_path("purelib", "venv", vars={"base": home, "platbase": home})
        pth = Path(purelib) / "_aiwf_ci_pip.pth"
        pth.write_text(f"{links}\n", encoding="utf-8")
        major, minor = sys.version_info[:2]
        for name in ("pip", f"pip{major}", f"pip{major}.{minor}"):
            launcher = Path(context.bin_path) / name
            launcher.write_text(PIP_LAUNCHER.format(python=context.env_exe, pth=pth))
            launcher.chmod(0o755)


def with_temp(env: Mapping[str, str], temp: Path) -> dict[str, str]:
    """``env`` with ``temp`` (made if missing) as the temporary folder (``TMPDIR``, and
    ``TEMP``/``TMP`` that some tools read instead)."""
    temp.mkdir(parents=True, exist_ok=True)
    return {**env, "TMPDIR": str(temp), "TEMP": str(temp), "TMP": str(temp)}


def run_setup(tree: Tree, spec: EnvironmentSpec, *, log: Callable[[str], None], temp: Path) -> None:
    """Run every set-up command in the tree's root within ``spec.timeout`` seconds in all,
    with ``temp`` as their temporary folder."""
    env = with_temp(tree.env, temp)
    deadline = time.monotonic() + spec.timeout
    for command in spec.setup:
        left = deadline - time.monotonic()
        if left <= 0:
            raise SetupError(
                f"set-up ran out of time ({spec.timeout:g}s) before {command!r}; "
                "raise environment.timeout"
            )
        log(f"$ {command}")
        output = _run_checked(command, root=tree.root, env=env, timeout=left, what=command)
        for line in output.splitlines():
            log(line)


def _run_checked(
    command: str, *, root: Path, env: Mapping[str, str], timeout: float, what: str
) -> str:
    outcome = run_process(command, cwd=root, env=env, timeout=timeout, keep_output=True)
    output = "\n".join(p for p in (outcome.stdout.strip(), outcome.stderr.strip()) if p)
    if outcome.ok:
        return output
    if outcome.timed_out:
        status = f"timed out after {timeout:.0f}s"
    else:
        status = f"exited with code {outcome.returncode}"
    tail = "\n".join(output.splitlines()[-SETUP_TAIL_LINES:])
    cause = cause_line(outcome.stderr or outcome.stdout)
    summary = f"set-up command {what!r} {status}" + (f": {cause}" if cause else "")
    raise SetupError(summary, details=tail)


def _quote(text: str) -> str:
    return shlex.quote(text)
