"""The load generator and the load workload against a real HTTP server on 127.0.0.1:
fast, slow, failing (500) and connection-dropping endpoints; nothing hangs, ends on time."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from aiwf_ci.config.models import BenchmarkConfig, LoadSpec, Settings
from aiwf_ci.loadgen import Engine, HTTPRequest, LoadOptions, http_factory, run_burst, run_load
from aiwf_ci.workloads.base import RunContext
from aiwf_ci.workloads.load import run_load_benchmark
from tests.integration.http_helpers import serve


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(1.0)
        if self.path == "/drop":
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        status = 500 if self.path == "/500" else 200
        body = b"ok" if status == 200 else b"boom"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve(Handler) as url:
        yield url


ENGINES: tuple[Engine, ...] = ("requests", "http.client", "raw")


def load(url: str, engine: Engine, **options: float) -> tuple[float, object]:
    factory = http_factory(HTTPRequest(url=url), options.pop("timeout", 2.0), engine)
    start = time.monotonic()
    report = run_load(factory, LoadOptions(**options))  # type: ignore[arg-type]
    return time.monotonic() - start, report


@pytest.mark.parametrize("engine", ENGINES)
def test_fast_endpoint(server: str, engine: Engine) -> None:
    _, report = load(f"{server}/ok", engine, concurrency=4, requests=200)
    assert report.requests == 200  # type: ignore[attr-defined]
    assert report.status_codes == {"200": 200}  # type: ignore[attr-defined]
    assert report.latency_percentiles["p99"] < 1.0  # type: ignore[attr-defined]


@pytest.mark.parametrize("engine", ENGINES)
def test_500s_are_counted(server: str, engine: Engine) -> None:
    _, report = load(f"{server}/500", engine, concurrency=2, requests=40)
    assert report.errors_by_kind == {"http_5xx": 40}  # type: ignore[attr-defined]
    assert report.status_codes == {"500": 40}  # type: ignore[attr-defined]
    assert report.error_rate == 1.0  # type: ignore[attr-defined]


@pytest.mark.parametrize("engine", ENGINES)
def test_dropped_connections_are_counted(server: str, engine: Engine) -> None:
    elapsed, report = load(f"{server}/drop", engine, concurrency=2, requests=20)
    assert report.errors_by_kind == {"connection": 20}  # type: ignore[attr-defined]
    assert elapsed < 10


@pytest.mark.parametrize("engine", ENGINES)
def test_slow_server_times_out_and_run_ends_on_time(server: str, engine: Engine) -> None:
    elapsed, report = load(
        f"{server}/slow", engine, concurrency=3, duration=0.8, request_timeout=0.3, timeout=0.3
    )
    assert elapsed < 0.8 + 0.3 + 1.0 + 1.5  # duration + timeout + grace, with noise margin
    assert report.requests > 0  # type: ignore[attr-defined]
    assert set(report.errors_by_kind) == {"timeout"}  # type: ignore[attr-defined]


def test_burst_against_http(server: str) -> None:
    # a timeout with margin for a busy 2-core machine: the test is about all-settled, not speed
    factory = http_factory(HTTPRequest(url=f"{server}/ok"), 10.0, "requests")
    report = run_burst(factory, 20, hard_limit=30)
    assert report.succeeded == 20
    assert report.elapsed > 0


def load_bench(spec: LoadSpec, **settings: float) -> BenchmarkConfig:
    merged = {"warmup": 0, "iterations": 2, "timeout": 30.0, **settings}
    return BenchmarkConfig(
        name="load",
        kind="load",
        workload=spec,
        settings=Settings(**merged),  # type: ignore[arg-type]
    )


def test_load_workload_sustained(server: str, tmp_path: Path) -> None:
    spec = LoadSpec(url=f"{server}/ok", concurrency=4, ramp_up=0.2, duration=0.6)
    result = run_load_benchmark(
        load_bench(spec, warmup=1), RunContext(root=tmp_path, config_dir=tmp_path)
    )
    assert not result.failed, result.errors
    assert len(result.metrics["throughput"].samples) == 2
    assert result.metrics["throughput"].unit == "req/s"
    assert result.metrics["error_rate"].unit == "ratio"
    assert result.metrics["latency"].stats.p99 < 1.0
    assert result.extra["status_codes"] == {"200": result.extra["requests"]}
    assert result.extra["errors_by_kind"] == {}


def test_load_workload_counts_server_errors(server: str, tmp_path: Path) -> None:
    spec = LoadSpec(url=f"{server}/500", concurrency=2, requests=10)
    result = run_load_benchmark(load_bench(spec), RunContext(root=tmp_path, config_dir=tmp_path))
    assert result.failed  # every request failed: the target is broken
    assert "all 10 requests failed (http_5xx: 10)" in result.errors[0]


def test_load_workload_refused_connection_is_an_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    spec = LoadSpec(url=f"http://127.0.0.1:{port}/", concurrency=2, requests=4)
    result = run_load_benchmark(load_bench(spec), RunContext(root=tmp_path, config_dir=tmp_path))
    assert result.failed
    assert "connection" in result.errors[0]


def test_plan_longer_than_timeout_is_refused(tmp_path: Path) -> None:
    spec = LoadSpec(url="http://127.0.0.1:1/", duration=20)
    result = run_load_benchmark(
        load_bench(spec, timeout=30), RunContext(root=tmp_path, config_dir=tmp_path)
    )
    assert "lower warmup/iterations" in result.errors[0]


def test_load_workload_burst_of_a_python_callable(tmp_path: Path) -> None:
    (tmp_path / "burst_target_mod.py").write_text(
        "import itertools\n_n = itertools.count()\n"
        "def call():\n    if next(_n) % 5 == 0:\n        raise ValueError('x')\n"
    )
    spec = LoadSpec(python="burst_target_mod:call", concurrency=10, requests=1, mode="burst")
    result = run_load_benchmark(
        load_bench(spec, iterations=3), RunContext(root=tmp_path, config_dir=tmp_path)
    )
    assert not result.failed, result.errors
    assert result.extra["requests"] == 30
    assert result.extra["succeeded"] == 24
    assert result.extra["errors_by_kind"] == {"exception:ValueError": 6}
    assert len(result.metrics["duration"].samples) == 3
