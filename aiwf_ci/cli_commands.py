"""The bodies of the CLI's subcommands: each loads inputs, calls the library, prints the
outcome and returns an exit code. Kept out of ``cli.py`` so the parser stays readable."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

from aiwf_ci.bench.environment import detect_commit, fingerprint
from aiwf_ci.bench.runner import RunOptions, run_suite
from aiwf_ci.bench.selection import parse_shard, select
from aiwf_ci.cli_output import ProgressPrinter, results_table
from aiwf_ci.config import DEFAULT_CONFIG, SuiteConfig, load_config
from aiwf_ci.errors import EXIT_BENCHMARK_FAILED, EXIT_OK, ConfigError, ConfigErrors
from aiwf_ci.merge import merge_results
from aiwf_ci.models import load_results, write_results
from aiwf_ci.workloads.base import RunContext
from aiwf_ci.workloads.python import check_python_targets


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
        env=env, commit=detect_commit(Path.cwd(), env), environment=fingerprint(env)
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
        return EXIT_BENCHMARK_FAILED
    return EXIT_OK


def cmd_merge(args: argparse.Namespace, env: Mapping[str, str]) -> int:
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


def cmd_compare(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    raise ConfigError("compare is not available yet", field="compare")


def cmd_report(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    raise ConfigError("report is not available yet", field="report")


def cmd_import(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from aiwf_ci.ingest import ingest_results

    results = ingest_results(args.format, args.file, suite=args.suite, environment=fingerprint(env))
    path = write_results(results, args.out)
    print(f"imported {len(results.benchmarks)} benchmarks from {args.file} into {path}")
    return EXIT_OK


def cmd_action(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    raise ConfigError("action is not available yet", field="action")
