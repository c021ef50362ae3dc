from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from aiwf_ci.config import CommandSpec, FileBatchSpec, LoadSpec, PythonSpec, load_config
from aiwf_ci.errors import ConfigError, ConfigErrors

VALID = """\
suite: demo
defaults:
  warmup: 3
  iterations: 12
  min-time: 50ms
  timeout: 2m
  memory: {interval: 20ms, leak-threshold: 10%, max-peak: default}
thresholds:
  duration: {relative: 10%, absolute: 2ms}
  memory: 25%
profile: ci
profiles:
  dev: {iterations: 3, warmup: 0}
  ci: {iterations: 15}
benchmarks:
  - name: sort
    command: python -c "sorted(range(10))"
    env: {A: "1"}
  - name: parse
    python: mod:func
    setup: mod:make
    iterations: 40
    thresholds: {duration: 5%}
  - name: copy
    file-batch:
      operations:
        - {op: read, glob: "src/**/*.py"}
        - {op: copy, glob: "data/*.csv", to: "{tmp}/copy"}
        - {op: write, count: 100, size: 4KiB, to: "{tmp}/w"}
      concurrency: 4
  - name: health
    load: {url: "http://127.0.0.1:8000/health", concurrency: 4, ramp-up: 1s, duration: 5s}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bench.yml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str, **kwargs: object) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text), env={}, **kwargs)  # type: ignore[arg-type]
    err = info.value
    return [p.one_line() for p in err.problems] if isinstance(err, ConfigErrors) else [str(err)]


def test_valid_config_is_fully_typed(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, VALID), env={})
    assert config.suite == "demo"
    assert config.profile == "ci"
    sort, parse, copy, health = config.benchmarks
    assert isinstance(sort.workload, CommandSpec) and sort.workload.env == {"A": "1"}
    assert sort.settings.iterations == 15  # profile ci overrides defaults
    assert sort.settings.warmup == 3 and sort.settings.min_time == pytest.approx(0.05)
    assert sort.settings.timeout == 120.0
    assert sort.settings.memory.interval == pytest.approx(0.02)
    assert sort.settings.memory.max_peak == 500_000_000
    assert isinstance(parse.workload, PythonSpec) and parse.workload.setup == "mod:make"
    assert parse.settings.iterations == 40  # the benchmark's own key wins over the profile
    assert parse.thresholds["duration"].relative == pytest.approx(0.05)
    assert config.thresholds["duration"].absolute == pytest.approx(0.002)
    assert config.thresholds["throughput"].relative == pytest.approx(0.10)  # seed default kept
    assert isinstance(copy.workload, FileBatchSpec) and copy.workload.concurrency == 4
    assert copy.workload.operations[2].size == 4096
    assert isinstance(health.workload, LoadSpec) and health.workload.ramp_up == 1.0
    assert config.benchmark_thresholds() == {"parse": parse.thresholds}


def test_profile_precedence_flag_then_env_then_file(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    assert load_config(path, env={}).benchmarks[0].settings.iterations == 15
    assert load_config(path, env={"AIWF_PROFILE": "dev"}).benchmarks[0].settings.iterations == 3
    flagged = load_config(path, profile="ci", env={"AIWF_PROFILE": "dev"})
    assert flagged.benchmarks[0].settings.iterations == 15


def test_memory_feature_flag(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    assert load_config(path, env={}).benchmarks[0].settings.memory.enabled
    off = load_config(path, env={"AIWF_MEMORY": "0"})
    assert not any(b.settings.memory.enabled for b in off.benchmarks)
    assert not off.settings.memory.enabled


def test_unknown_key_names_line_field_and_suggestion(tmp_path: Path) -> None:
    lines = problems(
        tmp_path, "suite: s\nbenchmarks:\n  - name: a\n    command: 'true'\n    iteratons: 3\n"
    )
    assert len(lines) == 1
    assert "bench.yml:5: benchmarks[0].iteratons: unknown key 'iteratons'" in lines[0]
    assert "did you mean 'iterations'?" in lines[0]


def test_every_problem_reported_once_each(tmp_path: Path) -> None:
    text = """\
    suite: s
    thresholds: {duration: fast}
    benchmarks:
      - command: 'true'
      - name: two
        command: 'true'
        python: m:f
      - name: typed
        command: 'true'
        warmup: many
    """
    lines = problems(tmp_path, text)
    joined = "\n".join(lines)
    assert len(lines) == 4, joined
    assert "bench.yml:2: thresholds.duration: invalid value" in joined and "20%" in joined
    assert "bench.yml:4: benchmarks[0].name: missing 'name'" in joined
    assert "benchmarks[1]: needs exactly one workload key, found command and python" in joined
    assert "bench.yml:10: benchmarks[2].warmup: invalid value" in joined
    assert all("Traceback" not in line for line in lines)


def test_duplicate_names_and_keys(tmp_path: Path) -> None:
    lines = problems(
        tmp_path, "suite: s\nbenchmarks:\n  - {name: a, command: x}\n  - {name: a, command: y}\n"
    )
    assert "duplicate benchmark name 'a' (first on line 3)" in lines[0]
    lines = problems(tmp_path, "suite: s\nsuite: t\nbenchmarks: []\n")
    assert "bench.yml:2" in lines[0] and "duplicate key 'suite'" in lines[0]


def test_yaml_syntax_error_and_missing_file(tmp_path: Path) -> None:
    lines = problems(tmp_path, "suite: s\nbenchmarks: [\n")
    assert "invalid YAML" in lines[0] and "bench.yml:" in lines[0]
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yml", env={})


def test_unknown_profile(tmp_path: Path) -> None:
    lines = problems(tmp_path, VALID, profile="prod")
    assert "unknown profile 'prod'" in lines[0] and "known profiles: dev, ci" in lines[0]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("{name: x, python: 'no-colon'}", "expected module:callable"),
        ("{name: x, load: {url: 'ftp://a', duration: 1s}}", "http:// or https://"),
        ("{name: x, load: {url: 'http://a'}}", "needs duration or requests"),
        ("{name: x, load: {url: 'https://a', duration: 1s, client: raw}}", "plain HTTP only"),
        ("{name: x, file-batch: {operations: [{op: copy, glob: '*'}]}}", "op copy needs 'to'"),
        ("{name: x, file-batch: {operations: [{op: move}]}}", "expected one of read, write, copy"),
        ("{name: x, ingest: {format: junit, file: a}}", "pytest-benchmark"),
        ("{name: x, command: y, memory: {max-peak: lots}}", "max-peak"),
        ("{name: x, command: y, timeout: 0}", "greater than zero"),
    ],
)
def test_workload_errors(tmp_path: Path, entry: str, expected: str) -> None:
    lines = problems(tmp_path, f"suite: s\nbenchmarks:\n  - {entry}\n")
    assert any(expected in line for line in lines), lines
    assert all(line.startswith(str(tmp_path)) for line in lines)


def test_load_benchmarks_take_their_own_iterations_and_a_fitting_timeout(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, VALID), env={})
    health = config.benchmarks[3]
    assert (health.settings.warmup, health.settings.iterations) == (0, 5)  # not defaults' 3/15
    assert isinstance(health.workload, LoadSpec)
    per_run = health.workload.ramp_up + health.workload.duration + health.workload.request_timeout  # type: ignore[operator]
    assert health.settings.timeout >= 3 * per_run
    design = """\
    suite: s
    benchmarks:
      - name: health
        load: {url: "http://127.0.0.1:8000/health", concurrency: 16, ramp-up: 5s, duration: 20s}
        iterations: 2
      - name: burst
        load: {python: "m:f", mode: burst, concurrency: 50, client: requests}
    """
    health, burst = load_config(write(tmp_path, design), env={}).benchmarks
    assert health.settings.iterations == 2
    assert health.settings.timeout >= 2 * (5 + 20 + 5)
    assert isinstance(burst.workload, LoadSpec) and burst.workload.mode == "burst"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("profiles: [a]\n", "bench.yml:2: profiles: expected a mapping, got a list"),
        (
            "profiles:\n  dev: 3\n",
            "bench.yml:3: profiles.dev: expected a mapping, got int 3 (e.g. dev: {iterations: 3})",
        ),
        ("defaults: 3\n", "bench.yml:2: defaults: expected a mapping, got int 3"),
        (
            "thresholds: [1]\n",
            "bench.yml:2: thresholds: expected a mapping, got a list (e.g. duration: 20%)",
        ),
        (
            "environment: [pip]\n",
            "bench.yml:2: environment: expected a mapping, got a list "
            "(e.g. environment: {setup: [pip install -e .]})",
        ),
    ],
)
def test_a_section_that_is_not_a_mapping_is_named(tmp_path: Path, text: str, expected: str) -> None:
    lines = problems(tmp_path, f"suite: s\n{text}benchmarks:\n  - {{name: a, command: x}}\n")
    assert len(lines) == 1 and lines[0].endswith(expected), lines


def test_an_entry_or_workload_that_is_not_a_mapping_is_named(tmp_path: Path) -> None:
    text = """\
    suite: s
    benchmarks:
      - 3
      - {name: a, load: 3}
      - {name: b, file-batch: null}
      - {name: c, file-batch: {operations: [3]}}
    """
    assert [
        line.removeprefix(str(tmp_path / "bench.yml")) for line in problems(tmp_path, text)
    ] == [
        ":3: benchmarks[0]: expected a mapping, got int 3 (e.g. - name: sort, command: ...)",
        ":4: benchmarks[1].load: expected a mapping, got int 3",
        ":5: benchmarks[2].file-batch: expected a mapping, got nothing (null)",
        ":6: benchmarks[3].file-batch.operations[0]: expected a mapping, got int 3",
    ]


def test_an_empty_optional_section_is_absent(tmp_path: Path) -> None:
    text = "suite: s\ndefaults:\nprofiles:\nenvironment:\nbenchmarks:\n  - {name: a, command: x}\n"
    config = load_config(write(tmp_path, text), env={})
    assert config.environment is None and config.profiles == ()
