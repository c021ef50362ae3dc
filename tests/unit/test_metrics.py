"""The metric catalogue (aiwf_ci.metrics) and its readers: the default thresholds, the
scheduling of an A/B run, and the workloads' units."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiwf_ci.bench.memory.convert import memory_outcome_from_worker
from aiwf_ci.bench.memory.profiler import outcome_from_recordings
from aiwf_ci.bench.memory.sampler import Recording
from aiwf_ci.bench.memory.series import memory_series
from aiwf_ci.config.models import BenchmarkConfig, FileBatchSpec, FileOp, MemorySettings, Settings
from aiwf_ci.metrics import (
    BYTES,
    CATALOGUE,
    direction_of,
    find,
    measured,
    once_per_side,
    unit_of,
)
from aiwf_ci.verdict.compare import compare_metric
from aiwf_ci.verdict.thresholds import (
    DEFAULT_FLOORS,
    DEFAULT_THRESHOLDS,
    FALLBACK_FAMILIES,
    KNOWN_METRICS,
    Threshold,
)
from aiwf_ci.workloads.base import RunContext
from aiwf_ci.workloads.file_batch import run_file_batch_benchmark
from aiwf_ci.workloads.native import io_metrics


def test_the_thresholds_read_their_defaults_from_the_catalogue() -> None:
    assert {
        "duration": Threshold(metric="duration", relative=0.20),
        "memory": Threshold(metric="memory", relative=0.30),
        "throughput": Threshold(metric="throughput", relative=0.10),
        "instructions": Threshold(metric="instructions", relative=0.005),
    } == DEFAULT_THRESHOLDS
    assert DEFAULT_FLOORS == {"memory": 64 * 1024.0}
    assert FALLBACK_FAMILIES == {"latency": "duration"}
    assert tuple(entry.name for entry in CATALOGUE) == KNOWN_METRICS
    assert {"duration", "cpu_time", "run_queue_delay", "active_time"} <= set(KNOWN_METRICS)


def test_an_entry_covers_its_family() -> None:
    peak = find("memory_uss_peak")
    assert peak is not None and peak.name == "memory" and peak.unit == BYTES
    assert direction_of("throughput_items") == "higher"
    assert direction_of("my_counter") == "lower"
    assert find("my_counter") is None
    assert unit_of("cpu") == "s"  # a rule named by the family of cpu_time
    assert unit_of("io") is None  # io_read_bytes in B, io_calls in calls


def test_what_an_ab_run_measures_once_per_side() -> None:
    assert once_per_side("memory_peak") and once_per_side("instructions")
    assert not once_per_side("duration")
    assert not once_per_side("throughput_bytes")
    assert not once_per_side("my_counter")


def test_measured_takes_unit_and_direction_from_the_catalogue() -> None:
    rate = measured("throughput", [10.0, 12.0], counting="files")
    assert (rate.unit, rate.direction) == ("files/s", "higher")
    assert measured("throughput_bytes", [1.0]).unit == "B/s"
    assert measured("memory_peak", [1.0]).unit == "B"
    assert measured("instructions", [5.0, 5.0], deterministic=True).deterministic
    with pytest.raises(ValueError, match="names what it counts"):
        measured("throughput", [1.0])
    with pytest.raises(ValueError, match="names what it counts"):
        measured("duration", [1.0], counting="files")
    with pytest.raises(KeyError, match="my_counter"):
        measured("my_counter", [1.0])


def _file_batch_memory(tmp_path: Path) -> BenchmarkConfig:
    return BenchmarkConfig(
        name="fb",
        kind="file-batch",
        workload=FileBatchSpec(operations=(FileOp(op="write", count=20, size=64, to="{tmp}"),)),
        settings=Settings(
            warmup=0, iterations=2, timeout=60, memory=MemorySettings(interval=0.001)
        ),
    )


def test_memory_of_a_file_batch_and_of_a_python_callable_is_in_one_unit(
    tmp_path: Path,
) -> None:
    """Bug: file-batch wrote memory in ``B``, the memory passes in ``bytes``, so compare
    called the same metric of two workloads not comparable."""
    batch = run_file_batch_benchmark(
        _file_batch_memory(tmp_path), RunContext(root=tmp_path, config_dir=tmp_path)
    )
    assert not batch.failed, batch.errors
    n = 6
    worker = {
        "iterations": n,
        "skip": 1,
        "t": [i * 0.1 for i in range(n)],
        "peak": [1000.0] * n,
        "gc_freed": [0.0] * n,
        "rss": [20e6] * n,
        "traced": [0.0] * n,
    }
    python = memory_outcome_from_worker(worker, MemorySettings())
    recording = Recording(rss=((0.0, 30_000_000),))
    command = outcome_from_recordings([recording], MemorySettings())
    units = {
        batch.metrics["memory_peak"].unit,
        python.metrics["memory_peak"].unit,
        command.metrics["memory_peak"].unit,
        python.series["memory_rss"].unit,
        memory_series([(0.0, 1.0)]).unit,
    }
    assert units == {"B"}
    row = compare_metric(
        "b", "memory_peak", batch.metrics["memory_peak"], python.metrics["memory_peak"], None
    )
    assert "units differ" not in row.note


def test_io_beside_a_count_is_in_bytes() -> None:
    from aiwf_ci.bench.process import IoCounters

    counters = IoCounters(
        read_chars=10, write_chars=20, read_calls=1, write_calls=2, storage_read=0, storage_write=0
    )
    metrics = io_metrics([counters, counters])
    assert metrics["io_read_bytes"].unit == metrics["io_write_bytes"].unit == "B"
    assert metrics["io_calls"].unit == "calls"
    assert metrics["io_read_bytes"].deterministic
