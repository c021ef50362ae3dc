from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import psutil
import pytest

from aiwf_ci.bench.process import run_process
from aiwf_ci.config.models import BenchmarkConfig, MemorySettings, PythonSpec, Settings
from aiwf_ci.workloads.base import RunContext
from aiwf_ci.workloads.python import run_python_benchmark

BURN = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3:\n    pass\n"


def test_cpu_time_counts_the_whole_process_tree(tmp_path: Path) -> None:
    # the shell runs two children one after the other: each burns ~0.3 s of CPU
    (tmp_path / "burn.py").write_text(BURN)
    command = f"{sys.executable} burn.py; sh -c '{sys.executable} burn.py'"
    outcome = run_process(command, cwd=tmp_path, env=os.environ, timeout=30)
    assert outcome.ok, outcome.stderr
    assert outcome.cpu >= 0.55
    assert outcome.wall >= 0.55


def test_timeout_kills_the_whole_tree(tmp_path: Path) -> None:
    marker = tmp_path / "pids"
    command = f"sleep 60 & echo $! > {marker}; sleep 60"
    start = time.monotonic()
    outcome = run_process(command, cwd=tmp_path, env=os.environ, timeout=0.5)
    assert outcome.timed_out and not outcome.ok
    assert time.monotonic() - start < 10
    child = int(marker.read_text())
    deadline = time.monotonic() + 5
    while psutil.pid_exists(child) and psutil.Process(child).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "background child survived the timeout"
        time.sleep(0.05)


def bench(target: str, **settings: object) -> BenchmarkConfig:
    base = {"warmup": 1, "iterations": 5, "min_time": 0.02, "memory": MemorySettings(enabled=False)}
    base.update(settings)
    return BenchmarkConfig(
        name="t", kind="python", workload=PythonSpec(target=target), settings=Settings(**base)
    )  # type: ignore[arg-type]


def test_python_worker_calibrates_loops_to_min_time(tmp_path: Path) -> None:
    (tmp_path / "tiny.py").write_text("def noop():\n    return None\n")
    result = run_python_benchmark(
        bench("tiny:noop"), RunContext(root=tmp_path, config_dir=tmp_path, env=os.environ)
    )
    assert not result.errors, result.errors
    loops = result.extra["loops"]
    samples = result.metrics["duration"].samples
    assert len(samples) == 5
    # each sample is one call's mean over `loops` calls, calibrated so that a sample lasts
    # min-time (20 ms): many calls of a no-op however busy the machine (how long the samples
    # then take depends on the machine's load: not asserted)
    assert loops >= 100
    assert all(1e-9 < s < 1e-3 for s in samples)


def test_python_worker_timeout_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "slow.py").write_text("import time\ndef nap():\n    time.sleep(5)\n")
    start = time.monotonic()
    result = run_python_benchmark(
        bench("slow:nap", timeout=0.5),
        RunContext(root=tmp_path, config_dir=tmp_path, env=os.environ),
    )
    assert "timed out after 0.5s" in result.errors[0]
    assert time.monotonic() - start < 5


@pytest.mark.parametrize("with_setup", [True, False])
def test_setup_value_is_passed_and_teardown_runs(tmp_path: Path, with_setup: bool) -> None:
    flag = tmp_path / "torn-down"
    (tmp_path / "lifecycle.py").write_text(
        "from pathlib import Path\n"
        "def make():\n    return [3, 1, 2]\n"
        "def run(data=None):\n    assert data == [3, 1, 2] or data is None\n    return sorted(data or [])\n"
        f"def done():\n    Path({str(flag)!r}).write_text('x')\n"
    )
    spec = PythonSpec(
        target="lifecycle:run",
        setup="lifecycle:make" if with_setup else None,
        teardown="lifecycle:done",
    )
    config = BenchmarkConfig(
        name="t",
        kind="python",
        workload=spec,
        settings=Settings(iterations=3, warmup=0, min_time=0.001),
    )
    result = run_python_benchmark(
        config, RunContext(root=tmp_path, config_dir=tmp_path, env=os.environ)
    )
    assert not result.errors, result.errors
    assert flag.exists()


def test_a_simple_commands_wait_for_a_cpu_is_the_programs_own(tmp_path: Path) -> None:
    """A simple command is exec'd: the leader whose run-queue delay is read is the program
    itself (its pid is the one Popen started), not a shell that waited for it."""
    from aiwf_ci.workloads.command import direct

    script = tmp_path / "pid.py"
    script.write_text("import os\nprint(os.getpid())\n")
    outcome = run_process(
        direct(f"{sys.executable} {script}"), cwd=tmp_path, env=os.environ, timeout=30
    )
    assert outcome.ok, outcome.stderr
    assert outcome.queue is not None and outcome.queue >= 0.0
    shell = run_process(
        f"{sys.executable} {script}; true", cwd=tmp_path, env=os.environ, timeout=30
    )
    assert shell.ok and shell.stdout.strip() != ""


def test_python_samples_carry_cpu_time_and_the_wait_for_a_cpu(tmp_path: Path) -> None:
    (tmp_path / "mixed.py").write_text(
        "import time\n"
        "def spin():\n    t = time.process_time()\n    while time.process_time() - t < 0.005:\n"
        "        pass\n"
        "def nap():\n    time.sleep(0.01)\n"
    )
    ctx = RunContext(root=tmp_path, config_dir=tmp_path, env=os.environ)
    spin = run_python_benchmark(bench("mixed:spin", iterations=3), ctx)
    nap = run_python_benchmark(bench("mixed:nap", iterations=3), ctx)
    for result in (spin, nap):
        assert not result.errors, result.errors
        assert {"duration", "cpu_time", "run_queue_delay"} <= set(result.metrics)
        assert result.extra["timer"] == "auto"
    # CPU time is the work: all of a spin, next to nothing of a sleep, whatever the load
    assert min(spin.metrics["cpu_time"].samples) >= 0.004
    assert max(nap.metrics["cpu_time"].samples) < 0.5 * min(nap.metrics["duration"].samples)


def test_a_worker_that_dies_mid_session_is_an_error_with_its_last_words(tmp_path: Path) -> None:
    (tmp_path / "dies.py").write_text(
        "import os, sys\nCALLS = [0]\n"
        "def call():\n    CALLS[0] += 1\n    if CALLS[0] == 5:\n"
        "        print('giving up', file=sys.stderr, flush=True)\n        os._exit(7)\n"
    )
    result = run_python_benchmark(
        bench("dies:call", min_time=0.0),
        RunContext(root=tmp_path, config_dir=tmp_path, env=os.environ),
    )
    assert result.failed
    assert result.errors[0].startswith("worker exited with code 7: giving up")


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity here")
def test_a_command_started_on_one_cpu_runs_there_and_aiwf_ci_stays_free() -> None:
    before = os.sched_getaffinity(0)
    cpu = max(before)
    probe = f"{sys.executable} -c 'import os; print(sorted(os.sched_getaffinity(0)))'"
    pinned = run_process(probe, cwd=Path.cwd(), env=os.environ, timeout=30, cpu=cpu)
    free = run_process(probe, cwd=Path.cwd(), env=os.environ, timeout=30)
    assert pinned.ok and pinned.stdout.strip() == f"[{cpu}]"
    assert free.ok and free.stdout.strip() == str(sorted(before))
    assert os.sched_getaffinity(0) == before
    # the CPU it last ran on is known, so the reference loop can be timed there
    assert pinned.last_cpu == cpu and free.last_cpu in before
