"""The file-batch workload on real files, temp cleanup on success and failure, and the
1 GB copy that must stay under 64 MB of peak RSS (measured in a fresh subprocess)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from aiwf_ci.config.models import BenchmarkConfig, FileBatchSpec, FileOp, MemorySettings, Settings
from aiwf_ci.workloads.base import RunContext
from aiwf_ci.workloads.file_batch import run_file_batch_benchmark


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where ``{tmp}`` folders are created, so the test can see them cleaned up."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def bench(*ops: FileOp, **spec: int) -> BenchmarkConfig:
    return BenchmarkConfig(
        name="fb",
        kind="file-batch",
        workload=FileBatchSpec(operations=ops, **spec),
        settings=Settings(warmup=1, iterations=3, timeout=60, memory=MemorySettings()),
    )


def make_tree(root: Path, count: int, size: int) -> None:
    for i in range(count):
        folder = root / f"d{i % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i}.csv").write_bytes(b"a" * size)


def test_copy_read_write_iterations(tmp_path: Path, scratch: Path) -> None:
    make_tree(tmp_path / "data", 1500, 512)
    (tmp_path / "data" / "big.csv").write_bytes(b"b" * 300_000)
    config = bench(
        FileOp(op="read", glob="data/**/*.csv"),
        FileOp(op="copy", glob="data/**/*.csv", to="{tmp}/copy"),
        FileOp(op="write", count=200, size=4096, to="{tmp}/written"),
        concurrency=4,
        stream_threshold=100_000,
    )
    result = run_file_batch_benchmark(config, RunContext(root=tmp_path, config_dir=tmp_path))
    assert not result.failed, result.errors
    assert set(result.metrics) == {"duration", "throughput", "throughput_bytes", "memory_peak"}
    assert len(result.metrics["duration"].samples) == 3
    assert result.metrics["throughput"].unit == "files/s"
    assert result.metrics["throughput"].direction == "higher"
    assert result.metrics["throughput_bytes"].unit == "B/s"
    assert result.metrics["memory_peak"].samples[0] > 1_000_000
    assert result.extra["operations"] == 1501 * 2 + 200
    assert result.extra["errors"] == 0
    assert list(scratch.iterdir()) == []


def test_failures_fail_the_benchmark_and_temp_is_removed(tmp_path: Path, scratch: Path) -> None:
    make_tree(tmp_path / "data", 20, 10)
    (tmp_path / "more" / "d3").mkdir(parents=True)
    (tmp_path / "more" / "d3" / "f3.csv").write_text("a second f3.csv")
    config = bench(
        FileOp(op="write", count=50, size=10, to="{tmp}/w"),
        FileOp(op="copy", glob="data/**/*.csv", to="{tmp}/c"),
        FileOp(op="copy", glob="more/**/*.csv", to="{tmp}/c"),  # d3/f3.csv again
    )
    result = run_file_batch_benchmark(config, RunContext(root=tmp_path, config_dir=tmp_path))
    assert result.failed
    assert result.errors[0].startswith("1 of 71 file operations failed in warmup 1")
    assert "f3.csv" in result.errors[1]
    assert "already exists" in result.errors[1]
    assert result.extra["errors"] == 1
    assert result.extra["failures"][0]["kind"] == "exists"
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize("dest", ["out", "{tmp}/../out", str(Path("/") / "tmp" / "x"), "a/{tmp}"])
def test_destinations_outside_tmp_are_refused_and_nothing_is_written(
    tmp_path: Path, scratch: Path, dest: str
) -> None:
    make_tree(tmp_path / "data", 3, 10)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("precious")
    config = bench(FileOp(op="copy", glob="data/**/*.csv", to=dest))
    result = run_file_batch_benchmark(config, RunContext(root=tmp_path, config_dir=tmp_path))
    assert result.errors == (
        f"to: {dest!r} is not under {{tmp}} (writes and copies go under {{tmp}} only)",
    )
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]
    assert list(scratch.iterdir()) == []


def test_every_iteration_starts_from_empty_destinations(tmp_path: Path, scratch: Path) -> None:
    """Copies and writes without overwrite: iteration 2 would fail on "already exists" if
    iteration 1's files were still there; nested and shared destinations too."""
    make_tree(tmp_path / "data", 30, 10)
    config = bench(
        FileOp(op="copy", glob="data/**/*.csv", to="{tmp}"),
        FileOp(op="write", count=5, size=10, to="{tmp}/w"),
        FileOp(op="write", count=5, size=10, to="{tmp}/w/deeper"),
    )
    result = run_file_batch_benchmark(config, RunContext(root=tmp_path, config_dir=tmp_path))
    assert not result.failed, result.errors
    assert len(result.metrics["duration"].samples) == 3
    assert result.extra["operations"] == 40
    assert list(scratch.iterdir()) == []


def test_a_glob_matching_nothing_is_an_error(tmp_path: Path, scratch: Path) -> None:
    config = bench(FileOp(op="read", glob="nothing/**/*.bin"))
    result = run_file_batch_benchmark(config, RunContext(root=tmp_path, config_dir=tmp_path))
    assert result.failed
    assert "matched no files" in result.errors[0]


MEMORY_PROBE = textwrap.dedent(
    """
    import os, resource, sys, time
    from pathlib import Path
    from aiwf_ci.filebatch import FileBatchProcessor, FileOperation, ProcessorOptions

    work = Path(sys.argv[1])
    src = work / "one-gb.bin"
    with open(src, "wb") as handle:
        handle.truncate(1024**3)
        for offset in range(0, 1024**3, 128 * 1024**2):
            handle.seek(offset)
            handle.write(os.urandom(4096))
    options = ProcessorOptions(stream_threshold=8 * 1024**2, chunk_size=1024**2)
    processor = FileBatchProcessor(options, dest_root=work / "out")
    processor.submit(FileOperation.copy(src, work / "out" / "copy.bin"))
    processor.submit(FileOperation.read(src))
    start = time.perf_counter()
    report = processor.run()
    assert report.ok, report.failures
    assert (work / "out" / "copy.bin").stat().st_size == 1024**3
    status = Path("/proc/self/status").read_text()
    hwm = int(next(l for l in status.splitlines() if l.startswith("VmHWM:")).split()[1]) * 1024
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(hwm, maxrss, time.perf_counter() - start, report.nbytes)
    """
)


@pytest.mark.slow
def test_copying_one_gigabyte_stays_under_64_mb(tmp_path: Path) -> None:
    probe = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(tmp_path)],
        close_fds=True,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    # VmHWM is this process image's own peak RSS. ``ru_maxrss`` is printed too, but Linux
    # carries it over from the parent across fork + exec (a 150 MB pytest makes it 150 MB).
    peak, _maxrss, seconds, nbytes = probe.stdout.split()
    assert int(nbytes) == 2 * 1024**3
    assert int(peak) < 64 * 1024**2, f"peak RSS {int(peak) / 1024**2:.1f} MiB"
    assert float(seconds) < 20


def test_timeout_is_an_error_not_a_hang(tmp_path: Path, scratch: Path) -> None:
    make_tree(tmp_path / "data", 3000, 10)
    config = BenchmarkConfig(
        name="fb",
        kind="file-batch",
        workload=FileBatchSpec(
            operations=(FileOp(op="copy", glob="data/**/*.csv", to="{tmp}/c"),), concurrency=1
        ),
        settings=Settings(warmup=0, iterations=1000, timeout=0.5),
    )
    start = time.monotonic()
    result = run_file_batch_benchmark(config, RunContext(root=tmp_path, config_dir=tmp_path))
    assert time.monotonic() - start < 10
    assert result.failed
    assert "timed out after 0.5s" in result.errors[0]
    assert list(scratch.iterdir()) == []
