"""The A/B use case: two source trees measured on this machine in paired rounds.

``aiwf-ci ab`` (two folders) and the action's same-runner baseline (the base commit's tree
beside the workspace) are the same job: pair the benchmarks both trees define, set up each
tree in its own environment (head first: a problem of head is the run's own error; one of
base is a ``BaseTreeError``, so the action can fall back to another baseline), then run
``run.interleave`` until every benchmark is decided or the time budget is spent. The
front ends differ only in where the trees come from and what they do with the results.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

from aiwf_ci.config import RoundsSpec, SuiteConfig
from aiwf_ci.console.progress import ProgressPrinter
from aiwf_ci.errors import AiwfCIError, BaseTreeError
from aiwf_ci.models import Commit, Results
from aiwf_ci.run.environment import detect_commit, fingerprint
from aiwf_ci.run.interleave import (
    RoundsOptions,
    Side,
    SideSetup,
    pair_benchmarks,
    run_interleaved,
)
from aiwf_ci.run.selection import Shard, select
from aiwf_ci.usecases.common import ready_tree
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
    action's ``time-budget`` input, already range-checked where they were read."""

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
    )
    with ExitStack() as stack:
        sides: dict[Side, SideSetup] = {"head": _ready(stack, head, "head", request, env, printer)}
        try:
            sides["base"] = _ready(stack, base, "base", request, env, printer)
        except AiwfCIError as exc:
            raise BaseTreeError(f"the base tree could not be set up: {exc}", exc) from None
        results = run_interleaved(sides, pairs, options, printer)
    return ABOutcome(base=results["base"], head=results["head"], note=note)


def rounds_spec(spec: RoundsSpec, request: ABRequest) -> RoundsSpec:
    """The config's ``rounds:`` with the request's overrides (each checked where it was
    read, by the config's own parser)."""
    return replace(
        spec,
        time_budget=spec.time_budget if request.time_budget is None else request.time_budget,
        max_rounds=spec.max_rounds if request.max_rounds is None else request.max_rounds,
        samples=spec.samples if request.samples is None else request.samples,
    )


def _ready(
    stack: ExitStack,
    side: ABSide,
    name: str,
    request: ABRequest,
    env: Mapping[str, str],
    printer: ProgressPrinter,
) -> SideSetup:
    """One tree set up in its own environment (removed when ``stack`` closes)."""
    root = side.root.resolve()
    section = stack.enter_context(printer.section(f"aiwf-ci: setting up the {name} tree ({root})"))
    tree = stack.enter_context(
        ready_tree(
            side.config,
            root,
            env,
            log=section.log,
            cache_dir=request.cache_dir,
            setup=request.setup,
            own_code=True,
        )
    )
    section.close()
    commit = side.commit if side.commit is not None else detect_commit(root, {})
    return SideSetup(config=side.config, tree=tree, commit=commit)
