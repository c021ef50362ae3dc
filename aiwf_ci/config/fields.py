"""Small typed field readers that collect problems instead of stopping at the first one.

Each reader takes the raw YAML mapping (a ``LineMap``), a key and a dotted field path, and
returns the parsed value or ``None`` after recording a ``ConfigError`` that names the file,
the line, the field and what would be valid. The loader reports every problem at once.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from aiwf_ci.config.yamlload import LineList, LineMap, clip, quote
from aiwf_ci.errors import ConfigError
from aiwf_ci.units import parse_duration, parse_size

T = TypeVar("T")
N = TypeVar("N", int, float)


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
            shown = clip(key)
            self.add(data.line_of(key), join(prefix, shown), f"unknown key {quote(key)}", hint)

    def mapping(
        self, value: object, line: int, fieldname: str, example: str = ""
    ) -> LineMap | None:
        """``value`` when it is a mapping, else ``None`` with the problem recorded
        (``example`` as its fix)."""
        if isinstance(value, LineMap):
            return value
        self.add(line, fieldname, f"expected a mapping, got {type_name(value)}", example)
        return None

    def section(self, data: LineMap, key: str, fieldname: str, example: str = "") -> LineMap | None:
        """An optional section ``data[key]``: ``None`` when it is absent or null, and when it
        is not a mapping (then with the problem recorded, as ``mapping``)."""
        value = data.get(key)
        if value is None:
            return None
        return self.mapping(value, data.line_of(key), fieldname, example)


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
    except (ValueError, TypeError, OverflowError) as exc:
        detail = str(exc) or f"got {type_name(value)}"
        fix = "" if hint in detail else hint  # the message may already say what is valid
        fix = getattr(exc, "fix", "") or fix
        problems.add(data.line_of(key), join(prefix, key), f"invalid value: {detail}", fix)
        return None


class OutOfRange(ValueError):
    """A value beyond a limit; ``fix`` says the limit (and why there is one, if not obvious)."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.fix = fix


def as_str(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"expected a non-empty string, got {type_name(value)}")
    return value


MAX_NAME = 200
"""The longest suite or benchmark name: names head a report's lines, its markers and its
artifact paths, and a longer one is a mistake (or an attack on the PR comment's size)."""
UNSHOWABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Characters a name must not hold: control characters (newlines, ESC) and the Unicode
bidirectional controls, which make a name display as another one."""


def as_name(value: Any) -> str:
    """A suite or benchmark name: a non-empty string of at most ``MAX_NAME`` characters,
    none of them a control or bidirectional character."""
    text = as_str(value)
    bad = UNSHOWABLE.search(text)
    if bad:
        raise OutOfRange(
            f"the name holds U+{ord(bad.group()):04X}, a control or direction character",
            "use printable characters only: no newline, ESC or direction override",
        )
    if len(text) > MAX_NAME:
        raise OutOfRange(f"the name is {len(text):,} characters long", f"at most {MAX_NAME}")
    return text


def as_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {type_name(value)}")
    return value


def int_at_least(minimum: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected a whole number >= {minimum}, got {type_name(value)}")
        if value < minimum:
            raise ValueError(f"expected a whole number >= {minimum}, got {quote(value)}")
        return value

    return parse


def int_between(minimum: int, maximum: int, what: str) -> Callable[[Any], int]:
    """A whole number from ``minimum`` to ``maximum`` ``what`` (e.g. "files")."""
    return _at_most(
        int_at_least(minimum), maximum, f"{what} is more than the limit", f"{maximum:,} {what}"
    )


def positive_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"expected a positive number, got {type_name(value)}")
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {type_name(value)}")
    return float(value)


def number_at_most(maximum: float, what: str) -> Callable[[Any], float]:
    """A positive, finite number of at most ``maximum`` ``what`` (e.g. "requests/s")."""
    return _at_most(
        positive_float, maximum, f"{what} is more than the limit", f"{maximum:,.0f} {what}"
    )


def duration_at_most(maximum: float, *, positive: bool = False) -> Callable[[Any], float]:
    """A finite duration in seconds of at most ``maximum`` (and above zero if ``positive``).
    ``parse_duration`` alone accepts ``.nan``, ``.inf`` and ``1e400`` (infinite)."""

    def parse(value: Any) -> float:
        seconds = parse_duration(value)
        if not math.isfinite(seconds):
            raise ValueError(f"{quote(value)} is not a finite duration")
        if positive and seconds <= 0:
            raise ValueError("must be greater than zero")
        return seconds

    return _at_most(parse, maximum, "is longer than the limit", config_duration(maximum))


def size_at_most(maximum: int) -> Callable[[Any], int]:
    """A finite size in bytes of at most ``maximum``."""

    def parse(value: Any) -> int:
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{quote(value)} is not a finite size")
        return parse_size(value)

    return _at_most(parse, maximum, "is larger than the limit", config_size(maximum))


def _at_most(
    parse: Callable[[Any], N], maximum: float, excess: str, limit: str
) -> Callable[[Any], N]:
    """``parse``, then a limit: a value above ``maximum`` is ``OutOfRange``, its message
    the value and ``excess`` ("is longer than the limit"), its fix "at most ``limit``"."""

    def parse_at_most(value: Any) -> N:
        number = parse(value)
        if number > maximum:
            raise OutOfRange(f"{quote(value)} {excess}", f"at most {limit}")
        return number

    return parse_at_most


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
        raise ValueError(
            f"expected module:callable (e.g. mypkg.bench:parse_json), got {quote(text)}"
        )
    return text


def config_duration(seconds: float) -> str:
    """``seconds`` as a config would write it (``24h``, ``10m``, ``5s``, ``500ms``)."""
    for unit, factor in (("h", 3600.0), ("m", 60.0), ("s", 1.0)):
        if seconds >= factor and seconds % factor == 0:
            return f"{seconds / factor:g}{unit}"
    return f"{seconds * 1000:g}ms"


def config_size(size: int) -> str:
    """``size`` as a config would write it (``64TiB``, ``1GiB``, ``4096``)."""
    for unit, factor in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor}{unit}"
    return str(size)
