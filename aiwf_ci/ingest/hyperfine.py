"""Read hyperfine ``--export-json`` files.

hyperfine is the usual way to benchmark whole commands; its ``times`` array (seconds, one per
run) becomes the raw samples of ``duration``. ``stddev`` is null for a single run: the samples
make it 0, as ``stats.stddev`` defines. ``user``/``system`` are means only (no per-run values),
so they go to ``extra`` rather than becoming a metric with invented spread. A non-zero or null
(killed by a signal) entry in ``exit_codes`` — only possible with ``--ignore-failure`` — is an
error on the result. Files from old hyperfine versions without ``times`` are read as
``summary_only``. hyperfine may run one command twice in a run (a noise check): the second
is named ``command #2`` (see ``common.dedupe_names``), in the order hyperfine ran them.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiwf_ci.ingest.common import Source, ingested, short
from aiwf_ci.models import BenchmarkResult, JSONValue, Metric

FORMAT = "hyperfine"
HINT = "write it with `hyperfine --export-json FILE COMMAND...`"


def parse(text: str, source: str) -> tuple[BenchmarkResult, ...]:
    """One result per benchmarked command."""
    src = Source(source, FORMAT, HINT)
    results = src.entries(text, "results")
    return tuple(_command(src, r, f"results[{i}]") for i, r in enumerate(results))


def _command(src: Source, value: object, where: str) -> BenchmarkResult:
    row = src.mapping(value, where)
    name = src.string(row.get("command"), f"{where}.command")
    extra: dict[str, JSONValue] = {
        "user_mean": row.get("user"),
        "system_mean": row.get("system"),
    }
    if "parameters" in row:
        extra["parameters"] = row["parameters"]
    if row.get("times") is not None:
        times = src.numbers(row["times"], f"{where}.times")
        metric = src.metric(times, f"{where}.times", unit="s", direction="lower")
    else:
        metric, estimated = _summary(src, row, where)
        extra["estimated_stats"] = {"duration": list(estimated)}
    errors = _exit_errors(src, row.get("exit_codes"), f"{where}.exit_codes")
    return ingested(name, {"duration": metric}, fmt=FORMAT, errors=errors, extra=extra)


def _summary(
    src: Source, row: Mapping[str, JSONValue], where: str
) -> tuple[Metric, tuple[str, ...]]:
    if row.get("stddev") is None:  # a single run
        row = {**row, "stddev": 0.0}
    reported = src.stats(row, where, ("mean", "median", "stddev", "min", "max"))
    return src.summary(reported, where, unit="s", direction="lower")


def _exit_errors(src: Source, value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    codes = src.items(value, where)
    failed = [c for c in codes if c != 0]
    if not failed:
        return ()
    shown = ", ".join(sorted({"signal" if c is None else short(c, 20) for c in failed})[:10])
    return (f"the command failed in {len(failed)} of {len(codes)} runs (exit codes: {shown})",)
