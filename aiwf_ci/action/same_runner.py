"""The PR verdict measured on this runner: the base commit's tree beside the head's
workspace, both set up, both measured interleaved in rounds until decided.

A baseline from another job on another runner carries that runner's noise; no test on the
samples can remove it. So on a pull request (``baseline: auto`` or ``same-runner``) the
action gets the base commit's tree (local git, else the repository tarball, cached by SHA:
``github.trees``), loads the suite config from it (the same relative path as head's), sets
up each tree in its own virtualenv, and runs ``run.interleave`` (``aiwf-ci ab``'s machinery).

Anything that stops the *base* side — no tree, no config in it, a config or set-up that
fails in the base tree — is a ``SameRunnerUnavailable`` carrying the reason: the caller
falls back to the artifact baseline and shows why. A problem of the *head* side is the
run's own error, as in any run.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from aiwf_ci.action.inputs import ActionConfig
from aiwf_ci.action.output import Console
from aiwf_ci.action.plan import Plan
from aiwf_ci.config import SuiteConfig
from aiwf_ci.console.progress import ProgressPrinter
from aiwf_ci.errors import AiwfCIError, BaselineError
from aiwf_ci.github.client import GitHubClient
from aiwf_ci.github.trees import base_tree
from aiwf_ci.models import Commit, Results, short_sha
from aiwf_ci.run.interleave import Side, SideSetup, pair_benchmarks, run_interleaved
from aiwf_ci.run.project import Tree
from aiwf_ci.run.selection import select
from aiwf_ci.usecases import load_suite, ready_tree, rounds_options, rounds_spec, run_options
from aiwf_ci.verdict.thresholds import ThresholdRules


class SameRunnerUnavailable(BaselineError):
    """The base side cannot be measured here; the message is the reason shown."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SameRunnerRun:
    """Both sides' results from one interleaved run, and what the report should say."""

    base: Results
    head: Results
    source: str
    note: str = ""
    budget: float = 0.0


def measure_same_runner(
    config: ActionConfig,
    plan: Plan,
    env: Mapping[str, str],
    console: Console,
    client: GitHubClient | None,
    suite: SuiteConfig,
    rules: ThresholdRules,
) -> SameRunnerRun:
    """Base and head measured interleaved on this runner (see the module docstring)."""
    root = config.workspace.resolve()
    base_suite, base_root, source = _base_suite(config, plan, env, client, root)
    console.line(f"aiwf-ci: base tree of {short_sha(plan.base_sha)} from {source}")
    pairs, note = pair_benchmarks(
        select(base_suite.benchmarks, shard=config.shard),
        select(suite.benchmarks, shard=config.shard),
    )
    spec = rounds_spec(suite.rounds, budget=config.time_budget)
    printer = ProgressPrinter(console.stream, github_actions=True)
    base_commit = Commit(sha=plan.base_sha or "", ref=plan.base_branch or "")
    with ExitStack() as stack:
        head = _side(stack, suite, root, env, config, printer, "head")
        try:
            base = _side(stack, base_suite, base_root, env, config, printer, "base")
        except AiwfCIError as exc:
            raise SameRunnerUnavailable(f"the base tree could not be set up: {exc}") from None
        recorded = run_options(head, env)
        sides: dict[Side, SideSetup] = {
            "base": SideSetup(config=base_suite, tree=base, commit=base_commit),
            "head": SideSetup(config=suite, tree=head, commit=recorded.commit),
        }
        options = rounds_options(spec, rules, recorded.environment)
        results = run_interleaved(sides, pairs, options, printer)
    return SameRunnerRun(
        base=results["base"], head=results["head"], source=source, note=note, budget=spec.budget
    )


def _base_suite(
    config: ActionConfig,
    plan: Plan,
    env: Mapping[str, str],
    client: GitHubClient | None,
    root: Path,
) -> tuple[SuiteConfig, Path, str]:
    try:
        relative = config.config.resolve().relative_to(root)
    except ValueError:
        raise SameRunnerUnavailable(
            "the config is outside the workspace, so the base tree has none to match"
        ) from None
    tree, source = base_tree(
        sha=plan.base_sha or "", cache_dir=config.cache_dir, workspace=root, client=client
    )
    path = tree / relative
    if not path.is_file():
        raise SameRunnerUnavailable(f"the base commit has no {relative} (a new suite?)")
    try:
        return load_suite(path, env, config.profile, timer=config.timer), tree, source
    except AiwfCIError as exc:
        raise SameRunnerUnavailable(f"the base commit's {relative} is not usable: {exc}") from None


def _side(
    stack: ExitStack,
    suite: SuiteConfig,
    root: Path,
    env: Mapping[str, str],
    config: ActionConfig,
    printer: ProgressPrinter,
    side: str,
) -> Tree:
    section = stack.enter_context(printer.section(f"aiwf-ci: setting up the {side} tree"))
    tree = stack.enter_context(
        ready_tree(suite, root, env, log=section.log, cache_dir=config.cache_dir)
    )
    section.close()
    return tree
