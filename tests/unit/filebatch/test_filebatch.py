"""FileBatchProcessor against real files: batching, streaming, pooling, confinement,
no silent overwrite, all-settled failures, deadlines."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from aiwf_ci.filebatch import (
    BufferPool,
    ConcurrencyGate,
    FileBatchProcessor,
    FileOperation,
    ProcessorOptions,
    copy_operations,
    glob_files,
    read_operations,
    write_operations,
)
from aiwf_ci.filebatch.buffers import size_class
from aiwf_ci.filebatch.plan import static_prefix
from aiwf_ci.filebatch.processor import group_by_kind


def make_files(root: Path, count: int, size: int = 100) -> None:
    for i in range(count):
        folder = root / f"d{i % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i}.txt").write_bytes(bytes([i % 251]) * size)


def test_size_classes_and_pool_reuse() -> None:
    assert size_class(1) == 64 * 1024
    assert size_class(64 * 1024) == 64 * 1024
    assert size_class(64 * 1024 + 1) == 128 * 1024
    pool = BufferPool(keep=2)
    for _ in range(10):
        with pool.borrowed(1000) as buffer:
            assert len(buffer) >= 1000
    assert pool.allocated == 1
    assert pool.reused == 9


def test_gate_never_exceeds_capacity() -> None:
    gate = ConcurrencyGate(3)

    def hold() -> None:
        with gate:
            time.sleep(0.01)

    threads = [threading.Thread(target=hold) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert gate.peak == 3
    assert gate.current == 0


def test_batches_are_grouped_by_kind(tmp_path: Path) -> None:
    ops = [
        FileOperation.copy(tmp_path / "a", tmp_path / "b"),
        FileOperation.read(tmp_path / "c"),
        FileOperation.write(tmp_path / "d", size=1),
        FileOperation.read(tmp_path / "e"),
    ]
    assert group_by_kind(range(4), ops) == [1, 3, 2, 0]


def test_glob_keeps_paths_relative_to_static_prefix(tmp_path: Path) -> None:
    make_files(tmp_path / "data", 10)
    (tmp_path / "data" / "d0" / "sub").mkdir()
    found = glob_files("data/**/*.txt", base_dir=tmp_path)
    assert len(found) == 10
    assert all(not rel.startswith("data") for _, rel in found)
    assert static_prefix("/a/b/*/c") == "/a/b"


def test_thousands_of_small_files_copy_and_read(tmp_path: Path) -> None:
    make_files(tmp_path / "src", 2000)
    dest = tmp_path / "out"
    processor = FileBatchProcessor(ProcessorOptions(concurrency=4, batch_size=50), dest_root=dest)
    processor.extend(copy_operations("src/**/*.txt", base_dir=tmp_path, dest=dest))
    processor.extend(read_operations("src/**/*.txt", base_dir=tmp_path))
    processor.extend(write_operations(dest / "w", count=100, size=5000))
    report = processor.run()
    assert report.ok, report.failures[:3]
    assert report.files == 4100
    assert report.nbytes == 2000 * 100 * 2 + 100 * 5000
    assert 1 <= report.peak_concurrency <= 4
    assert report.buffers_allocated <= 4
    assert (dest / "d3" / "f3.txt").read_bytes() == bytes([3]) * 100
    assert (dest / "w" / "file-000099.bin").stat().st_size == 5000


def test_large_files_are_streamed_in_chunks(tmp_path: Path) -> None:
    data = os.urandom(1_000_000)
    (tmp_path / "big.bin").write_bytes(data)
    (tmp_path / "small.bin").write_bytes(b"x" * 1000)
    chunks: list[int] = []
    options = ProcessorOptions(stream_threshold=100_000, chunk_size=65_536)
    processor = FileBatchProcessor(
        options, dest_root=tmp_path / "out", sink=lambda op, view: chunks.append(len(view))
    )
    processor.submit(FileOperation.read(tmp_path / "big.bin"))
    processor.submit(FileOperation.copy(tmp_path / "big.bin", tmp_path / "out" / "big.bin"))
    processor.submit(FileOperation.read(tmp_path / "small.bin"))
    report = processor.run()
    assert report.ok
    big_read, small_read, big_copy = report.results[0], report.results[2], report.results[1]
    assert big_read.streamed
    assert big_copy.streamed
    assert not small_read.streamed
    assert sorted(chunks)[-1] == 65_536  # streamed: never more than one chunk at a time
    assert sum(chunks) == 1_001_000
    assert (tmp_path / "out" / "big.bin").read_bytes() == data


def test_no_silent_overwrite(tmp_path: Path) -> None:
    (tmp_path / "src.txt").write_text("new")
    out = tmp_path / "out"
    out.mkdir()
    (out / "dst.txt").write_text("old")
    processor = FileBatchProcessor(dest_root=out)
    processor.submit(FileOperation.copy(tmp_path / "src.txt", out / "dst.txt"))
    processor.submit(FileOperation.write(out / "dst.txt", data=b"zz"))
    report = processor.run()
    assert [r.error_kind for r in report.results] == ["exists", "exists"]
    assert "overwrite" in report.results[0].reason
    assert (out / "dst.txt").read_text() == "old"
    processor.submit(FileOperation.copy(tmp_path / "src.txt", out / "dst.txt", overwrite=True))
    assert processor.run().ok
    assert (out / "dst.txt").read_text() == "new"


def test_overwrite_never_truncates_the_source_itself(tmp_path: Path) -> None:
    (tmp_path / "same.txt").write_text("keep me")
    processor = FileBatchProcessor(dest_root=tmp_path)
    same = tmp_path / "same.txt"
    processor.submit(FileOperation.copy(same, same, overwrite=True))
    report = processor.run()
    assert not report.ok
    assert same.read_text() == "keep me"


def test_writes_are_confined_to_the_destination(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "link").symlink_to(outside, target_is_directory=True)
    (out / "filelink").symlink_to(outside / "victim.txt")
    processor = FileBatchProcessor(dest_root=out)
    processor.submit(FileOperation.write(out / ".." / "outside" / "a.txt", data=b"x"))
    processor.submit(FileOperation.write(Path("../outside/b.txt"), data=b"x"))
    processor.submit(FileOperation.write(out / "link" / "c.txt", data=b"x"))
    processor.submit(FileOperation.write(out / "link" / "deep" / "d.txt", data=b"x"))
    processor.submit(FileOperation.write(out / "filelink", data=b"x", overwrite=True))
    processor.submit(FileOperation.write(Path("/etc/aiwf-should-not-exist"), data=b"x"))
    processor.submit(FileOperation.write(out / "fine" / "ok.txt", data=b"x"))
    report = processor.run()
    kinds = [r.error_kind for r in report.results]
    assert kinds[:2] == ["outside-destination", "outside-destination"]
    assert kinds[2:5] == ["symlink", "symlink", "symlink"]
    assert kinds[5] == "outside-destination"
    assert report.results[6].ok
    assert list(outside.iterdir()) == []
    assert not Path("/etc/aiwf-should-not-exist").exists()


def test_failures_are_all_settled_with_path_and_reason(tmp_path: Path) -> None:
    make_files(tmp_path / "src", 20)
    out = tmp_path / "out"
    ops = copy_operations("src/**/*.txt", base_dir=tmp_path, dest=out)
    missing = FileOperation.copy(tmp_path / "nope.txt", out / "nope.txt")
    processor = FileBatchProcessor(dest_root=out)
    processor.extend([*ops[:10], missing, FileOperation.read(tmp_path / "gone"), *ops[10:]])
    report = processor.run()
    assert report.files == 20
    assert [f.error_kind for f in report.failures] == ["not-found", "not-found"]
    assert f"{tmp_path / 'nope.txt'} -> {out / 'nope.txt'}" in report.failures[0].describe()
    assert "No such file" in report.failures[1].reason
    assert not (out / "nope.txt").exists()


def test_deadline_and_cancel_settle_everything(tmp_path: Path) -> None:
    make_files(tmp_path / "src", 30)
    processor = FileBatchProcessor(dest_root=tmp_path / "out")
    processor.extend(read_operations("src/**/*", base_dir=tmp_path))
    report = processor.run(deadline=time.monotonic() - 1)
    assert len(report.results) == 30
    assert {f.error_kind for f in report.failures} == {"deadline"}


def test_options_are_validated() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        ProcessorOptions(concurrency=0)


def test_writes_need_a_destination_root(tmp_path: Path) -> None:
    processor = FileBatchProcessor()
    processor.submit(FileOperation.write(tmp_path / "x", data=b"1"))
    assert processor.run().failures[0].error_kind == "outside-destination"
    assert not (tmp_path / "x").exists()


def test_folder_check_shared_per_parent_still_confines(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (tmp_path / "outside").mkdir()
    processor = FileBatchProcessor(ProcessorOptions(concurrency=1), dest_root=out)
    processor.submit(FileOperation.write(f"{out}/a/one.txt", data=b"1"))
    processor.submit(FileOperation.write(f"{out}/a/..", data=b"x"))  # the folder a itself
    processor.submit(FileOperation.write(f"{out}/a/../../outside/x.txt", data=b"x"))
    processor.submit(FileOperation.write(f"{out}/a/two.txt", data=b"2"))
    report = processor.run()
    assert [r.ok for r in report.results] == [True, False, False, True]
    assert report.results[2].error_kind == "outside-destination"
    assert report.results[0].operation.path == out / "a" / "one.txt"
    assert list((tmp_path / "outside").iterdir()) == []


def test_copy_sizes_and_overwrite_of_the_source_itself(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for size in (0, 1, 4096, 300_000):
        (src / f"f{size}").write_bytes(os.urandom(size))
    out = tmp_path / "out"
    processor = FileBatchProcessor(dest_root=out)
    ops = copy_operations("src/*", base_dir=tmp_path, dest=out)
    assert all(isinstance(op.dest, str) for op in ops)
    processor.extend(ops)
    processor.submit(FileOperation.copy(src / "f1", src / "f1", overwrite=True))
    report = processor.run()
    assert [r.ok for r in report.results] == [True] * 4 + [False]
    for size in (0, 1, 4096, 300_000):
        assert (out / f"f{size}").read_bytes() == (src / f"f{size}").read_bytes()
    assert report.results[-1].error_kind == "outside-destination"
    same = FileBatchProcessor(dest_root=src)
    same.submit(FileOperation.copy(src / "f1", src / "f1", overwrite=True))
    result = same.run().results[0]
    assert (result.error_kind, result.reason) == ("exists", "is the source file itself")
    assert (src / "f1").stat().st_size == 1


def test_an_interrupt_stops_the_workers_queued_operations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiwf_ci.filebatch import processor as processor_module

    real = processor_module.execute
    main = threading.main_thread()

    def slow_or_interrupted(op, kit):  # type: ignore[no-untyped-def]
        if threading.current_thread() is main:
            raise KeyboardInterrupt  # Ctrl-C lands on the calling thread, a worker too
        result = real(op, kit)
        if result.ok:
            time.sleep(0.005)  # real work takes time; a cancelled operation does none
        return result

    monkeypatch.setattr(processor_module, "execute", slow_or_interrupted)
    dest = tmp_path / "out"
    processor = FileBatchProcessor(ProcessorOptions(concurrency=4, batch_size=2000), dest_root=dest)
    processor.extend(write_operations(dest / "w", count=2000, size=10))
    with pytest.raises(KeyboardInterrupt):
        processor.run()
    written = len(list((dest / "w").iterdir())) if (dest / "w").exists() else 0
    assert written < 200  # without the cancel: all 2,000 (3 helpers x ~3 s of queued work)
