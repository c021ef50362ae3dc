"""A real project through the real CLI: a src-layout package whose dependency only its own
set-up can install (a local wheel folder, no network), the config in ``.aiwf/``, relative
paths from the repository root, and ``ab`` with each tree calling only its own code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from aiwf_ci.models import load_results
from tests.integration.cli_helpers import aiwf
from tests.projects import DEPENDENCY, make_project


def test_run_sets_up_the_project_in_its_own_environment(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj")
    done = aiwf("run", "--out", tmp_path / "out", cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "$ pip install --no-index --find-links wheels -e ." in done.stdout
    results = load_results(tmp_path / "out" / "results.json")
    assert {b.name for b in results.benchmarks} == {"render-doc", "render-script", "read-sources"}
    assert not [b.errors for b in results.benchmarks if b.errors]
    # the dependency lives in the project's virtualenv only, never in aiwf-ci's own
    probe = subprocess.run([sys.executable, "-c", f"import {DEPENDENCY}"], check=False)
    assert probe.returncode != 0


def test_without_setup_the_targets_must_import_here(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj")
    done = aiwf("run", "--no-setup", "--out", tmp_path / "out", cwd=project)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "render-doc.python: cannot import 'mdproj.bench:render_doc'" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_failing_setup_names_the_command_and_measures_nothing(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj")
    config = project / ".aiwf" / "bench.yml"
    config.write_text(
        config.read_text().replace("-e .", "-e . no-such-package-xyz"), encoding="utf-8"
    )
    done = aiwf("run", "--out", tmp_path / "out", cwd=project)
    assert done.returncode == 3, done.stdout + done.stderr
    first = done.stderr.splitlines()[0]
    assert first.startswith("aiwf-ci: error: set-up command 'pip install")
    assert "exited with code 1: ERROR: " in first and "no-such-package-xyz" in first
    assert "  | " in done.stderr  # the output's last lines follow
    assert not (tmp_path / "out" / "results.json").exists()


def test_validate_checks_scripts_folders_and_globs_before_a_run(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "ok.py").write_text("print('hi')\n")
    (tmp_path / "bench.yml").write_text(
        "suite: s\n"
        "benchmarks:\n"
        "  - {name: ok, command: python scripts/ok.py}\n"
        "  - {name: gone, command: python scripts/missing.py --fast}\n"
        "  - {name: nowhere, command: ./run.sh, cwd: tools}\n"
        "  - name: empty\n"
        "    file-batch: {operations: [{op: read, glob: 'src/**/*.py'}]}\n"
    )
    done = aiwf("validate", "bench.yml", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 3, lines
    assert "bench.yml:4: gone.command: the command runs 'scripts/missing.py'" in lines[0]
    assert "nowhere.cwd: cwd 'tools' is not a folder" in lines[1]
    assert (
        "empty.file-batch.operations[0].glob: read glob 'src/**/*.py' matches no file" in (lines[2])
    )


def test_a_failing_command_shows_its_exception_line(tmp_path: Path) -> None:
    (tmp_path / "bench.yml").write_text(
        "suite: s\ndefaults: {iterations: 2, warmup: 0, memory: false}\nbenchmarks:\n"
        "  - name: broken\n"
        "    command: python -c \"import json; json.loads('{broken')\"\n"
    )
    done = aiwf("run", "bench.yml", "--out", tmp_path / "out", cwd=tmp_path)
    assert done.returncode == 3
    line = next(x for x in done.stdout.splitlines() if "broken (command): FAILED" in x)
    assert "json.decoder.JSONDecodeError: Expecting property name" in line


def test_ab_measures_each_tree_with_its_own_code(tmp_path: Path) -> None:
    """The README's layout: the package at the repository root, the config in .aiwf/, run
    from the head tree with the base checked out beside it. A probe in the benchmarked
    function records which file each call ran: both trees' own, never the other's."""
    base = make_project(tmp_path / "base", flat=True, work=2, iterations=10)
    head = make_project(tmp_path / "head", flat=True, work=8, iterations=10)
    probe = tmp_path / "probe.log"
    done = aiwf(
        "ab",
        ".aiwf/bench.yml",
        "--base-dir",
        "../base",
        "--head-dir",
        ".",
        "--out",
        tmp_path / "ab",
        "--only",
        "render-doc",
        cwd=head,
        env={"AIWF_TEST_PROBE": str(probe)},
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    calls = probe.read_text().splitlines()
    files = {str(p.resolve() / "mdproj" / "bench.py") for p in (base, head)}
    assert set(calls) == files  # each side called its own code, and nothing else
    assert "render-doc" in done.stdout and "regression" in done.stdout.lower()
    base_results = load_results(tmp_path / "ab" / "base" / "results.json")
    head_results = load_results(tmp_path / "ab" / "head" / "results.json")
    fast = base_results.by_name()["render-doc"].metrics["duration"].stats.median
    slow = head_results.by_name()["render-doc"].metrics["duration"].stats.median
    assert slow > 2 * fast


def test_a_module_that_exits_on_import_is_named_by_validate(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("import os\nos._exit(0)\ndef f(): pass\n")
    (tmp_path / "good.py").write_text("def f(): pass\n")
    (tmp_path / "b.yml").write_text(
        "suite: s\nbenchmarks:\n  - {name: a, python: good:f}\n  - {name: b, python: bad:f}\n"
    )
    done = aiwf("validate", "b.yml", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "b.yml:4: b.python: cannot import 'bad:f': importing it stopped the interpreter" in line


# Issue 24: a tree whose package is named like one of aiwf-ci's own dependencies (cattrs,
# url_normalize) imported aiwf-ci's copy, so `ab --no-setup` measured the same, wrong code
# on both sides: a real slowdown read "unchanged", exit 0.
NAMESAKE = """\
import time

def structure(value, kind):  # named like the real cattrs.structure, so either copy works
    time.sleep({nap})
    return kind(value)


class Converter:  # the real cattrs has one too, callable without arguments
    pass
"""
NAMESAKE_SUITE = """\
suite: namesake
{environment}defaults: {{warmup: 0, iterations: 3, memory: false, min-time: 5ms, timeout: 120s}}
thresholds: {{duration: 10%}}
benchmarks:
  - name: structure
    python: usecattrs:run
"""
USES_CATTRS = """\
import cattrs

def run():
    cattrs.structure("1", int)
"""


def namesake_tree(root: Path, nap: float, *, package: str = "src/cattrs", env: str = "") -> Path:
    """A tree holding its own ``cattrs`` (src layout by default), a benchmark module in
    ``.aiwf/`` that imports it, and a suite with ``env`` as its ``environment:`` section."""
    (root / package).mkdir(parents=True)
    (root / package / "__init__.py").write_text(NAMESAKE.format(nap=nap), encoding="utf-8")
    (root / ".aiwf").mkdir()
    (root / ".aiwf" / "usecattrs.py").write_text(USES_CATTRS, encoding="utf-8")
    suite = NAMESAKE_SUITE.format(environment=env)
    (root / ".aiwf" / "bench.yml").write_text(suite, encoding="utf-8")
    return root


def ab_namesakes(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return aiwf(
        "ab",
        "--base-dir",
        tmp_path / "base",
        "--head-dir",
        tmp_path / "head",
        "--out",
        tmp_path / "ab",
        "--max-rounds",
        "10",
        "--format",
        "json",
        *extra,
        timeout=600,
    )


def test_ab_without_setup_measures_each_trees_own_namesake_of_a_dependency(
    tmp_path: Path,
) -> None:
    """Both ways a tree runs on aiwf-ci's own interpreter: ``--no-setup`` (its set-up
    skipped) and a suite with no ``environment:`` at all. 4x slower head: a regression."""
    setup = "environment:\n  setup: [pip install --no-index -e .]\n"
    for case, env, flags in (("no-setup", setup, ("--no-setup",)), ("no-env", "", ())):
        folder = tmp_path / case
        namesake_tree(folder / "base", 0.002, env=env)
        namesake_tree(folder / "head", 0.008, env=env)
        done = ab_namesakes(folder, *flags)
        assert done.returncode == 0, done.stdout + done.stderr
        (bench,) = json.loads(done.stdout)["benchmarks"]
        assert bench["verdict"] == "regression", (case, bench)


def test_ab_refuses_to_measure_a_target_found_among_aiwf_cis_own_packages(
    tmp_path: Path,
) -> None:
    """The safety net: a tree keeps its ``cattrs`` where the worker does not look (``lib/``),
    and the target names ``cattrs`` itself: the worker finds aiwf-ci's copy (whose
    ``Converter`` runs as well as the tree's would). Exit 2 before anything is measured,
    naming the module, the file it came from and the fix."""
    for side in ("base", "head"):
        root = namesake_tree(tmp_path / side, 0.002, package="lib/cattrs")
        config = root / ".aiwf" / "bench.yml"
        config.write_text(
            config.read_text().replace("usecattrs:run", "cattrs:Converter"), encoding="utf-8"
        )
    done = ab_namesakes(tmp_path, "--no-setup")
    assert done.returncode == 2, done.stdout + done.stderr
    (line,) = done.stderr.strip().splitlines()
    installed = Path(cattrs_file()).resolve()
    assert "structure.python: 'cattrs:Converter' is not this tree's code" in line
    assert f"module 'cattrs' was imported from {installed}" in line
    assert "environment: {setup: [pip install -e .]}, without --no-setup" in line
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "ab" / "head" / "results.json").exists()


def cattrs_file() -> str:
    probe = [sys.executable, "-c", "import cattrs; print(cattrs.__file__)"]
    return subprocess.run(probe, capture_output=True, text=True, check=True).stdout.strip()


def test_run_without_setup_imports_the_src_layout_of_the_tree(tmp_path: Path) -> None:
    """``aiwf-ci run`` in one tree: its own ``src/cattrs``, not aiwf-ci's."""
    root = namesake_tree(tmp_path / "proj", 0.001)
    probe = tmp_path / "probe.log"
    (root / "src" / "cattrs" / "__init__.py").write_text(
        f"def structure(value, kind):\n"
        f"    open({str(probe)!r}, 'a').write(__file__ + '\\n')\n"
        f"    return kind(value)\n",
        encoding="utf-8",
    )
    done = aiwf("run", "--no-setup", "--out", tmp_path / "out", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    files = set(probe.read_text().splitlines())
    assert files == {str((root / "src" / "cattrs" / "__init__.py").resolve())}
