"""Replays agree with the run: ``compare`` and ``report`` on a run's own results files give
the run's verdict without ``--config``, because the files record the thresholds the run was
judged by; explicit flags still win, and the report says which rules it used and from where."""

from __future__ import annotations

import json
from pathlib import Path

from aiwf_ci.models import BenchmarkResult, Metric, Results, write_results
from aiwf_ci.verdict.rules_json import record_rules
from aiwf_ci.verdict.thresholds import build_rules, parse_threshold_spec
from tests.integration.cli_helpers import aiwf

TREE = """\
suite: replay
defaults: {{warmup: 0, iterations: 4, memory: false}}
rounds: {{samples: 2}}
thresholds: {{duration: 300%}}
benchmarks:
  - name: nap
    command: sleep {sleep}
"""


def tree(root: Path, sleep: float) -> Path:
    (root / ".aiwf").mkdir(parents=True)
    (root / ".aiwf" / "bench.yml").write_text(TREE.format(sleep=sleep), encoding="utf-8")
    return root


def verdicts(stdout: str) -> tuple[str, dict[str, str]]:
    data = json.loads(stdout)
    return data["status"], {b["name"]: b["verdict"] for b in data["benchmarks"]}


def test_compare_on_ab_s_own_files_gives_ab_s_verdict_without_the_config(tmp_path: Path) -> None:
    """Bug: ``ab`` judged by the config's rule, ``compare`` on its files by the 20% default."""
    # twice as slow, well inside the config's 300%: far outside the default 20%
    base, head = tree(tmp_path / "a", 0.03), tree(tmp_path / "b", 0.06)
    out = tmp_path / "out"
    ab = aiwf("ab", "--base-dir", base, "--head-dir", head, "--out", out, "--format", "json",
              cwd=tmp_path)  # fmt: skip
    assert ab.returncode == 0, ab.stdout + ab.stderr
    ab_status, ab_verdicts = verdicts(ab.stdout)
    assert ab_verdicts == {"nap": "unchanged"}, ab.stdout
    files = (out / "base" / "results.json", out / "head" / "results.json")
    replay = aiwf("compare", *files, "--format", "json", cwd=tmp_path)  # no config here
    assert replay.returncode == 0, replay.stderr
    assert verdicts(replay.stdout) == (ab_status, ab_verdicts)
    assert "thresholds (recorded in the head results): duration +300%" in replay.stderr
    assert json.loads(replay.stdout)["thresholds"]["source"] == "recorded in the head results"
    report = aiwf("report", files[1], "--baseline", files[0], "--markdown", tmp_path / "r.md",
                  cwd=tmp_path)  # fmt: skip
    text = (tmp_path / "r.md").read_text()
    assert report.returncode == 0 and "No regression" in text.splitlines()[0]
    assert "Thresholds: duration +300%" in text and "recorded in the head results" in text


def results(path: Path, factor: float, rules: str = "") -> Path:
    samples = [factor * (1 + 0.002 * (i % 5)) for i in range(20)]
    bench = BenchmarkResult(
        name="b", kind="command", metrics={"duration": Metric.from_samples(samples, unit="s")}
    )
    run = Results(suite="s", benchmarks=(bench,))
    if rules:
        run = record_rules(run, build_rules(overrides=parse_threshold_spec(rules)))
    return write_results(run, path)


def test_flags_win_over_the_recorded_rules_and_other_rules_of_the_baseline_are_said(
    tmp_path: Path,
) -> None:
    (tmp_path / ".aiwf").mkdir()  # a config here that says otherwise: the record wins
    (tmp_path / ".aiwf" / "bench.yml").write_text(
        "suite: s\nthresholds: {duration: 50%}\nbenchmarks:\n  - {name: b, command: 'true'}\n"
    )
    base = results(tmp_path / "base.json", 1.0, "duration=20%")
    head = results(tmp_path / "head.json", 1.1, "duration=5%")  # 10% slower
    recorded = aiwf("compare", base, head, "--fail-on-regression", cwd=tmp_path)
    assert recorded.returncode == 1, recorded.stdout + recorded.stderr  # head's 5%
    assert "thresholds (recorded in the head results): duration +5%" in recorded.stderr
    assert "the baseline's run was judged by other thresholds (duration +20%" in recorded.stdout
    flag = aiwf("compare", base, head, "--fail-on-regression", "--thresholds", "duration=15%",
                cwd=tmp_path)  # fmt: skip
    assert flag.returncode == 0, flag.stdout + flag.stderr
    assert "(recorded in the head results + --thresholds): duration +15%" in flag.stderr
    config = aiwf("compare", base, head, "--fail-on-regression", "--config",
                  ".aiwf/bench.yml", cwd=tmp_path)  # fmt: skip
    assert config.returncode == 0 and "(the config .aiwf/bench.yml)" in config.stderr
    old = results(tmp_path / "old.json", 1.1)  # recorded nothing: the config found here
    found = aiwf("compare", base, old, cwd=tmp_path)
    assert "thresholds (the config .aiwf/bench.yml): duration +50%" in found.stderr


def test_merged_shards_keep_the_rules_they_agree_on(tmp_path: Path) -> None:
    def shard(name: str, rules: str) -> Path:
        metric = Metric.from_samples([1.0, 1.1], unit="s")
        run = Results(suite="s", benchmarks=(BenchmarkResult(name=name, kind="command",
                                                              metrics={"duration": metric}),))  # fmt: skip
        recorded = record_rules(run, build_rules(overrides=parse_threshold_spec(rules)))
        return write_results(recorded, tmp_path / f"{name}-{rules}.json")

    agreed = aiwf("merge", shard("a", "duration=7%"), shard("b", "duration=7%"),
                  "--out", tmp_path / "m.json")  # fmt: skip
    assert agreed.returncode == 0, agreed.stderr
    kept = json.loads((tmp_path / "m.json").read_text())["thresholds"]
    assert kept["suite"]["duration"]["relative"] == 0.07
    differ = aiwf("merge", shard("a", "duration=7%"), shard("b", "duration=9%"),
                  "--out", tmp_path / "d.json")  # fmt: skip
    assert differ.returncode == 0 and "thresholds" not in json.loads(
        (tmp_path / "d.json").read_text()
    )
    assert "the shards recorded different thresholds: none kept" in differ.stdout


def rounds_file(path: Path, factor: float, run_id: str) -> Path:
    """An interleaved run's file: 11 rounds of 3 samples, the run's id recorded."""
    samples = [factor * (1 + 0.002 * (i % 5)) for i in range(33)]
    metric = Metric.from_samples(samples, unit="s", rounds=[i // 3 for i in range(33)])
    bench = BenchmarkResult(name="b", kind="command", metrics={"duration": metric})
    run = Results(suite="s", benchmarks=(bench,), environment={"interleaved": {"run_id": run_id}})
    return write_results(run, path)


def test_compare_pairs_the_rounds_of_one_run_only_and_says_why_not(tmp_path: Path) -> None:
    """Bug: files of two ``ab`` runs were paired round by round, as if measured together."""
    base = rounds_file(tmp_path / "base.json", 1.0, "run-1")
    crossed = aiwf("compare", base, rounds_file(tmp_path / "other.json", 1.01, "run-2"),
                   cwd=tmp_path)  # fmt: skip
    assert crossed.returncode == 0, crossed.stderr
    assert (
        "measured: two results files with rounds, rounds from two different runs: compared "
        "unpaired (Mann-Whitney)"
    ) in crossed.stdout
    same = aiwf("compare", base, rounds_file(tmp_path / "head.json", 1.01, "run-1"),
                "--format", "json", cwd=tmp_path)  # fmt: skip
    design = json.loads(same.stdout)["design"]
    # of the 11 stored rounds the look at 10 (looks are at even round counts) decided
    assert design["paired"] is True and design["rounds"] == 10
