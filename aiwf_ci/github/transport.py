"""Every byte to and from the GitHub API goes through :class:`Transport`.

Order for a request: retry loop → requests-cache (SQLite, ``If-None-Match`` revalidation;
GETs only) → :class:`~aiwf_ci.github.cache.AuthAdapter` (token bucket, rate-limit pacing,
token attached, counters) → network. Writes skip the cache and are only re-sent when GitHub
said it did not process them (rate-limit answers).

Artifact downloads use a separate plain ``requests`` session (never cached, streamed to disk):
``requests`` drops ``Authorization`` when the API's 302 points at another host, so the token
never reaches the storage host.

A host that refuses connections or whose name does not resolve is dead for the rest of the
run: once a request to it has failed that way after its retries, every later request to that
host fails at once with the same reason, so the fallbacks that follow (tarball → artifact →
comment) do not each spend the retries again.

Time is counted per phase and only while a call is in the transport (``github.phases``):
a slow suite before the baseline or the comment costs the API nothing. A download (an
artifact zip, a base tarball) follows at most :data:`MAX_REDIRECTS` redirects, each checked
(http or https, a well-formed URL; the token only ever to the API host), asks for the bytes
as they are (``Accept-Encoding: identity``), and has a wall-clock deadline on the whole
body: the time its phase has left, not only a timeout per read, so an archive host that
sends a byte a second ends with a reason, like one that drops the connection mid-body
(retried, as a connection error) or sends an encoding it was not asked for.

A transport, like the client that owns it, is used from one thread (the action is sequential).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests

from aiwf_ci.errors import DownloadLate, GitHubAPIError, GitHubHTTPError
from aiwf_ci.github.cache import TOKEN_HASH_HEADER, AuthAdapter, make_session, token_sha256
from aiwf_ci.github.phases import MARGIN, OTHER, Phase, out_of_time
from aiwf_ci.github.ratelimit import (
    IDEMPOTENT_METHODS,
    TRANSIENT_STATUSES,
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
from aiwf_ci.github.streaming import message_of, redirect_target, stream_to
from aiwf_ci.pacing import TokenBucket

logger = logging.getLogger(__name__)
_R = TypeVar("_R")

MAX_REDIRECTS = 5
"""Redirects a download may follow (GitHub uses one: API → storage)."""


class Transport:
    """Cached, paced and retried HTTP to one GitHub API base URL."""

    def __init__(self, settings: ClientSettings, *, sleep: Sleep = time.sleep) -> None:
        self._settings = settings
        self._rng = random.Random()
        self._api_netloc = urlsplit(settings.api_url).netloc
        self._token_hash = token_sha256(settings.token)
        self._sleep = sleep
        self._phases: dict[str, Phase] = {}
        self._phase = self._phase_named(OTHER)
        self._bucket = TokenBucket(settings.requests_per_second, capacity=settings.burst)
        self._stats = ApiStats()
        self._rate: RateLimitState | None = None
        self._served: dict[str, str] = {}  # URL of a cached GET → its cache key
        self._dead: dict[str, str] = {}  # host:port → why it cannot be reached
        adapter = AuthAdapter(
            token=settings.token,
            api_netloc=self._api_netloc,
            before=self._before_send,
            after=self._after_send,
        )
        self._session = make_session(
            cache_dir=settings.cache_dir, ttl=settings.ttl, adapter=adapter
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
        method = method.upper()
        clean = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        clean[TOKEN_HASH_HEADER] = self._token_hash
        response = self._with_retries(method, url, clean, body)
        if method != "GET":
            return response
        revalidated = getattr(response, "revalidated", False)
        if getattr(response, "from_cache", False) and not revalidated:
            self._stats.cache_hits += 1
        if response.status_code == 200:
            self._served[url] = self._key(url, clean)
        return response

    def stats(self) -> ApiStats:
        return dataclasses.replace(self._stats)

    @contextmanager
    def phase(self, name: str) -> Iterator[Phase]:
        """Count the calls made inside against phase ``name`` (its own time budget and wait
        budget, kept if the phase is entered again); the previous phase after."""
        previous, self._phase = self._phase, self._phase_named(name)
        try:
            yield self._phase
        finally:
            self._phase = previous

    def _phase_named(self, name: str) -> Phase:
        if name not in self._phases:
            waits = WaitBudget(self._settings.max_total_wait, self._sleep)
            self._phases[name] = Phase(name=name, budget=self._settings.time_budget, waits=waits)
        return self._phases[name]

    def invalidate(self, path: str) -> int:
        """Forget every cached GET of ``path`` (any query); returns how many."""
        keys = self._served_keys(path)
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
            changed += 1
        return changed

    # --- cache keys -------------------------------------------------------------------------

    def _key(self, url: str, headers: Mapping[str, str]) -> str:
        prepared = self._session.prepare_request(requests.Request("GET", url, headers=headers))
        return str(self._session.cache.create_key(prepared))

    def _served_keys(self, path: str) -> list[str]:
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
        methods only, within the retry count and the wait budget. A host already found dead
        is not tried at all."""
        self._check_alive(method, url)
        phase = self._phase
        counting = phase.begin(time.monotonic())
        try:
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
                phase.retries += 1
        finally:
            if counting:
                phase.end(time.monotonic())

    def _check_alive(self, method: str, url: str) -> None:
        host = urlsplit(url).netloc
        why = self._dead.get(host)
        if why is not None:
            raise GitHubAPIError(
                f"{method} {urlsplit(url).path}: {host} is not reachable ({why}, earlier in "
                "this run); not tried again"
            )

    def _time_left(self, method: str, url: str) -> float:
        """The timeout of the next request: the usual one, or what is left of the phase's
        time budget; none left is an error saying what the time went on."""
        left = self._phase.left(time.monotonic())
        if left <= MARGIN:
            raise GitHubAPIError(out_of_time(self._phase, f"{method} {urlsplit(url).path}"))
        return min(self._settings.timeout, left)

    def _wait(self, seconds: float) -> bool:
        """Sleep ``seconds`` if the phase's wait budget and time budget allow it."""
        phase = self._phase
        return phase.may_wait(seconds, time.monotonic()) and phase.waits.take(seconds)

    def _retry_after_error(self, method: str, url: str, exc: Exception, attempt: int) -> None:
        path = urlsplit(url).path
        kind = _kind(exc)
        if method not in IDEMPOTENT_METHODS:
            raise GitHubAPIError(
                f"{method} {path}: connection failed ({kind}); not re-sent because it may "
                "have been applied"
            ) from None
        host = _host_of(exc, url)
        stopped = "dead" if host in self._dead else self._backoff(attempt)
        if not stopped:
            logger.info("retrying %s %s after %s", method, path, kind)
            return
        dead = unreachable(exc)
        if dead is not None:
            self._dead[host] = dead
            kind = dead
        if stopped == "time":
            last = f"the last attempt: {kind}"
            raise GitHubAPIError(f"{out_of_time(self._phase, f'{method} {path}')}; {last}")
        raise GitHubAPIError(
            f"{method} {path}: connection failed after {attempt + 1} attempts ({kind}); "
            "check GITHUB_API_URL and the network"
        ) from None

    def _backoff(self, attempt: int) -> str:
        """Wait before the next attempt, and say ``""``; or say why not, without waiting:
        ``retries`` used up, ``time`` (the phase's budget has no room for the wait and a
        request after it), ``waits`` (its wait budget is used up)."""
        s = self._settings
        delay = backoff(attempt, base=s.backoff_base, cap=s.backoff_cap, rng=self._rng)
        if attempt >= s.max_retries:
            return "retries"
        if not self._phase.may_wait(delay, time.monotonic()):
            return "time"
        return "" if self._phase.waits.take(delay) else "waits"

    def _should_retry(self, method: str, response: requests.Response, attempt: int) -> bool:
        status = response.status_code
        outcome = classify(status, response.headers, response.text if status >= 400 else "")
        if not may_retry(method, outcome) or attempt >= self._settings.max_retries:
            return False
        delay = retry_delay(
            outcome,
            response.headers,
            attempt=attempt,
            now=time.time(),
            base=self._settings.backoff_base,
            cap=self._settings.backoff_cap,
            rng=self._rng,
        )
        path = urlsplit(str(response.url)).path
        if not self._wait(delay):
            logger.warning(
                "giving up on %s %s (%s %s): waiting %.0fs would exceed the %.0fs wait cap",
                method, path, status, outcome, delay, self._settings.max_total_wait,
            )  # fmt: skip
            return False
        logger.info("retrying %s %s after %s (%s) in %.2fs", method, path, status, outcome, delay)
        return True

    # --- adapter hooks (only for requests that really go out) -------------------------------

    def _before_send(self) -> None:
        rate = self._rate
        now = time.time()
        if rate is not None and rate.remaining == 0 and rate.reset is not None and rate.reset > now:
            wait = rate.reset - now
            if not self._wait(wait):
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
            self._pace(delay)

    def _pace(self, delay: float) -> None:
        """Pacing is advisory and our own choice: within the phase's wait budget (else go at
        once), and not counted against its time budget, which is for the API's answers."""
        start = time.monotonic()
        if self._phase.waits.take(delay):
            self._phase.excuse(time.monotonic() - start)

    def _after_send(self, response: requests.Response | None) -> None:
        self._stats.requests_sent += 1
        self._phase.requests += 1
        if response is None:
            return
        if response.status_code == 304:
            self._stats.not_modified += 1
        state = RateLimitState.from_headers(response.headers)
        if state is not None:
            self._rate = state
            self._stats.rate_limit_remaining = state.remaining

    # --- downloads --------------------------------------------------------------------------

    def download(self, url: str, dest: Path, *, max_bytes: int) -> int:
        """Stream ``url`` (an API URL that may redirect to storage) to ``dest``; returns bytes."""
        if urlsplit(url).netloc != self._api_netloc:
            raise GitHubAPIError(f"refusing to send the token to {urlsplit(url).netloc}")
        what = f"GET {urlsplit(url).path}"

        def once(attempt: int) -> int | None:
            try:
                return self._download_once(url, dest, max_bytes=max_bytes)
            except GitHubHTTPError as exc:
                if exc.status not in TRANSIENT_STATUSES or self._backoff(attempt):
                    raise
                return None
            except DownloadLate as exc:
                late = out_of_time(self._phase, what, "the download did not finish")
                raise GitHubAPIError(f"{late}: {exc}") from None
            except (requests.ConnectionError, requests.Timeout):
                raise  # retried by the loop
            except (requests.RequestException, ValueError) as exc:
                raise GitHubAPIError(f"{what}: download failed ({type(exc).__name__})") from None

        return self._retrying("GET", url, once)

    def _download_once(self, url: str, dest: Path, *, max_bytes: int) -> int:
        deadline = time.monotonic() + self._phase.left(time.monotonic())
        with self._follow(url) as response:
            if response.status_code != 200:
                raise GitHubHTTPError(
                    f"download of {urlsplit(url).path} failed with HTTP {response.status_code}"
                    f"{message_of(response)}",
                    status=response.status_code,
                )
            encoding = response.headers.get("Content-Encoding", "").strip().lower()
            if encoding not in ("", "identity"):
                raise GitHubAPIError(
                    f"download of {urlsplit(url).path}: the host sent it encoded "
                    f"({encoding[:40]!r}), though asked for the bytes as they are"
                )
            return stream_to(response, dest, max_bytes, deadline=deadline)

    def _follow(self, url: str) -> requests.Response:
        """The response at the end of at most :data:`MAX_REDIRECTS` checked redirects, its
        body not read yet; the token goes only to the API host."""
        self._before_send()
        target = url
        for hop in range(MAX_REDIRECTS + 1):
            response = self._send_download(target, timeout=self._time_left("GET", url))
            if hop == 0:
                self._after_send(response)
            if not response.is_redirect:
                return response
            location = response.headers.get("Location", "")
            response.close()
            target = redirect_target(target, location, what=f"GET {urlsplit(url).path}")
        raise GitHubAPIError(
            f"GET {urlsplit(url).path}: more than {MAX_REDIRECTS} redirects (a redirect loop?)"
        )

    def _send_download(self, target: str, *, timeout: float) -> requests.Response:
        """One hop, through the adapter: ``Session.send`` would parse the next hop's
        ``Location`` itself (even told not to follow it) and fail on a malformed one."""
        request = requests.Request("GET", target, headers=self._download_headers(target))
        prepared = self._downloads.prepare_request(request)
        adapter = self._downloads.get_adapter(target)
        return adapter.send(prepared, stream=True, timeout=timeout)

    def _download_headers(self, target: str) -> dict[str, str]:
        headers = {
            "User-Agent": self._settings.user_agent,
            "Accept": "application/vnd.github+json",
            "Accept-Encoding": "identity",
        }
        api = urlsplit(self._settings.api_url)
        here = urlsplit(target)
        if (here.scheme, here.netloc) == (api.scheme, api.netloc):
            headers["Authorization"] = f"Bearer {self._settings.token}"
        return headers


def unreachable(exc: BaseException) -> str | None:
    """``connection refused`` or ``host name does not resolve`` when that is what ``exc``
    (a ``requests`` error wrapping urllib3's and the socket's) comes down to, else ``None``
    (a reset, a timeout: the host may answer the next request)."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        error = todo.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        if isinstance(error, ConnectionRefusedError):
            return "connection refused"
        if isinstance(error, socket.gaierror):
            return "host name does not resolve"
        linked = [error.__cause__, error.__context__, getattr(error, "reason", None)]
        linked += [a for a in error.args if isinstance(a, BaseException)]
        todo += [e for e in linked if isinstance(e, BaseException)]
    return None


def _host_of(exc: BaseException, url: str) -> str:
    """The host:port the failed connection was for (after a redirect, the redirect's)."""
    request = getattr(exc, "request", None)
    failed = getattr(request, "url", None)
    return urlsplit(failed if isinstance(failed, str) else url).netloc


def _kind(exc: BaseException) -> str:
    """The error's class, with its message when it is one of ours (no request attached:
    raised while reading a body, and worded without any URL)."""
    kind = type(exc).__name__
    if getattr(exc, "request", None) is None and exc.args and isinstance(exc.args[0], str):
        return f"{kind}: {exc.args[0]}"
    return kind
