"""The one place secrets are taken out of text that leaves the process.

A token is masked in the runner's log by ``::add-mask::``, but it can reach other places:
a misconfigured proxy or a hostile GitHub Enterprise Server that echoes the
``Authorization`` header into an error body or a response would have it copied into the
exception text, the reports, ``comment.json``, the job summary, the API cache and the posted
PR comment. So every secret the process learns is registered here, and every sink
(responses as they arrive, log lines, files, step outputs, the comment) runs its text
through ``redact``: the secret itself, and so its ``Bearer``/``token`` forms, and its
URL-encoded form become ``***``.
"""

from __future__ import annotations

import threading
from urllib.parse import quote

MASK = "***"
MIN_LENGTH = 8
"""Shorter strings are not treated as secrets: masking them would mangle ordinary text."""

_SECRETS: set[str] = set()
_LOCK = threading.Lock()


def register(secret: str) -> None:
    """Redact ``secret`` (and its URL-encoded form) from now on."""
    if len(secret) < MIN_LENGTH:
        return
    with _LOCK:
        _SECRETS.update({secret, quote(secret, safe="")})


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``."""
    with _LOCK:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def redact_bytes(data: bytes) -> bytes:
    """The same for raw bytes (an HTTP body before anything parses it)."""
    with _LOCK:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for secret in secrets:
        raw = secret.encode("utf-8", "surrogateescape")
        if raw in data:
            data = data.replace(raw, MASK.encode())
    return data
