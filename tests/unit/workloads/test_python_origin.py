"""``workloads.python_origin``: which imported modules are a tree's own code (issue 24: an
``ab --no-setup`` measured aiwf-ci's own ``cattrs`` on both sides, not the trees')."""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiwf_ci.workloads import RunContext
from aiwf_ci.workloads.python import origin_rules, sys_path_for
from aiwf_ci.workloads.python_origin import (
    FIX,
    OwnCode,
    WrongCodeError,
    held_packages,
    stdlib_folders,
)


@pytest.fixture
def fake_modules() -> Iterator[dict[str, types.ModuleType]]:
    """Modules put into ``sys.modules`` for one test (the check reads them from there)."""
    added: dict[str, types.ModuleType] = {}
    yield added
    for name in added:
        sys.modules.pop(name, None)


def add(modules: dict[str, types.ModuleType], name: str, file: Path) -> None:
    module = types.ModuleType(name)
    module.__file__ = str(file)
    modules[name] = module
    sys.modules[name] = module


def write(path: Path, text: str = "x = 1\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    write(root / "src" / "zzpkg" / "__init__.py", "mine = 1\n")
    write(root / "src" / "zzpkg" / "core.py", "def f(): pass\n")
    write(root / "flatmod.py")
    write(root / "docs" / "conf.py")  # a folder without __init__.py is no package
    write(root / ".aiwf" / "benchmod.py")
    return root


def own(root: Path, *, own_env: bool = False, own_code: bool = False) -> OwnCode:
    ctx = RunContext(root=root, config_dir=root / ".aiwf", isolated=own_env, own_code=own_code)
    return OwnCode.from_job(json.loads(json.dumps(origin_rules(ctx))))


def test_the_packages_a_tree_holds_are_found_where_the_worker_looks(tmp_path: Path) -> None:
    root = tree(tmp_path)
    write(root / "src" / "nspkg" / "part.py")  # a namespace package in src/ counts
    held = held_packages([root / ".aiwf", root, root / "src"])
    assert held == {
        "benchmod": root / ".aiwf",
        "flatmod": root,
        "zzpkg": root / "src",
        "nspkg": root / "src",
    }


def test_a_package_of_the_tree_imported_from_elsewhere_is_named_with_its_file(
    tmp_path: Path, fake_modules: dict[str, types.ModuleType]
) -> None:
    root = tree(tmp_path)
    other = write(tmp_path / "env" / "site-packages" / "zzpkg" / "__init__.py", "theirs = 1\n")
    add(fake_modules, "zzpkg", other)
    problems = own(root).problems(["zzpkg"])
    assert len(problems) == 1
    assert f"module 'zzpkg' was imported from {other}" in problems[0]
    assert str(root / "src" / "zzpkg") in problems[0]
    with pytest.raises(WrongCodeError, match="the benchmark would measure other code") as info:
        own(root).check(["zzpkg"])
    assert str(info.value).endswith(f"({FIX})")  # with the fix, also where no check names it


def test_the_same_bytes_from_another_place_are_the_trees_code(
    tmp_path: Path, fake_modules: dict[str, types.ModuleType]
) -> None:
    root = tree(tmp_path)
    copy = tmp_path / "elsewhere" / "zzpkg"
    add(fake_modules, "zzpkg", write(copy / "__init__.py", "mine = 1\n"))
    add(fake_modules, "zzpkg.core", write(copy / "core.py", "def f(): pass\n"))
    assert own(root).problems(["zzpkg", "zzpkg.core"]) == []
    write(copy / "core.py", "def f(): return 2\n")  # one submodule differs: not its code
    (line,) = own(root).problems(["zzpkg", "zzpkg.core"])
    assert "module 'zzpkg.core' was imported from" in line


def test_the_trees_own_virtualenv_counts_only_when_it_has_one(
    tmp_path: Path, fake_modules: dict[str, types.ModuleType]
) -> None:
    root = tree(tmp_path)
    installed = Path(sys.prefix) / "lib" / "site-packages" / "zzpkg" / "__init__.py"
    add(fake_modules, "zzpkg", installed)  # not read: only where it lies matters here
    assert own(root, own_env=True).problems(["zzpkg"]) == []
    assert own(root, own_env=False).problems(["zzpkg"]) != []


def test_a_target_outside_the_tree_is_refused_only_in_an_ab_run(
    tmp_path: Path, fake_modules: dict[str, types.ModuleType]
) -> None:
    root = tree(tmp_path)
    add(fake_modules, "zzdep", write(tmp_path / "venv" / "site-packages" / "zzdep.py"))
    targets = ["zzdep:f"]
    assert own(root).problems(["zzdep"], targets) == []  # aiwf-ci run: your environment
    (line,) = own(root, own_code=True).problems(["zzdep"], targets)
    assert "module 'zzdep' was imported from" in line and "outside the tree" in line
    # a dependency the tree does not hold, imported by a target, is not checked
    assert own(root, own_code=True).problems(["zzdep"], ["benchmod:run"]) == []


def test_the_standard_library_is_the_same_code_on_both_sides(tmp_path: Path) -> None:
    root = tree(tmp_path)
    import json as stdlib_json

    assert any(Path(stdlib_json.__file__).resolve().is_relative_to(f) for f in stdlib_folders())
    assert own(root, own_code=True).problems(["json", "json.decoder", "sys"], ["json:dumps"]) == []


def test_a_src_layout_is_on_the_path_unless_the_tree_has_its_own_virtualenv(
    tmp_path: Path,
) -> None:
    root = tree(tmp_path)
    plain = RunContext(root=root, config_dir=root / ".aiwf")
    assert sys_path_for(plain) == [str(root / ".aiwf"), str(root), str(root / "src")]
    isolated = RunContext(root=root, config_dir=root / ".aiwf", isolated=True)
    assert sys_path_for(isolated) == [str(root / ".aiwf"), str(root)]
    flat = tmp_path / "flat"
    flat.mkdir()
    assert sys_path_for(RunContext(root=flat, config_dir=flat)) == [str(flat)]
