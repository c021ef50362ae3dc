"""What a load worker calls: an HTTP endpoint or a Python callable, one instance per worker.

Every ``call()`` settles: it returns ``(status, error_kind, detail)`` and never raises, so a
slow, failing or connection-dropping server is counted, not fatal. Error kinds: ``timeout``,
``connection`` (refused, reset, dropped mid-response), ``http_4xx``, ``http_5xx``,
``protocol`` (a response that is not valid HTTP), ``body-too-large`` (a body over
``MAX_BODY``), ``exception:<Type>`` (a callable raised).

Response bodies are read in pieces and dropped, never kept: a server that announces
``Content-Length: 100000000000`` or streams forever costs one piece of memory, and the call
ends at ``MAX_BODY`` bytes (``body-too-large``, the connection closed) or at the request
timeout, whichever comes first, as the ``raw`` engine's calls do.

Two HTTP engines: ``requests`` (a ``Session`` per worker with a one-connection
``HTTPAdapter``, no retries, no redirects followed, proxy settings resolved once) and
``http.client`` (the standard library's keep-alive connection; less work per call, so a
higher ceiling on small machines, see ``benchmarks/load_vs_wrk.py``). The third engine,
``raw``, is not a per-worker target: ``http_factory`` returns a ``RawFactory`` and ``run_load``
hands it to ``raw.run_raw`` (one thread, all connections multiplexed); called as a factory
(``run_burst``) it gives ``http.client`` targets, one blocking connection per call.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import requests
from requests.adapters import HTTPAdapter

from aiwf_ci.loadgen.http1 import encode_request
from aiwf_ci.loadgen.models import MAX_BODY, Engine, HTTPRequest, check_url

Outcome = tuple[int | None, str | None, str]
Problem = tuple[str, str] | None
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
PIECE = 64 * 1024


class Target(Protocol):
    def call(self) -> Outcome: ...

    def close(self) -> None: ...


TargetFactory = Callable[[], Target]


def status_kind(status: int) -> str | None:
    if status >= 500:
        return "http_5xx"
    if status >= 400:
        return "http_4xx"
    return None


class RequestsTarget:
    """One worker's pooled ``requests`` session."""

    def __init__(self, request: HTTPRequest, timeout: float) -> None:
        self.timeout = timeout
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=1, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        prepared = requests.Request(
            request.method, request.url, headers=dict(request.headers), data=request.body
        )
        self.prepared = self.session.prepare_request(prepared)
        self.settings: dict[str, Any] = {
            **self.session.merge_environment_settings(request.url, {}, None, None, None),
            "stream": True,  # the body is read piece by piece, never held whole
        }

    def call(self) -> Outcome:
        deadline = time.monotonic() + self.timeout
        try:
            with self.session.send(
                self.prepared, timeout=self.timeout, allow_redirects=False, **self.settings
            ) as response:
                status = response.status_code
                declared = _length(response.headers.get("Content-Length"))
                pieces = response.iter_content(PIECE)
                problem = drain(pieces, declared, deadline, self.timeout)
        except requests.Timeout as exc:
            return None, "timeout", str(exc)
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            return None, "connection", str(exc)
        except requests.RequestException as exc:
            return None, "protocol", f"{type(exc).__name__}: {exc}"
        if problem is not None:  # leaving the `with` closed the unfinished connection
            return status, *problem
        return status, status_kind(status), f"HTTP {status}"

    def close(self) -> None:
        self.session.close()


class HTTPClientTarget:
    """One worker's keep-alive ``http.client`` connection, reopened when the server drops it.

    A call that fails on a reused connection before any response (the server closed an idle
    keep-alive connection) is retried once on a fresh one, for idempotent methods only.
    """

    def __init__(self, request: HTTPRequest, timeout: float) -> None:
        parts = check_url(request.url)
        self.https = parts.scheme == "https"
        self.host, self.port = parts.hostname or "", parts.port
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.method = request.method
        self.body = request.body.encode() if request.body is not None else None
        self.headers = dict(request.headers)
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None
        self.used = False

    def call(self) -> Outcome:
        retry = self.conn is not None and self.used and self.method in IDEMPOTENT
        outcome = self._once()
        if retry and outcome[1] == "connection" and outcome[0] is None:
            outcome = self._once()
        return outcome

    def _once(self) -> Outcome:
        conn = self.conn or self._connect()
        deadline = time.monotonic() + self.timeout
        try:
            conn.request(self.method, self.path, self.body, self.headers)
            response = conn.getresponse()
            pieces = iter(lambda: response.read1(PIECE), b"")
            problem = drain(pieces, response.length, deadline, self.timeout)
            if problem is None:
                response.read()  # read1 leaves a finished body open: this closes it
        except TimeoutError as exc:
            return self._fail("timeout", exc)
        except (ConnectionError, http.client.RemoteDisconnected, OSError) as exc:
            return self._fail("connection", exc)
        except http.client.HTTPException as exc:
            return self._fail("protocol", exc)
        self.used = True
        if problem is not None:
            self.close()  # the rest of the body is still on the wire
            return response.status, *problem
        if response.will_close:
            self.close()
        return response.status, status_kind(response.status), f"HTTP {response.status}"

    def _connect(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        self.conn = cls(self.host, self.port, timeout=self.timeout)
        self.used = False
        return self.conn

    def _fail(self, kind: str, exc: BaseException) -> Outcome:
        self.close()
        return None, kind, f"{type(exc).__name__}: {exc}"

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _length(header: str | None) -> int | None:
    return int(header) if header is not None and header.strip().isdigit() else None


def drain(
    pieces: Iterable[bytes], declared: int | None, deadline: float, timeout: float
) -> Problem:
    """Read a response body to its end, dropping every piece; the error kind and detail when
    it is larger than ``MAX_BODY`` (announced or actual) or outlasts the request timeout."""
    if declared is not None and declared > MAX_BODY:
        return "body-too-large", f"Content-Length {declared:,} is over {MAX_BODY:,} bytes"
    total = 0
    for piece in pieces:
        total += len(piece)
        if total > MAX_BODY:
            return "body-too-large", f"the body went on past {MAX_BODY:,} bytes"
        if time.monotonic() > deadline:
            return "timeout", f"the body was still arriving after {timeout:g}s"
    return None


class CallableTarget:
    """A Python callable; an exception is a failure, a call slower than the timeout too
    (it cannot be interrupted, so it is counted once it returns). An ``int`` result between
    100 and 599 is taken as an HTTP status."""

    def __init__(self, func: Callable[[], Any], timeout: float) -> None:
        self.func = func
        self.timeout = timeout

    def call(self) -> Outcome:
        start = time.perf_counter()
        try:
            value = self.func()
        except Exception as exc:
            name = type(exc).__name__
            return None, f"exception:{name}", f"{name}: {exc}"
        if time.perf_counter() - start > self.timeout:
            return None, "timeout", f"took longer than {self.timeout:g}s"
        if isinstance(value, int) and not isinstance(value, bool) and 100 <= value < 600:
            return value, status_kind(value), f"status {value}"
        return None, None, ""

    def close(self) -> None:
        return None


class RawFactory:
    """The ``raw`` engine's request, for ``run_load`` to run on one multiplexing loop."""

    def __init__(self, request: HTTPRequest, timeout: float) -> None:
        encode_request(request)  # refuse what the raw engine cannot send, up front
        self.request = request
        self.timeout = timeout

    def __call__(self) -> Target:
        return HTTPClientTarget(self.request, self.timeout)


def http_factory(request: HTTPRequest, timeout: float, engine: Engine) -> TargetFactory:
    """A factory of ``engine`` targets for ``request``; ``ValueError`` for a URL no client
    could connect to (checked here, not in each worker thread)."""
    check_url(request.url)
    if engine == "raw":
        return RawFactory(request, timeout)
    cls = RequestsTarget if engine == "requests" else HTTPClientTarget
    return lambda: cls(request, timeout)


def callable_factory(func: Callable[[], Any], timeout: float) -> TargetFactory:
    return lambda: CallableTarget(func, timeout)
