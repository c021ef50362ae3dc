"""``measure: instructions`` decisions as pure functions: the differential arithmetic, the
determinism check, I/O metrics, the exact gate and where it refuses to judge."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest

from aiwf_ci import numbers
from aiwf_ci.bench.process import IoCounters
from aiwf_ci.config.models import BenchmarkConfig, CommandSpec, PythonSpec, Settings, SuiteConfig
from aiwf_ci.models import BenchmarkResult, Metric, Results, results_from_dict, results_to_dict
from aiwf_ci.report import comparison_to_dict, render_comment, render_html, render_text
from aiwf_ci.verdict.compare import compare, compare_metric
from aiwf_ci.verdict.exact import compare_exact, exact_verdict
from aiwf_ci.verdict.machines import machines_apart
from aiwf_ci.verdict.model import Report
from aiwf_ci.verdict.thresholds import DEFAULT_RULES, Threshold
from aiwf_ci.workloads.instructions import check_valgrind, per_call_samples, relative_spread
from aiwf_ci.workloads.native import io_metrics

RULE = Threshold(metric="instructions", relative=0.005)


def counts(*values: float, deterministic: bool = True) -> Metric:
    return Metric.from_samples(values, unit="instr", deterministic=deterministic)


# --- the differential arithmetic and the determinism check -----------------------------------


def test_per_call_is_the_difference_over_the_extra_calls() -> None:
    # 2 calls: 1,000,000 start-up + 2 x 300; 4 calls: 1,000,000 + 4 x 300
    assert per_call_samples(1_000_600, [1_001_200, 1_001_200], calls=2) == (300.0, 300.0)


def test_per_call_keeps_a_large_run_that_counted_less_so_the_spread_shows_it() -> None:
    samples = per_call_samples(1_000, [1_600, 900], calls=2)
    assert samples == (300.0, -50.0)
    assert relative_spread(samples) == math.inf


def test_per_call_refuses_no_extra_calls() -> None:
    with pytest.raises(ValueError, match="calls must be positive"):
        per_call_samples(1, [2], calls=0)


@pytest.mark.parametrize(
    ("samples", "spread"),
    [((300.0, 300.0), 0.0), ((100.0, 101.0), 0.01), ((101.0, 100.0, 100.5), 0.01)],
)
def test_relative_spread(samples: tuple[float, ...], spread: float) -> None:
    assert relative_spread(samples) == pytest.approx(spread)


def test_spread_of_zero_costs() -> None:
    assert relative_spread([0.0, 0.0]) == 0.0
    assert relative_spread([0.0, 5.0]) == math.inf


# --- what counts cannot see -------------------------------------------------------------------


def io(read: int, write: int, calls: int) -> IoCounters:
    return IoCounters(
        read_chars=read,
        write_chars=write,
        read_calls=calls,
        write_calls=1,
        storage_read=0,
        storage_write=0,
    )


def test_io_metrics_per_call_and_deterministic_when_every_run_agrees() -> None:
    metrics = io_metrics([io(4096, 100, 9), io(4096, 100, 9)], per=2)
    assert metrics["io_read_bytes"].samples == (2048.0, 2048.0)
    assert metrics["io_write_bytes"].stats.median == 50.0
    assert metrics["io_calls"].samples == (5.0, 5.0)  # (9 reads + 1 write) / 2
    assert all(m.deterministic for m in metrics.values())


def test_io_metrics_that_differ_between_runs_are_not_deterministic() -> None:
    metrics = io_metrics([io(4096, 100, 9), io(4096, 100, 10)])
    assert metrics["io_read_bytes"].deterministic
    assert not metrics["io_calls"].deterministic
    assert not io_metrics([io(1, 1, 1)])["io_read_bytes"].deterministic  # one run proves nothing
    assert io_metrics([]) == {}


# --- the exact gate ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "verdict"),
    [
        (1_010_000, "regression"),  # +1%
        (1_004_000, "unchanged"),  # +0.4%, within 0.5%
        (1_000_000, "unchanged"),
        (990_000, "improvement"),  # -1%
        (996_000, "unchanged"),
    ],
)
def test_exact_gate_compares_the_change_with_the_threshold(head: int, verdict: str) -> None:
    row = compare_exact("b", "instructions", counts(1e6, 1e6), counts(head, head), RULE)
    assert row.verdict == verdict
    assert row.change == pytest.approx(head / 1e6 - 1)
    assert (row.baseline, row.head) == (1e6, head)  # the exact counts, not estimates
    assert row.method == "exact counts" and row.p_value is None and row.ci is None
    assert row.confidence == "high"


def test_exact_gate_respects_direction_and_the_absolute_minimum() -> None:
    assert exact_verdict(-0.02, "higher", RULE, 100.0, 98.0) == "regression"
    floor = replace(RULE, absolute=50_000)
    assert exact_verdict(0.01, "lower", floor, 1e6, 1.01e6) == "unchanged"  # +10,000 < 50,000
    assert exact_verdict(0.06, "lower", floor, 1e6, 1.06e6) == "regression"


def test_exact_gate_without_a_threshold_reports_only() -> None:
    row = compare_exact("b", "io_calls", counts(10, 10), counts(20, 20), None)
    assert row.verdict == "unchanged" and "reported only" in row.note
    assert row.change == pytest.approx(1.0)


def test_counts_from_unlike_machines_are_inconclusive_never_a_pass() -> None:
    row = compare_exact("b", "instructions", counts(1e6), counts(1e6), RULE, "CPU model differs")
    assert row.verdict == "inconclusive"
    assert "CPU model differs" in row.note and "same-runner" in row.note


def test_compare_metric_uses_the_exact_gate_only_when_both_sides_are_deterministic() -> None:
    base, head = counts(1e6, 1e6), counts(1.02e6, 1.02e6)
    assert compare_metric("b", "instructions", base, head, RULE).method == "exact counts"
    loose = counts(1.02e6, 1.02e6, deterministic=False)
    assert compare_metric("b", "instructions", base, loose, RULE).method != "exact counts"


def test_machines_apart_names_what_counts_depend_on() -> None:
    a = {"cpu_model": "AMD EPYC 7763", "python": "3.12.1", "cores": 2}
    assert machines_apart(a, dict(a)) == ""
    assert machines_apart(a, {**a, "cores": 4}) == ""  # cores do not change counts
    assert machines_apart(a, {**a, "cpu_model": "Intel Xeon 8370C"}) == "CPU model differs"
    both = machines_apart(a, {**a, "cpu_model": "x", "python": "3.12.2"})
    assert both == "CPU model, Python differ"
    assert machines_apart({}, a) == ""  # unknown is not held against them


def results(count: float, env: dict[str, object]) -> Results:
    bench = BenchmarkResult(name="b", kind="python", metrics={"instructions": counts(count, count)})
    return Results(suite="s", benchmarks=(bench,), environment=env)  # type: ignore[arg-type]


def test_compare_of_two_results_files_gates_counts_exactly_and_checks_the_machines() -> None:
    env = {"cpu_model": "AMD EPYC 7763", "python": "3.12.1"}
    same = compare(results(1e6, env), results(1.01e6, env), DEFAULT_RULES)
    assert same.benchmarks[0].verdict == "regression" and same.status == "regression"
    other = compare(results(1e6, env), results(1.01e6, {**env, "cpu_model": "x"}))
    assert other.benchmarks[0].verdict == "inconclusive"


def test_the_default_rule_catches_a_one_percent_change_in_work() -> None:
    rule = DEFAULT_RULES.resolve("b", "instructions")
    assert rule is not None and rule.percent == "0.5%"
    # 1% more work in a body with a fixed per-call overhead moves the count a little less
    assert exact_verdict(0.0098, "lower", rule, 1.0, 1.0098) == "regression"


def test_threshold_percent_keeps_its_digits() -> None:
    assert Threshold(metric="duration", relative=0.2).percent == "20%"
    assert Threshold(metric="instructions", relative=0.005).percent == "0.5%"
    assert Threshold(metric="instructions", relative=0.005).describe() == "instructions +0.5%"


# --- results files and reports ------------------------------------------------------------------


def test_deterministic_survives_a_results_file_and_old_files_read_as_before() -> None:
    data = results_to_dict(results(123_456_789, {}))
    metric = data["benchmarks"][0]["metrics"]["instructions"]  # type: ignore[index, call-overload]
    assert metric["deterministic"] is True
    assert results_from_dict(data).benchmarks[0].metrics["instructions"].deterministic
    del metric["deterministic"]
    assert not results_from_dict(data).benchmarks[0].metrics["instructions"].deterministic


def test_counts_are_written_exactly_in_reports() -> None:
    assert numbers.human(150_329_212, "instr") == "150,329,212 instr"
    assert numbers.human(187.5, "instr") == "187.5 instr"
    # the median of two counts: every digit kept, never rounded to 3270000 without separators
    assert numbers.human(3_265_945.5, "instr") == "3,265,945.5 instr"


def counted_side(instructions: tuple[float, float], native: float) -> Results:
    metrics = {
        "instructions": counts(*instructions),
        "native_time": Metric.from_samples([native], unit="s"),  # measured once per side
    }
    return Results(
        suite="s", benchmarks=(BenchmarkResult(name="b", kind="command", metrics=metrics),)
    )


def counted_report() -> Report:
    base = counted_side((3_265_945, 3_265_946), 0.010)
    return Report.of(compare(base, counted_side((3_559_712, 3_559_712), 0.0174)))


def test_a_report_writes_both_counts_alike() -> None:
    text = render_text(counted_report())
    assert "3,265,945.5 instr → 3,559,712 instr" in text


def test_what_counts_miss_is_reported_never_a_green_unchanged() -> None:
    # +74% native time has no threshold: information, in every format, not a verdict
    report = counted_report()
    row = next(line for line in render_text(report).splitlines() if "native_time" in line)
    assert row.startswith("reported") and "+74%" in row and "unchanged" not in row
    comment = next(r for r in render_comment(report).splitlines() if "native\\_time" in r)
    assert "ℹ️ reported, not gated" in comment and "✅" not in comment
    html = render_html(report)
    assert 'class="pill v-reported">reported, not gated' in html
    assert "pill v-unchanged" not in html
    metrics = {
        m["metric"]: m for m in comparison_to_dict(report.comparison)["benchmarks"][0]["metrics"]
    }  # type: ignore[arg-type]
    assert metrics["native_time"]["gated"] is False and metrics["instructions"]["gated"] is True


# --- Valgrind missing: one config error before anything runs -----------------------------------


def suite(tmp_path: Path, *benches: BenchmarkConfig) -> SuiteConfig:
    return SuiteConfig(
        suite="s",
        path=tmp_path / "bench.yml",
        settings=Settings(),
        thresholds={},
        benchmarks=benches,
    )


def test_missing_valgrind_is_one_config_error_with_the_install_hint(tmp_path: Path) -> None:
    counted = replace(Settings(), measure="instructions")
    benches = (
        BenchmarkConfig(
            name="cmd",
            kind="command",
            workload=CommandSpec(command="true"),
            settings=counted,
            line=7,
        ),
        BenchmarkConfig(
            name="py", kind="python", workload=PythonSpec(target="m:f"), settings=counted
        ),
    )
    empty = tmp_path / "bin"
    empty.mkdir()
    (error,) = check_valgrind(suite(tmp_path, *benches), {"PATH": str(empty)})
    assert error.exit_code == 2
    assert error.field == "cmd.measure (and 1 more)" and error.where.endswith("bench.yml:7")
    assert "apt-get install valgrind" in error.one_line() and "\n" not in error.one_line()
    timed = tuple(replace(b, settings=Settings()) for b in benches)
    assert check_valgrind(suite(tmp_path, *timed), {"PATH": str(empty)}) == []


def test_only_command_and_python_benchmarks_count_instructions() -> None:
    counted = replace(Settings(), measure="instructions")
    cmd = BenchmarkConfig(
        name="c", kind="command", workload=CommandSpec(command="true"), settings=counted
    )
    assert cmd.counts_instructions
    assert not replace(cmd, settings=Settings()).counts_instructions
    assert not replace(cmd, kind="load").counts_instructions


def test_a_metric_in_two_units_is_not_compared() -> None:
    base = Metric.from_samples([1.0] * 6, unit="ms")
    head = Metric.from_samples([0.002] * 6, unit="s")  # 2 ms: a "change" of -99.8% by number
    th = Threshold(metric="duration", relative=0.2)
    row = compare_metric("b", "duration", base, head, th)
    assert row.verdict == "inconclusive" and "units differ" in row.note and row.change is None
    assert compare_metric("b", "duration", base, head, None).verdict == "unchanged"


def test_a_comment_shows_exact_counts_and_says_no_test_was_needed() -> None:
    from aiwf_ci.report.render import render_comment
    from aiwf_ci.verdict.model import Report

    env = {"cpu_model": "AMD EPYC 7763", "python": "3.12.1"}
    comparison = compare(results(187_921_900, env), results(189_815_900, env), DEFAULT_RULES)
    text = render_comment(Report(head=comparison.head, comparison=comparison))
    assert "187,921,900 instr" in text and "189,815,900 instr" in text  # exact, not 190M
    assert "exact counts, no test needed" in text
    assert "instruction counts: exact, no test" in text  # the design line
    assert "compared exactly" in text  # the method footnote
