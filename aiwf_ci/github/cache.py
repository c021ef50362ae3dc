"""The two cache levels under the GitHub client, and how the token stays out of them.

L1 is a small in-process LRU of response snapshots (no SQLite read for a hot URL); L2 is a
requests-cache ``CachedSession`` on SQLite in ``cache_dir`` (survives the process, so a CI job
that restores ``cache_dir`` with ``actions/cache`` starts warm).

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
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests_cache import DO_NOT_CACHE, CachedSession, ExpirationTime

from aiwf_ci.redaction import redact, redact_bytes

TOKEN_HASH_HEADER = "X-Aiwf-Token-Sha256"  # noqa: S105 (a header name)
CACHE_FILE = "github-http.sqlite"
ALWAYS_UNCACHED = {"*/actions/artifacts/*/zip": DO_NOT_CACHE}


def token_sha256(token: str) -> str:
    """The cache identity of a token: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An immutable copy of a cached GET response, turned back into a ``Response`` on demand."""

    status: int
    headers: tuple[tuple[str, str], ...]
    content: bytes
    url: str
    expires: datetime | None

    @classmethod
    def of(cls, response: requests.Response) -> Snapshot:
        expires = getattr(response, "expires", None)
        return cls(
            status=response.status_code,
            headers=tuple((str(k), str(v)) for k, v in response.headers.items()),
            content=response.content,
            url=str(response.url),
            expires=expires if isinstance(expires, datetime) else None,
        )

    def fresh(self, now: datetime) -> bool:
        return self.expires is not None and now < _aware(self.expires)

    def to_response(self) -> requests.Response:
        response = requests.Response()
        response.status_code = self.status
        response.headers = CaseInsensitiveDict(dict(self.headers))
        response._content = self.content
        response.url = self.url
        response.encoding = "utf-8"
        return response


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class LRUCache:
    """L1: a bounded, thread-safe LRU of :class:`Snapshot` keyed by the L2 cache key."""

    def __init__(self, max_entries: int) -> None:
        self._max = max(0, max_entries)
        self._items: OrderedDict[str, Snapshot] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, now: datetime) -> Snapshot | None:
        with self._lock:
            snap = self._items.get(key)
            if snap is None:
                return None
            if not snap.fresh(now):
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return snap

    def put(self, key: str, snap: Snapshot) -> None:
        if self._max == 0:
            return
        with self._lock:
            self._items[key] = snap
            self._items.move_to_end(key)
            while len(self._items) > self._max:
                self._items.popitem(last=False)

    def discard(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)


BeforeSend = Callable[[requests.PreparedRequest], None]
AfterSend = Callable[[requests.PreparedRequest, requests.Response | None, float], None]


class AuthAdapter(HTTPAdapter):
    """The only place the token is attached: below the cache, for the API host only."""

    def __init__(
        self,
        *,
        token: str,
        api_netloc: str,
        before: BeforeSend,
        after: AfterSend,
        pool_size: int,
    ) -> None:
        super().__init__(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
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
        self._before(request)
        started = time.perf_counter()
        try:
            response = super().send(wire, **kwargs)
        except requests.RequestException:
            self._after(request, None, time.perf_counter() - started)
            raise
        response.request = request  # requests-cache stores this one: no token in it
        if not kwargs.get("stream"):  # a body that echoes the token never goes further
            response._content = redact_bytes(response.content)
        for name, value in list(response.headers.items()):
            response.headers[name] = redact(value)
        self._after(request, response, time.perf_counter() - started)
        return response


def make_session(
    *,
    cache_dir: Path,
    ttl: int,
    ttl_by_pattern: Mapping[str, int],
    adapter: AuthAdapter,
) -> CachedSession:
    """L2: requests-cache on SQLite, ``Cache-Control`` honoured, keyed on the token hash."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    patterns: dict[str | re.Pattern[str], ExpirationTime] = {}
    for pattern, seconds in (*ALWAYS_UNCACHED.items(), *ttl_by_pattern.items()):
        patterns.setdefault(pattern, seconds)  # first match wins: downloads stay uncached
    session = CachedSession(
        cache_name=str(cache_dir / CACHE_FILE),
        backend="sqlite",
        expire_after=ttl,
        urls_expire_after=patterns,
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
