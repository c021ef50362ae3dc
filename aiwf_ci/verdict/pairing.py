"""Whether the rounds of two results files may be analysed as pairs: only rounds of one run.

Why it exists: a round pairs a chunk of base and a chunk of head measured milliseconds apart
on one machine; the per-round ratio cancels what the machine did during that round. Two
files of *different* interleaved runs also number their rounds 1, 2, 3..., but their round 5
shares nothing: pairing them compares two machines (or two moments of one) round by round,
and a base file from a machine 7% faster reads as a "regression, p = 0.00098". So every
interleaved run writes one random **run id** into both of its files
(``environment.interleaved.run_id``), and ``compare`` pairs rounds only when the ids agree;
otherwise it compares the two files unpaired, as two blocks of runs, and the report says why.

A file merged from shards (``aiwf-ci merge``) holds the rounds of several runs: its ids are
those of its shards (``environment.shards``), and two merged files pair when they hold the
same runs (a benchmark's base and head then come from one of them: merge refuses a name in
two shards).

Files written before run ids (no ``run_id``): one run or two cannot be told apart, so they
are compared **unpaired** too. That is the conservative side: an unpaired comparison of two
files of one run is still valid (it only ignores what the pairing would have cancelled, and
says ``inconclusive`` more often), while a paired comparison of two runs claims changes that
are the machines'. Re-running ``aiwf-ci ab`` writes files that pair.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from aiwf_ci.models import Results

__all__ = [
    "DIFFERENT_RUNS",
    "NO_RUN_ID",
    "RUN_ID",
    "different_runs",
    "holds_rounds",
    "new_run_id",
    "one_run",
    "run_ids",
    "unpaired_reason",
]

RUN_ID = "run_id"
"""The key of the run id in ``environment.interleaved``."""
DIFFERENT_RUNS = "rounds from two different runs: compared unpaired"
NO_RUN_ID = (
    "rounds without a run id (written by an older aiwf-ci), one run or two cannot be told "
    "apart: compared unpaired"
)


def new_run_id() -> str:
    """A random id for one interleaved run, written into both of its files."""
    return uuid.uuid4().hex


def _own_id(environment: Mapping[str, Any]) -> str | None:
    interleaved = environment.get("interleaved")
    if not isinstance(interleaved, Mapping):
        return None
    found = interleaved.get(RUN_ID)
    return found if isinstance(found, str) and found else None


def run_ids(environment: Mapping[str, Any]) -> frozenset[str] | None:
    """The interleaved runs a file's rounds come from: its run id, or the ids of the shards
    merged into it that ran interleaved; ``None`` when one of them has no id (an older file)
    or the file records no interleaved run at all."""
    shards = environment.get("shards")
    if isinstance(shards, list) and shards:
        interleaved = [s for s in shards if isinstance(s, Mapping) and "interleaved" in s]
        ids = [_own_id(s) for s in interleaved]
        if not ids or None in ids:
            return None
        return frozenset(i for i in ids if i is not None)
    own = _own_id(environment)
    return None if own is None else frozenset({own})


def holds_rounds(results: Results) -> bool:
    """Whether any metric of the file kept the round of its samples."""
    return any(m.rounds for b in results.benchmarks for m in b.metrics.values())


def different_runs(baseline: Results, head: Results) -> bool:
    """Whether the two files are known to come from different runs: their run ids differ,
    or only one of them has any (files without ids cannot be told apart)."""
    base_ids, head_ids = run_ids(baseline.environment), run_ids(head.environment)
    return base_ids != head_ids


def one_run(baseline: Results, head: Results) -> bool:
    """Whether the two files are known to come from one interleaved run (the same run ids,
    both recorded): only then are their rounds analysed as pairs; any other two files are
    compared as two separate blocks of runs."""
    ids = run_ids(head.environment)
    return ids is not None and ids == run_ids(baseline.environment)


def unpaired_reason(baseline: Results, head: Results) -> str:
    """Why the rounds of these two files must not be paired (module docstring), or ``""``
    when they come from one run or when one of them holds no rounds (nothing to pair)."""
    if not (holds_rounds(baseline) and holds_rounds(head)):
        return ""
    if different_runs(baseline, head):
        return DIFFERENT_RUNS
    return NO_RUN_ID if run_ids(head.environment) is None else ""
