"""The HTTP cache under the GitHub client, and how the token stays out of it.

The cache is a requests-cache ``CachedSession`` on SQLite in ``cache_dir``: it survives the
process, so a CI job that restores ``cache_dir`` with ``actions/cache`` starts warm, and a
stale answer is revalidated with ``If-None-Match`` (a ``304`` costs no rate limit).

The token trap: GitHub answers ``Vary: ... Authorization``, and
requests-cache treats a header that is both varied on and ignored as a miss, while *not*
ignoring it writes the token into SQLite. So the ``Authorization`` header never reaches the
cache layer at all: above it, requests carry only ``X-Aiwf-Token-Sha256`` (part of the cache
key through ``match_headers``); :class:`AuthAdapter`, the transport adapter *below* the cache,
swaps that header for the real ``Authorization`` on a private copy of the request and only for
the API's own host, and hands requests-cache back the token-free request to store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests_cache import DO_NOT_CACHE, CachedSession

from aiwf_ci.redaction import redact, redact_bytes

TOKEN_HASH_HEADER = "X-Aiwf-Token-Sha256"  # noqa: S105 (a header name)
CACHE_FILE = "github-http.sqlite"


def token_sha256(token: str) -> str:
    """The cache identity of a token: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


BeforeSend = Callable[[], None]
AfterSend = Callable[[requests.Response | None], None]


class AuthAdapter(HTTPAdapter):
    """The only place the token is attached: below the cache, for the API host only."""

    def __init__(
        self,
        *,
        token: str,
        api_netloc: str,
        before: BeforeSend,
        after: AfterSend,
    ) -> None:
        super().__init__(max_retries=0)
        self._token = token
        self._api_netloc = api_netloc
        self._before = before
        self._after = after

    def __repr__(self) -> str:
        return f"AuthAdapter(api={self._api_netloc!r}, token=***)"

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        wire = request.copy()
        wire.headers.pop(TOKEN_HASH_HEADER, None)
        if urlsplit(wire.url or "").netloc == self._api_netloc:
            wire.headers["Authorization"] = f"Bearer {self._token}"
        self._before()
        try:
            response = super().send(wire, **kwargs)
        except requests.RequestException:
            self._after(None)
            raise
        response.request = request  # requests-cache stores this one: no token in it
        if not kwargs.get("stream"):  # a body that echoes the token never goes further
            response._content = redact_bytes(response.content)
        for name, value in list(response.headers.items()):
            response.headers[name] = redact(value)
        self._after(response)
        return response


def make_session(*, cache_dir: Path, ttl: int, adapter: AuthAdapter) -> CachedSession:
    """requests-cache on SQLite, ``Cache-Control`` honoured, keyed on the token hash."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    session = CachedSession(
        cache_name=str(cache_dir / CACHE_FILE),
        backend="sqlite",
        expire_after=ttl,
        urls_expire_after={"*/actions/artifacts/*/zip": DO_NOT_CACHE},  # downloads: never
        cache_control=True,
        allowable_methods=("GET", "HEAD"),
        allowable_codes=(200,),
        match_headers=["Accept", TOKEN_HASH_HEADER],
        stale_if_error=False,
    )
    session.trust_env = False  # no ~/.netrc credentials, no proxy variables
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
