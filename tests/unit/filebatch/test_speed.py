"""The small-file fast paths keep their promises: the ``scandir`` walk finds what ``glob`` +
``isfile`` found (except that ``**`` walks a folder reached through two symlinks once), and
small files get no more threads than CPUs."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pytest

from aiwf_ci.filebatch import FileBatchProcessor, ProcessorOptions, copy_operations, glob_files
from aiwf_ci.filebatch.processor import worker_count


def _tree(root: Path) -> None:
    for rel in ("a/b/c.txt", "a/.h/d.txt", "a/.e", "a/b/.f.txt", "x.txt", "a/b/c/d/e.csv"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel)
    (root / "a" / "dir.txt").mkdir()
    os.symlink(root / "a" / "b", root / "a" / "linked")
    os.symlink(root / "x.txt", root / "a" / "file-link.txt")
    os.symlink(root / "missing", root / "a" / "broken.txt")


@pytest.mark.parametrize(
    "pattern",
    ["**/*", "a/**/*", "a/**/*.txt", "a/**/.*", "**/*.csv", "a/**/c.txt", "a/*/*.txt", "a/**"],
)
def test_walk_finds_what_glob_finds(tmp_path: Path, pattern: str) -> None:
    _tree(tmp_path / "t")
    full = os.path.join(tmp_path / "t", pattern)
    expected = sorted(m for m in glob.glob(full, recursive=True) if os.path.isfile(m))
    if "**" in pattern:  # a/linked -> a/b: ** walks that folder once, as a/b (first by name)
        expected = [m for m in expected if "/a/linked/" not in m]
    assert [str(path) for path, _ in glob_files(pattern, base_dir=tmp_path / "t")] == expected


def test_walk_of_a_missing_folder_finds_nothing(tmp_path: Path) -> None:
    assert glob_files("nope/**/*", base_dir=tmp_path) == []


def test_worker_count() -> None:
    assert worker_count(8, 100, 2, small=True) == 2
    assert worker_count(8, 100, 2, small=False) == 8
    assert worker_count(8, 3, 2, small=False) == 3
    assert worker_count(1, 100, 4, small=True) == 1
    assert worker_count(8, 0, 2, small=True) == 1


def test_small_files_use_one_thread_per_cpu(tmp_path: Path) -> None:
    for i in range(40):
        (tmp_path / "src" / f"d{i % 3}").mkdir(parents=True, exist_ok=True)
        (tmp_path / "src" / f"d{i % 3}" / f"f{i}").write_bytes(b"x" * 100)
    out = tmp_path / "out"
    processor = FileBatchProcessor(ProcessorOptions(concurrency=8, batch_size=10), dest_root=out)
    processor._cpus = 1  # as on a one-CPU machine: only the calling thread works
    processor.extend(copy_operations("src/**/*", base_dir=tmp_path, dest=out))
    report = processor.run()
    assert report.ok and report.files == 40
    assert report.peak_concurrency == 1
    assert (out / "d1" / "f1").read_bytes() == b"x" * 100
