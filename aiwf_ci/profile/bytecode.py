"""Python bytecode instructions counted per Python function, written as a Callgrind file.

Why: Callgrind counts machine instructions per C function, so for a ``python:`` benchmark
it names the interpreter (``_PyEval_EvalFrameDefault``), never the developer's function;
a timed profile names the Python functions but moves with the machine. Counting the
bytecode instructions each Python function executes names the Python functions *and* is
deterministic: the same code with the same input counts the same on a busy machine as on
an idle one, so the function that does 3× the work comes first every time.

How: ``sys.settrace`` with per-opcode events (``frame.f_trace_opcodes``; on 3.12+ CPython
serves them through ``sys.monitoring``) adds one to the running frame's function for each
instruction. A stack of the frames being run gives each call's inclusive count (counted at
the outermost activation of a recursive function only, so recursion is not counted twice).
What runs in C (a built-in, an extension) executes no bytecode and is not counted here; the
Callgrind measure counts it. Only the calling thread is traced.

The result is written in Callgrind's format (``events: Ir``, one ``fn=`` per Python
function, a ``calls=`` line per caller and callee) so that KCachegrind opens it and
``profile.callgrind`` reads it back: one reader, one file format. This module runs inside
the benchmark's worker process (the tree's own Python): standard library only.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

Tracer = Callable[[FrameType, str, Any], Any]


@dataclass(slots=True)
class BytecodeCounter:
    """Counts of one traced call; ``skip``: files whose functions are not counted (the
    worker's own wrapper), their callees still are."""

    skip: Collection[str] = ()
    total: int = 0
    own: Counter[CodeType] = field(default_factory=Counter)
    edges: dict[tuple[CodeType, CodeType], list[int]] = field(default_factory=dict)
    _stack: list[tuple[CodeType, int]] = field(default_factory=list)
    _active: Counter[CodeType] = field(default_factory=Counter)

    def run(self, call: Callable[[], object]) -> None:
        """``call()`` with every instruction of its Python frames counted."""
        previous = sys.gettrace()
        sys.settrace(self._on_call)
        try:
            call()
        finally:
            sys.settrace(previous)
        self._stack.clear()

    def _on_call(self, frame: FrameType, event: str, _arg: object) -> Tracer | None:
        if event != "call" or frame.f_code.co_filename in self.skip:
            return None
        frame.f_trace_lines = False
        frame.f_trace_opcodes = True
        self._stack.append((frame.f_code, self.total))
        self._active[frame.f_code] += 1
        return self._in_frame

    def _in_frame(self, frame: FrameType, event: str, _arg: object) -> Tracer:
        if event == "opcode":
            self.total += 1
            self.own[frame.f_code] += 1
        elif event == "return" and self._stack:
            self._returned()
        return self._in_frame

    def _returned(self) -> None:
        code, start = self._stack.pop()
        self._active[code] -= 1
        if not self._stack:
            return
        edge = self.edges.setdefault((self._stack[-1][0], code), [0, 0])
        edge[0] += 1
        if not self._active[code]:
            edge[1] += self.total - start

    def callgrind(self) -> str:
        """The counts in Callgrind's format (see the module docstring)."""
        lines = [
            "# callgrind format",
            "version: 1",
            f"creator: aiwf-ci bytecode counter (Python {sys.version.split()[0]})",
            "positions: line",
            "event: Ir : Python bytecode instructions",
            "events: Ir",
            f"summary: {self.total}",
        ]
        callees: dict[CodeType, list[tuple[CodeType, list[int]]]] = {}
        for (caller, callee), edge in self.edges.items():
            callees.setdefault(caller, []).append((callee, edge))
        for code in sorted(self.own.keys() | callees.keys(), key=_order):
            lines += ["", f"fl={_text(code.co_filename)}", f"fn={_name(code)}"]
            lines.append(f"{code.co_firstlineno} {self.own[code]}")
            for callee, (calls, inclusive) in sorted(callees.get(code, []), key=_edge_order):
                lines += [f"cfl={_text(callee.co_filename)}", f"cfn={_name(callee)}"]
                lines += [f"calls={calls} {callee.co_firstlineno}"]
                lines.append(f"{code.co_firstlineno} {inclusive}")
        return "\n".join(lines) + "\n"

    def write(self, path: Path) -> None:
        path.write_text(self.callgrind(), encoding="utf-8")


def _name(code: CodeType) -> str:
    return _text(getattr(code, "co_qualname", code.co_name))


def _text(value: str) -> str:
    """One line of the file: a name holding a line break cannot break the format."""
    return value.replace("\r", " ").replace("\n", " ")


def _order(code: CodeType) -> tuple[str, int, str]:
    return (code.co_filename, code.co_firstlineno, _name(code))


def _edge_order(item: tuple[CodeType, list[int]]) -> tuple[str, int, str]:
    return _order(item[0])
