"""A real cProfile dump read back: functions keyed by file and name, modules as imported."""

from __future__ import annotations

import cProfile
import importlib
import sys
from pathlib import Path

from aiwf_ci.profile.cprofile import read_pstats

MODULE = """\
def work(n):
    return sum(i * i for i in range(n))

def light():
    return work(1000)

def heavy():
    return work(30000)

def run():
    light()
    heavy()
"""


def test_a_dump_names_the_functions_that_cost(tmp_path: Path) -> None:
    package = tmp_path / "src" / "demo_pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "steps.py").write_text(MODULE, encoding="utf-8")
    sys.path.insert(0, str(tmp_path / "src"))
    try:
        steps = importlib.import_module("demo_pkg.steps")
        profiler = cProfile.Profile()
        profiler.runcall(steps.run)
    finally:
        sys.path.remove(str(tmp_path / "src"))
        sys.modules.pop("demo_pkg.steps", None)
        sys.modules.pop("demo_pkg", None)
    dump = tmp_path / "run.pstats"
    profiler.dump_stats(dump)
    profile = read_pstats(dump, root=tmp_path, paths=(tmp_path / "src",))
    work = profile.functions[("src/demo_pkg/steps.py", "work")]
    run = profile.functions[("src/demo_pkg/steps.py", "run")]
    assert work.calls == 2 and work.module == "demo_pkg.steps"
    assert run.inclusive >= work.inclusive > 0
    assert work.label == "demo_pkg.steps:work (src/demo_pkg/steps.py:1)"
    assert profile.unit == "s" and profile.total >= run.inclusive * 0.99


def test_without_import_paths_a_module_is_named_from_the_tree(tmp_path: Path) -> None:
    (tmp_path / "flat.py").write_text("def f():\n    return sum(range(1000))\n", encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    try:
        flat = importlib.import_module("flat")
        profiler = cProfile.Profile()
        profiler.runcall(flat.f)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("flat", None)
    profiler.dump_stats(tmp_path / "flat.pstats")
    profile = read_pstats(tmp_path / "flat.pstats", root=tmp_path)
    assert profile.functions[("flat.py", "f")].label == "flat:f (flat.py:1)"
