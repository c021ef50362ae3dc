"""Pure parts of the memory profiler: downsampling, limits, budgets, conversions."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from aiwf_ci.bench.memory.convert import memory_outcome_from_worker
from aiwf_ci.bench.memory.evidence import display_path, type_name
from aiwf_ci.bench.memory.limits import human_bytes, limit_alerts
from aiwf_ci.bench.memory.profiler import (
    KernelPeak,
    outcome_from_kernel,
    outcome_from_recordings,
    too_fast,
)
from aiwf_ci.bench.memory.sampler import CostBudget, Recording
from aiwf_ci.bench.memory.series import downsample, memory_series
from aiwf_ci.bench.memory.tree import ProcessTree
from aiwf_ci.config.models import MemorySettings
from aiwf_ci.models import Metric

MB = 1_000_000


def test_downsample_keeps_the_peak_and_the_limit() -> None:
    points = [(i * 0.01, float(i % 97)) for i in range(10_000)]
    points[4321] = (43.21, 1e9)
    kept = downsample(points, 200)
    assert len(kept) <= 200
    assert (43.21, 1e9) in kept
    assert [t for t, _ in kept] == sorted(t for t, _ in kept)
    assert downsample(points[:5], 200) == points[:5]
    with pytest.raises(ValueError, match="at least 1"):
        downsample(points, 0)
    series = memory_series(points)
    assert series.unit == "B"
    assert max(series.values) == 1e9


@pytest.mark.parametrize(
    ("size", "text"),
    [(612 * MB, "612 MB"), (500_000_000, "500 MB"), (1_048_576, "1.05 MB"), (900, "900 B")],
)
def test_human_bytes(size: int, text: str) -> None:
    assert human_bytes(size) == text


def test_limit_alert_names_metric_limit_and_value() -> None:
    metrics = {"memory_peak": Metric.from_samples([480 * MB, 612 * MB], unit="B")}
    (alert,) = limit_alerts(metrics, MemorySettings(max_peak=500 * MB))
    assert alert.kind == "threshold_exceeded"
    assert alert.metric == "memory_peak"
    assert alert.message == "memory_peak 612 MB exceeds max-peak 500 MB"
    assert (alert.limit, alert.value) == (500 * MB, 612 * MB)
    assert alert.details["samples_over"] == 1
    assert limit_alerts(metrics, MemorySettings(max_peak=700 * MB)) == ()
    assert limit_alerts(metrics, MemorySettings()) == ()


def test_cost_budget() -> None:
    budget = CostBudget(0.01)
    assert budget.due(0.0)
    budget.spend(0.005)
    assert not budget.due(0.4)
    assert budget.due(0.4, urgent=True)
    assert budget.due(0.5)


def test_outcome_from_recordings() -> None:
    runs = [
        Recording(
            rss=((0.0, 10), (0.01, 300), (0.02, 20)),
            uss=((0.0, 5),),
            cpu_seconds=0.01,
            wall_seconds=1.0,
            processes=2,
        ),
        Recording(
            rss=((0.0, 10), (0.01, 200)),
            uss=((0.0, 7),),
            cpu_seconds=0.01,
            wall_seconds=1.0,
            processes=3,
        ),
    ]
    outcome = outcome_from_recordings(runs, MemorySettings(max_peak=250))
    assert outcome.metrics["memory_peak"].samples == (300.0, 200.0)
    assert outcome.metrics["memory_uss_peak"].samples == (5.0, 7.0)
    assert outcome.series["memory_rss"].values == (10.0, 300.0, 20.0)
    assert [a.kind for a in outcome.alerts] == ["threshold_exceeded"]
    stats = outcome.extra["memory"]
    assert isinstance(stats, dict)
    assert stats["sampler_cpu_share"] == pytest.approx(0.01)
    assert stats["processes"] == 3
    assert outcome_from_recordings([Recording()], MemorySettings()).errors


MIB = 1024 * 1024


def test_a_run_with_fewer_than_two_readings_is_too_fast_to_sample() -> None:
    started = Recording(rss=((0.0, 4096),))  # one reading, as the command started
    sampled = Recording(rss=((0.0, 4096), (0.01, 3 * MIB)))
    assert too_fast([sampled, Recording()])
    assert too_fast([started, sampled])
    assert not too_fast([sampled, sampled])


def test_a_run_too_fast_to_sample_takes_its_peak_from_the_kernel() -> None:
    kernel = [
        KernelPeak(max_rss=34 * MIB, spawner=34 * MIB),
        KernelPeak(max_rss=33 * MIB, spawner=34 * MIB),
    ]
    outcome = outcome_from_kernel(kernel, [Recording(), Recording()], MemorySettings(max_peak=1))
    assert not outcome.errors  # never "the sampler recorded nothing"
    assert outcome.metrics["memory_peak"].samples == (34.0 * MIB, 33.0 * MIB)
    assert [a.kind for a in outcome.alerts] == ["threshold_exceeded"]
    stats = outcome.extra["memory"]
    assert isinstance(stats, dict)
    assert stats["peak_source"] == "kernel"
    note = str(stats["peak_note"])
    assert note.startswith("peak from the kernel's accounting: the run ended before")
    # no more than the spawner's own peak: it may be aiwf-ci's memory, and the note says so
    assert "an upper bound" in note and "34 MiB" in note


def test_a_kernel_peak_above_the_spawner_s_is_the_command_s_own() -> None:
    kernel = [KernelPeak(max_rss=200 * MIB, spawner=34 * MIB)]
    outcome = outcome_from_kernel(kernel, [Recording()], MemorySettings())
    assert outcome.metrics["memory_peak"].samples == (200.0 * MIB,)
    assert "upper bound" not in str(outcome.extra["memory"]["peak_note"])  # type: ignore[index]


def test_no_kernel_figure_is_a_note_not_a_failure() -> None:
    outcome = outcome_from_kernel(
        [KernelPeak(max_rss=0, spawner=0)], [Recording()], MemorySettings()
    )
    assert not outcome.errors and not outcome.metrics
    assert "no memory figure" in str(outcome.extra["memory"]["peak_note"])  # type: ignore[index]


def _worker_data(rss: list[float], evidence: object = None) -> dict[str, object]:
    n = len(rss)
    return {
        "iterations": n,
        "skip": 2,
        "nframes": 8,
        "t": [i * 0.1 for i in range(n)],
        "peak": [1000.0] * n,
        "gc_freed": [0.0] * n,
        "rss": rss,
        "traced": [0.0] * n,
        "evidence": evidence,
    }


def test_worker_data_becomes_metrics_series_and_leak_alert() -> None:
    evidence = {
        "sites": [{"site": "leaky.py:7", "size_diff": 8 * MB, "count_diff": 8, "frames": []}],
        "types": [{"type": "bytearray", "count_diff": 8, "size_diff": 8 * MB, "site": "x"}],
    }
    data = _worker_data([20.0 * MB + i * MB for i in range(10)], evidence)
    outcome = memory_outcome_from_worker(json.loads(json.dumps(data)), MemorySettings())
    assert set(outcome.metrics) == {"memory_peak", "memory_rss_after_gc", "memory_gc_freed"}
    assert len(outcome.metrics["memory_peak"].samples) == 8  # warm-up iterations left out
    assert len(outcome.series["memory_rss"].t) == 10
    (alert,) = outcome.alerts
    assert alert.kind == "memory_leak_suspected"
    assert alert.metric == "memory_rss_after_gc"
    assert alert.limit == 0.05
    assert alert.details["sites"][0]["site"] == "leaky.py:7"
    assert alert.details["types"][0]["type"] == "bytearray"
    assert alert.details["slope_bytes_per_iter"] == pytest.approx(MB)
    assert "leaky.py:7" in alert.message
    assert "bytearray" in alert.message
    json.dumps(alert.details, allow_nan=False)


def test_worker_data_edge_cases() -> None:
    steady = memory_outcome_from_worker(_worker_data([20.0 * MB] * 10), MemorySettings())
    assert steady.alerts == ()
    assert memory_outcome_from_worker(None, MemorySettings()).metrics == {}
    off = memory_outcome_from_worker(_worker_data([1.0] * 10), MemorySettings(enabled=False))
    assert off.metrics == {}
    failed = memory_outcome_from_worker({"error": "memory pass failed: boom"}, MemorySettings())
    assert failed.errors == ("memory pass failed: boom",)


def test_evidence_helpers() -> None:
    assert type_name(bytearray) == "bytearray"
    assert type_name(Recording) == "aiwf_ci.bench.memory.sampler.Recording"
    assert display_path(os.path.join(os.getcwd(), "a", "b.py")) == os.path.join("a", "b.py")
    assert display_path("<frozen abc>") == "<frozen abc>"


@pytest.mark.parametrize("procfs", [True, False])
def test_process_tree_follows_grandchildren(procfs: bool) -> None:
    if procfs and not os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children"):
        pytest.skip("procfs children not available")
    script = "import subprocess, sys, time; subprocess.Popen(['sleep', '2']); time.sleep(2)"
    proc = subprocess.Popen([sys.executable, "-c", script])
    tree = ProcessTree(proc.pid, procfs=procfs)
    try:
        deadline = time.monotonic() + 5
        while tree.seen < 2 and time.monotonic() < deadline:
            tree.discover()
            time.sleep(0.02)
        assert tree.seen == 2
        assert tree.rss() > 0
        assert tree.uss() >= 0
    finally:
        for pid in tree.pids:
            if pid != proc.pid:
                os.kill(pid, signal.SIGKILL)  # the grandchild: only ever a pid the tree found
        proc.kill()
        proc.wait()
        tree.close()


def test_a_high_water_mark_inherited_from_the_spawner_is_not_the_command_s() -> None:
    from aiwf_ci.bench.memory.profiler import own_floor

    mib = 1024 * 1024
    assert own_floor(311 * mib, spawner=300 * mib) == 311 * mib  # above: the command's own
    assert own_floor(250 * mib, spawner=300 * mib) == 0  # could be the spawner's copy
    assert own_floor(300 * mib, spawner=300 * mib) == 0
