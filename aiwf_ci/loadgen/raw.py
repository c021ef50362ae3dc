"""The ``raw`` HTTP engine: one thread multiplexing ``concurrency`` keep-alive connections.

Thread-per-worker clients spend most of their time taking turns on the GIL; this loop
spends none. Non-blocking sockets on one ``epoll`` (``poll`` elsewhere), the request encoded
once, responses framed by ``http1.ResponseReader`` (body bytes dropped). The ``LoadOptions``
are honoured as by ``run_load``: connections opened progressively over ``ramp_up``, calls
stop at ``duration`` or after ``requests``, ``rate`` caps them through a ``TokenBucket``,
each request has its own timeout, and the run returns by ``hard_limit`` (requests still in
flight then are ``abandoned``). Latency is ``perf_counter_ns`` from the moment the request
(or, on a fresh connection, the connect) starts to the end of its response.

Error kinds are the other engines': ``connection`` (refused, reset, closed before the end of
a response), ``timeout``, ``protocol``, ``body-too-large`` (over ``MAX_BODY``, announced or
sent: the connection is closed), ``http_4xx``, ``http_5xx``. A ``Connection: close``
response, or a close without one, just means the next request opens a new connection; a
reused connection that the server closed while idle is retried once, like ``http.client``.
"""

from __future__ import annotations

import contextlib
import errno
import socket
import time
from array import array
from collections import deque
from collections.abc import Callable

from aiwf_ci.loadgen.http1 import (
    LENGTH,
    MAX_HEAD,
    Head,
    ProtocolError,
    ResponseReader,
    encode_request,
)
from aiwf_ci.loadgen.models import MAX_BODY, HTTPRequest, LoadOptions, LoadReport
from aiwf_ci.loadgen.pacing import TokenBucket, ramp_offsets
from aiwf_ci.loadgen.poller import ERR, IN, OUT, Poller
from aiwf_ci.loadgen.tally import Tally, merge

GRACE = 1.0
TICK = 0.01  # timeouts are checked at least this often
RECV = 256 * 1024
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


class _Conn:
    """One connection slot: its socket (None between connections) and its request."""

    __slots__ = (
        "began",
        "busy",
        "connected",
        "deadline",
        "fd",
        "out",
        "reader",
        "received",
        "retried",
        "served",
        "sock",
        "want_out",
    )

    def __init__(self, reader: ResponseReader) -> None:
        self.sock: socket.socket | None = None
        self.fd = -1
        self.reader = reader
        self.out = b""
        self.began = 0
        self.deadline = 0.0
        self.busy = False  # a request is in flight
        self.connected = False  # the connect finished
        self.served = False  # the connection carried a complete response before
        self.retried = False  # the request was retried, or response bytes came
        self.want_out = False  # registered for writability
        self.received = 0  # bytes of the current response so far


def run_raw(
    request: HTTPRequest,
    timeout: float,
    options: LoadOptions,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> LoadReport:
    """One sustained load run of ``request`` on the raw engine."""
    loop = _Loop(request, timeout, options, clock)
    try:
        return loop.run()
    finally:
        loop.close()


class _Loop:
    def __init__(
        self,
        request: HTTPRequest,
        timeout: float,
        options: LoadOptions,
        clock: Callable[[], float],
    ) -> None:
        self.payload, self.host, self.port = encode_request(request)
        self.retry_ok = request.method.upper() in IDEMPOTENT
        self.head_request = request.method.upper() == "HEAD"
        self.timeout = timeout
        self.options = options
        self.clock = clock
        self.poller = Poller()
        self.by_fd: dict[int, _Conn] = {}
        self.conns: list[_Conn] = []
        self.parked: deque[_Conn] = deque()  # waiting for a rate token
        self.ready: deque[_Conn] = deque()  # free for their next request
        self.heads: dict[bytes, Head] = {}
        self.bucket = TokenBucket(options.rate, clock=clock) if options.rate else None
        self.left = options.requests
        self.token_at = 0.0
        self.stopping = False
        self.latencies = array("d")
        self.codes: dict[int, int] = {}
        self.tally = Tally()

    def close(self) -> None:
        for conn in self.conns:
            self._drop(conn)
        self.poller.close()

    def run(self) -> LoadReport:
        opts, clock = self.options, self.clock
        start = clock()
        stop_at = min(start + (opts.duration or opts.hard_limit), start + opts.hard_limit)
        end_at = min(stop_at + self.timeout + GRACE, start + opts.hard_limit)
        opens = deque(start + o for o in ramp_offsets(opts.concurrency, opts.ramp_up))
        poll, by_fd, ready = self.poller.wait, self.by_fd, self.ready
        next_tick = start
        while True:
            now = clock()
            if not self.stopping and now >= stop_at:
                self.stopping = True
            while opens and opens[0] <= now and not self.stopping:
                opens.popleft()
                conn = _Conn(ResponseReader(self.head_request, self.heads))
                self.conns.append(conn)
                ready.append(conn)
            for _ in range(len(ready)):  # not the ones re-queued now: a refusing server
                self._issue(ready.popleft())  # must not keep this loop from the clock
            if self.parked and not self.stopping:
                self._unpark()
            if self.stopping:
                if not any(c.busy for c in self.conns) or now >= end_at:
                    break
            elif now >= end_at:
                break
            if now >= next_tick:
                self._expire(now)
                next_tick = now + TICK
            delay = min(next_tick, end_at, stop_at if not self.stopping else end_at) - now
            if opens and not self.stopping:
                delay = min(delay, opens[0] - now)
            if self.parked and not self.stopping:
                delay = min(delay, self.token_at - now)
            if ready:
                delay = 0.0
            for fd, events in poll(max(0.0, delay)):
                live = by_fd.get(fd)
                if live is None:
                    continue
                if events & OUT and live.out:
                    self._writable(live)
                elif events & (IN | ERR):
                    self._readable(live)
        elapsed = clock() - start
        return self._report(elapsed)

    # issuing requests -------------------------------------------------------------------

    def _issue(self, conn: _Conn) -> None:
        """Start the next request on ``conn``, or leave it idle (stopping, budget, rate)."""
        if self.stopping:
            return
        if self.bucket is not None and (self.parked or not self._token()):
            self.parked.append(conn)
            return
        self._start(conn)

    def _token(self) -> bool:
        assert self.bucket is not None
        wait = self.bucket.try_take()
        self.token_at = self.clock() + wait
        return wait == 0.0

    def _unpark(self) -> None:
        while self.parked and not self.stopping and self._token():
            self._start(self.parked.popleft())

    def _start(self, conn: _Conn) -> None:
        if self.left is not None:
            if self.left <= 0:
                self.stopping = True
                return
            self.left -= 1
        conn.began = time.perf_counter_ns()
        conn.deadline = self.clock() + self.timeout
        conn.busy, conn.retried = True, False
        conn.received = 0
        self._send(conn)

    def _send(self, conn: _Conn) -> None:
        conn.reader.reset()
        conn.out = self.payload
        if conn.sock is None and not self._connect(conn):
            return
        self._writable(conn)

    def _connect(self, conn: _Conn) -> bool:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.sock, conn.fd = sock, sock.fileno()
        self.by_fd[conn.fd] = conn
        self.poller.register(conn.fd, IN | OUT)
        conn.want_out = True
        try:
            code = sock.connect_ex((self.host, self.port))
        except OSError as exc:  # name resolution
            self._fail(conn, "connection", f"{type(exc).__name__}: {exc}")
            return False
        if code not in (0, errno.EINPROGRESS):
            self._fail(conn, "connection", f"connect: {errno.errorcode.get(code, code)}")
            return False
        return code == 0

    def _writable(self, conn: _Conn) -> None:
        sock = conn.sock
        assert sock is not None
        if not conn.connected:
            code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code:
                self._fail(conn, "connection", f"connect: {errno.errorcode.get(code, code)}")
                return
            conn.connected = True
        try:
            sent = sock.send(conn.out)
        except BlockingIOError:
            return
        except OSError as exc:
            self._lost(conn, f"{type(exc).__name__}: {exc}")
            return
        conn.out = conn.out[sent:]
        if not conn.out and conn.want_out:
            conn.want_out = False
            self.poller.modify(conn.fd, IN)
        elif conn.out and not conn.want_out:
            conn.want_out = True
            self.poller.modify(conn.fd, IN | OUT)

    # receiving responses ----------------------------------------------------------------

    def _readable(self, conn: _Conn) -> None:
        sock = conn.sock
        assert sock is not None
        try:
            data = sock.recv(RECV)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._lost(conn, f"{type(exc).__name__}: {exc}")
            return
        reader = conn.reader
        if not conn.busy:  # the server closed (or talked on) an idle connection
            self._drop(conn)
            return
        if not data:
            if reader.finish_at_eof():
                self._complete(conn, closing=True)
            else:
                self._lost(conn, "the server closed the connection before a complete response")
            return
        conn.retried = True  # bytes of a response arrived: this request is not retried
        try:
            done = reader.feed(data)
        except ProtocolError as exc:
            self._fail(conn, "protocol", str(exc))
            return
        if done:
            self._complete(conn, closing=False)
        elif self._too_large(conn, len(data)):
            self._fail(conn, "body-too-large", f"the body went on past {MAX_BODY:,} bytes")

    def _too_large(self, conn: _Conn, nbytes: int) -> bool:
        """Whether the response being read announced or sent more than ``MAX_BODY`` bytes
        (the other engines' limit; the body is dropped anyway, the time is what it costs)."""
        conn.received += nbytes
        head = conn.reader.head
        announced = head.length if head is not None and head.framing == LENGTH else 0
        return conn.received > MAX_BODY + MAX_HEAD or announced > MAX_BODY

    def _complete(self, conn: _Conn, *, closing: bool) -> None:
        latency = time.perf_counter_ns() - conn.began
        head = conn.reader.head
        assert head is not None
        self.latencies.append(latency * 1e-9)
        status = head.status
        self.codes[status] = self.codes.get(status, 0) + 1
        conn.busy = False
        if closing or head.close or conn.reader.pending:
            self._drop(conn)
        else:
            conn.served = True
        self.ready.append(conn)

    # failures ---------------------------------------------------------------------------

    def _lost(self, conn: _Conn, detail: str) -> None:
        """The connection broke: retry once on a fresh one if it was an idle keep-alive
        connection the server had closed, otherwise a ``connection`` error."""
        if conn.busy and conn.served and not conn.retried and self.retry_ok:
            self._drop(conn)
            conn.retried = True
            self._send(conn)
            return
        self._fail(conn, "connection", detail)

    def _fail(self, conn: _Conn, kind: str, detail: str) -> None:
        self._drop(conn)
        if conn.busy:
            conn.busy = False
            self.tally.add((time.perf_counter_ns() - conn.began) * 1e-9, None, kind, detail)
            self.ready.append(conn)

    def _expire(self, now: float) -> None:
        for conn in self.conns:
            if conn.busy and now >= conn.deadline:
                self._fail(conn, "timeout", f"no complete response within {self.timeout:g}s")

    def _drop(self, conn: _Conn) -> None:
        if conn.sock is not None:
            self.by_fd.pop(conn.fd, None)
            with contextlib.suppress(OSError, KeyError, ValueError):
                self.poller.unregister(conn.fd)
            conn.sock.close()
            conn.sock, conn.fd = None, -1
            conn.connected = conn.served = conn.want_out = False

    def _report(self, elapsed: float) -> LoadReport:
        tally = self.tally
        tally.latencies.extend(self.latencies)
        for status, count in self.codes.items():
            tally.status_codes[str(status)] += count
            kind = "http_5xx" if status >= 500 else "http_4xx" if status >= 400 else None
            if kind is None:
                tally.succeeded += count
            else:
                tally.errors[kind] += count
                tally.examples.setdefault(kind, f"HTTP {status}")
        abandoned = sum(1 for c in self.conns if c.busy)
        return merge(
            [tally],
            elapsed=elapsed,
            max_samples=self.options.max_samples,
            abandoned=abandoned,
            workers=len(self.conns),
        )
