"""Read pytest-benchmark JSON (``--benchmark-json`` or a ``--benchmark-save`` file).

Teams with pytest-benchmark suites can gate on them without rewriting them. Times are
seconds per iteration. ``stats.data`` (per-round times, already divided by the iterations per
round) is present in ``--benchmark-json`` files and in saved files made with
``--benchmark-save-data``; it becomes the raw samples of ``duration``. Without it the metric is
``summary_only`` and its stats come from the file's min/max/mean/median/stddev/iqr (p95/p99
are estimated, see ``common``). Results are named by ``fullname`` (``file.py::test[param]``),
which stays unique and stable across runs: a name that comes twice means a file put together
from two runs, refused rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiwf_ci.ingest.common import Source, ingested, short
from aiwf_ci.models import BenchmarkResult, JSONValue, Metric

FORMAT = "pytest-benchmark"
HINT = "write it with `pytest --benchmark-json=FILE`"


def parse(text: str, source: str) -> tuple[BenchmarkResult, ...]:
    """Every benchmark of a pytest-benchmark JSON document."""
    src = Source(source, FORMAT, HINT)
    benchmarks = src.entries(text, "benchmarks")
    results = tuple(_benchmark(src, b, f"benchmarks[{i}]") for i, b in enumerate(benchmarks))
    first: dict[str, int] = {}
    for index, result in enumerate(results):
        if result.name in first:
            raise src.error(
                f"benchmarks[{index}].fullname {short(result.name, 80)} is also "
                f"benchmarks[{first[result.name]}]'s; pytest-benchmark never writes a name "
                "twice (a file joined from two runs?)"
            )
        first[result.name] = index
    return results


def _benchmark(src: Source, value: object, where: str) -> BenchmarkResult:
    bench = src.mapping(value, where)
    name = src.string(bench.get("fullname") or bench.get("name"), f"{where}.fullname")
    stats = src.mapping(bench.get("stats"), f"{where}.stats")
    extra: dict[str, JSONValue] = {
        "group": bench.get("group"),
        "params": bench.get("params"),
        "extra_info": bench.get("extra_info") or {},
        "rounds": stats.get("rounds"),
        "iterations": stats.get("iterations"),
    }
    if stats.get("data"):
        data = src.numbers(stats["data"], f"{where}.stats.data")
        metric = src.metric(data, f"{where}.stats.data", unit="s", direction="lower")
    else:
        metric, estimated = _summary(src, stats, f"{where}.stats")
        extra["estimated_stats"] = {"duration": list(estimated)}
    return ingested(name, {"duration": metric}, fmt=FORMAT, extra=extra)


def _summary(
    src: Source, stats: Mapping[str, JSONValue], where: str
) -> tuple[Metric, tuple[str, ...]]:
    names = ("mean", "median", "stddev", "min", "max", *(["iqr"] if "iqr" in stats else []))
    return src.summary(src.stats(stats, where, names), where, unit="s", direction="lower")
