"""A ``cProfile`` dump (a ``.pstats`` file, what ``snakeviz`` opens) read into a profile:
seconds per function, self (``tottime``) and inclusive (``cumtime``).

Why: instruction counts (``profile.callgrind``) name the interpreter's C functions; what a
Python developer recognises is their own functions, and a deterministic profiler names those.
It costs: every call and return is timed, so small functions called often look more
expensive than they are (the report says so), which is why it is used to say *where*, never
to decide *whether*. Built-ins are keyed as ``~`` with their names (``<built-in method ...>``).
"""

from __future__ import annotations

import pstats
from collections.abc import Sequence
from pathlib import Path

from aiwf_ci.profile.callgrind import relative
from aiwf_ci.profile.model import FunctionCost, Profile, import_name

PROFILER_ITSELF = "_lsprof.Profiler"
"""The profiler's own ``disable`` call, recorded in every dump: not the benchmark's."""


def read_pstats(path: Path, *, root: Path | None = None, paths: Sequence[Path] = ()) -> Profile:
    """The profile of one ``.pstats`` dump; ``root``: the tree the code ran from (files are
    shown from there); ``paths``: the worker's ``sys.path`` entries, to name modules."""
    roots = [str(p) for p in (*paths, *([root] if root else []))]
    stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    functions: dict[tuple[str, str], FunctionCost] = {}
    total = 0.0
    for (file, line, name), (_cc, calls, own, cumulative, _callers) in stats.items():
        if PROFILER_ITSELF in str(name):
            continue
        where = relative(str(file), str(root)) if root else str(file)
        key = (where, str(name))
        seen = functions.get(key)
        total += float(own)
        functions[key] = FunctionCost(
            file=where,
            name=str(name),
            line=int(line),
            self_cost=float(own) + (seen.self_cost if seen else 0.0),
            inclusive=float(cumulative) + (seen.inclusive if seen else 0.0),
            calls=int(calls) + (seen.calls if seen else 0),
            module=import_name(str(file), roots) if str(file).endswith(".py") else "",
        )
    return Profile(unit="s", total=total, functions=functions)
