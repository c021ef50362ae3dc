"""The results data model: what a run produces and what a baseline is compared against.

Frozen dataclasses, serialised to ``results.json`` with the schema tag ``aiwf-ci/results@1``:
the types in ``core``, writing in ``write``, reading and validation in ``read``; everything
public is importable from ``aiwf_ci.models``.

Schema history (old versions stay readable; ``tests/data/results/`` holds one file per version):
    aiwf-ci/results@1   first version (2026-11): metrics with raw samples and stats, errors,
                        alerts, series (time series such as memory over time), extra.
                        2026-12: optional ``rounds`` per metric (the round of each sample of
                        an interleaved run, so base and head can be analysed as pairs);
                        files without it read as before. Optional ``deterministic`` per
                        metric (instruction counts: compared exactly).
"""

from __future__ import annotations

from aiwf_ci.models.core import (
    READABLE_SCHEMAS,
    SCHEMA,
    Alert,
    BenchmarkResult,
    Commit,
    Direction,
    JSONValue,
    Metric,
    Results,
    Series,
    short_sha,
    utc_now,
)
from aiwf_ci.models.read import (
    MAX_RESULTS_BYTES,
    MAX_SAMPLE,
    harness_format,
    load_results,
    results_from_dict,
)
from aiwf_ci.models.write import (
    current_umask,
    dumps,
    results_to_dict,
    write_results,
    write_text_atomic,
)

__all__ = [
    "MAX_RESULTS_BYTES",
    "MAX_SAMPLE",
    "READABLE_SCHEMAS",
    "SCHEMA",
    "Alert",
    "BenchmarkResult",
    "Commit",
    "Direction",
    "JSONValue",
    "Metric",
    "Results",
    "Series",
    "current_umask",
    "dumps",
    "harness_format",
    "load_results",
    "results_from_dict",
    "results_to_dict",
    "short_sha",
    "utc_now",
    "write_results",
    "write_text_atomic",
]
