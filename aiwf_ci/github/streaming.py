"""Streaming an HTTP download to disk under a size cap (artifact zips are untrusted)."""

from __future__ import annotations

from pathlib import Path

import requests

from aiwf_ci.errors import DownloadTooLarge
from aiwf_ci.redaction import redact

CHUNK = 64 * 1024


def message_of(response: requests.Response) -> str:
    try:
        message = response.json().get("message")
    except (ValueError, AttributeError):
        return ""
    return f": {redact(message)}" if isinstance(message, str) else ""


def stream_to(response: requests.Response, dest: Path, max_bytes: int) -> int:
    declared = response.headers.get("Content-Length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise DownloadTooLarge(f"download is {declared} bytes, over the {max_bytes}-byte cap")
    dest.parent.mkdir(parents=True, exist_ok=True)
    total = 0
    with dest.open("wb") as out:
        for chunk in response.iter_content(CHUNK):
            total += len(chunk)
            if total > max_bytes:
                raise DownloadTooLarge(f"download exceeded the {max_bytes}-byte cap")
            out.write(chunk)
    return total
