"""Rounds are paired only within one interleaved run (``aiwf_ci.verdict.pairing``).

Two files of different ``ab`` runs both number their rounds 1, 2, 3...; pairing them by that
number compared a base run on a machine 7% faster round by round ("regression, p =
0.00098"). Files carry their run's id; ``compare`` pairs only matching ids and says why not.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import pytest

from aiwf_ci.models import BenchmarkResult, Metric, Results
from aiwf_ci.report import ReportContext, comparison_to_dict, render_comment, render_text
from aiwf_ci.run.merge import merge_results
from aiwf_ci.verdict.compare import compare
from aiwf_ci.verdict.model import Report
from aiwf_ci.verdict.pairing import (
    DIFFERENT_RUNS,
    NO_RUN_ID,
    new_run_id,
    one_run,
    run_ids,
    unpaired_reason,
)
from aiwf_ci.verdict.thresholds import Threshold, build_rules

RULES = build_rules({"duration": Threshold(metric="duration", relative=0.05)})
DESIGN = {"alpha": 0.01, "beta": 0.05, "max_rounds": 100, "min_rounds": 11, "look_every": 2}


def rounds_metric(centre: float, seed: int, rounds: int = 11) -> Metric:
    """Interleaved rounds of 3 samples with 1% noise of their own."""
    rng = random.Random(seed)
    values = [centre * (1 + rng.gauss(0, 0.01)) for _ in range(3 * rounds)]
    return Metric.from_samples(values, unit="s", rounds=[i // 3 for i in range(3 * rounds)])


def side(centre: float, seed: int, run_id: str | None, **env: Any) -> Results:
    record: dict[str, Any] = {"design": {**DESIGN, "rho": 1.0}}
    if run_id is not None:
        record["run_id"] = run_id
    bench = BenchmarkResult(
        name="sort", kind="command", metrics={"duration": rounds_metric(centre, seed)}
    )
    return Results(suite="s", benchmarks=(bench,), environment={"interleaved": record, **env})


def two_runs_on_two_machines(head_id: str | None, base_id: str | None) -> tuple[Results, Results]:
    """The same code measured by two A/A runs: the base file of the run on a machine 7%
    faster, the head file of the run on the slower one."""
    return side(0.0100, 1, base_id), side(0.0107, 2, head_id)


def test_files_of_two_different_runs_are_compared_unpaired_and_the_report_says_why() -> None:
    base, head = two_runs_on_two_machines(head_id="run-b", base_id="run-a")
    comparison = compare(base, head, RULES)
    row = comparison.benchmarks[0].metrics[0]
    assert row.method == "Mann-Whitney" and row.rounds == 0  # was: Wilcoxon, p = 0.00098
    assert comparison.policy.unpaired == DIFFERENT_RUNS
    files = ReportContext(design="files")
    expected = "two results files with rounds, rounds from two different runs: compared unpaired"
    assert f"How measured: {expected} (Mann-Whitney)" in render_comment(Report.of(comparison))
    assert f"measured: {expected}" in render_text(Report.of(comparison), files)
    design = comparison_to_dict(comparison, files)["design"]
    assert design["paired"] is False and DIFFERENT_RUNS in design["text"]


def test_the_two_files_of_one_run_are_paired() -> None:
    base, head = two_runs_on_two_machines(head_id="one-run", base_id="one-run")
    comparison = compare(base, head, RULES)
    row = comparison.benchmarks[0].metrics[0]
    # looks are at even round counts: of the 11 stored rounds, the look at 10 decides, every
    # round worse (the exact two-sided p of 10 positive signs)
    assert row.method == "Wilcoxon signed-rank" and row.rounds == 10
    assert row.verdict == "regression" and row.p_value == pytest.approx(2 / 2**10)
    assert comparison.policy.unpaired == "" and comparison.policy.same_run
    assert "paired rounds" in render_text(Report.of(comparison))


def test_old_files_without_a_run_id_cannot_be_told_apart_and_are_compared_unpaired() -> None:
    base, head = two_runs_on_two_machines(head_id=None, base_id=None)
    comparison = compare(base, head, RULES)
    row = comparison.benchmarks[0].metrics[0]
    assert row.method == "Mann-Whitney" and row.rounds == 0
    assert comparison.policy.unpaired == NO_RUN_ID
    assert "older aiwf-ci" in render_text(Report.of(comparison))
    assert comparison.policy.same_run  # a base that failed is still never a pass


def test_a_file_with_a_run_id_and_one_without_come_from_two_runs() -> None:
    for base_id, head_id in (("run-a", None), (None, "run-a")):
        base, head = two_runs_on_two_machines(head_id=head_id, base_id=base_id)
        comparison = compare(base, head, RULES)
        assert comparison.policy.unpaired == DIFFERENT_RUNS
        assert comparison.benchmarks[0].metrics[0].rounds == 0
        assert not comparison.policy.same_run


@pytest.mark.parametrize(
    ("base_id", "head_id"),
    [("one-run", "one-run"), ("run-a", "run-b"), (None, None), ("run-a", None), (None, "run-a")],
)
def test_one_run_is_exactly_when_compare_pairs_the_rounds(
    base_id: str | None, head_id: str | None
) -> None:
    """The comment side fetches the base branch's history unless ``one_run``: it must be
    true exactly when the rounds are paired (the history only serves unpaired rows)."""
    base, head = two_runs_on_two_machines(head_id=head_id, base_id=base_id)
    paired = compare(base, head, RULES).benchmarks[0].metrics[0].rounds > 0
    assert one_run(base, head) is paired
    assert paired is (base_id == "one-run")


def test_a_base_that_failed_in_another_run_is_no_error_of_this_one() -> None:
    failed = BenchmarkResult(name="sort", kind="command", errors=("boom",))
    base_record = {"run_id": "run-a", "design": {**DESIGN, "rho": 1.0}}
    base = Results(suite="s", benchmarks=(failed,), environment={"interleaved": base_record})
    _, head = two_runs_on_two_machines(head_id="run-b", base_id="run-a")
    assert compare(base, head, RULES).benchmarks[0].verdict == "new"
    same = Results(
        suite="s",
        benchmarks=(failed,),
        environment={"interleaved": {**base_record, "run_id": "run-b"}},
    )
    assert compare(same, head, RULES).benchmarks[0].verdict == "errored"


def test_files_without_rounds_need_no_reason() -> None:
    plain = Results(
        suite="s",
        benchmarks=(
            BenchmarkResult(
                name="sort",
                kind="command",
                metrics={"duration": Metric.from_samples([0.01] * 5, unit="s")},
            ),
        ),
    )
    _, head = two_runs_on_two_machines(head_id="run-b", base_id=None)
    assert unpaired_reason(plain, head) == ""
    assert compare(plain, head, RULES).policy.unpaired == ""


def shard(run_id: str | None, name: str, centre: float) -> Results:
    record: dict[str, Any] = {"rounds": 11} | ({"run_id": run_id} if run_id else {})
    bench = BenchmarkResult(
        name=name, kind="command", metrics={"duration": rounds_metric(centre, len(name))}
    )
    return Results(suite="s", benchmarks=(bench,), environment={"interleaved": record})


def merged(*parts: Results) -> Results:
    return merge_results(parts, [f"shard{i}.json" for i in range(len(parts))])


def test_merged_shards_pair_when_they_hold_the_same_runs_in_any_order() -> None:
    base = merged(shard("run-1", "a", 0.01), shard("run-2", "b", 0.02))
    head = merged(shard("run-2", "b", 0.02), shard("run-1", "a", 0.01))
    assert run_ids(base.environment) == run_ids(head.environment) == frozenset({"run-1", "run-2"})
    assert unpaired_reason(base, head) == ""
    other = merged(shard("run-1", "a", 0.01), shard("run-3", "b", 0.02))
    assert unpaired_reason(base, other) == DIFFERENT_RUNS
    old = merged(shard(None, "a", 0.01), shard("run-2", "b", 0.02))
    assert run_ids(old.environment) is None


@pytest.mark.parametrize(
    ("environment", "ids"),
    [
        ({}, None),
        ({"interleaved": "garbage"}, None),
        ({"interleaved": {"run_id": ""}}, None),
        ({"interleaved": {"run_id": 7}}, None),
        ({"interleaved": {"run_id": "x"}}, {"x"}),
        ({"shards": [{"os": "linux"}]}, None),
    ],
)
def test_run_ids_of_odd_environments(environment: Mapping[str, Any], ids: set[str] | None) -> None:
    assert run_ids(environment) == (None if ids is None else frozenset(ids))


def test_run_ids_are_random() -> None:
    ids = {new_run_id() for _ in range(100)}
    assert len(ids) == 100 and all(len(i) == 32 for i in ids)
