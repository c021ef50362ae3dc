"""The ``ingest`` workload: run a harness's own command (optional), then read its output file
(pytest-benchmark, hyperfine, Google Benchmark, go test) into results.

One config entry can yield many benchmarks (every benchmark in the file); the runner accepts
a tuple of results from a workload for that reason. Each is named ``<entry>/<benchmark>``.
"""

from __future__ import annotations

from dataclasses import replace

from aiwf_ci.bench.process import run_process
from aiwf_ci.config.models import BenchmarkConfig, IngestSpec
from aiwf_ci.errors import IngestError
from aiwf_ci.ingest import parse_file
from aiwf_ci.models import BenchmarkResult
from aiwf_ci.workloads.base import RunContext, error_result


def run_ingest_benchmark(
    bench: BenchmarkConfig, ctx: RunContext
) -> BenchmarkResult | tuple[BenchmarkResult, ...]:
    spec = bench.workload
    assert isinstance(spec, IngestSpec)
    if spec.command:
        outcome = run_process(
            spec.command, cwd=ctx.root, env=ctx.env, timeout=bench.settings.timeout
        )
        for line in (outcome.stdout + outcome.stderr).strip().splitlines()[-20:]:
            ctx.log(line)
        if not outcome.ok:
            return error_result(bench, f"ingest command {outcome.reason(bench.settings.timeout)}")
    try:
        parsed = parse_file(spec.format, ctx.resolve(spec.file))
    except IngestError as exc:
        return error_result(bench, str(exc))
    if not parsed:
        return error_result(bench, f"{spec.file}: no benchmarks found in the {spec.format} output")
    return tuple(replace(r, name=f"{bench.name}/{r.name}") for r in parsed)
