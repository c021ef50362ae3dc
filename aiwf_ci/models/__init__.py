"""The results data model: what a run produces and what a baseline is compared against.

Frozen dataclasses, serialised to ``results.json`` with the schema tag ``aiwf-ci/results@1``;
what other packages use is importable from ``aiwf_ci.models``.

Modules:
    core        the types (metrics, alerts, series, results) and the no-negative-values rule
    read        reading and validating a results file
    write       writing one, atomically and redacted
    baseline    a baseline and the stores it comes from
    calibration  a calibration of the runner (``aiwf-ci calibrate``) and its JSON

Schema history (old versions stay readable; ``tests/data/results/`` holds one file per version):
    aiwf-ci/results@1   first version (2026-11): metrics with raw samples and stats, errors,
                        alerts, series (time series such as memory over time), extra.
                        2026-12: optional ``rounds`` per metric (the round of each sample of
                        an interleaved run, so base and head can be analysed as pairs);
                        files without it read as before. Optional ``deterministic`` per
                        metric (instruction counts: compared exactly).
                        Memory metrics in ``B`` (``bytes`` before: read as ``B``).
                        Optional top-level ``thresholds`` (the rules the run was judged
                        by: ``suite``, ``per_benchmark``, ``ignore``); files without it
                        are judged by the config or the defaults, as before.
                        ``environment.interleaved.run_id``: one random id in both files
                        of an interleaved run; rounds pair only within one run, files
                        without it are compared unpaired (``verdict.pairing``).
"""

from __future__ import annotations

from aiwf_ci.models.core import (
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
)
from aiwf_ci.models.read import load_results, results_from_dict
from aiwf_ci.models.write import dumps, results_to_dict, write_results, write_text_atomic

__all__ = [
    "SCHEMA",
    "Alert",
    "BenchmarkResult",
    "Commit",
    "Direction",
    "JSONValue",
    "Metric",
    "Results",
    "Series",
    "dumps",
    "load_results",
    "results_from_dict",
    "results_to_dict",
    "short_sha",
    "write_results",
    "write_text_atomic",
]
