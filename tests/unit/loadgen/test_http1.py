"""The raw engine's HTTP/1.1 framing, fed byte by byte and in one piece: where a response
ends, whether the connection may be reused, and what is refused as not HTTP."""

from __future__ import annotations

import pytest

from aiwf_ci.loadgen.http1 import (
    CHUNKED,
    EOF,
    LENGTH,
    NONE,
    Head,
    ProtocolError,
    ResponseReader,
    encode_request,
    parse_head,
)
from aiwf_ci.loadgen.models import HTTPRequest

CHUNKED_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"
    b"5;name=value\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer: x\r\n\r\n"
)


def feed(reader: ResponseReader, data: bytes, step: int) -> int:
    """Feed ``data`` in ``step``-byte pieces; the index of the piece completing it, or -1."""
    for index, start in enumerate(range(0, len(data), step)):
        if reader.feed(data[start : start + step]):
            return index
    return -1


@pytest.mark.parametrize("step", [1, 3, 7, 1000])
def test_chunked_in_any_pieces(step: int) -> None:
    reader = ResponseReader(False, {})
    assert feed(reader, CHUNKED_RESPONSE, step) == (len(CHUNKED_RESPONSE) - 1) // step
    assert reader.head == Head(200, CHUNKED, 0, False)
    assert reader.pending == b""
    whole = ResponseReader(False, {})
    assert whole.feed(CHUNKED_RESPONSE + b"NEXT")
    assert whole.pending == b"NEXT"  # bytes past the end: the engine drops the connection


@pytest.mark.parametrize("step", [1, 5, 1000])
def test_content_length_ends_exactly(step: int) -> None:
    reader = ResponseReader(False, {})
    data = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"
    assert feed(reader, data, step) == (len(data) - 1) // step
    assert reader.pending == b""
    assert reader.head == Head(200, LENGTH, 10, False)


def test_no_body_after_head_204_304_and_interim_1xx_is_skipped() -> None:
    assert parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 9", True).framing == NONE
    assert parse_head(b"HTTP/1.1 204 No Content", False).framing == NONE
    assert parse_head(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 9", False).framing == NONE
    reader = ResponseReader(False, {})
    assert reader.feed(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    assert reader.head is not None and reader.head.status == 200


def test_connection_reuse_rules() -> None:
    assert not parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 0", False).close
    assert parse_head(b"HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0", False).close
    assert parse_head(b"HTTP/1.0 200 OK\r\nContent-Length: 0", False).close
    keep = b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0"
    assert not parse_head(keep, False).close
    until_eof = parse_head(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain", False)
    assert until_eof.framing == EOF and until_eof.close


def test_body_until_eof() -> None:
    reader = ResponseReader(False, {})
    assert not reader.feed(b"HTTP/1.0 200 OK\r\n\r\nsome")
    assert not reader.feed(b" more")
    assert reader.finish_at_eof()
    truncated = ResponseReader(False, {})
    assert not truncated.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc")
    assert not truncated.finish_at_eof()


def test_transfer_encoding_wins_over_content_length() -> None:
    head = parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked", False)
    assert head.framing == CHUNKED


@pytest.mark.parametrize(
    "data",
    [
        b"SPDY/3 200 OK\r\n\r\n",
        b"HTTP/1.1 2x0 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXX",
    ],
)
def test_not_http_is_a_protocol_error(data: bytes) -> None:
    with pytest.raises(ProtocolError):
        ResponseReader(False, {}).feed(data)


def test_heads_are_cached_by_their_bytes() -> None:
    cache: dict[bytes, Head] = {}
    reader = ResponseReader(False, cache)
    for _ in range(3):
        reader.reset()
        assert reader.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    assert list(cache.values()) == [Head(200, LENGTH, 2, False)]


def test_encode_request() -> None:
    payload, host, port = encode_request(
        HTTPRequest(url="http://u@example:8080/p?q=1", method="PUT", headers={"X": "1"}, body="é")
    )
    assert (host, port) == ("example", 8080)
    assert payload == (
        b"PUT /p?q=1 HTTP/1.1\r\nHost: example:8080\r\nX: 1\r\nContent-Length: 2\r\n\r\n\xc3\xa9"
    )
    with pytest.raises(ValueError, match="plain http"):
        encode_request(HTTPRequest(url="https://example/"))
