"""An archive host that misbehaves on purpose, for the download tests: a raw socket server
on 127.0.0.1 (``http.server`` cannot send half a body or a byte a second).

Each path is one behaviour; ``url(path)`` is what a redirect points at:

    /ok/<name>     the bytes ``put(name, data)`` stored, as a normal host sends them
    /drop          headers for 1 MB, 1 KB of body, then the connection closed
    /trickle       headers for 1 MB, then a byte every ``trickle_every`` seconds (for
                   ``trickle_for`` seconds): never slow enough for a read timeout
    /encoded       200 with ``Content-Encoding: gzip`` and a body that is no gzip
    /loop          302 to itself, forever
    /empty         302 with an empty ``Location``
    /to?<url>      302 to whatever follows the ``?`` (another scheme, a malformed URL, ...)
    /silent        accepts, reads the request and never answers (until ``stop``)

Every request's head is kept in ``requests`` (to check which host saw a token).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from urllib.parse import unquote


class HostileHost:
    def __init__(self, *, trickle_for: float = 60.0, trickle_every: float = 1.0) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(32)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self.trickle_for = trickle_for
        self.trickle_every = trickle_every
        self.blobs: dict[str, bytes] = {}
        self.requests: list[dict[str, str]] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def put(self, name: str, data: bytes) -> str:
        self.blobs[name] = data
        return self.url(f"/ok/{name}")

    def start(self) -> None:
        self._spawn(self._accept)

    def stop(self) -> None:
        self._stop.set()
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        self._listener.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                continue
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        with conn, suppress(OSError):
            conn.settimeout(5)
            path, headers = _read_head(conn)
            with self._lock:
                self.requests.append({"path": path, **headers})
            self._answer(conn, path)

    def _answer(self, conn: socket.socket, path: str) -> None:
        if path.startswith("/ok/") and path[4:] in self.blobs:
            data = self.blobs[path[4:]]
            conn.sendall(_head(200, {"Content-Length": str(len(data))}) + data)
        elif path == "/drop":
            conn.sendall(_head(200, {"Content-Length": str(10**6)}) + b"\x1f\x8b" + b"x" * 1022)
            conn.shutdown(socket.SHUT_RDWR)
        elif path == "/trickle":
            conn.sendall(_head(200, {"Content-Length": str(10**6)}))
            ends = time.monotonic() + self.trickle_for
            while time.monotonic() < ends and not self._stop.wait(self.trickle_every):
                conn.sendall(b"x")
        elif path == "/encoded":
            body = b"this is not gzip at all" * 10
            head = {"Content-Length": str(len(body)), "Content-Encoding": "gzip"}
            conn.sendall(_head(200, head) + body)
        elif path == "/loop":
            conn.sendall(_head(302, {"Location": self.url("/loop"), "Content-Length": "0"}))
        elif path == "/empty":
            conn.sendall(_head(302, {"Location": "", "Content-Length": "0"}))
        elif path.startswith("/to?"):
            location = unquote(path[4:])
            conn.sendall(_head(302, {"Location": location, "Content-Length": "0"}))
        elif path == "/silent":
            self._stop.wait()
        else:
            conn.sendall(_head(404, {"Content-Length": "0"}))


def _read_head(conn: socket.socket) -> tuple[str, dict[str, str]]:
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    path = parts[1] if len(parts) > 1 else "/"
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    return path, headers


def _head(status: int, headers: dict[str, str]) -> bytes:
    reason = {200: "OK", 302: "Found", 404: "Not Found"}[status]
    lines = [f"HTTP/1.1 {status} {reason}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@contextmanager
def hostile_host(*, trickle_for: float = 60.0, trickle_every: float = 1.0) -> Iterator[HostileHost]:
    host = HostileHost(trickle_for=trickle_for, trickle_every=trickle_every)
    host.start()
    try:
        yield host
    finally:
        host.stop()
