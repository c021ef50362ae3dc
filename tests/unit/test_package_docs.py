"""Every package says what it holds: its ``__init__`` docstring has a ``Modules:`` section
with one entry per module and subpackage (``    name    what it is for``), and names
nothing that is not there. A module added, renamed or removed without its line fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "aiwf_ci"
ENTRY = re.compile(r"^ {4}([a-z_][a-z0-9_]*)/?(?: {2,}|$)")


def packages() -> list[Path]:
    return sorted(p.parent for p in PACKAGE.rglob("__init__.py") if "__pycache__" not in p.parts)


def listed(package: Path) -> set[str]:
    doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text())) or ""
    lines = doc.splitlines()
    starts = [i for i, line in enumerate(lines) if line.rstrip() in ("Modules:", "Modules::")]
    assert starts, f"{package.relative_to(PACKAGE.parent)}: no 'Modules:' section"
    names = set()
    for line in lines[starts[0] + 1 :]:
        if not line.strip():
            break
        match = ENTRY.match(line)
        if match:
            names.add(match.group(1))
    return names


def present(package: Path) -> set[str]:
    modules = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    subpackages = {p.parent.name for p in package.glob("*/__init__.py")}
    return modules | subpackages


@pytest.mark.parametrize("package", packages(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_the_docstring_lists_exactly_the_modules(package: Path) -> None:
    if package == PACKAGE:
        pytest.skip("the root package documents its public API, not its layout")
    missing, extra = present(package) - listed(package), listed(package) - present(package)
    assert not missing and not extra, (
        f"not listed: {sorted(missing)}; no such module: {sorted(extra)}"
    )
