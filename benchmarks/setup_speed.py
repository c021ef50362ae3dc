"""Set-up speed: how long a source tree takes to be ready before its first benchmark.

A pull request of a real project took 34-48 s from container start to its first benchmark
(issue 24), most of it ``python -m venv`` putting pip into each of the two virtualenvs and
the two trees set up one after the other. aiwf-ci now makes each virtualenv without pip and
links its own pip in, and ``ab`` sets both trees up side by side. This measures old and new
in one run, interleaved (a busy machine's noise hits every variant alike), on the project
``tests/projects.py`` builds (src layout, its dependency from a local wheel folder: no
network), with a warm pip cache (one discarded warm-up repetition first):

- a virtualenv: ``python -m venv`` (pip copied in: the old way) vs aiwf-ci's (no pip, its
  own linked; timed to the point where the set-up could start, a ``true`` command run);
- one tree set up (``pip install --no-index --find-links wheels -e .``): old vs new;
- two trees made ready as ``ab`` does (``ready_tree``, the ``python:`` import check
  included): one after the other vs side by side; and the old way, one after the other
  (import check left out);
- ``aiwf-ci ab`` on two copies of the project: process start -> its first benchmark line.

Prints the median and the range of ``--repeat`` repetitions per step.

    python benchmarks/setup_speed.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiwf_ci.config.models import EnvironmentSpec
from aiwf_ci.console.progress import ProgressPrinter
from aiwf_ci.run.project import prepared_tree
from aiwf_ci.usecases import load_suite, ready_tree, threshold_rules
from aiwf_ci.usecases.ab import ABRequest, ABSide, _ready_both
from tests.projects import SETUP, make_project


def timed(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def old_tree(root: Path, env: dict[str, str], setup: str) -> float:
    """The previous way: ``python -m venv`` (pip copied in), then the set-up with the
    virtualenv first on ``PATH``; seconds until the tree is ready."""
    folder = Path(tempfile.mkdtemp(prefix="aiwf-old-"))
    try:
        venv = folder / "venv"

        def make() -> None:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env)
            tree_env = {**env, "VIRTUAL_ENV": str(venv)}
            tree_env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
            subprocess.run(
                setup, shell=True, cwd=root, env=tree_env, check=True, capture_output=True
            )

        return timed(make)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def new_tree(root: Path, env: dict[str, str], setup: str) -> float:
    """aiwf-ci's way; seconds until the block is entered (the tree ready)."""
    start = time.perf_counter()
    spec = EnvironmentSpec(setup=(setup,))
    with prepared_tree(root, spec, env, log=lambda _: None):
        return time.perf_counter() - start


def two_trees(roots: tuple[Path, Path], env: dict[str, str], *, side_by_side: bool) -> float:
    """Both trees made ready as ``ab`` does (import check included); seconds."""
    head, base = (ABSide(config=load_suite(r / ".aiwf" / "bench.yml", env), root=r) for r in roots)
    start = time.perf_counter()
    with ExitStack() as stack:
        if side_by_side:
            rules = threshold_rules(head.config)
            request = ABRequest(base=base, head=head, rules=rules)
            _ready_both(stack, request, env, ProgressPrinter(io.StringIO(), github_actions=False))
        else:
            for side in (head, base):
                tree = ready_tree(side.config, side.root, env, log=lambda _: None)
                stack.enter_context(tree)
        return time.perf_counter() - start


def ab_first_benchmark(roots: tuple[Path, Path], env: dict[str, str], out: Path) -> float:
    """``aiwf-ci ab`` started in the head tree: seconds until it prints its first benchmark
    line; then interrupted (it removes its virtualenvs on the way out)."""
    head, base = roots
    argv = [sys.executable, "-m", "aiwf_ci", "ab", ".aiwf/bench.yml"]
    argv += ["--base-dir", str(base), "--head-dir", ".", "--out", str(out)]
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=head, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert proc.stdout is not None
    seconds = float("nan")
    for line in proc.stdout:
        if line.startswith("[1/"):
            seconds = time.perf_counter() - start
            break
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=120)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        roots = (make_project(folder / "head"), make_project(folder / "base"))
        env = {**os.environ, "PIP_CACHE_DIR": str(folder / "pip-cache")}
        env.pop("PYTHONPATH", None)
        steps: dict[str, Callable[[], float]] = {
            "virtualenv, old (python -m venv)": lambda: old_tree(roots[0], env, "true"),
            "virtualenv, new (pip linked)": lambda: new_tree(roots[0], env, "true"),
            "one tree set up, old": lambda: old_tree(roots[0], env, SETUP),
            "one tree set up, new": lambda: new_tree(roots[0], env, SETUP),
            "two trees, old, one after the other": lambda: sum(
                old_tree(root, env, SETUP) for root in roots
            ),
            "two trees, one after the other": lambda: two_trees(roots, env, side_by_side=False),
            "two trees, side by side": lambda: two_trees(roots, env, side_by_side=True),
            "aiwf-ci ab: start -> first benchmark": lambda: ab_first_benchmark(
                roots, env, folder / "out"
            ),
        }
        figures: dict[str, list[float]] = {name: [] for name in steps}
        for repetition in range(args.repeat + 1):  # the first warms the caches up
            for name, step in steps.items():
                seconds = step()
                if repetition:
                    figures[name].append(seconds)
        print(f"{'step':40} {'median':>8} {'range':>15}   ({args.repeat} repetitions)")
        for name, values in figures.items():
            span = f"{min(values):.2f}-{max(values):.2f} s"
            print(f"{name:40} {statistics.median(values):>6.2f} s {span:>15}")


if __name__ == "__main__":
    main()
