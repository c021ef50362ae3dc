"""Python callables for the example suite (standard library only).

A ``setup`` returns the data; the benchmarked callable receives it as its only argument.
"""

from __future__ import annotations

import json
import random
from typing import Any


def make_records() -> list[dict[str, Any]]:
    rng = random.Random(42)
    return [
        {"id": i, "name": f"user-{i}", "score": rng.random(), "tags": ["a", "b", str(i % 7)]}
        for i in range(1_000)
    ]


def json_encode(records: list[dict[str, Any]]) -> str:
    return json.dumps(records)


def make_json_text() -> str:
    return json.dumps(make_records())


def json_decode(text: str) -> Any:
    return json.loads(text)


def make_floats() -> list[float]:
    rng = random.Random(7)
    return [rng.random() for _ in range(10_000)]


def sort_floats(values: list[float]) -> list[float]:
    return sorted(values)
