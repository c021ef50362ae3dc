"""``aiwf-ci ab``: two source trees measured interleaved on this machine, then the usual
verdict. Each tree's config is loaded from that tree, so each side runs its own commands and
``python:`` modules. Both results files record the threshold rules the verdict used (the head
tree's config, ``--thresholds`` on top), so ``compare`` on them gives the same verdict."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from aiwf_ci.cli.commands import FileRules, calibration_warnings, print_report
from aiwf_ci.config import DEFAULT_CONFIG, SuiteConfig
from aiwf_ci.console.progress import ProgressPrinter
from aiwf_ci.errors import ConfigError
from aiwf_ci.models import write_results
from aiwf_ci.run.interleave import SIDES
from aiwf_ci.usecases import exit_code, load_suite, threshold_rules
from aiwf_ci.usecases.ab import ABRequest, ABSide, measure_ab
from aiwf_ci.usecases.explain import ExplainOptions
from aiwf_ci.verdict.compare import compare
from aiwf_ci.verdict.model import Report
from aiwf_ci.verdict.rules_json import record_rules


def cmd_ab(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    base, head = (ABSide(config=_side_config(args, env, s), root=_root(args, s)) for s in SIDES)
    request = ABRequest(
        base=base,
        head=head,
        rules=threshold_rules(head.config, args.thresholds),
        only=args.only,
        setup=not args.no_setup,
        time_budget=args.time_budget,
        max_rounds=args.max_rounds,
        samples=args.samples,
        explain=None if args.no_profile else ExplainOptions(folder=args.out / "profiles"),
    )
    stream = sys.stdout if args.format == "text" else sys.stderr  # keep stdout machine-readable
    printer = ProgressPrinter(stream, github_actions=env.get("GITHUB_ACTIONS") == "true")
    extra = calibration_warnings(args.calibration, request.rules)  # a bad file: before measuring
    outcome = measure_ab(request, env, printer)
    sides = zip(SIDES, (outcome.base, outcome.head), strict=True)
    measured = {side: record_rules(results, request.rules) for side, results in sides}
    for side, results in measured.items():
        path = write_results(results, args.out / side / "results.json")
        print(f"wrote {path}", file=stream)
    report = Report.of(compare(measured["base"], measured["head"], request.rules))
    if args.format == "text":
        print()
    source = "the head tree's config" + (" + --thresholds" if args.thresholds else "")
    rules = FileRules(rules=request.rules, source=source)
    print_report(report, args.format, source="same-runner", rules=rules, extra_warnings=extra)
    if outcome.note:  # after the report, where it is read
        print(f"aiwf-ci: note: {outcome.note}", file=sys.stderr)
    return exit_code(report.status, fail_on_regression=args.fail_on_regression)


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
    suite = load_suite((root / relative).resolve(), env, args.profile, timer=args.timer)
    if args.holm:  # recorded in the run's design, so compare applies it too
        suite = replace(suite, rounds=replace(suite.rounds, holm=True))
    return suite
