"""What a load run is asked to do (``LoadOptions``, ``HTTPRequest``) and what it reports.

Independent of the suite config so the generator can be used (and tested) on its own; the
``load`` workload maps a ``LoadSpec`` onto these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal
from urllib.parse import SplitResult, urlsplit

Engine = Literal["requests", "http.client", "raw"]

# Limits no real load test comes near. A thread per worker: beyond a thousand threads a
# client only queues on the GIL (the raw engine multiplexes sockets on one thread instead).
MAX_WORKERS = 1_000
MAX_CONNECTIONS = 10_000
MAX_REQUESTS = 10_000_000  # every latency is kept (8 bytes each) for exact percentiles
MAX_RATE = 1_000_000.0
MAX_DURATION = 24 * 3600.0
MAX_REQUEST_TIMEOUT = 3600.0
MAX_BODY = 16 * 1024 * 1024
"""Bytes of one response body a client reads (and drops); beyond: ``body-too-large``."""


def check_url(url: str) -> SplitResult:
    """The parts of an ``http://`` or ``https://`` URL a client can connect to, or
    ``ValueError`` saying what is wrong (the message does not repeat the URL).

    ``urlsplit`` accepts ``http://``, ``http://h:99999`` and raises on ``http://[::1``;
    the clients would only fail on them inside their worker threads."""
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise ValueError("contains spaces or control characters; percent-encode them")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"cannot be parsed ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("is not an http:// or https:// URL")
    if not parts.hostname:
        raise ValueError("has no host name")
    if port == 0:
        raise ValueError("has port 0; give a port from 1 to 65535")
    return parts


@dataclass(frozen=True, slots=True, kw_only=True)
class HTTPRequest:
    """The request every call sends."""

    url: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadPace:
    """How a sustained run paces its calls, alike in a suite's ``load:`` (the config's
    ``LoadSpec``) and in what the generator is asked (``LoadOptions``): ``concurrency``
    workers started evenly over ``ramp_up`` seconds; calls stop being issued at ``duration``
    seconds (ramp-up included) or after ``requests`` calls, whichever comes first; ``rate``
    caps calls per second across all workers; a call may take ``request_timeout`` seconds."""

    concurrency: int = 8
    ramp_up: float = 0.0
    duration: float | None = None
    requests: int | None = None
    rate: float | None = None
    request_timeout: float = 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadOptions(LoadPace):
    """One sustained run, paced as ``LoadPace`` says.

    ``hard_limit`` bounds the whole run, in-flight calls included: at that point the run
    returns even if a call is stuck (the call is counted as ``abandoned``).
    """

    hard_limit: float = 600.0
    max_samples: int = 10_000

    @classmethod
    def paced(cls, pace: LoadPace, *, hard_limit: float, max_samples: int) -> LoadOptions:
        """A run paced as ``pace`` (a ``LoadSpec``, say), with these limits."""
        shared: dict[str, Any] = {f.name: getattr(pace, f.name) for f in fields(LoadPace)}
        return cls(**shared, hard_limit=hard_limit, max_samples=max_samples)

    def __post_init__(self) -> None:
        if self.duration is None and self.requests is None:
            raise ValueError("a load run needs a duration or a number of requests")
        if not 1 <= self.concurrency <= MAX_CONNECTIONS:
            raise ValueError(
                f"concurrency must be from 1 to {MAX_CONNECTIONS:,}, got {self.concurrency:,}"
            )
        if self.requests is not None and not 1 <= self.requests <= MAX_REQUESTS:
            raise ValueError(f"requests must be from 1 to {MAX_REQUESTS:,}, got {self.requests:,}")


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadReport:
    """Every call of one run, settled. Percentiles are exact, over all latencies;
    ``latency_sample`` is a uniform random subset (at most ``max_samples``) kept for storage."""

    requests: int
    succeeded: int
    elapsed: float
    latency_sample: tuple[float, ...]
    latency_percentiles: Mapping[str, float]
    status_codes: Mapping[str, int]
    errors_by_kind: Mapping[str, int]
    error_examples: Mapping[str, str]
    abandoned: int = 0
    workers_started: int = 0

    @property
    def failed(self) -> int:
        return self.requests - self.succeeded

    @property
    def error_rate(self) -> float:
        return self.failed / self.requests if self.requests else 0.0

    @property
    def throughput(self) -> float:
        """Successful calls per second over the run's wall time."""
        return self.succeeded / self.elapsed if self.elapsed > 0 else 0.0
