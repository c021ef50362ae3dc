"""What ``aiwf-ci validate`` can check on disk before anything runs: that the paths a suite
names exist, relative to the tree's root (the one rule for relative paths, as in a workflow's
``run:`` step). ``check_cwds`` is also what ``aiwf-ci run`` (and the action) check before
measuring: one check, resolved as the workload resolves it (``base.resolve_in``), so a
``cwd:`` that ``validate`` refuses never runs, and one it accepts is the folder used.

- a ``command:`` whose script is a relative path (``python scripts/bench.py``,
  ``./run.sh``, ``bash tools/x.sh``) must find it, from the benchmark's ``cwd:``;
- a ``cwd:`` must be an existing folder;
- a ``file-batch`` ``read``/``copy`` glob must match at least one file.

A command is a shell line, so this is a best effort on its first words: anything it cannot
read with certainty (variables, ``-m module``, ``-c code``) is left for the run to judge.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from pathlib import Path

from aiwf_ci.config.models import BenchmarkConfig, CommandSpec, FileBatchSpec, SuiteConfig
from aiwf_ci.errors import ConfigError
from aiwf_ci.filebatch import iter_glob
from aiwf_ci.workloads.base import resolve_in

INTERPRETERS = re.compile(r"^(python[0-9.]*|pypy[0-9.]*|bash|sh|zsh|node|ruby|perl)$")
SCRIPT = re.compile(r"\.(py|sh|bash|js|mjs|rb|pl)$")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
SHELL_SYNTAX = set("$`*?[{~<>|;&()")


def script_of(command: str) -> str | None:
    """The relative script path a command runs, when its first words say so for certain."""
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    while words and ASSIGNMENT.match(words[0]):
        words = words[1:]
    if not words or any(c in SHELL_SYNTAX for c in words[0]):
        return None
    program = Path(words[0]).name
    if "/" in words[0] and not words[0].startswith("/"):
        return words[0]
    if not INTERPRETERS.match(program) or len(words) < 2:
        return None
    first = words[1]
    if first.startswith("-") or any(c in SHELL_SYNTAX for c in first) or first.startswith("/"):
        return None
    return first if SCRIPT.search(first) or "/" in first else None


def check_cwds(benchmarks: Sequence[BenchmarkConfig], root: Path, path: Path) -> list[ConfigError]:
    """Every ``cwd:`` of ``benchmarks`` (of the config at ``path``) that is not a folder."""
    problems = []
    for bench in benchmarks:
        spec = bench.workload
        if isinstance(spec, CommandSpec) and spec.cwd:
            problem = _cwd(bench, spec.cwd, root, f"{path}:{bench.line}")
            problems += [problem] if problem else []
    return problems


def _cwd(bench: BenchmarkConfig, cwd: str, root: Path, where: str) -> ConfigError | None:
    if resolve_in(root, cwd).is_dir():
        return None
    return ConfigError(
        f"cwd {cwd!r} is not a folder under {root}",
        where=where,
        field=f"{bench.name}.cwd",
        fix="give a folder relative to the repository root",
    )


def check_paths(config: SuiteConfig, root: Path) -> list[ConfigError]:
    """Every missing path the suite names, one ``ConfigError`` each (file:line, field, fix)."""
    problems: list[ConfigError] = []
    for bench in config.benchmarks:
        where = f"{config.path}:{bench.line}"
        spec = bench.workload
        if isinstance(spec, CommandSpec):
            problems += _command(bench, spec, root, where)
        elif isinstance(spec, FileBatchSpec):
            problems += _globs(bench, spec, root, where)
    return problems


def _command(
    bench: BenchmarkConfig, spec: CommandSpec, root: Path, where: str
) -> list[ConfigError]:
    cwd = resolve_in(root, spec.cwd) if spec.cwd else root
    problem = _cwd(bench, spec.cwd, root, where) if spec.cwd else None
    if problem is not None:
        return [problem]
    script = script_of(spec.command)
    if script is None or (cwd / script).exists():
        return []
    return [
        ConfigError(
            f"the command runs {script!r}, which does not exist in {cwd}",
            where=where,
            field=f"{bench.name}.command",
            fix="relative paths start at the repository root (or the benchmark's cwd:)",
        )
    ]


def _globs(
    bench: BenchmarkConfig, spec: FileBatchSpec, root: Path, where: str
) -> list[ConfigError]:
    problems = []
    for index, op in enumerate(spec.operations):
        if op.op == "write" or op.glob is None or "{tmp}" in op.glob:
            continue
        if next(iter_glob(op.glob, base_dir=root), None) is None:
            problems.append(
                ConfigError(
                    f"{op.op} glob {op.glob!r} matches no file under {root}",
                    where=where,
                    field=f"{bench.name}.file-batch.operations[{index}].glob",
                    fix="globs are relative to the repository root",
                )
            )
    return problems
