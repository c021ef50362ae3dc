"""The bodies of the CLI's subcommands: each loads inputs, calls the library, prints the
outcome and returns an exit code. Kept out of ``cli.py`` so the parser stays readable."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from aiwf_ci.bench.environment import child_environment, detect_commit, fingerprint
from aiwf_ci.bench.runner import RunOptions, run_suite
from aiwf_ci.bench.selection import parse_shard, select
from aiwf_ci.cli_output import ProgressPrinter, results_table
from aiwf_ci.config import DEFAULT_CONFIG, BenchmarkConfig, SuiteConfig, load_config
from aiwf_ci.errors import (
    EXIT_BENCHMARK_FAILED,
    EXIT_OK,
    EXIT_REGRESSION,
    BaselineError,
    ConfigError,
    ConfigErrors,
)
from aiwf_ci.merge import merge_results
from aiwf_ci.models import Results, load_results, write_results, write_text_atomic
from aiwf_ci.thresholds import ThresholdRules, build_rules, rules_from_spec
from aiwf_ci.workloads.base import RunContext
from aiwf_ci.workloads.python import check_python_targets

if TYPE_CHECKING:
    from aiwf_ci.compare import Comparison


def load_checked_config(
    path: Path | None, env: Mapping[str, str], profile: str | None = None
) -> SuiteConfig:
    """Load a config and import its python targets (in a worker): all problems at once."""
    config = load_config(path or DEFAULT_CONFIG, profile=profile, env=env)
    problems = check_python_targets(config, RunContext(base_dir=config.base_dir, env=env))
    if problems:
        raise ConfigErrors(problems)
    return config


def cmd_run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    config = load_checked_config(args.config, env, args.profile)
    shard = parse_shard(args.shard) if args.shard else None
    benchmarks = select(config.benchmarks, only=args.only, shard=shard)
    github = env.get("GITHUB_ACTIONS") == "true"
    options = RunOptions(
        env=child_environment(env, sys.executable),
        commit=detect_commit(Path.cwd(), env),
        environment=fingerprint(env),
    )
    printer = ProgressPrinter(sys.stdout, github_actions=github)
    results = run_suite(config, benchmarks, options, printer)
    path = write_results(results, args.out / "results.json")
    print()
    print(results_table(results.benchmarks))
    print(f"\nwrote {path}")
    failed = [b.name for b in results.benchmarks if b.failed]
    if failed:
        print(f"aiwf-ci: {len(failed)} benchmark(s) failed: {', '.join(failed)}", file=sys.stderr)
    if args.baseline:
        return _compare_after_run(args, env, config, results)
    return EXIT_BENCHMARK_FAILED if failed else EXIT_OK


def _compare_after_run(
    args: argparse.Namespace, env: Mapping[str, str], config: SuiteConfig, head: Results
) -> int:
    """``run --baseline B.json``: the verdict right after measuring, as the action does."""
    from aiwf_ci.compare import compare, exit_status
    from aiwf_ci.github.baseline import LocalBaselineStore
    from aiwf_ci.report import render_text

    base = build_rules(config.thresholds, config.benchmark_thresholds())
    rules = rules_from_spec(args.thresholds, base=base) if args.thresholds else base
    try:
        baseline = LocalBaselineStore(args.baseline).fetch()
    except BaselineError as exc:
        print(f"\nno baseline: {exc}")
        return EXIT_OK
    comparison = compare(baseline.results, head, rules)
    print()
    print(render_text(comparison))
    return status_exit_code(exit_status(comparison), fail_on_regression=args.fail_on_regression)


def refuse_overwrite(output: Path | None, inputs: Sequence[Path | None], flag: str) -> None:
    """An output may never replace one of the command's own inputs."""
    if output is None:
        return
    for source in inputs:
        if source is not None and output.resolve() == source.resolve():
            raise ConfigError(
                f"{output} is also an input of this command",
                field=flag,
                fix="write the output to another path",
            )


def cmd_merge(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    refuse_overwrite(args.out, args.shards, "--out")
    shards = [load_results(path) for path in args.shards]
    merged = merge_results(shards, [str(p) for p in args.shards])
    path = write_results(merged, args.out)
    print(f"merged {len(merged.benchmarks)} benchmarks from {len(shards)} shards into {path}")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    if args.schema:
        from aiwf_ci.config.schema import schema_text

        print(schema_text())
        return EXIT_OK
    config = load_checked_config(args.config, env)
    kinds = sorted({b.kind for b in config.benchmarks})
    print(
        f"{config.path}: ok — suite {config.suite!r}, {len(config.benchmarks)} benchmarks "
        f"({', '.join(kinds)}), profile {config.profile or 'none'}"
    )
    return EXIT_OK


def threshold_rules(
    config_path: Path | None, spec: str | None, env: Mapping[str, str]
) -> ThresholdRules:
    """Seed defaults <- the config's thresholds (if given) <- ``--thresholds``."""
    base = build_rules()
    if config_path is not None:
        config = load_config(config_path, env=env)
        base = build_rules(config.thresholds, config.benchmark_thresholds())
    return rules_from_spec(spec, base=base) if spec else base


def cmd_compare(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from aiwf_ci.compare import compare, exit_status
    from aiwf_ci.report import comparison_to_dict, render_comment, render_text

    rules = threshold_rules(args.config, args.thresholds, env)
    baseline, head = load_results(args.baseline), load_results(args.current)
    comparison = compare(baseline, head, rules)
    if args.format == "json":
        print(json.dumps(comparison_to_dict(comparison), indent=2))
    elif args.format == "markdown":
        print(render_comment(comparison), end="")
    else:
        print(render_text(comparison))
    return status_exit_code(exit_status(comparison), fail_on_regression=args.fail_on_regression)


def status_exit_code(status: str, *, fail_on_regression: bool) -> int:
    """DESIGN.md's exit codes: 3 a benchmark failed, 1 regression (if failing on it), else 0."""
    if status == "error":
        return EXIT_BENCHMARK_FAILED
    if status == "regression" and fail_on_regression:
        return EXIT_REGRESSION
    return EXIT_OK


def cmd_report(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from aiwf_ci.compare import compare
    from aiwf_ci.report import render_html, render_summary

    for output, flag in ((args.html, "--html"), (args.markdown, "--markdown")):
        refuse_overwrite(output, [args.results, args.baseline], flag)
    if not args.html and not args.markdown:
        raise ConfigError(
            "nothing to write", field="report", fix="pass --html OUT.html or --markdown OUT.md"
        )
    head = load_results(args.results)
    subject: Comparison | Results = head
    if args.baseline:
        rules = threshold_rules(None, args.thresholds, env)
        subject = compare(load_results(args.baseline), head, rules)
    for path, text in ((args.html, render_html), (args.markdown, render_summary)):
        if path:
            write_text_atomic(path, text(subject))
            print(f"wrote {path}")
    return EXIT_OK


def cmd_import(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from aiwf_ci.ingest import ingest_results

    refuse_overwrite(args.out, [args.file], "--out")
    results = ingest_results(args.format, args.file, suite=args.suite, environment=fingerprint(env))
    path = write_results(results, args.out)
    print(f"imported {len(results.benchmarks)} benchmarks from {args.file} into {path}")
    return EXIT_OK


def cmd_action(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from aiwf_ci.action import main as action_main

    return action_main(env)


def cmd_ab(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """``aiwf-ci ab``: both trees interleaved on this machine, then the usual verdict."""
    from aiwf_ci.bench.interleave import SIDES, InterleaveOptions, SideSetup, run_interleaved
    from aiwf_ci.compare import compare, exit_status
    from aiwf_ci.report import comparison_to_dict, render_comment, render_text

    if args.chunks < 1:
        raise ConfigError(f"invalid --chunks {args.chunks}", field="--chunks", fix="use 1 or more")
    configs = {side: _ab_config(args, env, side) for side in SIDES}
    pairs, note = _ab_pairs(configs["base"], configs["head"], args.only)
    text = args.format == "text"
    stream = sys.stdout if text else sys.stderr  # keep stdout machine-readable
    options = InterleaveOptions(
        chunks=args.chunks, env=child_environment(env, sys.executable), environment=fingerprint(env)
    )
    sides = {
        side: SideSetup(
            config=configs[side], commit=detect_commit(getattr(args, f"{side}_dir"), {})
        )
        for side in SIDES
    }
    printer = ProgressPrinter(stream, github_actions=env.get("GITHUB_ACTIONS") == "true")
    results = run_interleaved(sides, pairs, options, printer)
    for side, side_results in results.items():
        path = write_results(side_results, args.out / side / "results.json")
        print(f"wrote {path}", file=stream)
    head = configs["head"]
    rules = build_rules(head.thresholds, head.benchmark_thresholds())
    rules = rules_from_spec(args.thresholds, base=rules) if args.thresholds else rules
    comparison = compare(results["base"], results["head"], rules)
    if args.format == "json":
        print(json.dumps(comparison_to_dict(comparison), indent=2))
    elif args.format == "markdown":
        print(render_comment(comparison), end="")
    else:
        print()
        print(render_text(comparison))
    if note:  # after the report, where it is read
        print(f"aiwf-ci: note: {note}", file=sys.stderr)
    return status_exit_code(exit_status(comparison), fail_on_regression=args.fail_on_regression)


def _ab_config(args: argparse.Namespace, env: Mapping[str, str], side: str) -> SuiteConfig:
    """The suite config as found in one tree (its own commands and ``python:`` modules)."""
    root: Path = getattr(args, f"{side}_dir")
    relative = args.config or DEFAULT_CONFIG
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
    return load_checked_config((root / relative).resolve(), env, args.profile)


def _ab_pairs(
    base: SuiteConfig, head: SuiteConfig, only: str | None
) -> tuple[list[tuple[BenchmarkConfig, BenchmarkConfig]], str]:
    from aiwf_ci.bench.interleave import pair_benchmarks

    pairs, note = pair_benchmarks(base.benchmarks, head.benchmarks)
    if only:
        chosen = {b.name for b in select([b for b, _ in pairs], only=only)}
        pairs = [(b, h) for b, h in pairs if b.name in chosen]
    return pairs, note
