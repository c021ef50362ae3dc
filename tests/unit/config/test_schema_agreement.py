"""The shipped JSON Schema and the loader must agree on what is valid."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from aiwf_ci.config import load_config
from aiwf_ci.config.schema import schema
from aiwf_ci.errors import ConfigError
from tests.unit.config.test_config import VALID

BROKEN = [
    "suite: s\nbenchmarks:\n  - {name: a, command: x, iteratons: 3}\n",
    "suite: s\nbenchmarks:\n  - {command: x}\n",
    "suite: s\nbenchmarks:\n  - {name: a, command: x, python: m:f}\n",
    "suite: s\nbenchmarks:\n  - {name: a, command: x, warmup: many}\n",
    "suite: s\nthresholds: {duration: 20}\nbenchmarks:\n  - {name: a, command: x}\n",
    "suite: s\nbenchmarks: []\n",
    "benchmarks:\n  - {name: a, command: x}\n",
    "suite: s\nbenchmarks:\n  - {name: a, load: {url: 'http://x'}}\n",
]


def test_schema_is_valid_and_accepts_examples(repo_root: Path) -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    for path in [*repo_root.glob("examples/*.yml")]:
        jsonschema.validate(yaml.safe_load(path.read_text()), schema())
    jsonschema.validate(yaml.safe_load(VALID), schema())


@pytest.mark.parametrize("text", BROKEN)
def test_both_reject_broken_configs(tmp_path: Path, text: str) -> None:
    path = tmp_path / "b.yml"
    path.write_text(text)
    with pytest.raises(ConfigError):
        load_config(path, env={})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(yaml.safe_load(text), schema())
