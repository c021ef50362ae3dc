"""Every byte to and from the GitHub API goes through :class:`Transport`.

Order for a GET: L1 LRU → in-flight de-duplication → retry loop → requests-cache (L2 SQLite,
``If-None-Match`` revalidation) → :class:`~aiwf_ci.github.cache.AuthAdapter` (token bucket,
rate-limit pacing, token attached, counters) → network. Writes skip the caches and are only
re-sent when GitHub said it did not process them (rate-limit answers).

Artifact downloads use a separate plain ``requests`` session (never cached, streamed to disk):
``requests`` drops ``Authorization`` when the API's 302 points at another host, so the token
never reaches the storage host.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests

from aiwf_ci.errors import DownloadTooLarge, GitHubAPIError, GitHubHTTPError
from aiwf_ci.github.cache import (
    TOKEN_HASH_HEADER,
    AuthAdapter,
    LRUCache,
    Snapshot,
    make_session,
    token_sha256,
)
from aiwf_ci.github.flights import InFlight
from aiwf_ci.github.ratelimit import (
    IDEMPOTENT_METHODS,
    Clock,
    RateLimitState,
    Sleep,
    WaitBudget,
    backoff,
    classify,
    may_retry,
    pacing_delay,
    retry_delay,
)
from aiwf_ci.github.settings import ApiStats, ClientSettings
from aiwf_ci.github.streaming import message_of, stream_to
from aiwf_ci.pacing import TokenBucket

logger = logging.getLogger(__name__)
_R = TypeVar("_R")


@dataclass(slots=True)
class _Counters:
    sent: int = 0
    hits: int = 0
    l1_hits: int = 0
    not_modified: int = 0
    deduplicated: int = 0
    retries: int = 0
    response_seconds: float = 0.0
    timed: int = 0
    rate: RateLimitState | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, amount: int = 1) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + amount)


class Transport:
    """Cached, de-duplicated, paced and retried HTTP to one GitHub API base URL."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._wall = wall_clock
        self._rng = rng or random.Random()
        self._api_netloc = urlsplit(settings.api_url).netloc
        self._token_hash = token_sha256(settings.token)
        self._budget = WaitBudget(settings.max_total_wait, sleep)
        self._deadline = clock() + settings.time_budget
        self._bucket = TokenBucket(
            settings.requests_per_second, capacity=settings.burst, clock=clock
        )
        self._counters = _Counters()
        self._l1 = LRUCache(settings.l1_size)
        self._flights = InFlight()
        self._served: dict[str, str] = {}
        self._served_lock = threading.Lock()
        adapter = AuthAdapter(
            token=settings.token,
            api_netloc=self._api_netloc,
            before=self._before_send,
            after=self._after_send,
            pool_size=max(settings.concurrency, 1) * 2,
        )
        self._session = make_session(
            cache_dir=settings.cache_dir,
            ttl=settings.ttl,
            ttl_by_pattern=settings.ttl_by_pattern,
            adapter=adapter,
        )
        self._downloads = requests.Session()
        self._downloads.trust_env = False

    def __repr__(self) -> str:
        return f"Transport(api_url={self._settings.api_url!r}, token=***)"

    def close(self) -> None:
        self._session.close()  # type: ignore[no-untyped-call]
        self._downloads.close()

    # --- public -----------------------------------------------------------------------------

    def request(
        self, method: str, url: str, headers: Mapping[str, str], body: Any = None
    ) -> requests.Response:
        """Send one API request (``url`` absolute, on the API host); errors come back as-is."""
        clean = self._cache_headers(headers)
        if method.upper() != "GET":
            return self._with_retries(method.upper(), url, clean, body)
        key = self._key(url, clean)
        snap = self._l1.get(key, datetime.now(UTC))
        if snap is not None:
            self._counters.add("hits")
            self._counters.add("l1_hits")
            return snap.to_response()
        joined = self._flights.run(
            key, lambda: self._fetch(url, clean, key), lambda: self._counters.add("deduplicated")
        )
        return joined.to_response()

    def stats(self) -> ApiStats:
        c = self._counters
        rate = c.rate
        return ApiStats(
            requests_sent=c.sent,
            cache_hits=c.hits,
            l1_hits=c.l1_hits,
            not_modified=c.not_modified,
            deduplicated=c.deduplicated,
            retries=c.retries,
            waited_seconds=self._budget.spent,
            rate_limit_remaining=None if rate is None else rate.remaining,
            rate_limit_limit=None if rate is None else rate.limit,
            mean_response_ms=None if c.timed == 0 else 1000 * c.response_seconds / c.timed,
        )

    def invalidate(self, path: str) -> int:
        """Forget every cached GET of ``path`` (any query), in L1 and L2; returns how many."""
        keys = self._served_keys(path)
        for key in keys:
            self._l1.discard(key)
        if keys:
            self._session.cache.delete(*keys)
        return len(keys)

    def amend_cached_json(self, path: str, edit: Callable[[Any, bool], Any | None]) -> int:
        """Write-through: rewrite cached JSON pages of ``path`` after our own successful write.

        ``edit(data, is_last_page)`` returns the new JSON, or ``None`` to leave a page as is.
        The old ``ETag`` stays, so the next revalidation still fetches GitHub's real state.
        """
        changed = 0
        for key in self._served_keys(path):
            cached = self._session.cache.get_response(key)
            if cached is None:
                continue
            last = 'rel="next"' not in cached.headers.get("Link", "")
            new = edit(json.loads(cached.content), last)
            if new is None:
                continue
            cached._content = json.dumps(new).encode("utf-8")
            cached.headers.pop("Content-Length", None)
            self._session.cache.save_response(cached, key, cached.expires)
            self._l1.discard(key)
            changed += 1
        return changed

    # --- GET path ---------------------------------------------------------------------------

    def _cache_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        clean = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        clean[TOKEN_HASH_HEADER] = self._token_hash
        return clean

    def _key(self, url: str, headers: Mapping[str, str]) -> str:
        prepared = self._session.prepare_request(requests.Request("GET", url, headers=headers))
        return str(self._session.cache.create_key(prepared))

    def _fetch(self, url: str, headers: Mapping[str, str], key: str) -> Snapshot:
        response = self._with_retries("GET", url, headers, None)
        if getattr(response, "from_cache", False) and not getattr(response, "revalidated", False):
            self._counters.add("hits")
        snap = Snapshot.of(response)
        if response.status_code == 200:
            self._l1.put(key, snap)
            with self._served_lock:
                self._served[url] = key
        return snap

    def _served_keys(self, path: str) -> list[str]:
        with self._served_lock:
            return [k for u, k in self._served.items() if urlsplit(u).path == path]

    # --- retries ----------------------------------------------------------------------------

    def _with_retries(
        self, method: str, url: str, headers: Mapping[str, str], body: Any
    ) -> requests.Response:
        def once(attempt: int) -> requests.Response | None:
            response = self._session.request(
                method,
                url,
                headers=dict(headers),
                data=body,
                timeout=self._time_left(method, url),
                allow_redirects=False,
            )
            return None if self._should_retry(method, response, attempt) else response

        return self._retrying(method, url, once)

    def _retrying(self, method: str, url: str, once: Callable[[int], _R | None]) -> _R:
        """The one retry loop: ``once(attempt)`` returns a result, or ``None`` after it has
        decided (and waited) to try again; lost connections are retried here, for idempotent
        methods only, within the retry count and the wait budget."""
        attempt = 0
        while True:
            try:
                result = once(attempt)
            except (requests.ConnectionError, requests.Timeout) as exc:
                self._retry_after_error(method, url, exc, attempt)
            else:
                if result is not None:
                    return result
            attempt += 1

    def _time_left(self, method: str, url: str) -> float:
        """The timeout of the next request: the usual one, or what is left of the client's
        time budget; none left is an error naming the budget."""
        left = self._deadline - self._clock()
        if left <= 0.5:
            raise GitHubAPIError(
                f"{method} {urlsplit(url).path}: the GitHub side used up its "
                f"{self._settings.time_budget:.0f}s time budget (the API is not answering)"
            )
        return min(self._settings.timeout, left)

    def _retry_after_error(self, method: str, url: str, exc: Exception, attempt: int) -> None:
        path = urlsplit(url).path
        kind = type(exc).__name__
        if method not in IDEMPOTENT_METHODS:
            raise GitHubAPIError(
                f"{method} {path}: connection failed ({kind}); not re-sent because it may "
                "have been applied"
            ) from None
        delay = backoff(
            attempt, base=self._settings.backoff_base, cap=self._settings.backoff_cap, rng=self._rng
        )
        if attempt >= self._settings.max_retries or not self._budget.take(delay):
            raise GitHubAPIError(
                f"{method} {path}: connection failed after {attempt + 1} attempts ({kind}); "
                "check GITHUB_API_URL and the network"
            ) from None
        self._counters.add("retries")
        logger.info("retrying %s %s after %s in %.2fs", method, path, kind, delay)

    def _should_retry(self, method: str, response: requests.Response, attempt: int) -> bool:
        status = response.status_code
        outcome = classify(status, response.headers, response.text if status >= 400 else "")
        if not may_retry(method, outcome) or attempt >= self._settings.max_retries:
            return False
        delay = retry_delay(
            outcome,
            response.headers,
            attempt=attempt,
            now=self._wall(),
            base=self._settings.backoff_base,
            cap=self._settings.backoff_cap,
            rng=self._rng,
        )
        path = urlsplit(str(response.url)).path
        if not self._budget.take(delay):
            logger.warning(
                "giving up on %s %s (%s %s): waiting %.0fs would exceed the %.0fs wait cap",
                method, path, status, outcome, delay, self._settings.max_total_wait,
            )  # fmt: skip
            return False
        self._counters.add("retries")
        logger.info("retrying %s %s after %s (%s) in %.2fs", method, path, status, outcome, delay)
        return True

    # --- adapter hooks (only for requests that really go out) -------------------------------

    def _before_send(self, request: requests.PreparedRequest) -> None:
        rate = self._counters.rate
        now = self._wall()
        if rate is not None and rate.remaining == 0 and rate.reset is not None and rate.reset > now:
            wait = rate.reset - now
            if not self._budget.take(wait):
                raise GitHubHTTPError(
                    f"GitHub API rate limit exhausted; it resets in {wait:.0f}s, longer than "
                    f"the {self._settings.max_total_wait:.0f}s this job may wait. Re-run later "
                    "or use a token with a higher limit",
                    status=403,
                )
            return
        delay = max(
            self._bucket.reserve(),
            pacing_delay(rate, now=now, slow_below=self._settings.slow_below_remaining),
        )
        if delay > 0:
            self._budget.take(delay)  # pacing is advisory: without budget, go anyway

    def _after_send(
        self, request: requests.PreparedRequest, response: requests.Response | None, took: float
    ) -> None:
        c = self._counters
        with c.lock:
            c.sent += 1
            c.response_seconds += took
            c.timed += 1
            if response is None:
                return
            if response.status_code == 304:
                c.not_modified += 1
            state = RateLimitState.from_headers(response.headers)
            if state is not None:
                c.rate = state

    # --- downloads --------------------------------------------------------------------------

    def download(self, url: str, dest: Path, *, max_bytes: int) -> int:
        """Stream ``url`` (an API URL that may redirect to storage) to ``dest``; returns bytes."""
        if urlsplit(url).netloc != self._api_netloc:
            raise GitHubAPIError(f"refusing to send the token to {urlsplit(url).netloc}")

        def once(attempt: int) -> int | None:
            try:
                return self._download_once(url, dest, max_bytes=max_bytes)
            except GitHubHTTPError as exc:
                if exc.status not in (500, 502, 503, 504) or not self._download_backoff(attempt):
                    raise
                return None

        return self._retrying("GET", url, once)

    def _download_backoff(self, attempt: int) -> bool:
        s = self._settings
        delay = backoff(attempt, base=s.backoff_base, cap=s.backoff_cap, rng=self._rng)
        if attempt >= s.max_retries or not self._budget.take(delay):
            return False
        self._counters.add("retries")
        return True

    def _download_once(self, url: str, dest: Path, *, max_bytes: int) -> int:
        self._before_send(requests.Request("GET", url).prepare())
        headers = {
            "Authorization": f"Bearer {self._settings.token}",
            "User-Agent": self._settings.user_agent,
            "Accept": "application/vnd.github+json",
        }
        started = time.perf_counter()
        with self._downloads.get(
            url, headers=headers, stream=True, timeout=self._time_left("GET", url)
        ) as response:
            first = response.history[0] if response.history else response
            self._after_send(first.request, first, time.perf_counter() - started)
            if response.status_code != 200:
                raise GitHubHTTPError(
                    f"download of {urlsplit(url).path} failed with HTTP {response.status_code}"
                    f"{message_of(response)}",
                    status=response.status_code,
                )
            return stream_to(response, dest, max_bytes)


__all__ = ["DownloadTooLarge", "GitHubHTTPError", "Transport"]
