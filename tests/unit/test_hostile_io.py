"""Inputs that used to hang or grow without bound, at the library level: a FIFO, a device or
a huge file given as a file to read; globs through symlink loops; a queue of a billion
planned writes; load targets that cannot be built or raise; endless response bodies."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiwf_ci.errors import IngestError, ResultsFormatError
from aiwf_ci.filebatch import (
    FileBatchProcessor,
    FileOperation,
    PlanError,
    ProcessorOptions,
    glob_paths,
    write_operations,
)
from aiwf_ci.ingest import parse_file, read_regular_file
from aiwf_ci.loadgen import HTTPRequest, LoadOptions, http_factory, run_burst, run_load
from aiwf_ci.loadgen.models import MAX_BODY
from aiwf_ci.loadgen.targets import drain

REPO = Path(__file__).resolve().parents[2]
CHILD = """
import json, resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
base = Path(sys.argv[1])
"""


def in_child(code: str, base: Path) -> object:
    """What ``code`` prints as JSON, run in a child with 1 GiB of address space and 30 s:
    a regression that loops or blocks fails instead of hanging the suite."""
    try:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD + textwrap.dedent(code), str(base)],
            capture_output=True,
            text=True,
            timeout=30,
            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("still running after 30 s")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


# -- read_regular_file ---------------------------------------------------------------------


def parse_in_thread(path: Path) -> str:
    """``parse_file`` on a thread, so a regression (a blocking open) fails instead of hanging:
    after 10 s a writer opens the FIFO, which releases the reader."""
    outcome: list[str] = []

    def parse() -> None:
        try:
            parse_file("hyperfine", path)
        except IngestError as exc:
            outcome.append(str(exc))

    thread = threading.Thread(target=parse, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(10)
        pytest.fail(f"reading {path} blocked")
    return outcome[0]


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "out.json"
    os.mkfifo(fifo)
    assert parse_in_thread(fifo) == (
        f"{fifo}: is a FIFO (named pipe), not a regular file; expected hyperfine output "
        "(pass the path of the file the tool wrote)"
    )


@pytest.mark.parametrize(
    ("name", "kind"), [("folder", "a folder"), ("/dev/zero", "a character device")]
)
def test_folders_and_devices_are_refused(tmp_path: Path, name: str, kind: str) -> None:
    path = Path(name) if name.startswith("/") else tmp_path
    with pytest.raises(IngestError, match=f"^{path}: is {kind}, not a regular file; expected x"):
        read_regular_file(path, what="x")


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    with path.open("wb") as handle:
        handle.truncate(64 * 1024 * 1024 + 1)  # sparse: no disk, no time
    with pytest.raises(IngestError) as info:
        parse_file("hyperfine", path)
    assert str(info.value) == (
        f"{path}: 67,108,865 bytes is more than the 67,108,864-byte limit for hyperfine output "
        "(64 MiB; check the path, or split the file)"
    )


def test_the_error_class_and_limit_are_the_callers(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_bytes(b"12345")
    assert read_regular_file(path, limit=5, what="a results file") == b"12345"
    with pytest.raises(ResultsFormatError, match="5 bytes is more than the 4-byte limit"):
        read_regular_file(path, limit=4, what="a results file", error=ResultsFormatError)
    with pytest.raises(
        ResultsFormatError, match=r"nope: cannot read a results file \(no such file\)"
    ):
        read_regular_file(tmp_path / "nope", what="a results file", error=ResultsFormatError)


# -- globs and planning --------------------------------------------------------------------


def test_symlink_loops_are_walked_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "a.csv").write_text("a")
    (data / "sub" / "b.csv").write_text("b")
    (data / "loop").symlink_to(".")  # data/loop/loop/loop/... -> data
    (data / "sub" / "up").symlink_to("..")
    (data / "sub" / "twin").symlink_to(data / "sub")
    code = """
        from aiwf_ci.filebatch import glob_files, read_operations
        found = [relative for _, relative in glob_files("data/**/*.csv", base_dir=base)]
        print(json.dumps([found, len(read_operations("data/**", base_dir=base))]))
        """
    assert in_child(code, tmp_path) == [["a.csv", "sub/b.csv"], 2]


def test_a_glob_stops_at_its_limit_and_its_deadline(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"f{i}.txt").write_text("x")
    assert len(glob_paths("*.txt", base_dir=tmp_path, limit=5)) == 5
    with pytest.raises(PlanError, match=r"glob '\*\.txt' matches more than 4 files"):
        glob_paths("*.txt", base_dir=tmp_path, limit=4)
    with pytest.raises(PlanError, match="ran out of time while listing"):
        glob_paths("**/*.txt", base_dir=tmp_path, deadline=time.monotonic() - 1)


def test_write_operations_are_made_lazily_and_bounded(tmp_path: Path) -> None:
    ops = write_operations(tmp_path, count=1_000_000, size=1)
    assert [op.dest for op in itertools.islice(ops, 2)] == [
        str(tmp_path / "file-000000.bin"),
        str(tmp_path / "file-000001.bin"),
    ]
    with pytest.raises(ValueError, match="at most 1,000,000 files of at most"):
        write_operations(tmp_path, count=10**12, size=1)


def counted(limit: int, tmp_path: Path, taken: list[int]) -> Iterator[FileOperation]:
    """Writes, counting how many were taken; taking more than ``limit`` is a failure (an
    implementation that lists the queue first would take them all)."""
    for i in itertools.count():
        if i >= limit:
            raise AssertionError(f"the processor took more than {limit} operations")
        taken.append(i)
        yield FileOperation.write(tmp_path / f"w{i}", data=b"x")


def test_a_stopped_run_takes_no_more_operations(tmp_path: Path) -> None:
    taken: list[int] = []
    processor = FileBatchProcessor(ProcessorOptions(batch_size=10), dest_root=tmp_path)
    processor.extend(counted(1000, tmp_path, taken))
    report = processor.run(deadline=time.monotonic() - 1, keep_results=False)
    assert not report.ok and not report.complete
    assert report.failed == report.settled == 10 and report.results == ()
    assert len(taken) == 11  # one batch, and one more to learn that more were queued
    assert list(tmp_path.iterdir()) == []


def test_a_long_run_keeps_counts_and_the_first_failures_only(tmp_path: Path) -> None:
    processor = FileBatchProcessor(ProcessorOptions(batch_size=100), dest_root=tmp_path)
    processor.extend(FileOperation.read(tmp_path / f"missing-{i}") for i in range(500))
    report = processor.run(keep_results=False)
    assert (report.settled, report.failed, report.files, report.complete) == (500, 500, 0, True)
    assert len(report.failures) == 50 and report.results == ()
    assert report.failures[0].operation.source == tmp_path / "missing-0"


def test_a_fifo_in_place_of_a_planned_file_fails_that_operation(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    code = """
        from aiwf_ci.filebatch import FileBatchProcessor, FileOperation
        processor = FileBatchProcessor(dest_root=base / "out")
        processor.submit(FileOperation.read(base / "pipe"))
        processor.submit(FileOperation.copy(base / "pipe", base / "out" / "pipe"))
        print(json.dumps([[r.error_kind, r.reason] for r in processor.run().results]))
        """
    reason = "is not a regular file (a FIFO, device or socket)"
    assert in_child(code, tmp_path) == [["not-a-file", reason]] * 2


def test_processor_options_are_bounded() -> None:
    with pytest.raises(ValueError, match="concurrency must be at most 1,024, got 100,000,000"):
        ProcessorOptions(concurrency=100_000_000)


# -- load targets --------------------------------------------------------------------------


class Broken:
    def call(self) -> tuple[int | None, str | None, str]:
        raise RuntimeError("a target bug")

    def close(self) -> None:
        raise RuntimeError("and a close bug")


def unbuildable() -> Broken:
    raise ValueError("cannot build")


def test_no_worker_thread_lets_an_exception_escape() -> None:
    """pytest turns an exception escaping a thread into a failure (filterwarnings=error)."""
    report = run_load(unbuildable, LoadOptions(concurrency=3, requests=10, hard_limit=10))
    assert report.errors_by_kind == {"not-started": 3}
    assert report.error_examples["not-started"] == "ValueError: cannot build"
    report = run_load(Broken, LoadOptions(concurrency=2, requests=4, hard_limit=10))
    assert report.errors_by_kind == {"exception:RuntimeError": 4}
    burst = run_burst(Broken, 3, hard_limit=10)
    assert burst.errors_by_kind == {"exception:RuntimeError": 3}


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://", "has no host name"),
        ("http://h:99999", "cannot be parsed"),
        ("http://[::1", "cannot be parsed"),
    ],
)
@pytest.mark.parametrize("engine", ["requests", "http.client", "raw"])
def test_urls_no_client_can_open_are_refused_before_any_thread(
    url: str, problem: str, engine: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        http_factory(HTTPRequest(url=url), 1.0, engine)  # type: ignore[arg-type]


def test_load_options_are_bounded() -> None:
    with pytest.raises(ValueError, match="concurrency must be from 1 to 10,000"):
        LoadOptions(concurrency=100_000_000, requests=1)
    with pytest.raises(ValueError, match="at most 1,000 workers"):
        run_load(unbuildable, LoadOptions(concurrency=5000, requests=1))
    with pytest.raises(ValueError, match="a burst takes 1 to 1,000 calls"):
        run_burst(unbuildable, 100_000_000)


def test_drain_stops_at_the_body_limit_and_the_deadline() -> None:
    later = time.monotonic() + 60
    assert drain(iter([b"x" * 1000] * 3), 3000, later, 60) is None
    kind, detail = drain(iter([]), 10**11, later, 60) or ("", "")
    assert (kind, detail) == (
        "body-too-large",
        "Content-Length 100,000,000,000 is over 16,777,216 bytes",
    )
    endless = itertools.repeat(b"x" * 65536)
    assert drain(endless, None, later, 60) == (
        "body-too-large",
        f"the body went on past {MAX_BODY:,} bytes",
    )
    assert drain(iter([b"x"] * 3), None, time.monotonic() - 1, 5) == (
        "timeout",
        "the body was still arriving after 5s",
    )
