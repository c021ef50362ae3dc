"""The package's layers, kept by a test: no module imports from a layer above its own, and no
import cycle, counting the imports hidden inside functions too.

    cli > action > usecases > run > workloads > bench
        > github > report, console > config > verdict > history, ingest, filebatch, loadgen
        > models, metrics > stats, units, numbers, pacing, redaction, fileio > errors

Packages may import freely inside themselves (cycles still fail). The root ``__init__``
(the public API) and ``__main__`` only re-export and are left out.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "aiwf_ci"

RANKS: dict[str, int] = {
    "cli": 14,
    "action": 13,
    "usecases": 12,
    "run": 11,
    "workloads": 10,
    "bench": 9,
    "github": 8,
    "report": 7,
    "console": 7,
    "config": 6,
    "verdict": 5,
    "history": 4,
    "profile": 4,
    "ingest": 4,
    "filebatch": 4,
    "loadgen": 4,
    "models": 3,
    "metrics": 3,
    "stats": 2,
    "units": 2,
    "numbers": 2,
    "pacing": 2,
    "redaction": 2,
    "fileio": 2,
    "errors": 1,
}
LEFT_OUT = {"aiwf_ci", "aiwf_ci.__main__"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> Iterator[str]:
    """Every ``aiwf_ci`` module this file imports, at any depth (functions included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("aiwf_ci"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("aiwf_ci"):
            # `from aiwf_ci.cli import commands` imports the submodule, not a name of the
            # package's __init__
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            submodules = [n for n in names if n in MODULES]
            yield from submodules
            if len(submodules) < len(names):
                yield str(node.module)


MODULES: dict[str, Path] = {module_name(p): p for p in PACKAGE.rglob("*.py")}
GRAPH: dict[str, set[str]] = {
    name: {m for m in imports_of(path) if m in MODULES and m != name}
    for name, path in MODULES.items()
}


def layer(module: str) -> str:
    return module.split(".")[1] if "." in module else module


def test_every_layer_has_a_rank() -> None:
    layers = {layer(m) for m in MODULES if m not in LEFT_OUT}
    assert layers <= set(RANKS), f"give these a rank in RANKS: {sorted(layers - set(RANKS))}"


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    found = []
    for module, targets in graph.items():
        if module in LEFT_OUT:
            continue
        for target in targets - LEFT_OUT:
            own, other = layer(module), layer(target)
            if own != other and RANKS[other] > RANKS[own]:
                found.append(f"{module} ({own}) imports {target} ({other}), a layer above")
    return sorted(found)


def test_no_module_imports_a_layer_above_its_own() -> None:
    assert upward_imports(GRAPH) == []


def test_an_upward_import_is_found() -> None:
    graph = {"aiwf_ci.bench.process": {"aiwf_ci.run.runner"}, "aiwf_ci.run.runner": set()}
    assert upward_imports(graph) == [
        "aiwf_ci.bench.process (bench) imports aiwf_ci.run.runner (run), a layer above"
    ]


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a path of module names, or [] (depth-first search)."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return []

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return []


def test_no_import_cycle() -> None:
    graph = {m: t - LEFT_OUT for m, t in GRAPH.items() if m not in LEFT_OUT}
    assert find_cycle(graph) == []


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"a"}}, ["a", "a"]),
    ],
)
def test_the_cycle_finder_finds_cycles(graph: dict[str, set[str]], expected: list[str]) -> None:
    assert find_cycle(graph) == expected


def test_the_walk_sees_imports_inside_functions() -> None:
    # cli.main dispatches to its commands through an import inside a function
    assert "aiwf_ci.cli.commands" in GRAPH["aiwf_ci.cli.main"]
