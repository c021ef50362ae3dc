"""The JSON Schema of the suite config, shipped in the package for editors (YAML language
servers) and printed by ``aiwf-ci validate --schema``.

The loader in ``suite.py`` is the authority (it knows lines and gives fixes); a test keeps the
two in agreement on the examples and on a set of broken configs.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def schema() -> dict[str, Any]:
    text = resources.files("aiwf_ci").joinpath("schemas/suite.schema.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def schema_text() -> str:
    return json.dumps(schema(), indent=2)
