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
"""

from __future__ import annotations

from aiwf_ci.loadgen.burst import run_burst
from aiwf_ci.loadgen.models import Engine, HTTPRequest, LoadOptions, LoadReport
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
