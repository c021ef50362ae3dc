"""Interleaved A/B runs (``aiwf-ci ab``): base and head measured alternately, chunk by chunk.

Why: on a shared machine a busy stretch slows a whole block of runs by 1.5–2.5×, and when
the base and the head are measured in two separate blocks no test on the samples can tell
that from a real change. Splitting each benchmark's iterations into
K chunks run A B A B … puts both sides under the same stretches of noise, as
``asv continuous`` does.

Per benchmark: ``schedule`` (pure) decides the order of the chunks; which side goes first
alternates from benchmark to benchmark so neither is always measured "cold". Each side
warms up once, before its first chunk. The memory pass (which is separate from the timed
runs and slow) is run only in each side's last chunk, so its metrics describe one pass as
in ``aiwf-ci run``. Kinds whose iterations are not independent samples (``ingest`` runs a
harness once and parses its file) are run as one chunk per side. ``join_chunks`` (pure)
glues a side's chunks back into one ``BenchmarkResult``.

The library never prints: progress goes to a ``RunListener``, one started/finished pair
per chunk (the chunk's name carries ``[base 2/5]``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from aiwf_ci.config.models import BenchmarkConfig, SuiteConfig
from aiwf_ci.errors import ConfigError
from aiwf_ci.models import Alert, BenchmarkResult, Commit, JSONValue, Metric, Results, Series
from aiwf_ci.run.project import Tree
from aiwf_ci.run.runner import RunListener, SilentListener, call_workload, tree_context
from aiwf_ci.workloads import Workload, get_workload

Side = Literal["base", "head"]
SIDES: tuple[Side, Side] = ("base", "head")
DEFAULT_CHUNKS = 5
UNCHUNKED_KINDS = frozenset({"ingest"})
"""Kinds run as a single chunk per side: their "iterations" are not separate samples."""


def other(side: Side) -> Side:
    return "head" if side == "base" else "base"


def split(iterations: int, chunks: int) -> list[int]:
    """``iterations`` in near-equal parts (larger first), at most one part per iteration."""
    parts = max(1, min(chunks, iterations))
    size, extra = divmod(max(iterations, 0), parts)
    return [size + (1 if i < extra else 0) for i in range(parts)]


def schedule(iterations: int, chunks: int, first: Side = "base") -> list[tuple[Side, int]]:
    """The chunk order of one benchmark: ``first``, the other side, ``first``, … .

    Both sides get the same chunk sizes, so each pair of neighbouring chunks measures the
    same number of iterations of each side under (nearly) the same machine state.
    """
    second = other(first)
    return [(side, n) for n in split(iterations, chunks) for side in (first, second)]


@dataclass(frozen=True, slots=True, kw_only=True)
class SideSetup:
    """One source tree: its loaded config, its prepared environment and the commit its
    results file records."""

    config: SuiteConfig
    tree: Tree
    commit: Commit = field(default_factory=Commit)


@dataclass(frozen=True, slots=True, kw_only=True)
class InterleaveOptions:
    chunks: int = DEFAULT_CHUNKS
    environment: Mapping[str, JSONValue] = field(default_factory=dict)
    workloads: Callable[[str], Workload] = get_workload


def run_interleaved(
    sides: Mapping[Side, SideSetup],
    pairs: Sequence[tuple[BenchmarkConfig, BenchmarkConfig]],
    options: InterleaveOptions,
    listener: RunListener | None = None,
) -> dict[Side, Results]:
    """Run every (base, head) benchmark pair interleaved; one ``Results`` per side.

    ``pairs`` holds each benchmark as configured in the base tree and in the head tree
    (same name; the command or callable may differ, that is the point).
    """
    events = listener or SilentListener()
    joined: dict[Side, list[BenchmarkResult]] = {"base": [], "head": []}
    for index, (base_bench, head_bench) in enumerate(pairs, start=1):
        benches: dict[Side, BenchmarkConfig] = {"base": base_bench, "head": head_bench}
        first: Side = "base" if index % 2 else "head"
        results = _run_pair(benches, sides, first, (index, len(pairs)), options, events)
        for side in SIDES:
            joined[side].extend(results[side])
    environment = {**options.environment, "interleaved": {"chunks": options.chunks}}
    return {
        side: Results(
            suite=sides[side].config.suite,
            benchmarks=tuple(joined[side]),
            commit=sides[side].commit,
            environment=dict(environment),
        )
        for side in SIDES
    }


def _run_pair(
    benches: Mapping[Side, BenchmarkConfig],
    sides: Mapping[Side, SideSetup],
    first: Side,
    position: tuple[int, int],
    options: InterleaveOptions,
    events: RunListener,
) -> dict[Side, tuple[BenchmarkResult, ...]]:
    """One benchmark, both sides, chunk by chunk; a side stops at its first failed chunk."""
    base = benches["base"]
    chunked = base.kind not in UNCHUNKED_KINDS and benches["head"].kind not in UNCHUNKED_KINDS
    iterations = base.settings.iterations
    plan = (
        schedule(iterations, options.chunks, first)
        if chunked
        else [(first, iterations), (other(first), iterations)]
    )
    count = len(plan) // 2
    done: dict[Side, list[tuple[BenchmarkResult, ...]]] = {"base": [], "head": []}
    for side, n in plan:
        previous = done[side]
        if previous and any(r.failed for r in previous[-1]):
            continue
        number = len(previous) + 1
        bench = chunk_config(benches[side], n, first=number == 1, last=number == count)
        label = replace(bench, name=f"{bench.name} [{side} {number}/{count}]")
        previous.append(_run_chunk(bench, label, sides[side], position, options, events, chunked))
    out: dict[Side, tuple[BenchmarkResult, ...]] = {}
    for side in SIDES:
        chunks = done[side]
        if chunked:
            flat = [r for chunk in chunks for r in chunk]
            out[side] = (join_chunks(benches[side], flat, chunks=len(chunks)),)
        else:
            out[side] = chunks[0] if chunks else ()
    return out


def pair_benchmarks(
    base: Sequence[BenchmarkConfig], head: Sequence[BenchmarkConfig]
) -> tuple[list[tuple[BenchmarkConfig, BenchmarkConfig]], str]:
    """Benchmarks of both trees matched by name (base order), and a note on the others.

    A benchmark added or removed by the change cannot be compared; it is left out and the
    note says so, rather than failing the whole run.
    """
    by_name = {b.name: b for b in head}
    pairs = [(b, by_name[b.name]) for b in base if b.name in by_name]
    base_names = {b.name for b in base}
    only_base = [b.name for b in base if b.name not in by_name]
    only_head = [b.name for b in head if b.name not in base_names]
    if not pairs:
        raise ConfigError(
            "the base and head configs have no benchmark name in common",
            field="ab",
            fix="interleaved runs compare benchmarks of the same name",
        )
    notes = [
        f"only in {side}: {', '.join(names)}"
        for side, names in (("base", only_base), ("head", only_head))
        if names
    ]
    note = ""
    if notes:
        note = f"comparing the {len(pairs)} common benchmark(s); skipped {'; '.join(notes)}"
    return pairs, note


def chunk_config(bench: BenchmarkConfig, n: int, *, first: bool, last: bool) -> BenchmarkConfig:
    """The benchmark as run for one chunk: ``n`` iterations, warm-up and memory pass once."""
    settings = bench.settings
    memory = settings.memory if last else replace(settings.memory, enabled=False)
    return replace(
        bench,
        settings=replace(
            settings, warmup=settings.warmup if first else 0, iterations=n, memory=memory
        ),
    )


def _run_chunk(
    bench: BenchmarkConfig,
    label: BenchmarkConfig,
    side: SideSetup,
    position: tuple[int, int],
    options: InterleaveOptions,
    events: RunListener,
    chunked: bool,
) -> tuple[BenchmarkResult, ...]:
    """One workload call, failures turned into error results (as ``run_suite`` does)."""
    events.started(label, *position)
    ctx = tree_context(side.tree, side.config, lambda s: events.log(label, s))
    start = time.perf_counter()
    results = call_workload(options.workloads, bench, ctx)
    seconds = time.perf_counter() - start
    for result in results:
        events.finished(replace(result, name=label.name) if chunked else result, seconds)
    return results


def join_chunks(
    bench: BenchmarkConfig, parts: Sequence[BenchmarkResult], *, chunks: int
) -> BenchmarkResult:
    """One side's chunk results as one result, as if its iterations had run in one go.

    Samples of a metric measured in several chunks are concatenated (config order) and its
    statistics recomputed; a metric from one chunk only (the memory pass) or a summary-only
    one is kept as measured. Errors, alerts, series and extras of every chunk are kept.
    """
    if not parts:
        return BenchmarkResult(name=bench.name, kind=bench.kind, errors=("no chunk was run",))
    metrics: dict[str, Metric] = {}
    for name in dict.fromkeys(n for part in parts for n in part.metrics):
        found = [part.metrics[name] for part in parts if name in part.metrics]
        if len(found) == 1 or any(m.summary_only for m in found):
            metrics[name] = found[-1]
        else:
            samples = [s for m in found for s in m.samples]
            metrics[name] = Metric.from_samples(
                samples, unit=found[0].unit, direction=found[0].direction
            )
    alerts: list[Alert] = []
    for alert in (a for part in parts for a in part.alerts):
        if alert not in alerts:
            alerts.append(alert)
    series: dict[str, Series] = {}
    extra: dict[str, JSONValue] = {}
    for part in parts:
        series.update(part.series)
        extra.update(part.extra)
    extra.update(iterations=bench.settings.iterations, warmup=bench.settings.warmup, chunks=chunks)
    return BenchmarkResult(
        name=bench.name,
        kind=parts[0].kind,
        metrics=metrics,
        errors=tuple(dict.fromkeys(e for part in parts for e in part.errors)),
        alerts=tuple(alerts),
        series=series,
        extra=extra,
    )
