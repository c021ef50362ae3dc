"""A profile in one shape, whichever profiler made it: per function, self and inclusive cost.

``self`` is what the function's own code cost, ``inclusive`` that plus everything it called
(recursive calls count once per frame, as the profilers report them). Functions are keyed by
``where``: the file relative to the tree it ran in (so that base and head, two folders,
match), and the function's name; ``line`` is shown, not matched (a change above a function
moves it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionCost:
    """One function of a profile."""

    file: str
    name: str
    line: int = 0
    self_cost: float = 0.0
    inclusive: float = 0.0
    calls: int = 0
    module: str = ""
    """The module as Python imports it (``pipeline``, ``pkg.mod``), ``""`` for C code."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.file, self.name)

    @property
    def label(self) -> str:
        """``module:function (file:line)``, as the reports show it."""
        module = self.module or module_of(self.file)
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{module}:{self.name} ({where})" if module else f"{self.name} ({where})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """A whole profile: its functions by key, the total cost, and its unit (``Ir`` for
    instructions, ``s`` for seconds)."""

    unit: str
    total: float
    functions: Mapping[tuple[str, str], FunctionCost] = field(default_factory=dict)


def import_name(path: str, roots: Sequence[str]) -> str:
    """The module a Python file is imported as, from the first of ``roots`` (the folders on
    the worker's ``sys.path``, in order: the config's folder, the tree, ``src/``) that holds
    it, else from its path (``module_of``)."""
    for root in roots:
        prefix = root.rstrip("/") + "/"
        if root and path.startswith(prefix):
            return module_of(path[len(prefix) :])
    return module_of(path)


def module_of(file: str) -> str:
    """``pkg/mod.py`` -> ``pkg.mod``, a ``src/`` layout's prefix and ``__init__`` dropped;
    ``""`` for what is not a Python file (a C function, a built-in)."""
    if not file.endswith(".py"):
        return ""
    parts = file[: -len(".py")].split("/")
    if "site-packages" in parts:
        parts = parts[parts.index("site-packages") + 1 :]
    elif parts and parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(p for p in parts if p and p != "..")
