"""The A/B use case: two source trees measured on this machine in paired rounds.

``aiwf-ci ab`` (two folders) and the action's same-runner baseline (the base commit's tree
beside the workspace) are the same job: pair the benchmarks both trees define, set up each
tree in its own environment, then run ``run.interleave`` until every benchmark is decided or
the time budget is spent. The front ends differ only in where the trees come from and what
they do with the results.

The two trees are set up side by side, each on a thread of its own (most of the time is
pip and the project's build, waiting on processes and files), and what each logged is
shown as one group when it is done, head's first, never interleaved. A problem of head is
the run's own error (it wins when both fail, and the base tree's set-up is stopped at its
next command); one of base is a ``BaseTreeError``, so the action can fall back to another
baseline. Whatever fails, the other tree is removed again: no virtualenv is left behind.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path

from aiwf_ci.bench.cleanup import held_signals
from aiwf_ci.bench.reaper import kill_all_trees
from aiwf_ci.config import RoundsSpec, SuiteConfig
from aiwf_ci.console.progress import ProgressPrinter
from aiwf_ci.errors import AiwfCIError, BaseTreeError
from aiwf_ci.models import Commit, Results
from aiwf_ci.numbers import duration
from aiwf_ci.run.environment import detect_commit, fingerprint
from aiwf_ci.run.interleave import (
    RoundsOptions,
    Side,
    SideSetup,
    pair_benchmarks,
    run_interleaved,
)
from aiwf_ci.run.project import Tree
from aiwf_ci.run.selection import Shard, select
from aiwf_ci.usecases.common import ready_tree
from aiwf_ci.usecases.explain import ExplainOptions, explain_changes
from aiwf_ci.verdict.sequential import SequentialDesign
from aiwf_ci.verdict.thresholds import ThresholdRules


@dataclass(frozen=True, slots=True, kw_only=True)
class ABSide:
    """One tree: its suite config (loaded from that tree), its root, and the commit its
    results record (``None``: read from the tree's own git)."""

    config: SuiteConfig
    root: Path
    commit: Commit | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ABRequest:
    """What to measure and how: ``only``/``shard`` choose benchmarks; the rounds overrides
    (``None``: the head config's ``rounds:``) come from ``--time-budget`` and friends or the
    action's ``time-budget`` input, already range-checked where they were read.
    ``until_decided=False`` measures every benchmark to the budget (``usecases.calibrate``)."""

    base: ABSide
    head: ABSide
    rules: ThresholdRules
    only: str | None = None
    shard: Shard | None = None
    setup: bool = True
    cache_dir: Path | None = None
    time_budget: float | None = None
    max_rounds: int | None = None
    samples: int | None = None
    explain: ExplainOptions | None = None
    """Profile the benchmarks that changed, after the verdict (``usecases.explain``)."""
    until_decided: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ABOutcome:
    """Both sides' results (each records how it was sampled, its time budget included);
    ``note`` names benchmarks only one tree defines."""

    base: Results
    head: Results
    note: str


def measure_ab(request: ABRequest, env: Mapping[str, str], printer: ProgressPrinter) -> ABOutcome:
    """Base and head measured interleaved on this machine (see the module docstring)."""
    base, head = request.base, request.head
    pairs, note = pair_benchmarks(
        select(base.config.benchmarks, only=request.only, shard=request.shard),
        select(head.config.benchmarks, only=request.only, shard=request.shard),
    )
    spec = rounds_spec(head.config.rounds, request)
    options = RoundsOptions(
        design=SequentialDesign(alpha=spec.alpha, max_rounds=spec.max_rounds),
        samples=spec.samples,
        time_budget=spec.time_budget,
        rules=request.rules,
        environment=dict(fingerprint(env)),
        until_decided=request.until_decided,
    )
    with ExitStack() as stack:
        sides = _ready_both(stack, request, env, printer)
        results = run_interleaved(sides, pairs, options, printer)
        if request.explain is not None:
            explain = replace(request.explain, budget=explain_budget(spec, request.explain))
            results = explain_changes(sides, results, request.rules, explain, printer.note)
    return ABOutcome(base=results["base"], head=results["head"], note=note)


def explain_budget(spec: RoundsSpec, explain: ExplainOptions) -> float:
    """The profiles' time: a quarter of the rounds' budget, at least 30 s, at most what the
    options allow."""
    return min(explain.budget, max(30.0, spec.time_budget / 4))


def rounds_spec(spec: RoundsSpec, request: ABRequest) -> RoundsSpec:
    """The config's ``rounds:`` with the request's overrides (each checked where it was
    read, by the config's own parser)."""
    return replace(
        spec,
        time_budget=spec.time_budget if request.time_budget is None else request.time_budget,
        max_rounds=spec.max_rounds if request.max_rounds is None else request.max_rounds,
        samples=spec.samples if request.samples is None else request.samples,
    )


class _Stopped(Exception):
    """A tree's set-up stopped at its next line of output: the head tree's set-up failed
    (its error wins anyway) or the run was interrupted."""


@dataclass(slots=True)
class _SetUp:
    """One tree's set-up on a thread of its own: the lines it logged (shown together when it
    is done), the tree (open in ``stack``) or the exception it failed with, and how long it
    took."""

    name: Side
    side: ABSide
    lines: list[str] = field(default_factory=list)
    stack: ExitStack = field(default_factory=ExitStack)
    tree: Tree | None = None
    error: BaseException | None = None
    seconds: float = 0.0


def _ready_both(
    stack: ExitStack, request: ABRequest, env: Mapping[str, str], printer: ProgressPrinter
) -> dict[Side, SideSetup]:
    """Head and base set up side by side (see the module docstring), each removed when
    ``stack`` closes; the errors as the module docstring says."""
    jobs = (_SetUp(name="head", side=request.head), _SetUp(name="base", side=request.base))
    said = request.setup and any(_has_setup(job.side) for job in jobs)
    if said:
        printer.note("aiwf-ci: setting up the head and base trees side by side …")
    start = time.monotonic()
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="aiwf-setup") as pool:
        futures = [pool.submit(_set_up, job, request, env, stop) for job in jobs]
        try:
            for job, future in zip(jobs, futures, strict=True):
                future.result()
                _show(job, printer)
        except BaseException:  # interrupted (the signal handler killed every process)
            with held_signals():  # a second signal must not leave the virtualenvs behind
                stop.set()
                kill_all_trees()  # a command started between the signal and the stop
                wait(futures)
                for job in jobs:
                    job.stack.close()
            raise
    head, base = jobs
    if head.error is not None or base.error is not None:
        for job in jobs:
            job.stack.close()
        _raise_first(head, base)
    for job in jobs:
        stack.enter_context(job.stack)
    if said:
        took = ", ".join(f"{job.name} {duration(job.seconds)}" for job in jobs)
        printer.note(f"aiwf-ci: both trees ready in {duration(time.monotonic() - start)} ({took})")
    return {job.name: _side_setup(job) for job in jobs}


def _has_setup(side: ABSide) -> bool:
    return side.config.environment is not None and bool(side.config.environment.setup)


def _set_up(job: _SetUp, request: ABRequest, env: Mapping[str, str], stop: threading.Event) -> None:
    """One tree set up (on a pool thread): never raises, the outcome is in ``job``. A failing
    head stops the base tree's set-up at its next line of output."""

    def log(line: str) -> None:
        if stop.is_set():
            raise _Stopped
        job.lines.append(line)

    start = time.monotonic()
    try:
        job.tree = job.stack.enter_context(
            ready_tree(
                job.side.config,
                job.side.root.resolve(),
                env,
                log=log,
                cache_dir=request.cache_dir,
                setup=request.setup,
                own_code=True,
            )
        )
    except BaseException as exc:  # handed to the main thread, which raises it
        job.error = exc
        if isinstance(exc, _Stopped):
            job.lines.append("aiwf-ci: stopped (the head tree's set-up failed)")
        if job.name == "head":
            stop.set()
    finally:
        job.seconds = time.monotonic() - start


def _show(job: _SetUp, printer: ProgressPrinter) -> None:
    """A tree's set-up log as one group (nothing when it logged nothing)."""
    root = job.side.root.resolve()
    with printer.section(f"aiwf-ci: setting up the {job.name} tree ({root})") as section:
        for line in job.lines:
            section.log(line)


def _raise_first(head: _SetUp, base: _SetUp) -> None:
    """Head's error as it is; else base's as a ``BaseTreeError`` (unless it is a bug)."""
    if head.error is not None:
        raise head.error
    if isinstance(base.error, AiwfCIError):
        raise BaseTreeError(f"the base tree could not be set up: {base.error}", base.error)
    if base.error is not None:
        raise base.error


def _side_setup(job: _SetUp) -> SideSetup:
    assert job.tree is not None  # set up without an error
    side = job.side
    commit = side.commit if side.commit is not None else detect_commit(job.tree.root, {})
    return SideSetup(config=side.config, tree=job.tree, commit=commit)
