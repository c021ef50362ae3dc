"""Reading an untrusted download: where a redirect may lead, and the body streamed to disk
under a size cap and a wall-clock deadline (artifact zips and archive hosts are untrusted).

The body is read with ``read1`` (at most one receive per chunk), so the deadline is checked
however slowly the bytes come: a host sending a byte a second cannot hold the job, as it
could when each 64 KiB chunk waited to be full. A connection closed before the declared
length is a connection error (the caller may retry); a stall longer than the read timeout
is a timeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions

from aiwf_ci.errors import DownloadLate, DownloadTooLarge, GitHubAPIError
from aiwf_ci.redaction import redact

CHUNK = 64 * 1024
SCHEMES = ("http", "https")


def message_of(response: requests.Response) -> str:
    try:
        message = response.json().get("message")
    except (ValueError, AttributeError):
        return ""
    return f": {redact(message)}" if isinstance(message, str) else ""


def redirect_target(current: str, location: str, *, what: str) -> str:
    """Where a redirect from ``current`` to ``location`` (maybe relative) leads; a
    ``GitHubAPIError`` for a redirect without a target, to a malformed URL or to anything
    but http(s). The untrusted ``location`` is never quoted back."""
    if not location.strip():
        raise GitHubAPIError(f"{what}: a redirect without a Location")
    try:
        target = urljoin(current, location.strip())
        parts = urlsplit(target)
        host, _port = parts.hostname, parts.port  # a bad port is a ValueError
    except ValueError:
        raise GitHubAPIError(f"{what}: a redirect to a malformed URL") from None
    if parts.scheme.lower() not in SCHEMES:
        scheme = parts.scheme.lower() if parts.scheme.isascii() else "non-ASCII"
        raise GitHubAPIError(f"{what}: a redirect to a {scheme or 'relative'}: URL, not http(s)")
    if not host or any(ord(c) <= 32 or ord(c) == 127 for c in target):
        raise GitHubAPIError(f"{what}: a redirect to a malformed URL")
    return target


def stream_to(
    response: requests.Response,
    dest: Path,
    max_bytes: int,
    *,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Write the body to ``dest``; returns its size. ``DownloadTooLarge`` over ``max_bytes``,
    ``DownloadLate`` when ``clock()`` passes ``deadline`` before the end."""
    declared = response.headers.get("Content-Length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise DownloadTooLarge(f"download is {declared} bytes, over the {max_bytes}-byte cap")
    dest.parent.mkdir(parents=True, exist_ok=True)
    total = 0
    with dest.open("wb") as out:
        while chunk := _read(response, total):
            total += len(chunk)
            if total > max_bytes:
                raise DownloadTooLarge(f"download exceeded the {max_bytes}-byte cap")
            out.write(chunk)
            if deadline is not None and clock() > deadline:
                raise DownloadLate(f"{total} bytes had come when the time was up")
    return total


def _read(response: requests.Response, received: int) -> bytes:
    """The next chunk of the raw body (``b""`` at its end), one receive at most."""
    try:
        return bytes(response.raw.read1(CHUNK, decode_content=False))
    except urllib3.exceptions.ReadTimeoutError:
        raise requests.Timeout(f"the body stalled after {received} bytes") from None
    except (urllib3.exceptions.ProtocolError, OSError):
        raise requests.ConnectionError(
            f"the connection closed after {received} bytes of the body"
        ) from None
