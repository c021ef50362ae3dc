"""A stateful fake GitHub REST API (plus a separate fake artifact storage host) on 127.0.0.1.

Real HTTP, so tests exercise PyGithub, requests-cache and requests exactly as in production.
It behaves like GitHub where aiwf-ci depends on it: bodies derived from GitHub's example
responses with every URL rewritten to the fake's base, ``ETag`` / ``If-None-Match`` → ``304``,
``Cache-Control`` and ``Vary`` headers, ``Link`` pagination, ``x-ratelimit-*`` headers,
``302`` from the artifact zip URL to a storage server on another port, ``410`` for expired
artifacts, ``422`` for bodies over 65,536 characters, ``403`` for read-only tokens. Check runs
are stored per repository with GitHub's limits (``422`` for more than 50 annotations a
request or a summary over 65,535 characters; annotations appended on each edit) and a
``checks_write = False`` mode that answers ``403`` as a token without ``checks: write`` gets.

Faults are injected per method and path pattern (status, headers, body, connection drop, or
"apply the request, then fail the response"), and every request is recorded for assertions.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.fakegithub.examples import example, first_item

MAX_COMMENT = 65_536
MAX_CHECK_SUMMARY = 65_535
MAX_CHECK_ANNOTATIONS = 50
ANNOTATION_LEVELS = ("notice", "warning", "failure")
NOT_ACCESSIBLE = "Resource not accessible by integration"
PRIMARY_MESSAGE = "API rate limit exceeded for installation ID 1."
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the fake received it."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes


@dataclass(slots=True)
class Fault:
    """An injected failure for requests matching ``method`` and the ``path`` regex."""

    method: str | None
    path: re.Pattern[str]
    status: int = 500
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    drop: bool = False
    after_apply: bool = False
    times: int = 1

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and bool(self.path.search(path))


@dataclass(slots=True)
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


Route = tuple[str, re.Pattern[str], Callable[..., Reply]]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 10
    server: _Server

    def do_GET(self) -> None:
        self.server.owner.handle(self)

    do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: _Base


class _Base:
    """Start/stop plumbing shared by the API and the storage servers."""

    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread: threading.Thread | None = None
        self.lock = threading.RLock()
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        self.latency: dict[str, float] = {}
        self.in_flight = 0
        self.peak_in_flight = 0  # the most requests being answered at once

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # --- observation --------------------------------------------------------------------

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """Requests received, optionally only one method and/or paths matching a regex."""
        with self.lock:
            return sum(
                1
                for r in self.requests
                if (method is None or r.method == method)
                and (path is None or re.search(path, r.path))
            )

    def counts(self) -> dict[str, int]:
        """``"METHOD /path"`` → number of requests received."""
        result: dict[str, int] = {}
        with self.lock:
            for r in self.requests:
                key = f"{r.method} {r.path}"
                result[key] = result.get(key, 0) + 1
        return result

    def reset_counts(self) -> None:
        with self.lock:
            self.requests.clear()
            self.peak_in_flight = self.in_flight

    # --- faults -------------------------------------------------------------------------

    def fail(
        self,
        path: str,
        status: int = 500,
        *,
        method: str | None = None,
        times: int = 1,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        after_apply: bool = False,
    ) -> Fault:
        """Answer the next ``times`` matching requests with ``status`` (after handling, if
        ``after_apply``: the change is made, the client sees only the error)."""
        fault = Fault(
            method=method,
            path=re.compile(path),
            status=status,
            headers=dict(headers or {}),
            body={"message": f"fault {status}"} if body is None else body,
            after_apply=after_apply,
            times=times,
        )
        with self.lock:
            self.faults.append(fault)
        return fault

    def drop(
        self, path: str, *, method: str | None = None, times: int = 1, after_apply: bool = False
    ) -> Fault:
        """Close the connection without an answer (a connection reset for the client)."""
        fault = Fault(
            method=method, path=re.compile(path), drop=True, after_apply=after_apply, times=times
        )
        with self.lock:
            self.faults.append(fault)
        return fault

    def set_latency(self, path: str, seconds: float) -> None:
        """Answer requests whose path matches the ``path`` regex only after ``seconds``."""
        with self.lock:
            self.latency[path] = seconds

    def _delay(self, path: str) -> None:
        with self.lock:
            waits = [s for pattern, s in self.latency.items() if re.search(pattern, path)]
        if waits:
            time.sleep(max(waits))

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.matches(method, path):
                    fault.times -= 1
                    return fault
        return None

    # --- request handling -----------------------------------------------------------------

    def handle(self, handler: _Handler) -> None:
        with self.lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            self._answer(handler)
        finally:
            with self.lock:
                self.in_flight -= 1

    def _answer(self, handler: _Handler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        record = RecordedRequest(
            handler.command, parts.path, query, dict(handler.headers.items()), body
        )
        with self.lock:
            self.requests.append(record)
        self._delay(parts.path)
        fault = self._take_fault(handler.command, parts.path)
        if fault is not None and not fault.after_apply:
            self._send_fault(handler, fault)
            return
        reply = self.route(record)
        if fault is not None:
            self._send_fault(handler, fault)
            return
        self._send(handler, record, reply)

    def route(self, request: RecordedRequest) -> Reply:
        raise NotImplementedError

    def decorate(self, request: RecordedRequest, reply: Reply) -> None:
        """Hook: add headers to every reply."""

    def _send_fault(self, handler: _Handler, fault: Fault) -> None:
        if fault.drop:
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        record = RecordedRequest(handler.command, handler.path, {}, {}, b"")
        reply = Reply(fault.status, fault.body, dict(fault.headers))
        self._send(handler, record, reply, conditional=False)

    def _send(
        self,
        handler: _Handler,
        request: RecordedRequest,
        reply: Reply,
        *,
        conditional: bool = True,
    ) -> None:
        payload = reply.raw
        if payload is None:
            payload = b"" if reply.body is None else json.dumps(reply.body).encode()
            reply.headers.setdefault("Content-Type", "application/json; charset=utf-8")
        status = reply.status
        if conditional and status == 200 and request.method == "GET":
            etag = f'W/"{hashlib.sha256(payload).hexdigest()[:32]}"'
            reply.headers["ETag"] = etag
            if request.headers.get("If-None-Match") == etag:
                status, payload = 304, b""
        self.decorate(request, reply)
        handler.send_response(status)
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        if request.method != "HEAD":
            handler.wfile.write(payload)


class FakeStorage(_Base):
    """The blob storage host that artifact zip URLs redirect to (another port = another host)."""

    def __init__(self) -> None:
        super().__init__()
        self.blobs: dict[str, bytes] = {}

    def put(self, key: str, data: bytes) -> str:
        with self.lock:
            self.blobs[key] = data
        return f"{self.base_url}/blobs/{key}?sig=signed-url-valid-for-a-minute"

    def route(self, request: RecordedRequest) -> Reply:
        key = request.path.removeprefix("/blobs/")
        data = self.blobs.get(key)
        if request.method != "GET" or data is None:
            return Reply(404, {"message": "BlobNotFound"})
        return Reply(200, raw=data, headers={"Content-Type": "application/zip"})


class FakeGitHub(_Base):
    """The fake API. Use as a context manager (or ``start``/``stop``); seed, fault, count."""

    def __init__(
        self,
        *,
        repo: str = "Codertocat/Hello-World",
        token: str = "ghs_FAKEtoken0123456789abcdefABCDEF0123",
        user_login: str | None = "github-actions[bot]",
        max_age: int = 60,
        rate_limit: int = 5000,
        prefix: str = "",
    ) -> None:
        super().__init__()
        self.prefix = prefix.rstrip("/")  # "/api/v3" imitates GitHub Enterprise Server
        self.repo = repo
        self.token = token
        self.user_login = user_login
        self.max_age = max_age
        self.rate_limit = rate_limit
        self.rate_remaining = rate_limit
        self.rate_reset = int(time.time()) + 3600
        self.read_only = False
        self.storage = FakeStorage()
        self.runs: list[dict[str, Any]] = []
        self.artifacts: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.commits: dict[str, str] = {}
        self.tarballs: dict[str, bytes] = {}
        self.tarball_locations: dict[str, str] = {}  # sha -> where its tarball redirects
        self.issues: dict[int, dict[str, Any]] = {}
        self.issue_events: dict[int, list[dict[str, Any]]] = {}
        self.pr_labels: dict[int, list[str]] = {}
        self.pulls: dict[int, dict[str, Any]] = {}
        self.check_runs: dict[int, dict[str, Any]] = {}
        self.annotations: dict[int, list[dict[str, Any]]] = {}
        self.checks_write = True
        self._ids = iter(range(1000, 10**9))
        self._routes = self._build_routes()

    def __enter__(self) -> FakeGitHub:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self.storage.start()
        super().start()

    def stop(self) -> None:
        super().stop()
        self.storage.stop()

    @property
    def base_url(self) -> str:
        """The API base (``GITHUB_API_URL``), prefix included."""
        return super().base_url + self.prefix

    def _next_id(self) -> int:
        with self.lock:
            return next(self._ids)

    # --- seeding ------------------------------------------------------------------------

    def add_run(
        self,
        *,
        head_sha: str,
        branch: str = "main",
        event: str = "push",
        conclusion: str | None = "success",
        status: str = "completed",
        workflow_id: int = 161335,
        path: str = ".github/workflows/bench.yml",
        created_at: str | None = None,
        fork: bool = False,
    ) -> dict[str, Any]:
        """Seed a workflow run; returns its JSON (``id``, ``html_url``, ...). Its head
        repository is the repository itself unless ``fork``."""
        run_id = self._next_id()
        run = first_item("list-workflow-runs.200.default", "workflow_runs", **self._where())
        api = f"{self.base_url}/repos/{self.repo}/actions/runs/{run_id}"
        run.update(
            id=run_id,
            head_sha=head_sha,
            head_branch=branch,
            event=event,
            status=status,
            conclusion=conclusion,
            workflow_id=workflow_id,
            path=path,
            created_at=created_at or _stamp(len(self.runs)),
            url=api,
            html_url=f"https://github.com/{self.repo}/actions/runs/{run_id}",
            artifacts_url=f"{api}/artifacts",
            workflow_url=f"{self.base_url}/repos/{self.repo}/actions/workflows/{workflow_id}",
        )
        if not fork:
            run["head_repository"] = dict(run.get("repository") or {})
        with self.lock:
            self.runs.append(run)
        return run

    def add_artifact(
        self,
        run_id: int,
        data: bytes,
        *,
        name: str = "aiwf-benchmark-results",
        expired: bool = False,
    ) -> dict[str, Any]:
        """Seed an artifact of a run with its zip bytes (served from the storage host)."""
        art_id = self._next_id()
        item = first_item("list-workflow-run-artifacts.200.default", "artifacts", **self._where())
        api = f"{self.base_url}/repos/{self.repo}/actions/artifacts/{art_id}"
        item.update(
            id=art_id,
            name=name,
            size_in_bytes=len(data),
            url=api,
            archive_download_url=f"{api}/zip",
            expired=expired,
            created_at=_stamp(art_id),
            workflow_run=self._run_summary(run_id),
        )
        self.storage.put(str(art_id), data)
        with self.lock:
            self.artifacts[art_id] = item
        return item

    def _run_summary(self, run_id: int) -> dict[str, Any]:
        """The ``workflow_run`` object GitHub embeds in an artifact."""
        run = next((r for r in self.runs if r["id"] == run_id), {})
        repo = (run.get("repository") or {}).get("id", 1296269)
        head_repo = (run.get("head_repository") or {}).get("id", repo)
        return {
            "id": run_id,
            "repository_id": repo,
            "head_repository_id": head_repo,
            "head_branch": run.get("head_branch", "main"),
            "head_sha": run.get("head_sha", ""),
        }

    def add_tarball(self, sha: str, data: bytes) -> None:
        """Seed the repository tarball of commit ``sha`` (served from the storage host)."""
        with self.lock:
            self.tarballs[sha] = data

    def redirect_tarball(self, sha: str, location: str) -> None:
        """Answer the tarball of commit ``sha`` with a redirect to ``location`` (any text:
        another host, another scheme, a malformed URL)."""
        with self.lock:
            self.tarball_locations[sha] = location

    def add_issue(
        self, title: str, body: str, *, labels: tuple[str, ...] = (), login: str | None = None
    ) -> dict[str, Any]:
        """Seed an issue (``number`` from the shared id counter)."""
        number = self._next_id()
        author = login or self.user_login or "github-actions[bot]"
        api = f"{self.base_url}/repos/{self.repo}/issues/{number}"
        item = {
            "id": number,
            "number": number,
            "title": title,
            "body": body,
            "state": "open",
            "labels": [{"name": name} for name in labels],
            "user": {"login": author, "type": _user_type(author), "id": 1},
            "url": api,
            "html_url": f"https://github.com/{self.repo}/issues/{number}",
            "comments_url": f"{api}/comments",
            "created_at": _stamp(number),
            "updated_at": _stamp(number),
        }
        with self.lock:
            self.issues[number] = item
        return item

    def add_label_event(self, number: int, label: str, *, actor: str, at: str) -> None:
        """Seed a ``labeled`` event on issue/PR ``number``."""
        event = {
            "id": self._next_id(),
            "event": "labeled",
            "label": {"name": label},
            "actor": {"login": actor, "type": _user_type(actor)},
            "created_at": at,
        }
        with self.lock:
            self.issue_events.setdefault(number, []).append(event)

    def set_labels(self, number: int, *labels: str) -> None:
        """The labels pull request ``number`` carries now (``GET .../issues/{n}/labels``)."""
        with self.lock:
            self.pr_labels[number] = list(labels)

    def add_comment(self, pr: int, body: str, *, login: str | None = None) -> dict[str, Any]:
        """Seed a PR comment by ``login`` (default: the token's own user)."""
        author = login or self.user_login or "github-actions[bot]"
        comment_id = self._next_id()
        item: dict[str, Any] = example("issues-create-comment.201.default", **self._where())
        api = f"{self.base_url}/repos/{self.repo}/issues"
        item.update(
            id=comment_id,
            body=body,
            url=f"{api}/comments/{comment_id}",
            html_url=f"https://github.com/{self.repo}/pull/{pr}#issuecomment-{comment_id}",
            issue_url=f"{api}/{pr}",
        )
        item["user"] = {**item["user"], "login": author, "type": _user_type(author)}
        with self.lock:
            self.comments.setdefault(pr, []).append(item)
        return item

    def add_pull(self, number: int, *, head_sha: str, base_ref: str = "master") -> None:
        """Seed a pull request (``GET /repos/{repo}/pulls/{number}``) with its head SHA."""
        item: dict[str, Any] = example("pulls-get.200.default", **self._where())
        item.update(number=number)
        item["head"] = {**item["head"], "sha": head_sha}
        item["base"] = {**item["base"], "ref": base_ref}
        with self.lock:
            self.pulls[number] = item

    def checks_on(self, sha: str, name: str | None = None) -> list[dict[str, Any]]:
        """The check runs on commit ``sha`` (optionally of one name), oldest first."""
        with self.lock:
            return [
                run
                for run in sorted(self.check_runs.values(), key=lambda r: r["id"])
                if run["head_sha"] == sha and (name is None or run["name"] == name)
            ]

    def add_commit(self, sha: str, date: str) -> None:
        with self.lock:
            self.commits[sha] = date

    def comment_bodies(self, pr: int) -> list[str]:
        with self.lock:
            return [c["body"] for c in self.comments.get(pr, [])]

    # --- rate limits (convenience faults) ------------------------------------------------

    def primary_rate_limit(
        self, path: str, *, times: int = 1, reset_in: float = 1.0, method: str | None = None
    ) -> Fault:
        """GitHub's primary limit: 403, remaining 0, reset in ``reset_in`` seconds."""
        reset = str(int(time.time() + reset_in))
        headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset,
                   "x-ratelimit-limit": str(self.rate_limit)}  # fmt: skip
        body = {"message": PRIMARY_MESSAGE}
        return self.fail(path, 403, method=method, times=times, headers=headers, body=body)

    def secondary_rate_limit(
        self,
        path: str,
        *,
        status: int = 403,
        retry_after: int | None = 1,
        times: int = 1,
        method: str | None = None,
    ) -> Fault:
        """GitHub's secondary limit: 403 or 429, ``retry-after`` optional."""
        headers = {} if retry_after is None else {"retry-after": str(retry_after)}
        body = {"message": SECONDARY_MESSAGE}
        return self.fail(path, status, method=method, times=times, headers=headers, body=body)

    # --- routing ------------------------------------------------------------------------

    def _where(self) -> dict[str, str]:
        return {"base": self.base_url, "repo": self.repo}

    def _build_routes(self) -> list[Route]:
        repo = r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"
        table: list[tuple[str, str, Callable[..., Reply]]] = [
            ("GET", r"/user", self._get_user),
            ("GET", r"/rate_limit", self._get_rate_limit),
            ("GET", repo, self._get_repo),
            ("GET", repo + r"/actions/runs", self._list_runs),
            ("GET", repo + r"/actions/workflows/(?P<wf>[^/]+)/runs", self._list_runs),
            ("GET", repo + r"/actions/runs/(?P<run>\d+)", self._get_run),
            ("GET", repo + r"/actions/runs/(?P<run>\d+)/artifacts", self._list_artifacts),
            ("GET", repo + r"/actions/artifacts", self._list_repo_artifacts),
            ("GET", repo + r"/actions/artifacts/(?P<art>\d+)", self._get_artifact),
            ("GET", repo + r"/actions/artifacts/(?P<art>\d+)/zip", self._get_zip),
            ("GET", repo + r"/commits/(?P<sha>\w+)", self._get_commit),
            ("GET", repo + r"/tarball/(?P<ref>[\w.-]+)", self._get_tarball),
            ("GET", repo + r"/pulls/(?P<pr>\d+)", self._get_pull),
            ("GET", repo + r"/issues/(?P<pr>\d+)/comments", self._list_comments),
            ("POST", repo + r"/issues/(?P<pr>\d+)/comments", self._create_comment),
            ("GET", repo + r"/issues/comments/(?P<cid>\d+)", self._get_comment),
            ("GET", repo + r"/issues", self._list_issues),
            ("POST", repo + r"/issues", self._create_issue),
            ("GET", repo + r"/issues/(?P<num>\d+)", self._get_issue),
            ("PATCH", repo + r"/issues/(?P<num>\d+)", self._edit_issue),
            ("GET", repo + r"/issues/(?P<num>\d+)/events", self._list_issue_events),
            ("GET", repo + r"/issues/(?P<num>\d+)/labels", self._list_labels),
            ("PATCH", repo + r"/issues/comments/(?P<cid>\d+)", self._edit_comment),
            ("POST", repo + r"/check-runs", self._create_check_run),
            ("GET", repo + r"/check-runs/(?P<cid>\d+)", self._get_check_run),
            ("PATCH", repo + r"/check-runs/(?P<cid>\d+)", self._edit_check_run),
            ("GET", repo + r"/commits/(?P<sha>\w+)/check-runs", self._list_check_runs),
        ]
        return [(m, re.compile(p + "$"), fn) for m, p, fn in table]

    def route(self, request: RecordedRequest) -> Reply:
        if not request.path.startswith(self.prefix + "/"):
            return Reply(404, {"message": "Not Found"})
        request = replace(request, path=request.path.removeprefix(self.prefix))
        auth = request.headers.get("Authorization", "")
        if auth not in (f"Bearer {self.token}", f"token {self.token}"):
            return Reply(401, {"message": "Bad credentials"})
        for method, pattern, fn in self._routes:
            match = pattern.match(request.path)
            if match and method == request.method:
                with self.lock:
                    return fn(request, **match.groupdict())
        return Reply(404, {"message": "Not Found"})

    def decorate(self, request: RecordedRequest, reply: Reply) -> None:
        with self.lock:
            if not (request.headers.get("If-None-Match") and reply.status in (200, 304)):
                self.rate_remaining = max(0, self.rate_remaining - 1)
            remaining = self.rate_remaining
        reply.headers.setdefault("x-ratelimit-limit", str(self.rate_limit))
        reply.headers.setdefault("x-ratelimit-remaining", str(remaining))
        reply.headers.setdefault("x-ratelimit-reset", str(self.rate_reset))
        reply.headers.setdefault("x-ratelimit-resource", "core")
        reply.headers.setdefault(
            "Cache-Control", f"private, max-age={self.max_age}, s-maxage={self.max_age}"
        )
        reply.headers.setdefault(
            "Vary", "Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding"
        )

    # --- handlers (called with the lock held) --------------------------------------------

    def _get_user(self, request: RecordedRequest, **_: str) -> Reply:
        if self.user_login is None:
            return Reply(403, {"message": NOT_ACCESSIBLE})
        user = example("issues-create-comment.201.default", **self._where())["user"]
        user.update(login=self.user_login, type=_user_type(self.user_login))
        return Reply(200, user)

    def _get_rate_limit(self, request: RecordedRequest, **_: str) -> Reply:
        return Reply(200, example("rate-limit-get.200.default", **self._where()))

    def _get_repo(self, request: RecordedRequest, owner: str, name: str) -> Reply:
        if f"{owner}/{name}" != self.repo:
            return Reply(404, {"message": "Not Found"})
        data = example("repos-get.200.default-response", **self._where())
        data.update(full_name=self.repo, name=name)
        return Reply(200, data)

    def _list_runs(self, request: RecordedRequest, wf: str | None = None, **_: str) -> Reply:
        q = request.query
        runs = [r for r in self.runs if _run_matches(r, q, wf)]
        runs.sort(key=lambda r: (r["created_at"], r["id"]), reverse=True)
        return self._page(request, runs, "workflow_runs")

    def _get_run(self, request: RecordedRequest, run: str, **_: str) -> Reply:
        found = [r for r in self.runs if r["id"] == int(run)]
        return Reply(200, found[0]) if found else Reply(404, {"message": "Not Found"})

    def _list_artifacts(self, request: RecordedRequest, run: str, **_: str) -> Reply:
        name = request.query.get("name")
        items = [
            a
            for a in self.artifacts.values()
            if a["workflow_run"]["id"] == int(run) and (name is None or a["name"] == name)
        ]
        return self._page(request, items, "artifacts")

    def _list_repo_artifacts(self, request: RecordedRequest, **_: str) -> Reply:
        """Newest first, optionally by ``name``, as GitHub lists a repository's artifacts."""
        name = request.query.get("name")
        items = [a for a in self.artifacts.values() if name is None or a["name"] == name]
        items.sort(key=lambda a: a["id"], reverse=True)
        return self._page(request, items, "artifacts")

    def _get_artifact(self, request: RecordedRequest, art: str, **_: str) -> Reply:
        item = self.artifacts.get(int(art))
        return Reply(200, item) if item else Reply(404, {"message": "Not Found"})

    def _get_zip(self, request: RecordedRequest, art: str, **_: str) -> Reply:
        item = self.artifacts.get(int(art))
        if item is None:
            return Reply(404, {"message": "Not Found"})
        if item["expired"]:
            return Reply(410, {"message": "Artifact has expired"})
        location = self.storage.put(art, self.storage.blobs[art])
        return Reply(302, headers={"Location": location})

    def _get_tarball(self, request: RecordedRequest, ref: str, **_: str) -> Reply:
        if ref in self.tarball_locations:
            return Reply(302, headers={"Location": self.tarball_locations[ref]})
        data = self.tarballs.get(ref)
        if data is None:
            return Reply(404, {"message": "Not Found"})
        location = self.storage.put(f"tarball-{ref}", data)
        return Reply(302, headers={"Location": location})

    def _get_commit(self, request: RecordedRequest, sha: str, **_: str) -> Reply:
        date = self.commits.get(sha)
        if date is None:
            return Reply(404, {"message": "No commit found for SHA"})
        who = {"name": "Monalisa", "email": "m@example.com", "date": date}
        return Reply(200, {"sha": sha, "commit": {"author": who, "committer": who}})

    def _get_pull(self, request: RecordedRequest, pr: str, **_: str) -> Reply:
        item = self.pulls.get(int(pr))
        return Reply(200, item) if item else Reply(404, {"message": "Not Found"})

    def _list_comments(self, request: RecordedRequest, pr: str, **_: str) -> Reply:
        return self._page(request, list(self.comments.get(int(pr), [])), None)

    def _create_comment(self, request: RecordedRequest, pr: str, **_: str) -> Reply:
        if self.read_only:
            return Reply(403, {"message": NOT_ACCESSIBLE})
        body = json.loads(request.body or b"{}").get("body", "")
        if len(body) > MAX_COMMENT:
            return Reply(422, {"message": "Validation Failed", "errors": [{"field": "body"}]})
        item = self.add_comment(int(pr), body)
        return Reply(201, item, headers={"Location": item["url"]})

    def _find_comment(self, cid: str) -> dict[str, Any] | None:
        for items in self.comments.values():
            for item in items:
                if item["id"] == int(cid):
                    return item
        return None

    def _get_comment(self, request: RecordedRequest, cid: str, **_: str) -> Reply:
        item = self._find_comment(cid)
        return Reply(200, item) if item else Reply(404, {"message": "Not Found"})

    def _edit_comment(self, request: RecordedRequest, cid: str, **_: str) -> Reply:
        item = self._find_comment(cid)
        if item is None:
            return Reply(404, {"message": "Not Found"})
        actor = self.user_login or "github-actions[bot]"
        if self.read_only or item["user"]["login"] != actor:
            return Reply(403, {"message": NOT_ACCESSIBLE})
        body = json.loads(request.body or b"{}").get("body", "")
        if len(body) > MAX_COMMENT:
            return Reply(422, {"message": "Validation Failed"})
        item.update(body=body, updated_at=_stamp(self._next_id()))
        return Reply(200, item)

    def _list_issues(self, request: RecordedRequest, **_: str) -> Reply:
        wanted = {x for x in request.query.get("labels", "").split(",") if x}
        state = request.query.get("state", "open")
        items = [
            i
            for i in sorted(self.issues.values(), key=lambda i: i["number"], reverse=True)
            if (state == "all" or i["state"] == state)
            and wanted <= {label["name"] for label in i["labels"]}
        ]
        return self._page(request, items, None)

    def _create_issue(self, request: RecordedRequest, **_: str) -> Reply:
        if self.read_only:
            return Reply(403, {"message": NOT_ACCESSIBLE})
        data = json.loads(request.body or b"{}")
        labels = tuple(str(x) for x in data.get("labels", []))
        item = self.add_issue(str(data.get("title", "")), str(data.get("body", "")), labels=labels)
        return Reply(201, item, headers={"Location": item["url"]})

    def _get_issue(self, request: RecordedRequest, num: str, **_: str) -> Reply:
        item = self.issues.get(int(num))
        return Reply(200, item) if item else Reply(404, {"message": "Not Found"})

    def _edit_issue(self, request: RecordedRequest, num: str, **_: str) -> Reply:
        item = self.issues.get(int(num))
        if item is None:
            return Reply(404, {"message": "Not Found"})
        if self.read_only:
            return Reply(403, {"message": NOT_ACCESSIBLE})
        data = json.loads(request.body or b"{}")
        item.update({k: v for k, v in data.items() if k in ("body", "title", "state")})
        item["updated_at"] = _stamp(self._next_id())
        return Reply(200, item)

    def _list_issue_events(self, request: RecordedRequest, num: str, **_: str) -> Reply:
        return self._page(request, list(self.issue_events.get(int(num), [])), None)

    # --- check runs ----------------------------------------------------------------------

    def _create_check_run(self, request: RecordedRequest, **_: str) -> Reply:
        if self.read_only or not self.checks_write:
            return Reply(403, {"message": NOT_ACCESSIBLE})
        data = json.loads(request.body or b"{}")
        if not data.get("name") or not data.get("head_sha"):
            return Reply(422, {"message": "Validation Failed", "errors": [{"field": "name"}]})
        problem = _check_output_problem(data.get("output"))
        if problem:
            return Reply(422, {"message": "Validation Failed", "errors": [{"field": problem}]})
        run_id = self._next_id()
        run: dict[str, Any] = example("checks-create.201.default", **self._where())
        run.update(
            id=run_id,
            name=data["name"],
            head_sha=data["head_sha"],
            url=f"{self.base_url}/repos/{self.repo}/check-runs/{run_id}",
            html_url=f"https://github.com/{self.repo}/runs/{run_id}",
            external_id=data.get("external_id", ""),
            details_url=data.get("details_url"),
            pull_requests=[],
        )
        run["app"] = {**run["app"], "slug": "github-actions", "name": "GitHub Actions"}
        self.annotations[run_id] = []
        self._apply_check_edit(run, data)
        self.check_runs[run_id] = run
        return Reply(201, run, headers={"Location": run["url"]})

    def _get_check_run(self, request: RecordedRequest, cid: str, **_: str) -> Reply:
        run = self.check_runs.get(int(cid))
        return Reply(200, run) if run else Reply(404, {"message": "Not Found"})

    def _edit_check_run(self, request: RecordedRequest, cid: str, **_: str) -> Reply:
        run = self.check_runs.get(int(cid))
        if run is None:
            return Reply(404, {"message": "Not Found"})
        if self.read_only or not self.checks_write:
            return Reply(403, {"message": NOT_ACCESSIBLE})
        data = json.loads(request.body or b"{}")
        problem = _check_output_problem(data.get("output"))
        if problem:
            return Reply(422, {"message": "Validation Failed", "errors": [{"field": problem}]})
        self._apply_check_edit(run, data)
        return Reply(200, run)

    def _apply_check_edit(self, run: dict[str, Any], data: Mapping[str, Any]) -> None:
        """As GitHub does: a conclusion completes the run; annotations are appended."""
        for key in ("name", "status", "conclusion", "details_url", "external_id"):
            if key in data:
                run[key] = data[key]
        if data.get("conclusion"):
            run["status"] = "completed"
        stamp = _stamp(self._next_id())
        run.setdefault("started_at", stamp)
        run["completed_at"] = stamp if run.get("status") == "completed" else None
        output = data.get("output")
        if isinstance(output, Mapping):
            notes = self.annotations.setdefault(run["id"], [])
            notes.extend(output.get("annotations") or [])
            run["output"] = {
                **run["output"],
                "title": output["title"],
                "summary": output["summary"],
                "text": output.get("text"),
                "annotations_count": len(notes),
                "annotations_url": f"{run['url']}/annotations",
            }

    def _list_check_runs(self, request: RecordedRequest, sha: str, **_: str) -> Reply:
        name = request.query.get("check_name")
        runs = [
            r
            for r in sorted(self.check_runs.values(), key=lambda r: r["id"], reverse=True)
            if r["head_sha"] == sha and (name is None or r["name"] == name)
        ]
        return self._page(request, runs, "check_runs")

    def _list_labels(self, request: RecordedRequest, num: str, **_: str) -> Reply:
        """A pull request's labels as set (none unless set), an issue's as seeded."""
        number = int(num)
        names = self.pr_labels.get(number)
        if names is None and number in self.issues:
            names = [label["name"] for label in self.issues[number]["labels"]]
        items = [{"id": i + 1, "name": name} for i, name in enumerate(names or [])]
        return self._page(request, items, None)

    def _page(self, request: RecordedRequest, items: list[Any], key: str | None) -> Reply:
        per_page = min(int(request.query.get("per_page", 30)), 100)
        page = max(int(request.query.get("page", 1)), 1)
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        body: Any = chunk if key is None else {"total_count": len(items), key: chunk}
        links = self._links(request, page, last)
        return Reply(200, body, headers={"Link": links} if links else {})

    def _links(self, request: RecordedRequest, page: int, last: int) -> str:
        def url(n: int) -> str:
            query = {**request.query, "page": str(n)}
            return f"<{self.base_url}{request.path}?{urlencode(query)}>"

        rels = []
        if page < last:
            rels += [f'{url(page + 1)}; rel="next"', f'{url(last)}; rel="last"']
        if page > 1:
            rels += [f'{url(page - 1)}; rel="prev"', f'{url(1)}; rel="first"']
        return ", ".join(rels)


def _run_matches(run: Mapping[str, Any], query: Mapping[str, str], wf: str | None) -> bool:
    if wf is not None and wf not in (str(run["workflow_id"]), run["path"].rsplit("/", 1)[-1]):
        return False
    if "branch" in query and run["head_branch"] != query["branch"]:
        return False
    if "event" in query and run["event"] != query["event"]:
        return False
    if "head_sha" in query and run["head_sha"] != query["head_sha"]:
        return False
    status = query.get("status")
    return status is None or status in (run["status"], run["conclusion"])


def _check_output_problem(output: Any) -> str:
    """Which field of a check run's ``output`` GitHub would refuse, or ``""``."""
    if output is None:
        return ""
    if not isinstance(output, Mapping) or not output.get("title") or "summary" not in output:
        return "output"
    if len(str(output["summary"])) > MAX_CHECK_SUMMARY:
        return "output.summary"
    notes = output.get("annotations") or []
    if len(notes) > MAX_CHECK_ANNOTATIONS:
        return "output.annotations"
    for note in notes:
        line = note.get("start_line")
        if not note.get("path") or not isinstance(line, int) or line < 1:
            return "output.annotations.path"
        if note.get("annotation_level") not in ANNOTATION_LEVELS or not note.get("message"):
            return "output.annotations.message"
    return ""


def _user_type(login: str) -> str:
    return "Bot" if login.endswith("[bot]") else "User"


def _stamp(offset: int) -> str:
    moment = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=offset)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def iter_runs(fake: FakeGitHub) -> Iterator[dict[str, Any]]:
    """The seeded runs, newest first (as the API lists them)."""
    yield from sorted(fake.runs, key=lambda r: (r["created_at"], r["id"]), reverse=True)
