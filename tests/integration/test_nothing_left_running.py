"""Everything a benchmark or set-up starts ends with it: a background ``&``, ``nohup``,
``setsid`` (with and without its environment), a double fork, a callable's ``Popen``; a tree
ending leaves another running tree's processes alone; nothing is left a zombie."""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from aiwf_ci.bench.process import run_process
from aiwf_ci.config.models import (
    BenchmarkConfig,
    EnvironmentSpec,
    MemorySettings,
    PythonSpec,
    Settings,
)
from aiwf_ci.run.project import prepared_tree
from aiwf_ci.workloads.base import RunContext
from aiwf_ci.workloads.python import run_python_benchmark

_SERIAL = itertools.count(1)


def marker() -> str:
    """A ``sleep`` length no other test (or helper) uses: finds our processes in ``/proc``."""
    return f"7777.{os.getpid()}{next(_SERIAL):03d}"


def left(mark: str) -> list[psutil.Process]:
    """Processes (zombies too) whose command line holds ``mark``."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        if mark in " ".join(proc.info["cmdline"] or []):
            found.append(proc)
    return found


def zombie_children(since: float) -> list[int]:
    """This process's unreaped children started at or after ``since`` (another test's
    orphans, adopted by this process once an earlier test made it a subreaper, are not this
    test's to judge)."""
    found = []
    for child in psutil.Process().children():
        with contextlib.suppress(psutil.Error):
            if child.status() == psutil.STATUS_ZOMBIE and child.create_time() >= since:
                found.append(child.pid)
    return found


SHAPES = {
    "background": "sleep {m} &",
    "nohup": "nohup sleep {m} >/dev/null 2>&1 &",
    "setsid": "setsid sleep {m} &",
    "double-fork": "(sleep {m} &); true",
    "setsid-without-environment": "setsid env -i /bin/sleep {m} &",
    "setsid-fork": "setsid -f sleep {m}",
    "ignores-sigterm": "sh -c 'trap \"\" TERM; sleep {m}' &",
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_command_leaves_nothing_running(tmp_path: Path, shape: str) -> None:
    mark, since = marker(), time.time() - 0.1
    outcome = run_process(SHAPES[shape].format(m=mark), cwd=tmp_path, env=os.environ, timeout=30)
    try:
        assert outcome.ok, outcome.stderr
        assert left(mark) == []
        assert zombie_children(since) == []
    finally:
        for proc in left(mark):
            proc.kill()


@pytest.mark.parametrize("shape", ["background", "nohup", "setsid", "double-fork"])
def test_a_set_up_command_leaves_nothing_running(tmp_path: Path, shape: str) -> None:
    mark, since = marker(), time.time() - 0.1
    spec = EnvironmentSpec(setup=(SHAPES[shape].format(m=mark),))
    try:
        with prepared_tree(tmp_path, spec, {"PATH": "/usr/bin:/bin"}, log=lambda _: None):
            assert left(mark) == []  # gone before the benchmarks start
        assert zombie_children(since) == []
    finally:
        for proc in left(mark):
            proc.kill()


def test_a_callable_s_popen_ends_with_its_worker(tmp_path: Path) -> None:
    mark, since = marker(), time.time() - 0.1
    (tmp_path / "spawner.py").write_text(
        "import subprocess\n"
        f"def spawn():\n    subprocess.Popen(['sleep', '{mark}'])\n"
        f"def detach():\n    subprocess.Popen(['sleep', '{mark}'], start_new_session=True)\n"
    )
    settings = Settings(warmup=0, iterations=2, min_time=0.0, memory=MemorySettings(enabled=False))
    try:
        for target in ("spawner:spawn", "spawner:detach"):
            bench = BenchmarkConfig(
                name="t", kind="python", workload=PythonSpec(target=target), settings=settings
            )
            ctx = RunContext(root=tmp_path, config_dir=tmp_path, env=os.environ)
            result = run_python_benchmark(bench, ctx)
            assert not result.errors, result.errors
            assert left(mark) == [], target
        assert zombie_children(since) == []
    finally:
        for proc in left(mark):
            proc.kill()


def test_ending_a_tree_leaves_another_running_tree_alone(tmp_path: Path) -> None:
    """A tree still running keeps its own orphans (adopted by aiwf-ci, in a session of their
    own) while another tree ends and its orphans are ended."""
    theirs, mine, since = marker(), marker(), time.time() - 0.1
    stop = tmp_path / "stop"
    other = f"(setsid sleep {theirs} &); touch started; while [ ! -f {stop} ]; do sleep 0.05; done"
    done: list[object] = []
    thread = threading.Thread(
        target=lambda: done.append(run_process(other, cwd=tmp_path, env=os.environ, timeout=120))
    )
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "started").exists() or not left(theirs):
            assert time.monotonic() < deadline, "the other tree never started"
            time.sleep(0.05)
        outcome = run_process(f"setsid sleep {mine} &", cwd=tmp_path, env=os.environ, timeout=30)
        assert outcome.ok
        assert left(mine) == []
        assert [p.name() for p in left(theirs)].count("sleep") == 1  # not the other tree's
    finally:
        stop.touch()
        thread.join(120)
    assert done and left(theirs) == []  # ended with its own tree
    assert zombie_children(since) == []


def test_cpu_time_of_a_waited_child_still_counts_and_of_an_orphan_does_not(
    tmp_path: Path,
) -> None:
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3:\n    pass\n"
    (tmp_path / "burn.py").write_text(burn)
    waited = run_process(
        f"{sys.executable} burn.py & wait", cwd=tmp_path, env=os.environ, timeout=60
    )
    orphan = run_process(
        f"({sys.executable} burn.py &); sleep 0.5", cwd=tmp_path, env=os.environ, timeout=60
    )
    assert waited.ok and orphan.ok
    assert waited.cpu >= 0.25  # the shell waited for it: counted
    assert orphan.cpu < 0.25  # never waited for by the shell: not the command's


def test_the_tree_token_never_changes_the_size_of_the_environment(tmp_path: Path) -> None:
    """Counted instructions (and timings) move with the environment's size: every run gets
    a token of one length, the tenth as the first."""
    sizes = set()
    for _ in range(12):
        outcome = run_process("printenv AIWF_CI_TREE", cwd=tmp_path, env=os.environ, timeout=30)
        assert outcome.ok and outcome.stdout.strip()
        sizes.add(len(outcome.stdout))
    assert len(sizes) == 1
