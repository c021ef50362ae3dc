"""Which benchmarks a run executes: ``--only PATTERN`` and ``--shard K/N`` (pure functions).

Shards are assigned round-robin in config order (benchmark i goes to shard i mod N), so the
N shards together cover every benchmark exactly once and have near-equal counts.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass

from aiwf_ci.config.models import BenchmarkConfig
from aiwf_ci.errors import ConfigError

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True, slots=True)
class Shard:
    index: int  # 1-based
    total: int

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"


def parse_shard(text: str, *, source: str = "--shard") -> Shard:
    match = _SHARD.match(text)
    if match:
        index, total = int(match.group(1)), int(match.group(2))
        if 1 <= index <= total:
            return Shard(index, total)
    raise ConfigError(
        f"invalid shard {text!r}", field=source, fix="use K/N with 1 <= K <= N, e.g. 1/2"
    )


def matches(name: str, pattern: str) -> bool:
    """Glob match (``json-*``); a pattern without glob characters matches as a substring."""
    if any(ch in pattern for ch in "*?["):
        return fnmatch.fnmatchcase(name, pattern)
    return pattern in name


def select(
    benchmarks: Sequence[BenchmarkConfig], *, only: str | None = None, shard: Shard | None = None
) -> tuple[BenchmarkConfig, ...]:
    chosen = list(benchmarks)
    if shard is not None:
        chosen = [b for i, b in enumerate(chosen) if i % shard.total == shard.index - 1]
    if only:
        patterns = [p.strip() for p in only.split(",") if p.strip()]
        chosen = [b for b in chosen if any(matches(b.name, p) for p in patterns)]
        if not chosen and not shard:
            names = ", ".join(b.name for b in benchmarks)
            raise ConfigError(
                f"no benchmark matches {only!r}", field="--only", fix=f"benchmarks: {names}"
            )
    return tuple(chosen)
