"""The client's explicit settings and the counters it reports; plain frozen data, no I/O.

The library never reads ``os.environ``: the action builds :class:`ClientSettings` from
``GITHUB_API_URL``, ``GITHUB_REPOSITORY``, the ``github-token`` and ``cache-dir`` inputs and
passes it in. The token is kept out of ``repr`` so a settings object can be logged safely.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from aiwf_ci.redaction import register

DEFAULT_TTL = 300
DEFAULT_MAX_WAIT = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientSettings:
    """Everything a :class:`~aiwf_ci.github.client.GitHubClient` needs, made explicit.

    ``api_url`` comes from ``GITHUB_API_URL`` (GitHub Enterprise Server differs from the
    public API). ``ttl_by_pattern`` maps requests-cache glob patterns (``"*/actions/runs*"``)
    to seconds; ``Cache-Control: max-age`` in a response still wins, as HTTP says it should.
    ``max_total_wait`` caps every sleep of the client together (retries and pacing);
    ``time_budget`` caps the client's whole life (requests, waits, retries, downloads): an
    API that accepts connections and never answers, or a port that drops them, ends the
    GitHub side within it, never a job stuck for minutes.
    """

    token: str = field(repr=False)
    api_url: str
    repository: str
    cache_dir: Path
    ttl: int = DEFAULT_TTL
    ttl_by_pattern: Mapping[str, int] = field(default_factory=dict)
    max_total_wait: float = DEFAULT_MAX_WAIT
    max_retries: int = 4
    backoff_base: float = 1.0
    backoff_cap: float = 30.0
    l1_size: int = 256
    concurrency: int = 4
    requests_per_second: float = 10.0
    burst: int = 20
    slow_below_remaining: int = 50
    timeout: float = 30.0
    time_budget: float = 120.0
    per_page: int = 100
    max_download_bytes: int = 200 * 1024 * 1024
    user_agent: str = "aiwf-ci"

    def __post_init__(self) -> None:
        register(self.token)  # out of every text that leaves the process
        owner, _, name = self.repository.partition("/")
        if not owner or not name or "/" in name:
            raise ValueError(f"repository must be 'owner/name', not {self.repository!r}")
        if not self.api_url.startswith(("http://", "https://")):
            raise ValueError(f"api_url must be an http(s) URL, not {self.api_url!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiStats:
    """What the client did, for the report's "GitHub API" line and the benchmark.

    ``requests_sent`` counts requests that reached the API (a 304 included); ``cache_hits``
    answers served without any request (L1 or L2); ``l1_hits`` the in-memory part of those.
    """

    requests_sent: int = 0
    cache_hits: int = 0
    l1_hits: int = 0
    not_modified: int = 0
    deduplicated: int = 0
    retries: int = 0
    waited_seconds: float = 0.0
    rate_limit_remaining: int | None = None
    rate_limit_limit: int | None = None
    mean_response_ms: float | None = None

    @property
    def hit_rate(self) -> float | None:
        """Share of answers served without a full response: hits and 304s over all answers."""
        full = self.requests_sent - self.not_modified
        answered = self.cache_hits + self.not_modified + full
        return None if answered == 0 else (self.cache_hits + self.not_modified) / answered

    def as_dict(self) -> dict[str, int | float | None]:
        return {
            "requests_sent": self.requests_sent,
            "cache_hits": self.cache_hits,
            "l1_hits": self.l1_hits,
            "not_modified": self.not_modified,
            "deduplicated": self.deduplicated,
            "retries": self.retries,
            "waited_seconds": round(self.waited_seconds, 3),
            "rate_limit_remaining": self.rate_limit_remaining,
            "rate_limit_limit": self.rate_limit_limit,
            "mean_response_ms": (
                None if self.mean_response_ms is None else round(self.mean_response_ms, 2)
            ),
            "hit_rate": None if self.hit_rate is None else round(self.hit_rate, 3),
        }
