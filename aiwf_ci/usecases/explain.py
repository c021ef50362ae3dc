"""Why a benchmark changed: after the verdict of an A/B run, per-function profiles of both
sides of every regressed or improved benchmark, and their difference.

Why here: only the A/B use case has both trees set up at once, and only after its verdict
is it known which benchmarks need explaining. The profiles never change a verdict; they run
after it, only for ``python:`` and ``command:`` benchmarks whose verdict is a regression or
an improvement, within their own time budget (what does not fit is said, not done).

For each such benchmark, the measures that can be had (``workloads.profiles``):
``bytecode`` (Python bytecode instructions per Python function, ``python:`` only),
``timed`` (``cProfile``, ``python:`` only) and ``counted`` (Callgrind, instructions). The
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
from aiwf_ci.profile.diff import ProfileDiff, diff_profiles, median_profile, minus, scaled
from aiwf_ci.profile.model import Profile
from aiwf_ci.run.interleave import Side, SideSetup
from aiwf_ci.run.runner import tree_context
from aiwf_ci.verdict.compare import compare
from aiwf_ci.verdict.thresholds import ThresholdRules
from aiwf_ci.verdict.timer import CPU
from aiwf_ci.workloads.base import RunContext
from aiwf_ci.workloads.profiles import (
    Clock,
    bytecode_profile,
    counted_profile,
    timed_profile,
)

EXPLAINED_KINDS = ("python", "command")
TIMED_NOTE = (
    "a deterministic profiler times every call and return, so small functions called often "
    "look more expensive than they are"
)
CLOCKS = {
    "cpu": "timed in CPU time (a wait for a CPU is billed to no function)",
    "wall": "timed in wall time: the benchmark waits (sleep, I/O, locks), which costs no CPU",
}
COUNTED_PYTHON_NOTE = (
    "machine instructions are counted per C function of the interpreter: for Python code, "
    "the bytecode and timed profiles name the Python functions"
)
BYTECODE_NOTE = (
    "Python bytecode instructions of one call, per Python function; what runs in C "
    "(built-ins, extensions) is not counted here but in the Callgrind profile"
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
    changed: dict[str, Clock] = {
        b.name: "cpu" if b.timer is not None and b.timer.gated == CPU else "wall"
        for b in comparison.benchmarks
        if b.verdict in ("regression", "improvement") and b.kind in EXPLAINED_KINDS
    }
    if not changed:
        return dict(results)
    deadline = time.monotonic() + options.budget
    options = replace(options, folder=options.folder.resolve())  # workers run in the trees
    found: dict[str, dict[str, JSONValue]] = {}
    for name, clock in changed.items():
        if time.monotonic() >= deadline:
            log(f"aiwf-ci: no profile of {name}: the profiles' time budget is spent")
            continue
        start = time.monotonic()
        log(f"aiwf-ci: profiling {name} on both sides to explain its change …")
        found[name] = _profiled(name, sides, options, log, clock)
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


MEASURE_NAMES = ("bytecode", "timed", "counted")


@dataclass(frozen=True, slots=True, kw_only=True)
class SideProfiles:
    """One side's profiles of one benchmark by measure, the files to show, the timed calls."""

    profiles: Mapping[str, Profile]
    files: Mapping[str, JSONValue]
    calls: int = 0
    clock: Clock = "cpu"


def _profiled(
    name: str,
    sides: Mapping[Side, SideSetup],
    options: ExplainOptions,
    log: Callable[[str], None],
    clock: Clock,
) -> dict[str, JSONValue]:
    """The measures of one benchmark, each as its JSON difference (when both sides had it)."""
    folder = options.folder / safe_name(name)
    found: dict[Side, SideProfiles] = {}
    for side in ("base", "head"):
        setup = sides[side]
        bench = _config(setup, name)
        if bench is None:
            return {}
        ctx = tree_context(setup.tree, setup.config, log, own_code=True)
        found[side] = profile_side(bench, ctx, folder / side, options, clock=clock)
    return _differences(found["base"], found["head"])


def profile_side(
    bench: BenchmarkConfig,
    ctx: RunContext,
    where: Path,
    options: ExplainOptions,
    measures: tuple[str, ...] = MEASURE_NAMES,
    *,
    clock: Clock = "cpu",
) -> SideProfiles:
    """``bench``'s profiles in one tree, per measure that can be had, files under ``where``;
    the timed one on ``clock`` (CPU time; wall time for a benchmark gated on a time that
    holds its waits: a sleep costs no CPU)."""
    where.mkdir(parents=True, exist_ok=True)
    profiles: dict[str, Profile] = {}
    files: dict[str, JSONValue] = {}
    calls = 0
    timeout = options.timeout
    if "bytecode" in measures:
        path = bytecode_profile(bench, ctx, where / "bytecode.callgrind", timeout=timeout)
        if path is not None:
            profiles["bytecode"] = read_callgrind([path], root=ctx.root, paths=_sys_path(ctx))
            files["bytecode"] = _shown(path, options)
    if "timed" in measures:
        timed = timed_profile(bench, ctx, where / "profile.pstats", timeout=timeout, clock=clock)
        if timed is not None:
            blocks = [
                scaled(read_pstats(path, root=ctx.root, paths=_sys_path(ctx)), 1 / n)
                for path, n in timed.blocks
            ]
            profiles["timed"], calls = median_profile(blocks), timed.calls
            files["pstats"] = _shown(timed.path, options)
    if "counted" in measures:
        got = counted_profile(bench, ctx, where / "callgrind", timeout=timeout)
        if got is not None:
            whole = read_callgrind(got.files, root=ctx.root)
            start = read_callgrind(got.start, root=ctx.root) if got.start else None
            profiles["counted"] = minus(whole, start) if start else whole
            files["callgrind"] = [_shown(p, options) for p in got.files]
    return SideProfiles(profiles=profiles, files=files, calls=calls, clock=clock)


def _sys_path(ctx: RunContext) -> tuple[Path, ...]:
    """The worker's ``sys.path`` entries that name a tree's modules."""
    return (ctx.config_dir, ctx.root, ctx.root / "src")


def _differences(base: SideProfiles, head: SideProfiles) -> dict[str, JSONValue]:
    """Each measure both sides have, base against head, as ``results.json`` keeps it."""
    out: dict[str, JSONValue] = {}
    both = [m for m in MEASURE_NAMES if m in base.profiles and m in head.profiles]
    for measure in both:
        diff = diff_json(diff_profiles(base.profiles[measure], head.profiles[measure]))
        if measure == "bytecode":
            diff["note"] = BYTECODE_NOTE
        elif measure == "timed":
            diff["calls"] = {"base": base.calls, "head": head.calls}
            diff["clock"] = head.clock
            diff["note"] = f"{TIMED_NOTE}; {CLOCKS[head.clock]}"
        elif "bytecode" in both or "timed" in both:
            diff["note"] = COUNTED_PYTHON_NOTE
        out[measure] = diff
    if out:
        sides = (("base", base), ("head", head))
        out["files"] = {f"{n}_{key}": v for n, side in sides for key, v in side.files.items()}
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
