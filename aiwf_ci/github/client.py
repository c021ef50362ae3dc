"""The one way aiwf-ci talks to GitHub: PyGithub on top, our cached transport underneath.

PyGithub accepts no custom ``requests.Session`` (its issue #2865). Of the two ways round that
(a process-wide ``requests_cache`` patch, or PyGithub's connection classes) this module uses the
second, scoped to one ``Requester`` instance: :func:`_install_transport` replaces that
requester's connection class with :class:`_TransportConnection`, which hands every call to our
:class:`~aiwf_ci.github.transport.Transport`. Nothing global is patched, so other PyGithub or
``requests`` users in the process are untouched. The ``Github`` object is created ``lazy`` (so
``get_repo``/``get_issue`` cost no request and PyGithub never clones the requester) and without
any auth: the token lives only in the transport's adapter, never in PyGithub objects or logs.
PyGithub's own retry, sleeps between requests and rate-limit waits are all switched off.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

import requests
from github import Github, GithubException
from github.Repository import Repository
from github.Requester import Requester, RequestsResponse

from aiwf_ci.errors import AiwfCIError, GitHubAPIError, GitHubHTTPError
from aiwf_ci.github.ratelimit import Clock, Sleep
from aiwf_ci.github.settings import ApiStats, ClientSettings
from aiwf_ci.github.transport import Transport

logger = logging.getLogger(__name__)

T = TypeVar("T")
APP_BOT_LOGIN = "github-actions[bot]"
APP_TOKEN_PREFIX = "ghs_"  # noqa: S105 - a prefix, not a secret


@dataclass(frozen=True, slots=True)
class Settled(Generic[T]):
    """One result of :meth:`GitHubClient.gather`: a value or the error, never both."""

    value: T | None = None
    error: AiwfCIError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class GitHubClient:
    """A cached, rate-limited GitHub client for one repository (see the module docstring)."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self._transport = Transport(
            settings, clock=clock, wall_clock=wall_clock, sleep=sleep, rng=rng
        )
        self._github = Github(
            base_url=settings.api_url.rstrip("/"),
            timeout=int(settings.timeout),
            user_agent=settings.user_agent,
            per_page=settings.per_page,
            retry=None,
            seconds_between_requests=None,
            seconds_between_writes=None,
            lazy=True,
        )
        _install_transport(self._github.requester, self._transport, settings.api_url)
        self._login: str | None = None

    def __repr__(self) -> str:
        return f"GitHubClient(api_url={self.settings.api_url!r}, repo={self.settings.repository!r})"

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._github.close()
        self._transport.close()

    @property
    def github(self) -> Github:
        """The PyGithub entry point, wired to the cached transport."""
        return self._github

    def repo(self, full_name: str | None = None) -> Repository:
        """A lazy PyGithub ``Repository`` (no request until something needs its data)."""
        return self._github.get_repo(full_name or self.settings.repository)

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET one API path (relative to ``api_url``) and return the decoded JSON."""
        with api_errors(f"GET {path}"):
            _, data = self._github.requester.requestJsonAndCheck(
                "GET", path, parameters=dict(params or {})
            )
        return data

    def gather(self, calls: Sequence[Callable[[], T]]) -> list[Settled[T]]:
        """Run ``calls`` with at most ``settings.concurrency`` at once; all settle, in order."""
        if not calls:
            return []
        with ThreadPoolExecutor(max_workers=max(1, self.settings.concurrency)) as pool:
            return list(pool.map(_settle, calls))

    def fetch_many(
        self, paths: Sequence[str], params: Mapping[str, Any] | None = None
    ) -> list[Settled[Any]]:
        """Batch GET: concurrent, de-duplicated, every result kept (failures included)."""
        return self.gather([_bind_get(self, p, params) for p in paths])

    def authenticated_login(self) -> str:
        """The token's own login (``GET /user``). An app installation token (``ghs_``, which
        the Actions ``GITHUB_TOKEN`` is) cannot read it — GitHub answers 403 — so it is not
        asked: its comments are written by a bot (``APP_BOT_LOGIN`` stands for it)."""
        if self._login is None and self.settings.token.startswith(APP_TOKEN_PREFIX):
            self._login = APP_BOT_LOGIN
        if self._login is None:
            try:
                with api_errors("GET /user"):
                    self._login = str(self._github.get_user().login)
            except GitHubHTTPError as exc:
                logger.info("GET /user answered %s; assuming %s", exc.status, APP_BOT_LOGIN)
                self._login = APP_BOT_LOGIN
        return self._login

    def download(self, url: str, dest: Path, *, max_bytes: int | None = None) -> int:
        """Stream an API URL (following a redirect to storage, token not sent there) to disk."""
        cap = self.settings.max_download_bytes if max_bytes is None else max_bytes
        return self._transport.download(url, dest, max_bytes=cap)

    def invalidate(self, path: str) -> int:
        """Drop cached GETs of ``path`` (e.g. before re-listing after a failed write)."""
        return self._transport.invalidate(_path_of(self.settings.api_url, path))

    def amend_cached_json(self, path: str, edit: Callable[[Any, bool], Any | None]) -> int:
        """Apply our own write to cached pages of ``path`` (see ``Transport.amend_cached_json``)."""
        return self._transport.amend_cached_json(_path_of(self.settings.api_url, path), edit)

    def stats(self) -> ApiStats:
        return self._transport.stats()


def _path_of(api_url: str, path: str) -> str:
    """``/repos/x`` → the full URL path (``/api/v3/repos/x`` on GitHub Enterprise Server)."""
    if path.startswith(("http://", "https://")):
        return urlsplit(path).path
    return urlsplit(api_url).path.rstrip("/") + "/" + path.lstrip("/")


def _bind_get(client: GitHubClient, path: str, params: Mapping[str, Any] | None) -> Any:
    return lambda: client.get_json(path, params)


def _settle(call: Callable[[], T]) -> Settled[T]:
    try:
        return Settled(value=call())
    except AiwfCIError as exc:
        return Settled(error=exc)


@contextmanager
def api_errors(action: str) -> Iterator[None]:
    """Turn PyGithub and ``requests`` failures into ``GitHubAPIError`` (no token, no traceback)."""
    try:
        yield
    except GithubException as exc:
        message = exc.message or (exc.data.get("message") if isinstance(exc.data, dict) else None)
        raise GitHubHTTPError(
            f"{action}: GitHub answered HTTP {exc.status}" + (f": {message}" if message else ""),
            status=exc.status,
        ) from None
    except requests.RequestException as exc:
        raise GitHubAPIError(f"{action}: request failed ({type(exc).__name__})") from None


class _TransportConnection:
    """Mimics PyGithub's ``HTTPRequestsConnectionClass`` but sends through a ``Transport``.

    PyGithub shares one connection object between threads and calls ``request`` then
    ``getresponse``; the pending call is kept per thread so concurrent use is safe.
    """

    transport: Transport
    origin: str

    def __init__(self, host: str, port: int | None = None, **_: Any) -> None:
        self.host = host
        self.port = port
        self._pending = threading.local()

    def request(
        self, verb: str, url: str, input: Any, headers: dict[str, str], stream: bool = False
    ) -> None:
        self._pending.call = (verb, url, input, dict(headers))

    def getresponse(self) -> RequestsResponse:
        verb, url, body, headers = self._pending.call
        target = url if url.startswith(("http://", "https://")) else self.origin + url
        return RequestsResponse(self.transport.request(verb, target, headers, body))

    def close(self) -> None:
        """Nothing to close: the transport owns the sessions."""


def _install_transport(requester: Requester, transport: Transport, api_url: str) -> None:
    parts = urlsplit(api_url)
    bound = type(
        "_BoundTransportConnection",
        (_TransportConnection,),
        {"transport": transport, "origin": f"{parts.scheme}://{parts.netloc}"},
    )
    attribute = "_Requester__connectionClass"
    if not hasattr(requester, attribute):
        raise GitHubAPIError("this PyGithub version is not supported (no connection class hook)")
    setattr(requester, attribute, bound)
