"""The ``load`` workload: a load test (``mode: sustained``) or a concurrency burst
(``mode: burst``) against an HTTP URL or a ``module:callable``, through ``aiwf_ci.loadgen``.

Sustained: each warmup or measured iteration is one whole load run (ramp-up included in
``duration``); a run gives one ``throughput`` (successful requests/s) and one ``error_rate``
sample, and all its request latencies feed ``latency`` (at most ``MAX_SAMPLES`` kept per
benchmark, drawn uniformly; ``extra.latency_percentiles`` has exact p50/p90/p95/p99/max of
every call, per run). Burst: each iteration releases ``concurrency`` simultaneous calls;
``duration`` is the time from release to the last settled call.

Failed requests are measurements (``error_rate``, ``extra.errors_by_kind``), not a failed
benchmark; but a run where every request failed (a server that is not running) is an error,
and so is a plan that cannot fit in ``timeout``. Python targets are imported in this process,
with the config's folder and the working directory on ``sys.path``.
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from aiwf_ci.config.models import BenchmarkConfig, LoadSpec
from aiwf_ci.config.yamlload import clip, quote
from aiwf_ci.loadgen import (
    HTTPRequest,
    LoadOptions,
    LoadReport,
    TargetFactory,
    callable_factory,
    http_factory,
    run_burst,
    run_load,
)
from aiwf_ci.metrics import measured
from aiwf_ci.models import BenchmarkResult
from aiwf_ci.workloads.base import RunContext, build_result, error_result
from aiwf_ci.workloads.python import sys_path_for
from aiwf_ci.workloads.python_worker import resolve

MAX_SAMPLES = 10_000
Runner = Callable[[float], LoadReport]


def run_load_benchmark(bench: BenchmarkConfig, ctx: RunContext) -> BenchmarkResult:
    spec = bench.workload
    assert isinstance(spec, LoadSpec)
    settings = bench.settings
    deadline = time.monotonic() + settings.timeout
    try:
        factory = _factory(spec, ctx)
    except Exception as exc:
        target = (
            f"use {quote(spec.url)}" if spec.url is not None else f"import {quote(spec.python)}"
        )
        return error_result(bench, f"cannot {target} as a load target: {clip(str(exc), 300)}")
    problem = _plan_problem(bench, spec)
    if problem:
        return error_result(bench, problem)
    runner = _runner(spec, factory)
    reports: list[LoadReport] = []
    for index in range(settings.warmup + settings.iterations):
        phase = "warmup" if index < settings.warmup else "run"
        report = runner(deadline - time.monotonic())
        ctx.log(_describe(f"{phase} {index + 1}", report))
        failure = _failure(bench, report, deadline, f"{phase} {index + 1}")
        if failure:
            return error_result(bench, failure)
        if index >= settings.warmup:
            reports.append(report)
    return _result(bench, spec, reports)


def _factory(spec: LoadSpec, ctx: RunContext) -> TargetFactory:
    if spec.url is not None:
        request = HTTPRequest(
            url=spec.url, method=spec.method, headers=spec.headers, body=spec.body
        )
        return http_factory(request, spec.request_timeout, spec.client)
    assert spec.python is not None
    for entry in reversed(sys_path_for(ctx)):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    func: Callable[[], Any] = resolve(spec.python)
    return callable_factory(func, spec.request_timeout)


def _plan_problem(bench: BenchmarkConfig, spec: LoadSpec) -> str:
    """A sustained plan that cannot fit in the timeout is refused before it starts."""
    runs = bench.settings.warmup + bench.settings.iterations
    if spec.mode != "sustained" or spec.duration is None:
        return ""
    planned = runs * (spec.duration + spec.request_timeout)
    if planned <= bench.settings.timeout:
        return ""
    return (
        f"{runs} load runs of {spec.duration:g}s (+{spec.request_timeout:g}s request timeout) "
        f"need up to {planned:g}s, more than timeout {bench.settings.timeout:g}s: "
        "lower warmup/iterations (one run per sample) or raise timeout"
    )


def _runner(spec: LoadSpec, factory: TargetFactory) -> Runner:
    if spec.mode == "burst":
        return lambda left: run_burst(
            factory,
            spec.concurrency,
            ready_timeout=max(0.1, min(10.0, left)),
            hard_limit=max(0.0, left),
            max_samples=MAX_SAMPLES,
        )
    return lambda left: run_load(factory, _options(spec, left))


def _options(spec: LoadSpec, left: float) -> LoadOptions:
    return LoadOptions.paced(spec, hard_limit=max(0.0, left), max_samples=MAX_SAMPLES)


def _failure(bench: BenchmarkConfig, report: LoadReport, deadline: float, where: str) -> str:
    if time.monotonic() >= deadline and report.abandoned:
        return f"{where}: timed out after {bench.settings.timeout:g}s with calls still running"
    if report.requests and report.succeeded == 0:
        kinds = ", ".join(f"{k}: {v}" for k, v in report.errors_by_kind.items())
        example = next(iter(report.error_examples.values()), "")
        return f"{where}: all {report.requests} requests failed ({kinds}); e.g. {example}"
    if report.requests == 0:
        return f"{where}: no request was made (timeout {bench.settings.timeout:g}s too short?)"
    return ""


def _describe(where: str, report: LoadReport) -> str:
    p = report.latency_percentiles
    return (
        f"{where}: {report.requests} requests in {report.elapsed:.2f}s, "
        f"{report.throughput:.1f} ok/s, errors {report.failed}, "
        f"p50 {p.get('p50', 0) * 1e3:.2f}ms p99 {p.get('p99', 0) * 1e3:.2f}ms"
    )


def _result(bench: BenchmarkConfig, spec: LoadSpec, reports: list[LoadReport]) -> BenchmarkResult:
    latencies = [x for r in reports for x in r.latency_sample]
    if len(latencies) > MAX_SAMPLES:
        latencies = random.sample(latencies, MAX_SAMPLES)
    metrics = {
        "latency": measured("latency", latencies or [0.0]),
        "throughput": measured("throughput", [r.throughput for r in reports], counting="req"),
        "error_rate": measured("error_rate", [r.error_rate for r in reports]),
    }
    if spec.mode == "burst":
        metrics["duration"] = measured("duration", [r.elapsed for r in reports])
    return build_result(bench, metrics=metrics, extra=_extra(bench, spec, reports))


def _extra(bench: BenchmarkConfig, spec: LoadSpec, reports: list[LoadReport]) -> dict[str, Any]:
    codes: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for report in reports:
        codes.update(report.status_codes)
        kinds.update(report.errors_by_kind)
        for kind, text in report.error_examples.items():
            examples.setdefault(kind, text[:300])
    return {
        "mode": spec.mode,
        "requests": sum(r.requests for r in reports),
        "succeeded": sum(r.succeeded for r in reports),
        "failed": sum(r.failed for r in reports),
        "status_codes": dict(sorted(codes.items())),
        "errors_by_kind": dict(sorted(kinds.items())),
        "error_examples": examples,
        "latency_percentiles": [dict(r.latency_percentiles) for r in reports],
        "iterations": bench.settings.iterations,
        "warmup": bench.settings.warmup,
    }
