"""Callgrind's output read into a profile: executed instructions per function.

Why our own reader: ``callgrind_annotate`` is a Perl script that prints a table for people;
what the difference needs is each function's self and inclusive count, which the file gives
directly (its format: valgrind.org's "Callgrind Format Specification"):

- ``fl=``/``fi=``/``fe=`` set the current file, ``ob=`` the object (a shared library), ``fn=``
  the function; every name may be compressed, ``(id) name`` the first time and ``(id)``
  after, with one id space for files (``fl``, ``fi``, ``fe``, ``cfi``, ``cfl``), one for
  functions (``fn``, ``cfn``) and one for objects (``ob``, ``cob``);
- a cost line (positions, then one number per event of ``events:``) is the current
  function's own cost, except the one line after ``calls=COUNT TARGET``, which is the
  inclusive cost of that call (``cfn=`` names the callee);
- a function's self cost is the sum of its own lines, its inclusive cost that plus its calls
  (a recursive call to itself is already in its frames' counts and is not added again).

Several out files (one per process: ``--trace-children``) are summed function by function.
A C function without a source file is keyed by its object's file name (``libpython3.12.so``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aiwf_ci.profile.model import FunctionCost, Profile, import_name

EVENT = "Ir"
_NAME = re.compile(r"^\((\d+)\)(?: (.*))?$")
_RECURSION = re.compile(r"'\d+$")
"""Callgrind's suffix for a deeper level of a recursion (``f'2``): one function to us."""
_FILE_KEYS = ("fl", "fi", "fe", "cfi", "cfl")
_FN_KEYS = ("fn", "cfn")
_OB_KEYS = ("ob", "cob")


@dataclass(slots=True)
class _Tally:
    self_cost: int = 0
    calls_out: int = 0
    calls_in: int = 0
    line: int = 0


@dataclass(slots=True)
class _Reader:
    """The state of one file being read."""

    root: str
    names: dict[str, dict[str, str]] = field(
        default_factory=lambda: {"file": {}, "fn": {}, "ob": {}}
    )
    event: int = 0
    positions: int = 1
    file: str = ""
    obj: str = ""
    fn: tuple[str, str] | None = None
    callee: tuple[str, str] | None = None
    callee_file: str = ""
    callee_obj: str = ""
    pending_calls: int = 0
    total: int = 0
    tallies: dict[tuple[str, str], _Tally] = field(default_factory=dict)

    def name(self, space: str, text: str) -> str:
        match = _NAME.match(text.strip())
        if match is None:
            return text.strip()
        ident, given = match.groups()
        if given is not None:
            self.names[space][ident] = given
            return given
        return self.names[space].get(ident, f"({ident})")

    def where(self, file: str, obj: str) -> str:
        if file and file != "???":
            return relative(file, self.root)
        return Path(obj).name if obj else "???"

    def tally(self, key: tuple[str, str]) -> _Tally:
        return self.tallies.setdefault(key, _Tally())

    def line(self, text: str) -> None:
        if not text or text.startswith("#"):
            return
        head, sep, rest = text.partition("=")
        if sep and head.isalpha():
            self.spec(head, rest)
            return
        if ":" in text and text.split(":", 1)[0].isalpha():
            self.header(*text.split(":", 1))
            return
        if text[0].isdigit() or text[0] in "+-*":
            self.cost(text.split())

    def header(self, key: str, value: str) -> None:
        if key == "events":
            events = value.split()
            self.event = events.index(EVENT) if EVENT in events else 0
        elif key == "positions":
            self.positions = len(value.split())
        elif key in ("summary", "totals") and value.split():
            self.total = max(self.total, int(value.split()[self.event]))

    def spec(self, key: str, value: str) -> None:
        if key in _FILE_KEYS:
            name = self.name("file", value)
            if key.startswith("c"):
                self.callee_file = name
            else:
                self.file = name
        elif key in _OB_KEYS:
            name = self.name("ob", value)
            if key == "cob":
                self.callee_obj = name
            else:
                self.obj = name
        elif key in _FN_KEYS:
            name = _RECURSION.sub("", self.name("fn", value))
            if key == "fn":
                self.fn = (self.where(self.file, self.obj), name)
                self.callee_file, self.callee_obj = self.file, self.obj
            else:
                self.callee = (self.where(self.callee_file or self.file, self.callee_obj), name)
        elif key == "calls":
            self.pending_calls = int(value.split()[0])

    def cost(self, tokens: list[str]) -> None:
        if self.fn is None:
            return
        values = tokens[self.positions :]
        cost = int(values[self.event]) if len(values) > self.event else 0
        mine = self.tally(self.fn)
        if self.pending_calls and self.callee is not None:
            if self.callee != self.fn:
                mine.calls_out += cost
            self.tally(self.callee).calls_in += self.pending_calls
            self.pending_calls = 0
            self.callee_file, self.callee_obj = self.file, self.obj
            return
        mine.self_cost += cost
        first = tokens[0]
        if not mine.line and first.isdigit() and int(first) > 0:
            mine.line = int(first)


def relative(path: str, root: str) -> str:
    """``path`` relative to the tree ``root`` (so that two trees' files match), else as
    given."""
    if root and path.startswith(root.rstrip("/") + "/"):
        return path[len(root.rstrip("/")) + 1 :]
    return path


def read_callgrind(
    files: Iterable[Path], *, root: Path | None = None, paths: Sequence[Path] = ()
) -> Profile:
    """The summed profile of Callgrind out files; ``root``: the tree the program ran in;
    ``paths``: the worker's ``sys.path`` entries, to name the modules of Python files (as
    ``profile.cprofile`` does)."""
    roots = [str(p) for p in (*paths, *([root] if root else []))]
    merged: dict[tuple[str, str], _Tally] = {}
    total = 0
    for path in files:
        reader = _Reader(root=str(root) if root else "")
        with path.open(encoding="utf-8", errors="replace") as handle:
            for raw in handle:
                reader.line(raw.rstrip("\n"))
        total += reader.total or sum(t.self_cost for t in reader.tallies.values())
        for key, tally in reader.tallies.items():
            into = merged.setdefault(key, _Tally())
            into.self_cost += tally.self_cost
            into.calls_out += tally.calls_out
            into.calls_in += tally.calls_in
            into.line = into.line or tally.line
    functions = {
        key: FunctionCost(
            file=key[0],
            name=key[1],
            line=t.line,
            self_cost=float(t.self_cost),
            inclusive=float(t.self_cost + t.calls_out),
            calls=t.calls_in,
            module=_module(key[0], root, roots),
        )
        for key, t in merged.items()
    }
    return Profile(unit="Ir", total=float(total), functions=functions)


def _module(file: str, root: Path | None, roots: Sequence[str]) -> str:
    """The module a Python file (as keyed: relative to ``root`` when inside it) is imported
    as, ``""`` for anything else (a C function)."""
    if not file.endswith(".py"):
        return ""
    return import_name(str(root / file) if root else file, roots)
