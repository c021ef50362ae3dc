"""Small typed field readers that collect problems instead of stopping at the first one.

Each reader takes the raw YAML mapping (a ``LineMap``), a key and a dotted field path, and
returns the parsed value or ``None`` after recording a ``ConfigError`` that names the file,
the line, the field and what would be valid. The loader reports every problem at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from aiwf_ci.config.yamlload import LineList, LineMap, quote
from aiwf_ci.errors import ConfigError

T = TypeVar("T")


@dataclass
class Problems:
    """Collects config problems for one file."""

    path: Path
    items: list[ConfigError] = field(default_factory=list)

    def add(self, line: int, fieldname: str, message: str, fix: str = "") -> None:
        where = f"{self.path}:{line}" if line else str(self.path)
        self.items.append(ConfigError(message, where=where, field=fieldname, fix=fix))

    def check_keys(self, data: LineMap, allowed: Iterable[str], prefix: str) -> None:
        """Every key must be known; suggest the closest known key for a typo."""
        known = list(allowed)
        for key in data:
            if key in known:
                continue
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(known)}"
            self.add(data.line_of(key), join(prefix, key), f"unknown key {key!r}", hint)


def join(prefix: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else key


def type_name(value: object) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, LineMap):
        return "a mapping"
    if isinstance(value, LineList):
        return "a list"
    return f"{type(value).__name__} {quote(value)}"


def read(
    problems: Problems,
    data: LineMap,
    key: str,
    prefix: str,
    parse: Callable[[Any], T],
    hint: str,
) -> T | None:
    """Parse ``data[key]`` with ``parse`` (which raises ValueError/TypeError on bad input)."""
    if key not in data:
        return None
    value = data[key]
    try:
        return parse(value)
    except (ValueError, TypeError) as exc:
        detail = str(exc) or f"got {type_name(value)}"
        fix = "" if hint in detail else hint  # the message may already say what is valid
        problems.add(data.line_of(key), join(prefix, key), f"invalid value: {detail}", fix)
        return None


def as_str(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"expected a non-empty string, got {type_name(value)}")
    return value


def as_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {type_name(value)}")
    return value


def int_at_least(minimum: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected a whole number >= {minimum}, got {type_name(value)}")
        if value < minimum:
            raise ValueError(f"expected a whole number >= {minimum}, got {value}")
        return value

    return parse


def positive_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"expected a positive number, got {type_name(value)}")
    return float(value)


def str_mapping(value: Any) -> dict[str, str]:
    if not isinstance(value, LineMap):
        raise TypeError(f"expected a mapping of names to strings, got {type_name(value)}")
    return {str(k): str(v) for k, v in value.items()}


def one_of(*choices: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {type_name(value)}")
        return str(value)

    return parse


def target(value: Any) -> str:
    """A ``module:callable`` reference."""
    text = as_str(value)
    module, sep, func = text.partition(":")
    if not sep or not module.strip() or not func.strip() or " " in text:
        raise ValueError(f"expected module:callable (e.g. mypkg.bench:parse_json), got {text!r}")
    return text
