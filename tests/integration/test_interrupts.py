"""Ctrl-C and a runner's cancellation (SIGINT, SIGTERM) in the middle of a run, through the
real CLI: every process tree aiwf-ci started is gone, every temporary folder removed, the
previous results file intact, and the exit code 130 or 143."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

MARKER = "31.4159"  # a sleep length nobody else uses: finds our processes in /proc

CASES = {
    "command": f"  - name: c\n    command: sh -c 'sleep {MARKER} & sleep {MARKER}; wait'\n",
    "memory-pass": (
        f"  - name: m\n    iterations: 1\n    memory: true\n"
        f"    command: sh -c 'test -f started && sleep {MARKER}; touch started'\n"
    ),
    "python-worker": "  - name: p\n    python: slow:nap\n",
    "instruction-count": (  # the tree under valgrind (skipped where valgrind is missing)
        f"  - name: i\n    measure: instructions\n    command: sleep {MARKER}\n"
    ),
}
SLOW = f"import subprocess\ndef nap():\n    subprocess.run(['sleep', '{MARKER}'])\n"


def ours() -> list[int]:
    """Live processes whose command line holds the marker."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if MARKER.encode() in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def wait_for(predicate: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("case", list(CASES))
def test_an_interrupt_leaves_nothing_behind(tmp_path: Path, case: str, sig: int) -> None:
    if case == "instruction-count" and shutil.which("valgrind") is None:
        pytest.skip("valgrind is not installed")
    assert not ours(), "processes of an earlier test are still alive"
    (tmp_path / "slow.py").write_text(SLOW)
    (tmp_path / "bench.yml").write_text(
        "suite: s\ndefaults: {warmup: 0, iterations: 2, memory: false, timeout: 120}\n"
        "benchmarks:\n" + CASES[case]
    )
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.json").write_text("previous results\n")
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiwf_ci", "run", "bench.yml", "--out", str(out)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for(ours, 60), "the benchmark never started"
        time.sleep(0.3)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=90)  # a hang bound: a busy box is slow to stop
    finally:
        proc.kill()
    assert proc.returncode == (130 if sig == signal.SIGINT else 143), err
    assert "Traceback" not in err
    assert wait_for(lambda: not ours(), 5), f"left running: {ours()}"
    assert list(temp.iterdir()) == []
    assert (out / "results.json").read_text() == "previous results\n"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_file_batch_write_stops_and_cleans_up(tmp_path: Path, sig: int) -> None:
    (tmp_path / "bench.yml").write_text(
        "suite: s\ndefaults: {warmup: 0, iterations: 1, memory: false, timeout: 600}\n"
        "benchmarks:\n  - name: w\n    file-batch:\n      operations:\n"
        "        - {op: write, count: 1000000, size: 4KiB, to: '{tmp}/w'}\n"
    )
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.json").write_text("previous results\n")
    temp = tmp_path / "tmp"
    temp.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiwf_ci", "run", "bench.yml", "--out", str(out)],
        cwd=tmp_path,
        env={**os.environ, "TMPDIR": str(temp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        written = lambda: any(p.is_file() for p in temp.rglob("*.bin"))  # noqa: E731
        assert wait_for(written, 60), "the writes never started"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)  # not the million writes still queued
    finally:
        proc.kill()
    assert proc.returncode == (130 if sig == signal.SIGINT else 143), err
    assert "Traceback" not in err
    assert list(temp.iterdir()) == []  # the written files went with their folder
    assert (out / "results.json").read_text() == "previous results\n"


PIP_LIKE = (  # what pip does: a build folder in TMPDIR, then a long build
    'python -c "import pathlib, tempfile, time; '
    "pathlib.Path(tempfile.mkdtemp(prefix='pip-build-'), 'setup.py').touch(); "
    f"pathlib.Path('ready').touch(); time.sleep({MARKER})\""
)
MANY_FILES = (  # a virtualenv that takes a while to remove, then a long install
    "python -c \"import os, pathlib, time; junk = pathlib.Path(os.environ['VIRTUAL_ENV'], 'junk'); "
    "junk.mkdir(); [(junk / str(i)).touch() for i in range(40000)]; "
    f"pathlib.Path('ready').touch(); time.sleep({MARKER})\""
)


def start_set_up(tmp_path: Path, command: str) -> tuple[subprocess.Popen[str], Path]:
    """``aiwf-ci run`` of a suite whose set-up runs ``command``, with its own TMPDIR."""
    (tmp_path / "bench.yml").write_text(
        f"suite: s\nenvironment:\n  setup:\n    - {json.dumps(command)}\n"
        "defaults: {warmup: 0, iterations: 1, memory: false}\n"
        "benchmarks:\n  - name: c\n    command: 'true'\n"
    )
    temp = tmp_path / "tmp"
    temp.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiwf_ci", "run", "bench.yml", "--out", str(tmp_path / "out")],
        cwd=tmp_path,
        env={**os.environ, "TMPDIR": str(temp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return proc, temp


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_set_up_leaves_no_temporary_folder(tmp_path: Path, sig: int) -> None:
    proc, temp = start_set_up(tmp_path, PIP_LIKE)
    try:
        assert wait_for((tmp_path / "ready").exists, 120), "the set-up never started"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == (130 if sig == signal.SIGINT else 143), err
    assert "Traceback" not in err
    assert wait_for(lambda: not ours(), 5), f"left running: {ours()}"
    assert list(temp.iterdir()) == []  # pip's build folder went with the virtualenv


def test_a_second_signal_during_clean_up_still_removes_the_virtualenv(tmp_path: Path) -> None:
    proc, temp = start_set_up(tmp_path, MANY_FILES)
    try:
        assert wait_for((tmp_path / "ready").exists, 300), "the set-up never started"
        junk = next(temp.glob("aiwf-env-*/venv/junk"))
        proc.send_signal(signal.SIGINT)
        removing = lambda: not junk.exists() or len(os.listdir(junk)) < 40000  # noqa: E731
        assert wait_for(removing, 60), "the clean-up never started"
        proc.send_signal(signal.SIGTERM)  # the runner's second signal, in the middle of it
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode in (130, 143), err
    assert "Traceback" not in err
    assert wait_for(lambda: not ours(), 5), f"left running: {ours()}"
    assert list(temp.iterdir()) == []  # the whole virtualenv, not the part before the signal


def test_gigabytes_of_set_up_output_take_no_temporary_disk(tmp_path: Path) -> None:
    """Under a 16 MiB file-size limit, a set-up that prints 64 MiB still runs: its output is
    never written to a file; the log keeps the head and tail and says how much it dropped."""
    loud = "python -c \"import sys; [sys.stdout.write('y' * 1023 + '\\n') for _ in range(65536)]\""
    (tmp_path / "bench.yml").write_text(
        f"suite: s\nenvironment:\n  setup:\n    - {json.dumps(loud)}\n"
        "defaults: {warmup: 0, iterations: 1, memory: false}\n"
        "benchmarks:\n  - name: c\n    command: 'true'\n"
    )
    limit = 16 * 1024 * 1024
    done = subprocess.run(
        [sys.executable, "-m", "aiwf_ci", "run", "bench.yml", "--out", str(tmp_path / "out")],
        cwd=tmp_path,
        env={**os.environ, "GITHUB_ACTIONS": "true"},  # every line of the set-up's output shown
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)),
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "of output dropped here" in done.stdout
    assert len(done.stdout) < 2 * 1024 * 1024  # bounded: head and tail only
