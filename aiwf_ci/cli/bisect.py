"""``aiwf-ci bisect``: the first commit between a good and a bad one where a benchmark
regressed (``usecases.bisect``), each step printed as it is done, then the culprit.

Exit codes: 0 the first bad commit was found, 1 no regression between good and bad, 2 bad
input, 3 a commit that must be measured cannot be set up (the good or bad one), or skipped
commits leave more than one candidate (each named).
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Mapping
from pathlib import Path

from aiwf_ci.config import DEFAULT_CONFIG
from aiwf_ci.console.progress import ProgressPrinter, one_line
from aiwf_ci.errors import EXIT_BENCHMARK_FAILED, EXIT_OK, EXIT_REGRESSION, ConfigError
from aiwf_ci.github.checkout import checkout_top
from aiwf_ci.numbers import counted, pct
from aiwf_ci.usecases.bisect import BisectOutcome, BisectRequest, BisectStep, Revision, bisect


def cmd_bisect(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    repo = Path.cwd()
    request = BisectRequest(
        repo=repo,
        config=_relative_config(args.config, repo),
        good=args.good,
        bad=args.bad,
        only=args.benchmark,
        time_budget=args.time_budget,
        setup=not args.no_setup,
        thresholds=args.thresholds,
        profile=args.profile,
        timer=args.timer,
    )
    stream = sys.stderr if args.verbose else io.StringIO()  # every run of every step
    printer = ProgressPrinter(stream, github_actions=env.get("GITHUB_ACTIONS") == "true")
    outcome = bisect(request, env, printer, on_step=_print_step)
    print(ending(outcome))
    return {"found": EXIT_OK, "no-regression": EXIT_REGRESSION}.get(
        outcome.state, EXIT_BENCHMARK_FAILED
    )


def _relative_config(config: Path | None, repo: Path) -> Path:
    """The config's path inside the checkout (every commit has it there)."""
    if config is None:
        return DEFAULT_CONFIG
    top = checkout_top(repo)
    path = config if config.is_absolute() else (repo / config)
    if top is None:
        return config
    try:
        return path.resolve().relative_to(top.resolve())
    except ValueError:
        raise ConfigError(
            f"config {config} is outside the checkout {top}",
            field="bisect",
            fix="pass the suite config of this checkout, e.g. .aiwf/bench.yml",
        ) from None


def _print_step(step: BisectStep) -> None:
    print(step_line(step), flush=True)


def step_line(step: BisectStep) -> str:
    """``step 2  3f2a1b0  regression  +41.2%  subject`` (``skipped: why`` for a skip)."""
    change = pct(step.change)
    verdict = f"skipped: {step.note}" if step.answer == "skip" else step.verdict
    if step.answer == "skip" and step.verdict != "skipped":
        verdict = f"{step.verdict}, skipped: {step.note}"
    return one_line(
        f"step {step.number}  {step.revision.short}  {verdict}  {change}  {step.revision.subject}"
    )


def ending(outcome: BisectOutcome) -> str:
    """The search's last line: the culprit, or why there is none."""
    steps = counted(len(outcome.steps), "step")
    span = f"{counted(outcome.commits, 'commit')} after {outcome.good.short}"
    if outcome.state == "found":
        culprit = outcome.candidates[0]
        return one_line(f"first bad commit: {_named(culprit)} ({steps} over {span})")
    if outcome.state == "ambiguous":
        names = ", ".join(_named(r) for r in outcome.candidates)
        return one_line(
            f"the first bad commit is one of: {names} (commits before the last were skipped; "
            f"{steps} over {span})"
        )
    first = outcome.steps[0]
    return one_line(
        f"no regression between {outcome.good.short} and {outcome.bad.short}: "
        f"{outcome.bad.short} is {first.verdict} against {outcome.good.short} ({steps})"
    )


def _named(revision: Revision) -> str:
    return f"{revision.short} {revision.subject}"
