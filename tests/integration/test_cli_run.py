from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest

from aiwf_ci.models import load_results
from tests.integration.cli_helpers import REPO, aiwf


def suite(tmp_path: Path, body: str, name: str = "bench.yml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def test_example_suite_writes_valid_results(tmp_path: Path) -> None:
    done = aiwf("run", REPO / "examples" / "bench.yml", "--profile", "dev", "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    results = load_results(tmp_path / "results.json")
    names = {b.name for b in results.benchmarks}
    assert names == {"sort-200k", "json-encode", "json-decode", "sort-list"}
    for bench in results.benchmarks:
        duration = bench.metrics["duration"]
        assert len(duration.samples) == 3 and all(s > 0 for s in duration.samples)
        assert duration.stats.min <= duration.stats.median <= duration.stats.max
        assert not bench.errors
        # the machine's speed beside every sample, for unpaired comparisons (command in
        # this process, python in the worker)
        reference = bench.metrics["reference_time"]
        assert len(reference.samples) == 3 and all(0 < r < 1 for r in reference.samples)
    assert results.environment["cores"] >= 1 and results.environment["python"]
    assert "sort-200k" in done.stdout and "median" in done.stdout  # progress + final table


def test_failures_are_benchmark_errors_and_the_run_goes_on(tmp_path: Path) -> None:
    config = suite(
        tmp_path,
        """\
        suite: failing
        defaults: {warmup: 0, iterations: 2, memory: false}
        benchmarks:
          - name: exits-nonzero
            command: echo "disk on fire" >&2; exit 7
          - name: hangs
            command: sleep 30 & sleep 30
            timeout: 500ms
          - name: fine
            command: "true"
          - name: endless
            command: "true"
            iterations: 1000000000
            timeout: 1s
          - name: crashes
            python: targets:crash
          - name: raises
            python: targets:raises
        """,
    )
    (tmp_path / "targets.py").write_text(
        "import os\ndef crash():\n    os._exit(9)\ndef raises():\n    raise RuntimeError('bad input 42')\n"
    )
    done = aiwf("run", config, "--out", tmp_path / "out", timeout=60)
    assert done.returncode == 3, done.stdout + done.stderr
    results = {b.name: b for b in load_results(tmp_path / "out" / "results.json").benchmarks}
    assert "exited with code 7: disk on fire" in results["exits-nonzero"].errors[0]
    assert "timed out after 0.5s" in results["hangs"].errors[0]
    assert not results["fine"].errors and len(results["fine"].metrics["duration"].samples) == 2
    assert "timed out after 1s with" in results["endless"].errors[0]  # one deadline per benchmark
    assert "exited with code 9" in results["crashes"].errors[0]
    assert "RuntimeError: bad input 42" in results["raises"].errors[0]
    assert "Traceback" not in done.stderr


def test_broken_configs_exit_2_with_one_line_each(tmp_path: Path) -> None:
    config = suite(
        tmp_path,
        """\
        suite: broken
        thresholds: {duration: lots}
        benchmarks:
          - command: "true"
            colour: blue
          - name: two
            command: "true"
            python: a:b
          - name: typed
            command: "true"
            iterations: "ten"
        """,
    )
    done = aiwf("run", config, "--out", tmp_path / "out")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 5, done.stderr
    assert all(line.startswith(f"aiwf-ci: error: {config}:") for line in lines)
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_python_target_that_does_not_import(tmp_path: Path) -> None:
    config = suite(
        tmp_path,
        """\
        suite: imports
        benchmarks:
          - name: missing-module
            python: no_such_module_xyz:run
          - name: missing-attr
            python: mod:nope
        """,
    )
    (tmp_path / "mod.py").write_text("def run():\n    pass\n")
    for command in ("run", "validate"):
        done = aiwf(command, config)
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 2
        assert (
            f"{config}:3: missing-module.python: cannot import 'no_such_module_xyz:run'" in lines[0]
        )
        assert "ModuleNotFoundError" in lines[0]
        assert "missing-attr.python" in lines[1] and "AttributeError" in lines[1]


def test_shards_and_merge_cover_the_suite(tmp_path: Path) -> None:
    body = "suite: sharded\ndefaults: {warmup: 0, iterations: 1, memory: false}\nbenchmarks:\n"
    body += "".join(f"  - {{name: b{i}, command: 'true'}}\n" for i in range(5))
    config = suite(tmp_path, body)
    for k in (1, 2):
        done = aiwf("run", config, "--shard", f"{k}/2", "--out", tmp_path / f"s{k}")
        assert done.returncode == 0, done.stderr
    done = aiwf(
        "merge",
        tmp_path / "s1" / "results.json",
        tmp_path / "s2" / "results.json",
        "--out",
        tmp_path / "m.json",
    )
    assert done.returncode == 0, done.stderr
    merged = [b.name for b in load_results(tmp_path / "m.json").benchmarks]
    assert sorted(merged) == [f"b{i}" for i in range(5)]
    clash = aiwf(
        "merge",
        tmp_path / "s1" / "results.json",
        tmp_path / "s1" / "results.json",
        "--out",
        tmp_path / "x.json",
    )
    assert clash.returncode == 2 and "is in both" in clash.stderr
    assert not (tmp_path / "x.json").exists()


def test_github_actions_groups_and_escaping(tmp_path: Path) -> None:
    config = suite(
        tmp_path,
        """\
        suite: gha
        defaults: {warmup: 0, iterations: 1, memory: false}
        benchmarks:
          - name: "evil%0A::error::pwned"
            command: echo '::warning::from the command'
          - name: "::error::from a name"
            command: "true"
        """,
    )
    done = aiwf("run", config, "--out", tmp_path / "out", env={"GITHUB_ACTIONS": "true"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("::group::[1/2] evil%250A::error::pwned") for line in lines)
    assert "::endgroup::" in lines
    start = next(i for i, line in enumerate(lines) if line.startswith("::stop-commands::"))
    token = lines[start].split("::")[2]
    assert len(token) == 32
    output = lines.index("::warning::from the command")
    resume = lines.index(f"::{token}::")
    assert start < output < resume < lines.index("::endgroup::")  # command output is inert
    assert not any(line.startswith("::error::") for line in lines)
    # the results table (names: the PR author's) is fenced off as well
    table = next(i for i, line in enumerate(lines) if line.startswith("benchmark "))
    fence = max(i for i in range(table) if lines[i].startswith("::stop-commands::"))
    closing = f"::{lines[fence].split('::')[2]}::"
    assert closing in lines[table:]


def test_validate_and_schema(tmp_path: Path) -> None:
    done = aiwf("validate", REPO / "examples" / "bench.yml")
    assert done.returncode == 0 and "ok" in done.stdout
    schema = json.loads(aiwf("validate", "--schema").stdout)
    jsonschema.Draft202012Validator.check_schema(schema)


def test_only_without_match_is_bad_input(tmp_path: Path) -> None:
    done = aiwf(
        "run", REPO / "examples" / "bench.yml", "--only", "nothing-like-this", "--out", tmp_path
    )
    assert done.returncode == 2 and "no benchmark matches" in done.stderr


@pytest.mark.parametrize(
    "args", [["run", "missing.yml"], ["merge", "nope.json", "--out", "x.json"]]
)
def test_missing_files_are_bad_input(tmp_path: Path, args: list[str]) -> None:
    done = aiwf(*args, cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_run_with_baseline_gives_the_verdict(tmp_path: Path) -> None:
    config = suite(
        tmp_path,
        """\
        suite: verdict
        defaults: {warmup: 0, iterations: 6, memory: false}
        benchmarks:
          - name: nap
            command: sleep 0.05
        """,
    )
    first = aiwf("run", config, "--out", tmp_path / "a")
    assert first.returncode == 0, first.stderr
    data = json.loads((tmp_path / "a" / "results.json").read_text())
    metric = data["benchmarks"][0]["metrics"]["duration"]
    metric["samples"] = [s / 3 for s in metric["samples"]]  # baseline three times faster
    (tmp_path / "fast.json").write_text(json.dumps(data))
    gated = aiwf(
        "run",
        config,
        "--out",
        tmp_path / "b",
        "--baseline",
        tmp_path / "fast.json",
        "--fail-on-regression",
    )
    assert gated.returncode == 1, gated.stdout + gated.stderr
    assert "regression" in gated.stdout
    lenient = aiwf("run", config, "--out", tmp_path / "c", "--baseline", tmp_path / "fast.json")
    assert lenient.returncode == 0
    missing = aiwf("run", config, "--out", tmp_path / "d", "--baseline", tmp_path / "none.json")
    assert missing.returncode == 0  # no baseline is never a failure
    assert "does not exist" in missing.stdout + missing.stderr


def test_outputs_never_replace_inputs(tmp_path: Path) -> None:
    results = REPO / "tests" / "data" / "results" / "results@1.json"
    copy = tmp_path / "results.json"
    copy.write_bytes(results.read_bytes())
    before = copy.read_bytes()
    for args in (
        ("report", copy, "--html", copy),
        ("merge", copy, "--out", copy),
        ("import", "hyperfine", copy, "--out", copy),
    ):
        done = aiwf(*args)
        assert done.returncode == 2, done.stderr
        assert "is also an input" in done.stderr
    assert copy.read_bytes() == before
    done = aiwf("merge", copy, "--out", tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


def test_run_checks_cwd_as_validate_does(tmp_path: Path) -> None:
    """One check for both: a ``cwd:`` that is not a folder stops ``run`` before anything is
    measured (exit 2, one line), as ``validate`` refuses it."""
    config = suite(
        tmp_path,
        """\
        suite: s
        benchmarks:
          - name: here
            command: "true"
            iterations: 2
          - name: there
            command: "true"
            cwd: no-such-folder
            iterations: 2
        """,
    )
    checked = aiwf("validate", config, cwd=tmp_path)
    ran = aiwf("run", config, "--out", tmp_path / "out", cwd=tmp_path)
    for done in (checked, ran):
        assert done.returncode == 2, done.stdout + done.stderr
        assert "there.cwd: cwd 'no-such-folder' is not a folder" in done.stderr
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "results.json").exists()
