"""The ``raw`` engine against real servers on 127.0.0.1: every way a response can be framed
(length, chunked, until close, no body), every way a connection can end (``Connection:
close``, dropped, closed while idle, refused), slow and failing endpoints, and the run's
own limits (request budget, duration, ramp-up, rate cap, hard limit)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import pytest

from aiwf_ci.loadgen import HTTPRequest, LoadOptions, LoadReport, http_factory, run_load
from aiwf_ci.loadgen.raw import run_raw
from tests.integration.http_helpers import serve

CHUNKS = (b"hello ", b"chunked ", b"x" * 70_000, b"world")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[tuple[str, str]]] = []

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "1000")  # a HEAD response has no body anyway
        self.end_headers()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).seen.append((self.command, body.decode()))
        self._reply(201, body)

    def do_GET(self) -> None:  # one branch per endpoint
        path = self.path
        if path == "/slow":
            time.sleep(1.0)
        if path == "/drop":
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        elif path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for chunk in CHUNKS:
                self.wfile.write(b"%x;ext=1\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            self.wfile.write(b"0\r\nX-Trailer: yes\r\n\r\n")
        elif path == "/close":
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"ok")
            self.close_connection = True
        elif path == "/eof":  # no length: the body ends when the connection does
            self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil-eof")
            self.close_connection = True
        elif path in ("/204", "/304"):
            self.send_response(int(path[1:]))
            self.end_headers()
        elif path == "/interim":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self._reply(200, b"after 100")
        elif path == "/idle-close":  # keep-alive promised, connection closed right after
            self._reply(200, b"ok")
            self.close_connection = True
        elif path == "/garbage":
            self.wfile.write(b"SPDY/9 banana\r\n\r\n")
            self.close_connection = True
        elif path == "/big":
            self._reply(200, b"y" * 300_000)
        else:
            self._reply(500 if path == "/500" else 404 if path == "/404" else 200, b"ok")

    def _reply(self, status: int, body: bytes) -> None:
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


def raw(url: str, method: str = "GET", body: str | None = None, **options: float) -> LoadReport:
    timeout = options.pop("timeout", 2.0)
    request = HTTPRequest(url=url, method=method, body=body)
    return run_raw(request, timeout, LoadOptions(**options))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/ok", "200"),
        ("/chunked", "200"),
        ("/close", "200"),
        ("/eof", "200"),
        ("/204", "204"),
        ("/304", "304"),
        ("/interim", "200"),
        ("/idle-close", "200"),
        ("/big", "200"),
    ],
)
def test_every_framing_completes(server: str, path: str, status: str) -> None:
    report = raw(f"{server}{path}", concurrency=3, requests=30)
    assert report.status_codes == {status: 30}, report.error_examples
    assert report.errors_by_kind == {}
    assert report.succeeded == 30
    assert report.latency_percentiles["max"] < 1.5


def test_head_and_post(server: str) -> None:
    head = raw(f"{server}/ok", "HEAD", concurrency=2, requests=10)
    assert head.status_codes == {"200": 10}
    Handler.seen.clear()
    post = raw(f"{server}/echo", "POST", body="payload", concurrency=2, requests=6)
    assert post.status_codes == {"201": 6}
    assert Handler.seen == [("POST", "payload")] * 6


def test_errors_are_counted_by_kind(server: str) -> None:
    assert raw(f"{server}/500", concurrency=2, requests=10).errors_by_kind == {"http_5xx": 10}
    assert raw(f"{server}/404", concurrency=2, requests=4).errors_by_kind == {"http_4xx": 4}
    dropped = raw(f"{server}/drop", concurrency=2, requests=10)
    assert dropped.errors_by_kind == {"connection": 10}
    assert "closed the connection" in dropped.error_examples["connection"]
    garbage = raw(f"{server}/garbage", concurrency=2, requests=4)
    assert garbage.errors_by_kind == {"protocol": 4}


def test_refused_connections_end_on_budget_and_on_time() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    report = raw(f"http://127.0.0.1:{port}/", concurrency=3, requests=50)
    assert report.errors_by_kind == {"connection": 50}
    assert "ECONNREFUSED" in report.error_examples["connection"]
    start = time.monotonic()
    report = raw(f"http://127.0.0.1:{port}/", concurrency=3, duration=0.3)
    assert time.monotonic() - start < 1.5
    assert report.requests > 0 and report.succeeded == 0


def test_slow_requests_time_out_and_the_run_ends_on_time(server: str) -> None:
    start = time.monotonic()
    report = raw(f"{server}/slow", concurrency=3, duration=0.8, timeout=0.3)
    assert time.monotonic() - start < 0.8 + 0.3 + 1.0 + 1.0
    assert set(report.errors_by_kind) == {"timeout"}
    assert report.requests >= 3
    assert report.abandoned == 0


def test_hard_limit_abandons_what_is_in_flight(server: str) -> None:
    start = time.monotonic()
    report = raw(f"{server}/slow", concurrency=2, requests=10, timeout=5.0, hard_limit=0.4)
    assert time.monotonic() - start < 1.5
    assert report.abandoned == 2
    assert report.errors_by_kind == {"abandoned": 2}


def test_duration_ramp_up_and_rate_cap(server: str) -> None:
    report = raw(f"{server}/ok", concurrency=4, ramp_up=0.4, duration=1.0, rate=50)
    assert report.workers_started == 4
    assert report.errors_by_kind == {}
    assert 30 <= report.requests <= 60  # 50/s for 1 s, and a token to start with
    assert 0.9 < report.elapsed < 2.0


def test_ramp_up_opens_connections_progressively(server: str) -> None:
    report = raw(f"{server}/ok", concurrency=5, ramp_up=10.0, duration=0.5)
    assert report.workers_started == 1  # the next one was due at 2 s
    assert report.succeeded > 0


def test_run_load_dispatches_the_raw_engine(server: str) -> None:
    factory = http_factory(HTTPRequest(url=f"{server}/ok"), 2.0, "raw")
    report = run_load(factory, LoadOptions(concurrency=4, requests=100))
    assert report.status_codes == {"200": 100}
    target = factory()  # called as a factory (by run_burst): an http.client target
    try:
        assert target.call()[0] == 200
    finally:
        target.close()
    with pytest.raises(ValueError, match="plain http"):
        http_factory(HTTPRequest(url="https://127.0.0.1/"), 2.0, "raw")
