"""``aiwf-ci ab``: two source trees measured interleaved on this machine, then the usual
verdict. Each tree's config is loaded from that tree, so each side runs its own commands and
``python:`` modules."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path

from aiwf_ci.cli.commands import print_report
from aiwf_ci.config import DEFAULT_CONFIG, BenchmarkConfig, SuiteConfig
from aiwf_ci.console.progress import ProgressPrinter
from aiwf_ci.errors import ConfigError
from aiwf_ci.models import write_results
from aiwf_ci.run.environment import detect_commit
from aiwf_ci.run.interleave import SIDES, SideSetup, pair_benchmarks, run_interleaved
from aiwf_ci.run.selection import select
from aiwf_ci.usecases import (
    exit_code,
    load_suite,
    ready_tree,
    rounds_options,
    rounds_spec,
    run_options,
    threshold_rules,
)
from aiwf_ci.verdict.compare import compare
from aiwf_ci.verdict.model import Report


def cmd_ab(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    configs = {side: _side_config(args, env, side) for side in SIDES}
    pairs, note = _pairs(configs["base"], configs["head"], args.only)
    rules = threshold_rules(configs["head"], args.thresholds)
    stream = sys.stdout if args.format == "text" else sys.stderr  # keep stdout machine-readable
    printer = ProgressPrinter(stream, github_actions=env.get("GITHUB_ACTIONS") == "true")
    with ExitStack() as stack:
        sides = {side: _ready(stack, args, env, configs[side], side, printer) for side in SIDES}
        spec = rounds_spec(configs["head"].rounds, args.budget, args.max_rounds, args.samples)
        options = rounds_options(spec, rules, run_options(sides["head"].tree, env).environment)
        results = run_interleaved(sides, pairs, options, printer)
    for side, side_results in results.items():
        path = write_results(side_results, args.out / side / "results.json")
        print(f"wrote {path}", file=stream)
    report = Report.of(compare(results["base"], results["head"], rules))
    if args.format == "text":
        print()
    print_report(report, args.format, design="same-runner")
    if note:  # after the report, where it is read
        print(f"aiwf-ci: note: {note}", file=sys.stderr)
    return exit_code(report.status, fail_on_regression=args.fail_on_regression)


def _ready(
    stack: ExitStack,
    args: argparse.Namespace,
    env: Mapping[str, str],
    config: SuiteConfig,
    side: str,
    printer: ProgressPrinter,
) -> SideSetup:
    """One tree set up in its own environment (removed when ``stack`` closes)."""
    root = _root(args, side).resolve()
    section = stack.enter_context(printer.section(f"setting up the {side} tree ({root})"))
    tree = stack.enter_context(
        ready_tree(config, root, env, log=section.log, setup=not args.no_setup)
    )
    section.close()
    return SideSetup(config=config, tree=tree, commit=detect_commit(root, {}))


def _root(args: argparse.Namespace, side: str) -> Path:
    root: Path = getattr(args, f"{side}_dir")
    return root


def _side_config(args: argparse.Namespace, env: Mapping[str, str], side: str) -> SuiteConfig:
    """The suite config as found in one tree (its own commands and ``python:`` modules)."""
    root = _root(args, side)
    relative: Path = args.config or DEFAULT_CONFIG
    if relative.is_absolute():
        raise ConfigError(
            f"config path {relative} is absolute",
            field="ab",
            fix="pass it relative to --base-dir and --head-dir, e.g. .aiwf/bench.yml",
        )
    if not root.is_dir():
        raise ConfigError(
            f"{side} dir {root} is not a folder", field=f"--{side}-dir", fix="pass a source tree"
        )
    if not (root / relative).is_file():
        raise ConfigError(
            f"no config {relative} in the {side} tree {root}",
            field=f"--{side}-dir",
            fix="both trees need the suite config at the same relative path",
        )
    return load_suite((root / relative).resolve(), env, args.profile, timer=args.timer)


def _pairs(
    base: SuiteConfig, head: SuiteConfig, only: str | None
) -> tuple[list[tuple[BenchmarkConfig, BenchmarkConfig]], str]:
    pairs, note = pair_benchmarks(base.benchmarks, head.benchmarks)
    if only:
        chosen = {b.name for b in select([b for b, _ in pairs], only=only)}
        pairs = [(b, h) for b, h in pairs if b.name in chosen]
    return pairs, note
