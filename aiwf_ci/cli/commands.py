"""The bodies of the CLI's subcommands: each loads inputs, calls the library, prints the
outcome and returns an exit code. Kept out of ``main`` so the parser stays readable."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from aiwf_ci.config import DEFAULT_CONFIG, SuiteConfig, load_config
from aiwf_ci.console.progress import ProgressPrinter, results_table
from aiwf_ci.console.workflow import stop_commands
from aiwf_ci.errors import EXIT_BENCHMARK_FAILED, EXIT_OK, BaselineError, ConfigError, ConfigErrors
from aiwf_ci.models import Results, load_results, write_results, write_text_atomic
from aiwf_ci.models.baseline import LocalBaselineStore
from aiwf_ci.models.read import load_history
from aiwf_ci.report import (
    ReportContext,
    comparison_to_dict,
    render_comment,
    render_html,
    render_summary,
    render_text,
)
from aiwf_ci.run.environment import fingerprint
from aiwf_ci.run.merge import merge_results
from aiwf_ci.usecases import exit_code, load_suite, ready_tree, threshold_rules
from aiwf_ci.usecases.workspace import run_workspace
from aiwf_ci.verdict.compare import compare, unrelated
from aiwf_ci.verdict.model import GatePolicy, Report
from aiwf_ci.verdict.rules_json import other_rules_note, record_rules, recorded_rules
from aiwf_ci.verdict.spread import learn_history
from aiwf_ci.verdict.thresholds import ThresholdRules
from aiwf_ci.workloads.paths import check_paths


def cmd_run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    if args.thresholds and not args.baseline:
        raise ConfigError(
            "--thresholds has nothing to apply to without --baseline",
            field="--thresholds",
            fix="add --baseline B.json, or compare later with aiwf-ci compare --thresholds",
        )
    config = load_suite(args.config, env, args.profile, timer=args.timer)
    rules = threshold_rules(config, args.thresholds)
    printer = ProgressPrinter(sys.stdout, github_actions=env.get("GITHUB_ACTIONS") == "true")
    check_output_folder(args.out, "--out")
    results = run_workspace(
        config, Path.cwd(), env, printer, only=args.only, shard=args.shard, setup=not args.no_setup
    )
    results = record_rules(results, rules)
    path = write_results(results, args.out / "results.json")
    print()
    with commands_off():
        print(results_table(results.benchmarks))
    print(f"\nwrote {path}")
    failed = [b.name for b in results.benchmarks if b.failed]
    if failed:
        print(f"aiwf-ci: {len(failed)} benchmark(s) failed: {', '.join(failed)}", file=sys.stderr)
    if args.baseline:
        source = f"the config {config.path}" + (" + --thresholds" if args.thresholds else "")
        return _compare_after_run(args, results, FileRules(rules=rules, source=source))
    return EXIT_BENCHMARK_FAILED if failed else EXIT_OK


def _compare_after_run(args: argparse.Namespace, head: Results, rules: FileRules) -> int:
    """``run --baseline B.json``: the verdict right after measuring, as the action does."""
    try:
        baseline = LocalBaselineStore(args.baseline).fetch()
    except BaselineError as exc:
        print(f"\nno baseline: {exc}")
        return exit_code(Report(head=head).status, fail_on_regression=args.fail_on_regression)
    report = Report.of(compare(baseline.results, head, rules.rules))
    note = other_rules_note(baseline.results, rules.rules, rules.source)
    chosen = replace(rules, note=note)
    print()
    with commands_off():
        print(render_text(report, report_context(report, design="files", rules=chosen)))
    return exit_code(report.status, fail_on_regression=args.fail_on_regression)


def check_output_folder(folder: Path, flag: str) -> None:
    """An output folder that cannot be one fails now, not after every benchmark ran."""
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder} exists and is not a folder", field=flag, fix="pass a folder")


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


def cmd_calibrate(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """The suite against itself on this machine (``usecases.calibrate``): the table, a line
    per benchmark, ``calibration.json``; never a verdict (exit 0, 3 if a benchmark failed)."""
    from aiwf_ci.console.calibration import calibration_text
    from aiwf_ci.models.calibration import dumps_calibration
    from aiwf_ci.usecases.calibrate import CalibrateRequest, calibrate

    config = load_suite(args.config, env, args.profile, timer=args.timer)
    check_output_folder(args.output, "--output")
    printer = ProgressPrinter(sys.stdout, github_actions=env.get("GITHUB_ACTIONS") == "true")
    request = CalibrateRequest(
        config=config,
        root=Path.cwd(),
        rules=threshold_rules(config, args.thresholds),
        only=args.only,
        setup=not args.no_setup,
        time_budget=args.time_budget,
        max_rounds=args.max_rounds,
        samples=args.samples,
    )
    outcome = calibrate(request, env, printer)
    path = write_text_atomic(
        args.output / "calibration.json", dumps_calibration(outcome.calibration)
    )
    print()
    with commands_off():
        print(calibration_text(outcome.calibration))
    print(f"\nwrote {path}")
    failed = [b.name for b in outcome.head.benchmarks if b.failed]
    if failed:
        print(f"aiwf-ci: {len(failed)} benchmark(s) failed: {', '.join(failed)}", file=sys.stderr)
    return EXIT_BENCHMARK_FAILED if failed else EXIT_OK


def calibration_warnings(path: Path | None, rules: ThresholdRules) -> tuple[str, ...]:
    """``--calibration FILE``: a warning per threshold below the runner's noise floor."""
    if path is None:
        return ()
    from aiwf_ci.models.calibration import load_calibration
    from aiwf_ci.verdict.reach import below_floor

    return below_floor(load_calibration(path), rules)


def cmd_merge(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    refuse_overwrite(args.out, args.shards, "--out")
    shards = [load_results(path) for path in args.shards]
    merged = merge_results(shards, [str(p) for p in args.shards])
    recorded = {json.dumps(s.thresholds, sort_keys=True) for s in shards}
    if len(recorded) == 1:  # one run's shards: the rules they were judged by, kept
        merged = replace(merged, thresholds=shards[0].thresholds)
    path = write_results(merged, args.out)
    print(f"merged {len(merged.benchmarks)} benchmarks from {len(shards)} shards into {path}")
    if len(recorded) > 1:
        print("the shards recorded different thresholds: none kept (compare --config decides)")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    if args.schema:
        from aiwf_ci.config.schema import schema_text

        print(schema_text())
        return EXIT_OK
    config = load_suite(args.config, env)
    printer = ProgressPrinter(sys.stdout, github_actions=env.get("GITHUB_ACTIONS") == "true")
    root = Path.cwd()
    with (
        printer.section(f"setting up {root} to import the python: targets") as section,
        ready_tree(config, root, env, log=section.log, setup=not args.no_setup) as tree,
    ):
        section.close()
        problems = check_paths(config, tree.root)
    if problems:
        raise ConfigErrors(problems)
    kinds = sorted({b.kind for b in config.benchmarks})
    print(
        f"{config.path}: ok — suite {config.suite!r}, {len(config.benchmarks)} benchmarks "
        f"({', '.join(kinds)}), profile {config.profile or 'none'}"
    )
    return EXIT_OK


RECORDED = "recorded in the head results"


@dataclass(frozen=True, slots=True, kw_only=True)
class FileRules:
    """The rules a replay of two results files judges by, where they came from, and what
    the report adds when the baseline recorded others."""

    rules: ThresholdRules
    source: str
    note: str = ""


def rules_for_files(
    args: argparse.Namespace, env: Mapping[str, str], baseline: Results, head: Results
) -> FileRules:
    """The rules ``compare`` and ``report`` judge by, first hit wins: ``--config``'s; the ones
    the head results recorded (the run's own, so a replay gives the run's verdict); the
    config found here (``.aiwf/bench.yml``, as ``run`` finds it); the defaults. ``--thresholds``
    goes on top of any. Which ones, and from where, is said on stderr and in the report."""
    recorded = recorded_rules(head)
    path: Path | None = args.config
    if path is None and recorded is None and DEFAULT_CONFIG.is_file():
        path = DEFAULT_CONFIG
    if path is not None:
        suite: SuiteConfig | None = load_config(path, env=env)
        rules, source = threshold_rules(suite, args.thresholds), f"the config {path}"
    elif recorded is not None:
        rules, source = recorded.with_overrides(args.thresholds or {}), RECORDED
    else:
        rules, source = threshold_rules(None, args.thresholds), "the defaults"
    if args.thresholds:
        source += " + --thresholds"
    print(f"aiwf-ci: thresholds ({source}): {rules.describe()}", file=sys.stderr)
    return FileRules(rules=rules, source=source, note=other_rules_note(baseline, rules, source))


def cmd_compare(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    baseline, head = load_results(args.baseline), load_results(args.current)
    refuse_unrelated(baseline, head)
    chosen = rules_for_files(args, env, baseline, head)
    history = learn_history(load_history(args.history), head) if args.history else None
    policy = GatePolicy(timer=args.timer, holm=args.holm, history=history)
    report = Report.of(compare(baseline, head, chosen.rules, policy=policy))
    extra = calibration_warnings(args.calibration, chosen.rules)
    print_report(report, args.format, rules=chosen, extra_warnings=extra)
    return exit_code(report.status, fail_on_regression=args.fail_on_regression)


def refuse_unrelated(baseline: Results, head: Results) -> None:
    """Results of another suite (or with no benchmark in common) are not a baseline: the
    comparison would only say "new" and "removed", and pass."""
    why = unrelated(baseline, head)
    if why:
        raise ConfigError(
            f"these results are unrelated: {why}",
            field="compare",
            fix="compare two results files of the same suite",
        )


def print_report(
    report: Report,
    fmt: str,
    *,
    source: str = "files",
    rules: FileRules | None = None,
    extra_warnings: tuple[str, ...] = (),
) -> None:
    """A comparison on stdout as text, Markdown or JSON; ``source`` says where the results
    came from (``files`` given to ``compare``, or ``same-runner``: ``ab`` measured them);
    how they were measured (paired rounds or separate runs) is read from the rows; ``rules``
    where the thresholds came from; ``extra_warnings`` (``--calibration``) join the report's.
    Inside GitHub Actions the output (benchmark names, error text: the PR author's) is fenced
    so no line of it can be taken for a workflow command."""
    context = report_context(report, design=source, rules=rules)
    context = replace(context, warnings=(*context.warnings, *extra_warnings))
    if fmt == "json":  # JSON strings hold no raw newline: no line of it can start with ::
        _print_report(report, fmt, context)
        return
    with commands_off():
        _print_report(report, fmt, context)


def report_context(report: Report, *, design: str, rules: FileRules | None) -> ReportContext:
    """What a report of the CLI shows besides the results: the design, where the thresholds
    came from, and the note when the baseline recorded other ones."""
    return ReportContext(
        suite=report.suite,
        head_sha=report.head.commit.sha,
        head_ref=report.head.commit.ref,
        design=design,
        thresholds_source=rules.source if rules else "",
        warnings=(rules.note,) if rules and rules.note else (),
    )


@contextmanager
def commands_off() -> Iterator[None]:
    """Between these lines GitHub ignores workflow commands (only inside Actions)."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        yield
        return
    stop, resume = stop_commands()
    print(stop)
    try:
        yield
    finally:
        print(resume)


def _print_report(report: Report, fmt: str, context: ReportContext) -> None:
    if fmt == "json" and report.comparison is not None:
        print(json.dumps(comparison_to_dict(report.comparison, context), indent=2))
    elif fmt == "markdown":
        print(render_comment(report, context), end="")
    else:
        print(render_text(report, context))


def cmd_report(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    for output, flag in ((args.html, "--html"), (args.markdown, "--markdown")):
        refuse_overwrite(output, [args.results, args.baseline], flag)
    if not args.html and not args.markdown:
        raise ConfigError(
            "nothing to write", field="report", fix="pass --html OUT.html or --markdown OUT.md"
        )
    if args.thresholds and not args.baseline:
        raise ConfigError(
            "--thresholds has nothing to apply to without --baseline",
            field="--thresholds",
            fix="add --baseline B.json",
        )
    head = load_results(args.results)
    report, chosen = Report(head=head), None
    if args.baseline:
        baseline = load_results(args.baseline)
        refuse_unrelated(baseline, head)
        chosen = rules_for_files(args, env, baseline, head)
        report = Report.of(compare(baseline, head, chosen.rules))
    context = report_context(report, design="files", rules=chosen)
    for path, text in ((args.html, render_html), (args.markdown, render_summary)):
        if path:
            write_text_atomic(path, text(report, context))
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
