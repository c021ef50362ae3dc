"""Why a benchmark changed: after the verdict of an A/B run, per-function profiles of both
sides of every regressed or improved benchmark, and their difference.

Why here: only the A/B use case has both trees set up at once, and only after its verdict
is it known which benchmarks need explaining. The profiles never change a verdict; they run
after it, only for ``python:`` and ``command:`` benchmarks whose verdict is a regression or
an improvement, within their own time budget (what does not fit is said, not done).

For each such benchmark, two measures where they can be had (``workloads.profiles``):
``counted`` (Callgrind, instructions) and ``timed`` (``cProfile``, ``python:`` only). The
raw files are kept under ``folder/<benchmark>/<side>/`` so a user can open them; the
difference (``profile.diff``) goes into the head results' ``extra["profile"]``, which the
reports and ``results.json`` carry.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from aiwf_ci.config.models import BenchmarkConfig
from aiwf_ci.models import BenchmarkResult, JSONValue, Results
from aiwf_ci.profile.callgrind import read_callgrind
from aiwf_ci.profile.cprofile import read_pstats
from aiwf_ci.profile.diff import ProfileDiff, diff_profiles, minus, scaled
from aiwf_ci.profile.model import Profile
from aiwf_ci.run.interleave import Side, SideSetup
from aiwf_ci.run.runner import tree_context
from aiwf_ci.verdict.compare import compare
from aiwf_ci.verdict.thresholds import ThresholdRules
from aiwf_ci.workloads.profiles import counted_profile, timed_profile

EXPLAINED_KINDS = ("python", "command")
TIMED_NOTE = (
    "a deterministic profiler times every call and return, so small functions called often "
    "look more expensive than they are"
)
COUNTED_PYTHON_NOTE = (
    "instructions are counted per C function of the interpreter: for Python code, the timed "
    "profile names the Python functions"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExplainOptions:
    """Where the raw profiles go, and the seconds all of them may take together."""

    folder: Path
    budget: float = 300.0
    timeout: float = 120.0


def explain_changes(
    sides: Mapping[Side, SideSetup],
    results: Mapping[Side, Results],
    rules: ThresholdRules,
    options: ExplainOptions,
    log: Callable[[str], None],
) -> dict[Side, Results]:
    """``results`` with a profile difference on each regressed or improved head benchmark
    (see the module docstring)."""
    comparison = compare(results["base"], results["head"], rules)
    changed = [
        b.name
        for b in comparison.benchmarks
        if b.verdict in ("regression", "improvement") and b.kind in EXPLAINED_KINDS
    ]
    if not changed:
        return dict(results)
    deadline = time.monotonic() + options.budget
    options = replace(options, folder=options.folder.resolve())  # workers run in the trees
    found: dict[str, dict[str, JSONValue]] = {}
    for name in changed:
        if time.monotonic() >= deadline:
            log(f"aiwf-ci: no profile of {name}: the profiles' time budget is spent")
            continue
        start = time.monotonic()
        log(f"aiwf-ci: profiling {name} on both sides to explain its change …")
        found[name] = _profiled(name, sides, options, log)
        log(f"aiwf-ci: profiled {name} in {time.monotonic() - start:.1f} s")
    head = results["head"]
    benchmarks = tuple(_with_profile(b, found.get(b.name)) for b in head.benchmarks)
    return {"base": results["base"], "head": replace(head, benchmarks=benchmarks)}


def _with_profile(bench: BenchmarkResult, profile: dict[str, JSONValue] | None) -> BenchmarkResult:
    if not profile:
        return bench
    return replace(bench, extra={**bench.extra, "profile": profile})


def _config(setup: SideSetup, name: str) -> BenchmarkConfig | None:
    return next((b for b in setup.config.benchmarks if b.name == name), None)


def safe_name(name: str) -> str:
    """A benchmark's name as one folder name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "benchmark"


def _profiled(
    name: str, sides: Mapping[Side, SideSetup], options: ExplainOptions, log: Callable[[str], None]
) -> dict[str, JSONValue]:
    """Both measures of one benchmark, each as its JSON difference (when both sides had it)."""
    folder = options.folder / safe_name(name)
    counted: dict[Side, Profile] = {}
    timed: dict[Side, Profile] = {}
    calls: dict[Side, int] = {}
    files: dict[str, JSONValue] = {}
    for side in ("base", "head"):
        setup = sides[side]
        bench = _config(setup, name)
        if bench is None:
            return {}
        ctx = tree_context(setup.tree, setup.config, log, own_code=True)
        where = folder / side
        where.mkdir(parents=True, exist_ok=True)
        got = counted_profile(bench, ctx, where / "callgrind", timeout=options.timeout)
        if got is not None:
            whole = read_callgrind(got.files, root=setup.tree.root)
            start = read_callgrind(got.start, root=setup.tree.root) if got.start else None
            counted[side] = minus(whole, start) if start else whole
            files[f"{side}_callgrind"] = [_shown(p, options) for p in got.files]
        pstats = timed_profile(bench, ctx, where / "profile.pstats", timeout=options.timeout)
        if pstats is not None:
            path, n = pstats
            paths = (ctx.config_dir, ctx.root, ctx.root / "src")
            profile = read_pstats(path, root=setup.tree.root, paths=paths)
            timed[side] = scaled(profile, 1 / n)
            calls[side] = n
            files[f"{side}_pstats"] = _shown(path, options)
    out: dict[str, JSONValue] = {}
    if len(counted) == 2:
        out["counted"] = diff_json(diff_profiles(counted["base"], counted["head"]))
        if timed:
            out["counted"] = {**out["counted"], "note": COUNTED_PYTHON_NOTE}
    if len(timed) == 2:
        out["timed"] = {
            **diff_json(diff_profiles(timed["base"], timed["head"])),
            "calls": {"base": calls["base"], "head": calls["head"]},
            "note": TIMED_NOTE,
        }
    if out:
        out["files"] = files
    return out


def _shown(path: Path, options: ExplainOptions) -> str:
    """A raw profile's path as the results name it: from the folder that holds the
    profiles' folder (the results folder)."""
    try:
        return str(path.relative_to(options.folder.parent))
    except ValueError:
        return str(path)


def diff_json(diff: ProfileDiff) -> dict[str, JSONValue]:
    """A profile difference as ``results.json`` keeps it (costs per call of the benchmark)."""
    return {
        "unit": diff.unit,
        "base_total": diff.base_total,
        "head_total": diff.head_total,
        "entries": [
            {
                "function": e.label,
                "base_self": e.base_self,
                "head_self": e.head_self,
                "self_change": e.self_change,
                "inclusive_change": e.inclusive_change,
                "share": e.share,
            }
            for e in diff.entries
        ],
    }
