"""The load generator: sustained load tests (ramp-up, rate cap) and burst concurrency tests.

Public API::

    factory = http_factory(HTTPRequest(url="http://127.0.0.1:8000/health"), 5.0, "requests")
    report = run_load(factory, LoadOptions(concurrency=16, ramp_up=5, duration=20))
    report.throughput, report.latency_percentiles["p99"], report.errors_by_kind

    burst = run_burst(callable_factory(my_func, 5.0), 100)   # 100 simultaneous calls
    burst.succeeded, burst.failed

Targets: ``http_factory`` (engines ``requests``, ``http.client`` and ``raw``: one thread
multiplexing every connection, the highest ceiling), ``callable_factory``,
or any factory of objects with ``call() -> (status, error_kind, detail)`` and ``close()``.
The library never prints; every run stops by itself (duration, request budget, hard limit).

Modules:
    models     what a load run is asked to do and what it reports
    sustained  a sustained run: workers ramped up, calling until the duration or budget ends
    burst      N calls released at one instant, results all-settled
    pacing     the ramp-up schedule and the shared rate cap
    targets    what a worker calls: an HTTP endpoint or a Python callable
    raw        the ``raw`` engine: one thread multiplexing keep-alive connections
    http1      just enough HTTP/1.1 for the ``raw`` engine
    poller     the ``raw`` engine's readiness wait (epoll, else poll)
    tally      per-worker counters, merged into the report
"""

from __future__ import annotations

from aiwf_ci.loadgen.burst import run_burst
from aiwf_ci.loadgen.models import Engine, HTTPRequest, LoadOptions, LoadPace, LoadReport
from aiwf_ci.loadgen.pacing import TokenBucket, ramp_offsets
from aiwf_ci.loadgen.raw import run_raw
from aiwf_ci.loadgen.sustained import run_load
from aiwf_ci.loadgen.targets import (
    CallableTarget,
    HTTPClientTarget,
    RawFactory,
    RequestsTarget,
    Target,
    TargetFactory,
    callable_factory,
    http_factory,
)

__all__ = [
    "CallableTarget",
    "Engine",
    "HTTPClientTarget",
    "HTTPRequest",
    "LoadOptions",
    "LoadPace",
    "LoadReport",
    "RawFactory",
    "RequestsTarget",
    "Target",
    "TargetFactory",
    "TokenBucket",
    "callable_factory",
    "http_factory",
    "ramp_offsets",
    "run_burst",
    "run_load",
    "run_raw",
]
