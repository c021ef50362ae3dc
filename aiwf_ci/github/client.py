"""The one way aiwf-ci talks to GitHub: PyGithub on top, our cached transport underneath.

PyGithub accepts no custom ``requests.Session`` (its issue #2865). Its public way to change
how requests go out is ``Requester.injectConnectionClasses``, which is process-wide; this
module uses it, and only public PyGithub API, like this:

* while at least one :class:`GitHubClient` is open, PyGithub's connection classes are this
  module's; closing the last client resets PyGithub's own (``resetConnectionClasses``);
* every client registers its :class:`~aiwf_ci.github.transport.Transport` under a random id,
  and its ``Github`` object is given :class:`_Route` as its ``github.Auth.Auth`` (PyGithub's
  public hook for request headers): it puts that id, never the token, in one header. The
  connection takes the header off and hands the call to that client's transport, so two
  open clients never share a transport, a token or a cache, whatever their base URLs;
* a request without the header (any other PyGithub user in the process) is sent by PyGithub's
  stock connection class, as it would have been.

The token lives only in the transport's adapter, never in PyGithub objects or logs. The
``Github`` object is ``lazy`` (``get_repo``/``get_issue`` cost no request); PyGithub's own
retry, sleeps between requests and rate-limit waits are all switched off. A client is used
from one thread (the action is sequential).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

import requests
from github import Github, GithubException
from github.Auth import Auth
from github.Repository import Repository
from github.Requester import (
    HTTPRequestsConnectionClass,
    HTTPSRequestsConnectionClass,
    Requester,
    RequestsResponse,
)

from aiwf_ci.errors import GitHubAPIError, GitHubHTTPError
from aiwf_ci.github.phases import Phase
from aiwf_ci.github.ratelimit import Sleep
from aiwf_ci.github.settings import ApiStats, ClientSettings
from aiwf_ci.github.transport import Transport

logger = logging.getLogger(__name__)

APP_BOT_LOGIN = "github-actions[bot]"
APP_TOKEN_PREFIX = "ghs_"  # noqa: S105 - a prefix, not a secret
ROUTE_HEADER = "X-Aiwf-Client"


class GitHubClient:
    """A cached, rate-limited GitHub client for one repository (see the module docstring)."""

    def __init__(self, settings: ClientSettings, *, sleep: Sleep = time.sleep) -> None:
        self.settings = settings
        self._transport = Transport(settings, sleep=sleep)
        self._route = _register(self._transport, settings.api_url)
        self._github = Github(
            auth=_Route(self._route),
            base_url=settings.api_url.rstrip("/"),
            timeout=int(settings.timeout),
            user_agent=settings.user_agent,
            per_page=settings.per_page,
            retry=None,
            seconds_between_requests=None,
            seconds_between_writes=None,
            lazy=True,
        )
        self._login: str | None = None

    def __repr__(self) -> str:
        return f"GitHubClient(api_url={self.settings.api_url!r}, repo={self.settings.repository!r})"

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        _unregister(self._route)
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

    def download(self, url: str, dest: Path, *, max_bytes: int) -> int:
        """Stream an API URL (following a redirect to storage, token not sent there) to disk,
        at most ``max_bytes`` of it."""
        return self._transport.download(url, dest, max_bytes=max_bytes)

    def invalidate(self, path: str) -> int:
        """Drop cached GETs of ``path`` (e.g. before re-listing after a failed write)."""
        return self._transport.invalidate(self._full_path(path))

    def amend_cached_json(self, path: str, edit: Callable[[Any, bool], Any | None]) -> int:
        """Apply our own write to cached pages of ``path`` (see ``Transport.amend_cached_json``)."""
        return self._transport.amend_cached_json(self._full_path(path), edit)

    def stats(self) -> ApiStats:
        return self._transport.stats()

    def phase(self, name: str) -> AbstractContextManager[Phase]:
        """Count the API time of the calls made inside against phase ``name``, with its own
        time budget (see ``github.phases``): ``with client.phase("comment"): ...``."""
        return self._transport.phase(name)

    def _full_path(self, path: str) -> str:
        """``/repos/x`` → the URL path (``/api/v3/repos/x`` on GitHub Enterprise Server)."""
        return urlsplit(self.settings.api_url).path.rstrip("/") + "/" + path.lstrip("/")


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


# --- PyGithub → Transport ------------------------------------------------------------------

_routes: dict[str, tuple[Transport, SplitResult]] = {}  # route id → transport, its API URL
_routes_lock = threading.Lock()


def _register(transport: Transport, api_url: str) -> str:
    route = uuid.uuid4().hex
    with _routes_lock:
        if not _routes:
            Requester.injectConnectionClasses(_HTTPConnection, _HTTPSConnection)
        _routes[route] = (transport, urlsplit(api_url))
    return route


def _unregister(route: str) -> None:
    with _routes_lock:
        if _routes.pop(route, None) is not None and not _routes:
            Requester.resetConnectionClasses()


class _Route(Auth):
    """Names the client a request belongs to (the token is attached by the transport)."""

    def __init__(self, route: str) -> None:
        self._route = route

    @property
    def token_type(self) -> str:
        return "aiwf-route"

    @property
    def token(self) -> str:
        return self._route

    def authentication(self, headers: dict[str, Any]) -> None:
        headers[ROUTE_HEADER] = self._route

    def mask_authentication(self, headers: dict[str, Any]) -> None:
        """Nothing to mask: the route id is no secret."""


class _Routed:
    """What both connection classes do: a request with the route header goes through its
    client's transport; any other request is sent by PyGithub's ``stock`` class."""

    stock: type[HTTPRequestsConnectionClass] | type[HTTPSRequestsConnectionClass]

    def __init__(self, host: str, port: int | None = None, **kwargs: Any) -> None:
        self.host = host
        self._port = port
        self._kwargs = kwargs
        self._call: tuple[str, str, Any, dict[str, str], bool] = ("GET", "/", None, {}, False)
        self._stock: HTTPRequestsConnectionClass | HTTPSRequestsConnectionClass | None = None

    def request(
        self, verb: str, url: str, input: Any, headers: dict[str, str], stream: bool = False
    ) -> None:
        self._call = (verb, url, input, headers, stream)

    def getresponse(self) -> RequestsResponse:
        verb, url, body, headers, stream = self._call
        if ROUTE_HEADER not in headers:
            if self._stock is None:
                self._stock = self.stock(self.host, self._port, **self._kwargs)
            self._stock.request(verb, url, body, headers, stream)
            return self._stock.getresponse()
        route = _routes.get(headers[ROUTE_HEADER])
        if route is None:
            raise GitHubAPIError(f"{verb} {url}: its GitHub client is closed")
        transport, api = route
        if (self.host, self._port) != (api.hostname, api.port):
            raise GitHubAPIError(f"{verb} {url}: refusing to send it to {self.host}")
        sent = {k: v for k, v in headers.items() if k != ROUTE_HEADER}
        target = f"{api.scheme}://{api.netloc}{url}"
        return RequestsResponse(transport.request(verb, target, sent, body))

    def close(self) -> None:
        if self._stock is not None:
            self._stock.close()


class _HTTPConnection(_Routed, HTTPRequestsConnectionClass):
    stock = HTTPRequestsConnectionClass


class _HTTPSConnection(_Routed, HTTPSRequestsConnectionClass):
    stock = HTTPSRequestsConnectionClass
