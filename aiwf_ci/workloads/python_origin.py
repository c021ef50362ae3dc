"""Where a ``python:`` benchmark's code was imported from, and whether it is the tree's own.

Why: a worker finds a module by name on ``sys.path``, and the first match wins. A tree run
without a virtualenv of its own (``--no-setup``, or no ``environment:``) runs on aiwf-ci's
interpreter, whose installed packages include aiwf-ci's dependencies (``cattrs``,
``url_normalize``, ...): a project named like one of them imported that copy, and in
``aiwf-ci ab`` both sides measured the same, wrong code (a real +32% slowdown read
"unchanged"). The worker now puts the tree first (``workloads.python.sys_path_for``: the
config's folder, the root, a src layout's ``src/``), and this module is the safety net that
stops the benchmark rather than measure other code than the tree's:

- **The tree's own packages** (a module or package in the config's folder, the root or
  ``src/``) must be imported from the tree, from the tree's own virtualenv (its set-up
  installed them there), or be byte for byte the tree's file (the same code: aiwf-ci's own
  package, measured from its own checkout). Anywhere else (aiwf-ci's environment, another
  checkout through ``PYTHONPATH`` or an editable install) is an error, in ``run`` and
  ``ab`` alike: that is never the tree's code.
- **In an A/B run** (``own_code``) a target's module (``python:``, ``setup``,
  ``teardown``) must come from the tree, its own virtualenv or the standard library: a
  target found among aiwf-ci's installed packages would be the same code on both sides. In
  ``aiwf-ci run`` such a target is allowed (``--no-setup`` runs on your development
  environment, the project installed there, as the README says).

The **standard library** is allowed everywhere: both trees' workers run the same Python
(each virtualenv is made from the interpreter aiwf-ci runs on), so it is the same code on
both sides, and a target in it (``json:dumps``) is simply measured the same way twice. The
dependencies a tree does not hold itself are not checked: without set-up both trees share
aiwf-ci's, which is what ``--no-setup`` means.

Runs inside the worker: standard library only.
"""

from __future__ import annotations

import sys
import sysconfig
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

INSTALLED = frozenset({"site-packages", "dist-packages"})
"""A folder of installed packages, wherever it lies (a virtualenv inside the tree too)."""
FIX = (
    "install the tree's own code in its virtualenv (environment: {setup: [pip install -e .]}, "
    "without --no-setup), or keep the package at the tree's root or in its src/ folder"
)


class WrongCodeError(ImportError):
    """A benchmark would measure a module that is not the tree's own code."""


@dataclass(frozen=True, slots=True)
class OwnCode:
    """What counts as the tree's own code (sent by the parent in the worker's job)."""

    tree: tuple[Path, ...]
    """The tree's folders: the config's folder and the root (``src/`` lies under it)."""
    packages: Mapping[str, Path]
    """Top-level names the tree holds, each with the folder holding it."""
    own_env: bool
    """The worker runs in the tree's own virtualenv: what is installed there is its own."""
    own_code: bool
    """An A/B side: targets must come from the tree, its virtualenv or the standard library."""

    @classmethod
    def from_job(cls, data: Mapping[str, Any]) -> OwnCode:
        folders = [Path(p).resolve() for p in data.get("folders", [])]
        return cls(
            tree=tuple(Path(p).resolve() for p in data.get("tree", [])),
            packages=held_packages(folders),
            own_env=bool(data.get("own_env")),
            own_code=bool(data.get("own_code")),
        )

    def problems(self, names: Iterable[str], targets: Iterable[str] = ()) -> list[str]:
        """One line per top-level package (or target module) among ``names`` (module
        names, in ``sys.modules``) imported from somewhere that is not the tree's."""
        found: dict[str, str] = {}
        wanted = {t.partition(":")[0] for t in targets} if self.own_code else set()
        for name in sorted(names):
            top = name.partition(".")[0]
            module = sys.modules.get(name)
            if top in found or module is None:
                continue
            if top in self.packages:
                line = self._shadowed(name, module, self.packages[top])
            elif name in wanted:
                line = self._outside(name, module)
            else:
                continue
            if line:
                found[top] = line
        return list(found.values())

    def check(self, names: Iterable[str], targets: Iterable[str] = ()) -> None:
        """Raise ``WrongCodeError`` naming every module that is not the tree's own."""
        lines = self.problems(names, targets)
        if lines:
            raise WrongCodeError(f"{'; '.join(lines)} ({FIX})")

    def _shadowed(self, name: str, module: ModuleType, holder: Path) -> str:
        file = location(module)
        if file is None or self._where(file) in ("tree", "env") or same_file(name, file, holder):
            return ""
        return (
            f"module {name!r} was imported from {file}, not from the tree's own "
            f"{holder / name.partition('.')[0]}: the benchmark would measure other code"
        )

    def _outside(self, name: str, module: ModuleType) -> str:
        file = location(module)
        if file is None or self._where(file) in ("tree", "env", "stdlib"):
            return ""
        root = self.tree[-1] if self.tree else Path(".")
        return (
            f"module {name!r} was imported from {file}, outside the tree ({root}): in an "
            "A/B run both sides would measure that same copy"
        )

    def _where(self, file: str) -> str:
        """``tree``, ``env`` (the tree's own virtualenv), ``stdlib`` or ``other``."""
        path = Path(file).resolve()
        installed = any(part in INSTALLED for part in path.parts)
        if self.own_env and path.is_relative_to(Path(sys.prefix).resolve()):
            return "env"
        if installed:
            return "other"
        if any(path.is_relative_to(folder) for folder in self.tree):
            return "tree"
        if any(path.is_relative_to(folder) for folder in stdlib_folders()):
            return "stdlib"
        return "other"


def location(module: ModuleType) -> str | None:
    """The file a module was loaded from (a namespace package: its first folder), or
    ``None`` for a module built into the interpreter."""
    file = getattr(module, "__file__", None)
    if file:
        return str(file)
    path = getattr(module, "__path__", None)
    return next((str(p) for p in path), None) if path is not None else None


def held_packages(folders: Iterable[Path]) -> dict[str, Path]:
    """Top-level module and package names in ``folders`` (first folder wins): ``name.py``,
    ``name/__init__.py``, and in a ``src`` folder any package folder (namespace ones too)."""
    held: dict[str, Path] = {}
    for folder in folders:
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            name = _module_name(entry, src=folder.name == "src")
            if name:
                held.setdefault(name, folder)
    return held


def _module_name(entry: Path, *, src: bool) -> str:
    if entry.suffix == ".py" and entry.stem.isidentifier():
        return entry.stem
    if not entry.name.isidentifier() or not entry.is_dir():
        return ""
    return entry.name if src or (entry / "__init__.py").is_file() else ""


def same_file(name: str, file: str, holder: Path) -> bool:
    """Whether ``file`` (module ``name``) has exactly the bytes of the tree's copy of it
    under ``holder``: then it is the tree's code, only loaded from another place."""
    loaded = Path(file)
    parts = name.split(".")
    inner = parts if loaded.stem == "__init__" else parts[:-1]
    mine = holder.joinpath(*inner, loaded.name)
    try:
        return loaded.read_bytes() == mine.read_bytes()
    except OSError:
        return False


def stdlib_folders() -> tuple[Path, ...]:
    """The standard library of the interpreter's base installation (a virtualenv has none)."""
    base = {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}
    paths = sysconfig.get_paths(vars=base)
    return tuple(dict.fromkeys(Path(paths[k]).resolve() for k in ("stdlib", "platstdlib")))
