"""The client's explicit settings and the counters it reports; plain data, no I/O.

The library never reads ``os.environ``: the action builds :class:`ClientSettings` from
``GITHUB_API_URL``, ``GITHUB_REPOSITORY``, the ``github-token`` and ``cache-dir`` inputs and
passes it in. The token is kept out of ``repr`` so a settings object can be logged safely.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from aiwf_ci.redaction import register


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientSettings:
    """Everything a :class:`~aiwf_ci.github.client.GitHubClient` needs, made explicit.

    ``api_url`` comes from ``GITHUB_API_URL`` (GitHub Enterprise Server differs from the
    public API). The knobs, by concern: what is asked and kept (``ttl``: seconds a cached
    answer stays fresh when GitHub's ``Cache-Control: max-age`` does not say, which wins as
    HTTP says it should); how long to wait (``timeout`` per request, ``max_total_wait`` for
    the sleeps of one phase together, retries and their backoff, and ``time_budget``: the
    seconds each phase may spend on the API, counted only while a call is in the transport
    (``github.phases``), so an API that accepts connections and never answers, a port that
    drops them or an archive host that trickles ends that phase within it, never a job
    stuck for minutes, and time spent on anything else costs the API nothing); how
    fast to go (a token bucket of ``requests_per_second`` and ``burst``, slower still when
    fewer than ``slow_below_remaining`` requests of the rate limit are left).
    """

    token: str = field(repr=False)
    api_url: str
    repository: str
    cache_dir: Path
    ttl: int = 5 * 60
    per_page: int = 100
    user_agent: str = "aiwf-ci"
    timeout: float = 30.0
    max_total_wait: float = 60.0
    max_retries: int = 4
    backoff_base: float = 1.0
    backoff_cap: float = 30.0
    time_budget: float = 2 * 60.0
    requests_per_second: float = 10.0
    burst: int = 20
    slow_below_remaining: int = 50

    def __post_init__(self) -> None:
        register(self.token)  # out of every text that leaves the process
        owner, _, name = self.repository.partition("/")
        if not owner or not name or "/" in name:
            raise ValueError(f"repository must be 'owner/name', not {self.repository!r}")
        if not self.api_url.startswith(("http://", "https://")):
            raise ValueError(f"api_url must be an http(s) URL, not {self.api_url!r}")


@dataclass(slots=True, kw_only=True)
class ApiStats:
    """What the client did, for the report's "GitHub API" line and the benchmark.

    ``requests_sent`` counts requests that reached the API (a 304 included); ``cache_hits``
    answers served from the cache without any request.
    """

    requests_sent: int = 0
    cache_hits: int = 0
    not_modified: int = 0
    rate_limit_remaining: int | None = None

    @property
    def hit_rate(self) -> float | None:
        """Share of answers served without a full response: hits and 304s over all answers."""
        answered = self.cache_hits + self.requests_sent
        return None if answered == 0 else (self.cache_hits + self.not_modified) / answered

    def as_dict(self) -> dict[str, int | float | None]:
        rate = self.hit_rate
        return {**asdict(self), "hit_rate": None if rate is None else round(rate, 3)}
