"""Just enough HTTP/1.1 for the ``raw`` engine: encode one request once, frame responses.

The raw engine never looks at a response body, it only needs to know where each response
ends and whether the connection may be reused. ``ResponseReader`` is an incremental framer
fed with whatever ``recv`` returned: status line and headers, then a ``Content-Length``
body, a ``Transfer-Encoding: chunked`` body (chunk sizes, extensions, trailers), or a body
that runs to the end of the connection; no body after ``HEAD``, ``204``, ``304`` and ``1xx``
(interim ``1xx`` responses are skipped). Body bytes are counted and dropped, never kept.

Parsing a header block is the costly part, and a load test sees the same few header blocks
over and over, so parsed heads are cached by their exact bytes (a pure function of them).
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

from aiwf_ci.loadgen.models import HTTPRequest

MAX_HEAD = 64 * 1024
MAX_CACHED_HEADS = 256
HEX_DIGITS = b"0123456789abcdefABCDEF"
# framing of a body
NONE, LENGTH, CHUNKED, EOF = 0, 1, 2, 3
# reader states
HEAD, BODY, CHUNK_SIZE, CHUNK_DATA, TRAILER, DONE = range(6)


class ProtocolError(Exception):
    """The bytes received are not an HTTP/1.x response."""


class Head(NamedTuple):
    status: int
    framing: int
    length: int
    close: bool


def encode_request(request: HTTPRequest) -> tuple[bytes, str, int]:
    """(request bytes, host, port) of ``request``; only ``http://`` URLs."""
    parts = urlsplit(request.url)
    if parts.scheme != "http":
        raise ValueError(f"the raw engine speaks plain http:// only, not {parts.scheme}://")
    host, port = parts.hostname or "", parts.port or 80
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    body = request.body.encode() if request.body is not None else b""
    given = {name.lower() for name in request.headers}
    lines = [f"{request.method} {path} HTTP/1.1"]
    if "host" not in given:
        lines.append(f"Host: {parts.netloc.rpartition('@')[2]}")
    lines.extend(f"{name}: {value}" for name, value in request.headers.items())
    if request.body is not None and "content-length" not in given:
        lines.append(f"Content-Length: {len(body)}")
    head = "\r\n".join(lines) + "\r\n\r\n"
    return head.encode("latin-1") + body, host, port


def parse_head(block: bytes, head_request: bool) -> Head:
    """The status and body framing of a header block (without its final blank line)."""
    lines = block.split(b"\r\n")
    version, _, rest = lines[0].partition(b" ")
    code = rest[:3]
    if not version.startswith(b"HTTP/1.") or len(code) != 3 or not code.isdigit():
        raise ProtocolError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
    status = int(code)
    close = version == b"HTTP/1.0"
    lengths: set[int] = set()
    chunked = coded = False
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip():
            raise ProtocolError(f"malformed header line: {line[:80]!r}")
        name, value = name.lower(), value.strip()
        if name == b"content-length":
            if not value.isdigit():
                raise ProtocolError(f"bad Content-Length: {value[:40]!r}")
            lengths.add(int(value))
        elif name == b"transfer-encoding":
            codings = [c.strip() for c in value.lower().split(b",")]
            coded, chunked = True, codings[-1] == b"chunked"
        elif name == b"connection":
            tokens = {t.strip() for t in value.lower().split(b",")}
            close = b"close" in tokens or (close and b"keep-alive" not in tokens)
    if len(lengths) > 1:
        raise ProtocolError("conflicting Content-Length headers")
    if head_request or status in (204, 304) or 100 <= status < 200:
        return Head(status, NONE, 0, close)
    if coded:  # Transfer-Encoding wins over Content-Length (RFC 9112, 6.3)
        return Head(status, CHUNKED, 0, close) if chunked else Head(status, EOF, 0, True)
    if lengths:
        return Head(status, LENGTH, lengths.pop(), close)
    return Head(status, EOF, 0, True)


class ResponseReader:
    """Frames the responses to one request at a time on one connection."""

    __slots__ = ("cache", "head", "head_request", "left", "pending", "state")

    def __init__(self, head_request: bool, cache: dict[bytes, Head]) -> None:
        self.head_request = head_request
        self.cache = cache
        self.reset()

    def reset(self) -> None:
        """Expect a new response."""
        self.state = HEAD
        self.pending = b""
        self.left = 0
        self.head: Head | None = None

    def feed(self, data: bytes) -> bool:
        """Take received bytes; True once the response is complete (``head`` is set and
        ``pending`` holds any bytes past its end)."""
        if self.pending:
            data = self.pending + data
            self.pending = b""
        if self.state == HEAD:
            return self._head(data)
        if self.state == BODY:
            return self._body(data)
        return self._chunks(data, 0)

    def finish_at_eof(self) -> bool:
        """The peer closed the connection: does that complete the response?"""
        if self.state == BODY and self.head is not None and self.head.framing == EOF:
            self.state = DONE
            return True
        return False

    def _head(self, data: bytes) -> bool:
        while True:
            end = data.find(b"\r\n\r\n")
            if end < 0:
                if len(data) > MAX_HEAD:
                    raise ProtocolError(f"no end of headers within {MAX_HEAD} bytes")
                self.pending = data
                return False
            block = data[:end]
            head = self.cache.get(block)
            if head is None:
                head = parse_head(block, self.head_request)
                if len(self.cache) < MAX_CACHED_HEADS:
                    self.cache[block] = head
            data = data[end + 4 :]
            if head.status >= 200 or head.status == 101:
                break  # else an interim 1xx response: the real one follows
        self.head = head
        if head.framing == NONE:
            return self._done(data)
        if head.framing == CHUNKED:
            self.state = CHUNK_SIZE
            return self._chunks(data, 0)
        self.state, self.left = BODY, head.length
        return self._body(data)

    def _body(self, data: bytes) -> bool:
        if self.head is not None and self.head.framing == EOF:
            return False  # everything until the connection closes
        if len(data) < self.left:
            self.left -= len(data)
            return False
        return self._done(data[self.left :])

    def _chunks(self, data: bytes, pos: int) -> bool:
        while True:
            if self.state == CHUNK_DATA:
                if len(data) - pos < self.left + 2:
                    if self.left > 0:  # drop what is there, keep the CRLF check simple
                        take = min(self.left, len(data) - pos)
                        self.left -= take
                        pos += take
                    self.pending = data[pos:]
                    return False
                if data[pos + self.left : pos + self.left + 2] != b"\r\n":
                    raise ProtocolError("chunk not followed by CRLF")
                pos += self.left + 2
                self.state = CHUNK_SIZE
            eol = data.find(b"\r\n", pos)
            if eol < 0:
                if len(data) - pos > MAX_HEAD:
                    raise ProtocolError("chunk size line too long")
                self.pending = data[pos:]
                return False
            line = data[pos:eol]
            pos = eol + 2
            if self.state == TRAILER:
                if not line:
                    return self._done(data[pos:])
                continue
            size = line.partition(b";")[0].strip()
            if not size or size.lstrip(HEX_DIGITS) or len(size) > 16:
                raise ProtocolError(f"bad chunk size: {line[:40]!r}")
            self.left = int(size, 16)
            self.state = TRAILER if self.left == 0 else CHUNK_DATA

    def _done(self, rest: bytes) -> bool:
        self.state = DONE
        self.pending = rest
        return True
