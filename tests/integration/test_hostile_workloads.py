"""The hostile inputs that used to hang or eat gigabytes, through the real CLI, each in a child
with 1 GiB of address space and a 30 s wall clock (a regression fails, it cannot hang the
suite): a write of 10^12 files, 10^8 load workers, a FIFO as a harness file, endless and
gigantic response bodies, 10,001 harness entries, JSON that decodes to gigabytes, symlink
loops under ``**``, and the bad settings and URLs ``validate`` must refuse."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.integration.cli_helpers import REPO
from tests.integration.http_helpers import serve

LIMITED = """
import resource, runpy, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
sys.argv[0] = "aiwf-ci"
runpy.run_module("aiwf_ci", run_name="__main__")
"""


def limited(*args: str | Path, cwd: Path, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """``aiwf-ci ARGS`` in a child limited to 1 GiB of address space and ``timeout`` s."""
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "AIWF_"))
    }
    environ["PYTHONPATH"] = str(REPO)
    try:
        return subprocess.run(
            [sys.executable, "-c", LIMITED, *map(str, args)],
            cwd=cwd,
            env=environ,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"aiwf-ci {' '.join(map(str, args))} still running after {timeout:g}s")


def suite(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "bench.yml"
    head = "suite: s\nbenchmarks:\n  - name: b\n    memory: false\n"
    path.write_text(head + textwrap.indent(textwrap.dedent(body), "    "))
    return path


def error_lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr[-3000:]
    return proc.stderr.strip().splitlines()


def results(tmp_path: Path) -> dict[str, object]:
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    (bench,) = data["benchmarks"]
    assert isinstance(bench, dict)
    return bench


# -- bounds in the config --------------------------------------------------------------------

REFUSED = {
    "write-1e12": (
        "file-batch:\n  operations:\n"
        "    - {op: write, count: 1000000000000, size: 1, to: '{tmp}/w'}\n",
        "count: invalid value: 1000000000000 files is more than the limit (at most 1,000,000",
    ),
    "load-1e8": (
        "load: {url: 'http://127.0.0.1:9/', concurrency: 100000000, requests: 10}\n",
        "concurrency: invalid value: 100,000,000 workers is more than the limit (at most 1,000",
    ),
    "timeout-1e400": ("timeout: 1e400\ncommand: 'true'\n", "'1e400' is not a finite duration"),
    "timeout-nan": ("timeout: .nan\ncommand: 'true'\n", "nan is not a finite duration"),
    "url-no-host": ("load: {url: 'http://', requests: 1}\n", "the URL 'http://' has no host"),
    "url-port": ("load: {url: 'http://h:99999', requests: 1}\n", "Port out of range 0-65535"),
    "url-ipv6": ("load: {url: 'http://[::1', requests: 1}\n", "(Invalid IPv6 URL)"),
    "dest-outside": (
        "file-batch: {operations: [{op: write, count: 1, size: 1, to: '{tmp}/../x'}]}\n",
        "'{tmp}/../x' is not under {tmp} (file-batch writes only under {tmp}",
    ),
}


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("name", list(REFUSED))
def test_bad_values_are_one_line_errors(tmp_path: Path, name: str, command: str) -> None:
    body, expected = REFUSED[name]
    config = suite(tmp_path, body)
    proc = limited(
        command, config, "--no-setup", *(["--out", "out"] * (command == "run")), cwd=tmp_path
    )
    assert proc.returncode == 2, proc.stderr
    (line,) = error_lines(proc)
    assert line.startswith(f"aiwf-ci: error: {config}:"), line
    assert expected in line
    assert not (tmp_path / "x").exists() and not (tmp_path / "out").exists()


# -- the run's own limits ----------------------------------------------------------------------


def test_a_million_writes_stop_at_the_timeout(tmp_path: Path) -> None:
    body = """\
        timeout: 1s
        iterations: 1
        warmup: 0
        file-batch:
          operations:
            - {op: write, count: 1000000, size: 1, to: '{tmp}/w'}
        """
    proc = limited("run", suite(tmp_path, body), "--no-setup", "--out", "out", cwd=tmp_path)
    error_lines(proc)
    assert proc.returncode == 3, proc.stderr
    message = results(tmp_path)["errors"]["messages"][0]  # type: ignore[index]
    assert "file operations failed in iteration 1 (timed out after 1s)" in message


def test_a_symlink_loop_under_double_star_reads_each_file_once(tmp_path: Path) -> None:
    (tmp_path / "data" / "sub").mkdir(parents=True)
    (tmp_path / "data" / "a.csv").write_text("a")
    (tmp_path / "data" / "sub" / "b.csv").write_text("b")
    (tmp_path / "data" / "loop").symlink_to(".")
    (tmp_path / "data" / "sub" / "up").symlink_to("..")
    body = """\
        iterations: 1
        warmup: 0
        file-batch: {operations: [{op: read, glob: 'data/**/*.csv'}]}
        """
    proc = limited("run", suite(tmp_path, body), "--no-setup", "--out", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert results(tmp_path)["extra"]["operations"] == 2  # type: ignore[index]


# -- files that are not files ------------------------------------------------------------------


def test_a_fifo_as_the_ingest_file_is_an_error_not_a_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "out.json")
    body = "timeout: 5s\ningest: {format: hyperfine, file: out.json}\n"
    proc = limited("run", suite(tmp_path, body), "--no-setup", "--out", "out", cwd=tmp_path)
    assert proc.returncode == 3, proc.stderr
    (message,) = results(tmp_path)["errors"]["messages"]  # type: ignore[index]
    assert message == (
        f"{tmp_path / 'out.json'}: is a FIFO (named pipe), not a regular file; expected "
        "hyperfine output (pass the path of the file the tool wrote)"
    )
    proc = limited("import", "hyperfine", "out.json", "--out", "r.json", cwd=tmp_path)
    assert proc.returncode == 2
    assert error_lines(proc) == [
        "aiwf-ci: error: out.json: is a FIFO (named pipe), not a regular file; expected "
        "hyperfine output (pass the path of the file the tool wrote)"
    ]


def test_a_fifo_as_the_config_is_an_error(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "bench.yml")
    proc = limited("validate", "bench.yml", "--no-setup", cwd=tmp_path)
    assert proc.returncode == 2
    assert error_lines(proc) == [
        "aiwf-ci: error: bench.yml: not a regular file (pass the path of a suite YAML file)"
    ]


def test_too_many_harness_entries_say_the_limit(tmp_path: Path) -> None:
    rows = [{"fullname": f"t.py::test_{i}", "stats": {"data": [0.001]}} for i in range(10_001)]
    (tmp_path / "b.json").write_text(json.dumps({"benchmarks": rows}))
    proc = limited("import", "pytest-benchmark", "b.json", "--out", "r.json", cwd=tmp_path)
    assert proc.returncode == 2
    (line,) = error_lines(proc)
    assert line.startswith(
        "aiwf-ci: error: b.json: 'benchmarks' has 10,001 entries: more than 10,000 benchmarks "
        "in one file, the limit; split the run into several files"
    )


def test_json_that_would_decode_to_gigabytes_is_refused(tmp_path: Path) -> None:
    (tmp_path / "h.json").write_text('{"results": [' + ",".join(["{}"] * 20_000_000) + "]}")
    proc = limited("import", "hyperfine", "h.json", "--out", "r.json", cwd=tmp_path)
    assert proc.returncode == 2
    (line,) = error_lines(proc)
    assert "h.json: too many values to read (about " in line


# -- endless response bodies -------------------------------------------------------------------


class Endless(BaseHTTPRequestHandler):
    """``/chunked`` never ends; ``/length`` announces 10^11 bytes and sends them;
    ``/two-mib`` is a large but ordinary body."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        piece = b"x" * 65536
        if self.path == "/two-mib":
            self.send_header("Content-Length", str(32 * len(piece)))
            self.end_headers()
            self.wfile.write(piece * 32)
            return
        chunked = self.path == "/chunked"
        self.send_header(
            *(("Transfer-Encoding", "chunked") if chunked else ("Content-Length", str(10**11)))
        )
        self.end_headers()
        framed = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
        try:
            while True:
                self.wfile.write(framed)
        except OSError:
            pass

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture(scope="module")
def endless() -> Iterator[str]:
    with serve(Endless) as url:
        yield url


@pytest.mark.parametrize("path", ["/chunked", "/length"])
@pytest.mark.parametrize("client", ["requests", "http.client", "raw"])
def test_endless_bodies_are_capped(tmp_path: Path, endless: str, client: str, path: str) -> None:
    body = f"load: {{url: '{endless}{path}', concurrency: 2, requests: 4, client: {client}}}\n"
    proc = limited("run", suite(tmp_path, body), "--no-setup", "--out", "out", cwd=tmp_path)
    error_lines(proc)
    assert proc.returncode == 3, proc.stderr
    (message,) = results(tmp_path)["errors"]["messages"]  # type: ignore[index]
    assert "requests failed (body-too-large: " in message, message


@pytest.mark.parametrize("client", ["requests", "http.client", "raw"])
def test_a_large_ordinary_body_is_read(tmp_path: Path, endless: str, client: str) -> None:
    body = f"load: {{url: '{endless}/two-mib', requests: 3, client: {client}}}\n"
    proc = limited("run", suite(tmp_path, body), "--no-setup", "--out", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    extra = results(tmp_path)["extra"]
    assert isinstance(extra, dict)
    assert extra["requests"] == 3 * extra["iterations"]  # measured runs only
    assert extra["status_codes"] == {"200": extra["requests"]}


def test_compare_on_a_fifo_is_an_error_not_a_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "r.json")
    proc = limited("compare", "r.json", "r.json", cwd=tmp_path)
    assert proc.returncode == 2
    (line,) = [x for x in error_lines(proc) if x.startswith("aiwf-ci: error:")]
    assert "r.json: is a FIFO (named pipe), not a regular file" in line
