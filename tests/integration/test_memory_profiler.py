"""The memory profiler end to end: real subprocesses, real allocations, through the real
``command`` and ``python`` workloads and the real config loader."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from aiwf_ci.bench.process import ProcessOutcome
from aiwf_ci.config import load_config
from aiwf_ci.config.models import BenchmarkConfig, MemorySettings, PythonSpec, Settings
from aiwf_ci.models import Alert, BenchmarkResult
from aiwf_ci.workloads.base import RunContext
from aiwf_ci.workloads.command import run_command_benchmark
from aiwf_ci.workloads.python import run_python_benchmark

TARGETS = Path(__file__).resolve().parent / "memory_targets"
MIB = 1024 * 1024


def _suite(tmp_path: Path, body: str) -> list[BenchmarkConfig]:
    path = tmp_path / "bench.yml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return list(load_config(path, env={}).benchmarks)


def _alerts(result: BenchmarkResult, kind: str) -> list[Alert]:
    return [a for a in result.alerts if a.kind == kind]


def _leak_site_line() -> int:
    lines = (TARGETS / "targets.py").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if "# LEAK-SITE" in line)


def _python(target: str, *, iterations: int = 20, **memory: object) -> BenchmarkResult:
    bench = BenchmarkConfig(
        name=target,
        kind="python",
        workload=PythonSpec(target=target),
        settings=Settings(
            warmup=0,
            iterations=3,
            min_time=0.001,
            memory=MemorySettings(iterations=iterations, **memory),  # type: ignore[arg-type]
        ),
    )
    result = run_python_benchmark(bench, RunContext(root=TARGETS, config_dir=TARGETS))
    assert not result.errors, result.errors
    return result


@pytest.fixture(scope="module")
def child_200mib(tmp_path_factory: pytest.TempPathFactory) -> BenchmarkResult:
    folder = tmp_path_factory.mktemp("cmd")
    (bench,) = _suite(
        folder,
        """\
        suite: memory
        defaults: {warmup: 0, iterations: 1, memory: {interval: 10ms, max-peak: 150MB}}
        benchmarks:
          - name: child-allocates
            command: >-
              sh -c 'python3 -c "x = bytearray(200*1024*1024); import time; time.sleep(0.5)"'
        """,
    )
    return run_command_benchmark(bench, RunContext(root=folder, config_dir=folder))


def test_child_process_memory_counts(child_200mib: BenchmarkResult) -> None:
    result = child_200mib
    assert not result.errors, result.errors
    peak = result.metrics["memory_peak"]
    assert peak.unit == "B"
    assert len(peak.samples) >= 2  # several memory runs: the comparison can test them
    for sample in peak.samples:
        assert sample == pytest.approx(200 * MIB, rel=0.10)
    assert "duration" in result.metrics  # timed runs are unaffected and still reported
    series = result.series["memory_rss"]
    assert 0 < len(series.t) <= 200
    assert max(series.values) == max(peak.samples)
    sampler = result.extra["memory"]
    assert sampler["processes"] >= 2  # the shell and its python child
    if "memory_uss_peak" in result.metrics:
        assert max(result.metrics["memory_uss_peak"].samples) > 100 * MIB


def test_exceeding_max_peak_alerts(child_200mib: BenchmarkResult) -> None:
    (alert,) = _alerts(child_200mib, "threshold_exceeded")
    assert alert.metric == "memory_peak"
    assert alert.limit == 150_000_000
    assert alert.value == max(child_200mib.metrics["memory_peak"].samples)
    assert alert.message.startswith("memory_peak 2")
    assert alert.message.endswith("MB exceeds max-peak 150 MB")


def test_short_lived_child_is_caught(tmp_path: Path) -> None:
    (bench,) = _suite(
        tmp_path,
        """\
        suite: memory
        defaults: {warmup: 0, iterations: 1}
        benchmarks:
          - name: brief-child
            command: >-
              python3 -c "import time; x = bytearray(100*1024*1024); time.sleep(0.05)"; sleep 0.2
        """,
    )
    result = run_command_benchmark(bench, RunContext(root=tmp_path, config_dir=tmp_path))
    assert not result.errors, result.errors
    assert max(result.metrics["memory_peak"].samples) > 95 * MIB


def test_leaking_callable_is_flagged_with_site_and_type() -> None:
    result = _python("targets:leak_one_mb", iterations=10)
    (alert,) = _alerts(result, "memory_leak_suspected")
    details = alert.details
    assert alert.metric == "memory_rss_after_gc"
    assert alert.limit == 0.05
    assert alert.value is not None
    assert alert.value > 0.05
    assert details["slope_bytes_per_iter"] == pytest.approx(MIB, rel=0.10)
    assert details["stderr"] is not None
    assert details["sites"][0]["site"].endswith(f"targets.py:{_leak_site_line()}")
    assert details["sites"][0]["size_diff"] >= 7 * MIB
    assert details["types"][0]["type"] == "bytearray"
    assert details["types"][0]["count_diff"] >= 8
    assert f"targets.py:{_leak_site_line()}" in alert.message
    assert "bytearray" in alert.message


def test_steady_callables_are_never_flagged() -> None:
    targets = ["targets:steady_buffers"] * 20 + [
        target
        for target in ("targets:steady_records", "targets:steady_cycles", "targets:noop")
        for _ in range(4)
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_python, targets))
    flagged = [r.name for r in results if _alerts(r, "memory_leak_suspected")]
    assert flagged == []
    assert all(r.extra["memory"]["leak"]["suspected"] is False for r in results)


def test_callable_metrics() -> None:
    result = _python("targets:allocate_mb", iterations=8)
    assert result.metrics["memory_peak"].stats.median == pytest.approx(8 * MIB, rel=0.01)
    assert len(result.metrics["memory_peak"].samples) == 6  # 8 minus 2 warm-up iterations
    assert result.metrics["memory_rss_after_gc"].stats.min > 1 * MIB
    assert result.metrics["memory_gc_freed"].stats.max == 0  # nothing cyclic to free
    assert len(result.series["memory_rss"].values) == 8
    cycles = _python("targets:steady_cycles", iterations=6)
    assert cycles.metrics["memory_gc_freed"].stats.median > 20_000  # 200 cycles of 2 nodes


def test_callable_max_peak_from_config(tmp_path: Path) -> None:
    (bench,) = _suite(
        tmp_path,
        """\
        suite: memory
        defaults: {warmup: 0, iterations: 3, min-time: 1ms}
        benchmarks:
          - name: alloc
            python: targets:allocate_mb
            memory: {max-peak: 4MB, iterations: 5}
            thresholds: {memory: 30%}
        """,
    )
    result = run_python_benchmark(bench, RunContext(root=TARGETS, config_dir=TARGETS))
    (alert,) = _alerts(result, "threshold_exceeded")
    assert alert.message == "memory_peak 8.39 MB exceeds max-peak 4 MB"


def test_memory_off_adds_nothing() -> None:
    result = _python("targets:noop", enabled=False)
    assert set(result.metrics) == {"duration", "cpu_time", "run_queue_delay", "reference_time"}
    assert result.alerts == ()


SPAWNER = """
import sys
from pathlib import Path
from aiwf_ci.config import load_config
from aiwf_ci.workloads.base import RunContext
from aiwf_ci.workloads.command import run_command_benchmark
held = bytearray(300 * 1024 * 1024)
for i in range(0, len(held), 4096):
    held[i] = 1  # resident: this process's peak RSS is now over 300 MiB
folder = Path(sys.argv[1])
(bench,) = load_config(folder / "bench.yml", env={}).benchmarks
result = run_command_benchmark(bench, RunContext(root=folder, config_dir=folder))
print(max(result.metrics["memory_peak"].samples))
"""


def test_a_big_spawner_does_not_inflate_a_small_command_s_peak(tmp_path: Path) -> None:
    _suite(
        tmp_path,
        """\
        suite: memory
        defaults: {warmup: 0, iterations: 1}
        benchmarks:
          - name: small
            command: python3 -c "x = bytearray(20*1024*1024); import time; time.sleep(0.2)"
        """,
    )
    done = subprocess.run(
        [sys.executable, "-c", SPAWNER, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    peak = float(done.stdout.split()[-1])
    assert 20 * MIB < peak < 100 * MIB  # the command's 20 MiB, not the spawner's 300 MiB


@pytest.mark.parametrize("command", ["true", "/bin/echo fast"])
def test_a_command_too_fast_to_sample_never_fails_the_memory_pass(
    tmp_path: Path, command: str
) -> None:
    # one run per pass: before, a pass whose only run ended before the sampler's first tick
    # failed ("the sampler recorded nothing"), which `true` did most of the time
    from aiwf_ci.bench.memory.profiler import command_memory_pass
    from aiwf_ci.bench.process import ProcessObserver, run_process

    def launch(observer: ProcessObserver) -> ProcessOutcome:
        return run_process(command, cwd=tmp_path, env=os.environ, timeout=30, observer=observer)

    outcomes = [command_memory_pass(launch, MemorySettings(), runs=1) for _ in range(30)]
    assert [o.errors for o in outcomes if o.errors] == []
    assert all(o.metrics["memory_peak"].samples[0] > 0 for o in outcomes)
    stats = [o.extra["memory"] for o in outcomes]
    assert {m["peak_source"] for m in stats} <= {"kernel", "sampler"}  # type: ignore[index]
    assert all("peak_note" in m for m in stats if m["peak_source"] == "kernel")  # type: ignore[index, operator]


def test_a_fast_command_s_result_names_the_source_of_its_peak(tmp_path: Path) -> None:
    (bench,) = _suite(
        tmp_path,
        """\
        suite: memory
        defaults: {warmup: 0, iterations: 2}
        benchmarks:
          - name: fast
            command: "true"
        """,
    )
    result = run_command_benchmark(bench, RunContext(root=tmp_path, config_dir=tmp_path))
    assert not result.errors, result.errors
    assert min(result.metrics["memory_peak"].samples) > 0
    memory = result.extra["memory"]
    assert isinstance(memory, dict)
    assert memory["peak_source"] == "kernel"
    assert str(memory["peak_note"]).startswith("peak from the kernel's accounting")
