"""The suite's ``environment:`` (set-up of each source tree) and ``rounds:`` (sampling of
base and head on one machine) sections: parsed, defaulted, and every mistake one line."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from aiwf_ci.config import load_config
from aiwf_ci.config.models import DEFAULT_SETUP_TIMEOUT, RoundsSpec
from aiwf_ci.config.schema import schema
from tests.unit.config.test_config import problems, write

BENCH = "benchmarks:\n  - {name: a, command: 'true'}\n"


def test_sections_parse_and_agree_with_the_schema(tmp_path: Path) -> None:
    text = (
        "suite: s\n"
        "environment:\n  setup:\n    - pip install -e .\n    - pip install -r req.txt\n"
        "  timeout: 5m\n"
        "rounds: {budget: 3m, max-rounds: 60, samples: 5, alpha: 2%, holm: true}\n" + BENCH
    )
    config = load_config(write(tmp_path, text), env={})
    assert config.environment is not None
    assert config.environment.setup == ("pip install -e .", "pip install -r req.txt")
    assert config.environment.timeout == 300.0
    assert config.rounds == RoundsSpec(
        time_budget=180.0, max_rounds=60, samples=5, alpha=0.02, holm=True
    )
    jsonschema.validate(yaml.safe_load(text), schema())


def test_defaults_when_absent(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "suite: s\n" + BENCH), env={})
    assert config.environment is None and config.rounds == RoundsSpec()
    one = load_config(write(tmp_path, "suite: s\nenvironment: {setup: make}\n" + BENCH), env={})
    assert one.environment is not None
    assert one.environment.setup == ("make",) and one.environment.timeout == DEFAULT_SETUP_TIMEOUT


# the last column: whether the editor schema can see the mistake too (the loader is the
# authority: ranges of durations, for one, are beyond a JSON Schema pattern)
@pytest.mark.parametrize(
    ("section", "expected", "schema_too"),
    [
        ("environment: {setup: []}", "environment.setup: ", True),
        (
            "environment: {setup: [pip install, 3]}",
            "every set-up command must be a non-empty",
            True,
        ),
        ("environment: {setup: [x], timeout: 0}", "environment.timeout: invalid value", False),
        ("environment: {setpu: [x]}", "did you mean 'setup'?", True),
        ("environment: pip install -e .", "environment: expected a mapping", True),
        ("rounds: {max-rounds: 5}", "rounds.max-rounds: invalid value: must be a whole", True),
        ("rounds: {samples: 0}", "rounds.samples: invalid value", True),
        ("rounds: {budget: 1s}", "rounds.budget: invalid value: must be between 10s and 6h", False),
        ("rounds: {alpha: 50%}", "rounds.alpha: invalid value: must be between", False),
        ("rounds: {budjet: 5m}", "did you mean 'budget'?", True),
        ("rounds: {holm: yes please}", "rounds.holm: invalid value: expected true or false", True),
    ],
)
def test_each_mistake_is_one_line_with_its_line(
    tmp_path: Path, section: str, expected: str, schema_too: bool
) -> None:
    lines = problems(tmp_path, f"suite: s\n{section}\n" + BENCH)
    assert len(lines) == 1, lines
    assert expected in lines[0] and "bench.yml:2" in lines[0]
    if schema_too:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(yaml.safe_load(f"suite: s\n{section}\n" + BENCH), schema())


def test_an_ignore_list_of_names_and_globs(tmp_path: Path) -> None:
    text = "suite: s\nignore: [flaky-*, slow-io]\n" + BENCH
    config = load_config(write(tmp_path, text), env={})
    assert config.ignore == ("flaky-*", "slow-io")
    jsonschema.validate(yaml.safe_load(text), schema())
    lines = problems(tmp_path, "suite: s\nignore: [3]\n" + BENCH)
    assert "ignore: invalid value: every entry must be a non-empty name or glob" in lines[0]


def test_measure_instructions_in_defaults_counts_command_and_python_only(tmp_path: Path) -> None:
    text = (
        "suite: s\ndefaults: {measure: instructions}\nbenchmarks:\n"
        "  - {name: c, command: 'true'}\n"
        "  - {name: p, python: 'm:f'}\n"
        "  - {name: t, command: 'true', measure: time}\n"
        "  - {name: f, file-batch: {operations: [{op: write, count: 2, size: 1KiB, to: '{tmp}/w'}]}}\n"
    )
    config = load_config(write(tmp_path, text), env={})
    counted = {b.name: b.counts_instructions for b in config.benchmarks}
    assert counted == {"c": True, "p": True, "t": False, "f": False}
    jsonschema.validate(yaml.safe_load(text), schema())


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("{name: a, command: 'true', measure: cycles}", "benchmarks[0].measure: invalid value"),
        (
            "{name: a, file-batch: {operations: [{op: write, count: 2, size: 1KiB, to: '{tmp}/w'}]}, "
            "measure: instructions}",
            "benchmarks[0].measure: a file-batch benchmark cannot be counted in instructions",
        ),
    ],
)
def test_a_wrong_measure_is_one_line(tmp_path: Path, entry: str, expected: str) -> None:
    text = f"suite: s\nbenchmarks:\n  - {entry}\n"
    lines = problems(tmp_path, text)
    assert len(lines) == 1, lines
    assert expected in lines[0] and "bench.yml:3" in lines[0]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(yaml.safe_load(text), schema())
