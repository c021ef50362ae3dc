"""File batch processor vs plain baselines, side by side on the same data in one run.

    python benchmarks/file_batch_vs_baselines.py [--small 10000] [--size-kb 4] \
        [--large-mb 200] [--large-count 2] [--concurrency 8] [--repeat 5]

For each data set (many small files, a few large ones) it measures, interleaved (ABCABC...)
and rotated each round, so machine noise hits every method alike, with a fresh
destination and a ``sync`` (untimed) before each run:

  copy: FileBatchProcessor   vs  a sequential ``shutil.copyfile`` loop  vs  ``cp -r``
  read: FileBatchProcessor   vs  a sequential ``Path.read_bytes`` loop

and prints the median files/s and MB/s of each, and the ratios. Page cache is warm for every
method (the sources were just written / read); nothing calls fsync.

Each run writes into a new, never used destination folder; they are all removed only after the
scenario. Removing the previous run's 10,000 files right before the next run (``--reuse-dest``,
the old behaviour) measures the file system, not the copier: on an ext4 without a journal (as
``/`` is here: no ``/proc/fs/jbd2``) the inode allocator skips every inode deleted in the last
1-5 minutes, re-reading the inode table from the start of the group for each new file
(``find_inode_bit`` -> ``recently_deleted``, seen with ``perf record -a -g``), so every create
costs 0.5-1 ms for every method alike and the ratios all collapse towards 1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from aiwf_ci.filebatch import (
    FileBatchProcessor,
    ProcessorOptions,
    copy_operations,
    read_operations,
)

Method = Callable[[Path, Path], None]


def make_data(root: Path, count: int, size: int) -> Path:
    src = root / "src"
    chunk = os.urandom(min(size, 1 << 20))
    for i in range(count):
        folder = src / f"d{i // 1000:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"f{i:06d}.bin", "wb") as handle:
            left = size
            while left > 0:
                left -= handle.write(chunk[: min(left, len(chunk))])
    return src


def batch_copy(concurrency: int) -> Method:
    def run(src: Path, dst: Path) -> None:
        processor = FileBatchProcessor(ProcessorOptions(concurrency=concurrency), dest_root=dst)
        processor.extend(copy_operations("**/*", base_dir=src, dest=dst))
        report = processor.run()
        assert report.ok, report.failures[:3]

    return run


def batch_read(concurrency: int) -> Method:
    def run(src: Path, _dst: Path) -> None:
        processor = FileBatchProcessor(ProcessorOptions(concurrency=concurrency))
        processor.extend(read_operations("**/*", base_dir=src))
        assert processor.run().ok

    return run


def loop_copy(src: Path, dst: Path) -> None:
    for path in sorted(src.rglob("*")):
        target = dst / path.relative_to(src)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


def loop_read(src: Path, _dst: Path) -> None:
    for path in sorted(src.rglob("*")):
        if path.is_file():
            path.read_bytes()


def cp_r(src: Path, dst: Path) -> None:
    subprocess.run(["cp", "-r", f"{src}/.", str(dst)], check=True)


def measure(
    methods: dict[str, Method], src: Path, work: Path, repeat: int, reuse: bool = False
) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in methods}
    names = list(methods)
    runs = 0
    for round_ in range(repeat):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            method = methods[name]
            runs += 1
            dst = work / ("dst" if reuse else f"dst-{runs:03d}")
            shutil.rmtree(dst, ignore_errors=True)
            dst.mkdir()
            os.sync()
            start = time.perf_counter()
            method(src, dst)
            times[name].append(time.perf_counter() - start)
    for dst in work.glob("dst*"):
        shutil.rmtree(dst, ignore_errors=True)
    return {name: statistics.median(values) for name, values in times.items()}


def report(title: str, seconds: dict[str, float], count: int, size: int, ref: str) -> None:
    print(f"\n{title}: {count} files x {size / 1e6:.3f} MB")
    for name, secs in seconds.items():
        ratio = seconds[name] and seconds[ref] / secs
        print(
            f"  {name:<24} {secs:8.3f} s  {count / secs:10.0f} files/s  "
            f"{count * size / secs / 1e6:8.1f} MB/s  {ratio:5.2f}x of {ref}"
        )


def scenario(args: argparse.Namespace, work: Path, label: str, count: int, size: int) -> None:
    src = make_data(work / label, count, size)
    copies = {
        "file-batch copy": batch_copy(args.concurrency),
        "sequential copyfile": loop_copy,
        "cp -r": cp_r,
    }
    copy_secs = measure(copies, src, work / label, args.repeat, args.reuse_dest)
    report(f"{label} copy", copy_secs, count, size, "file-batch copy")
    seq, cp = copy_secs["sequential copyfile"], copy_secs["cp -r"]
    batch = copy_secs["file-batch copy"]
    print(f"  => file-batch vs sequential loop: {seq / batch:.2f}x, vs cp -r: {cp / batch:.2f}x")
    reads = {"file-batch read": batch_read(args.concurrency), "sequential read_bytes": loop_read}
    read_secs = measure(reads, src, work / label, args.repeat)
    report(f"{label} read", read_secs, count, size, "file-batch read")
    shutil.rmtree(work / label)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000, help="number of small files")
    parser.add_argument("--size-kb", type=int, default=4, help="size of a small file (KB)")
    parser.add_argument("--large-mb", type=int, default=200, help="size of a large file (MB)")
    parser.add_argument("--large-count", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--reuse-dest",
        action="store_true",
        help="delete and reuse one destination between runs (measures ext4's inode reuse)",
    )
    parser.add_argument("--dir", type=Path, default=None, help="scratch folder (default: temp)")
    args = parser.parse_args()
    print(f"cpus={os.cpu_count()} concurrency={args.concurrency} repeat={args.repeat} (median)")
    with tempfile.TemporaryDirectory(prefix="aiwf-fb-bench-", dir=args.dir) as tmp:
        work = Path(tmp)
        if args.small:
            scenario(args, work, "small", args.small, args.size_kb * 1000)
        if args.large_mb:
            scenario(args, work, "large", args.large_count, args.large_mb * 1000**2)


if __name__ == "__main__":
    main()
