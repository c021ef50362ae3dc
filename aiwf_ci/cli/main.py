"""The ``aiwf-ci`` command: parses arguments, calls the library, prints, maps errors to exit
codes (0 pass, 1 regression, 2 bad input, 3 a benchmark failed). Nothing else lives here.

Arguments are checked while parsing (``--thresholds`` and ``--shard`` have ``type=``
parsers), so a typo stops the command before anything is measured; every usage error is one
line on stderr and exit code 2, like every other bad input.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NoReturn, TypeAlias, TypeVar

from aiwf_ci import __version__
from aiwf_ci.config.environment import parse_max_rounds, parse_samples, parse_time_budget
from aiwf_ci.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    AiwfCIError,
    Terminated,
)
from aiwf_ci.redaction import redact
from aiwf_ci.run.selection import Shard, parse_shard
from aiwf_ci.verdict.thresholds import Threshold, parse_threshold_spec
from aiwf_ci.verdict.timer import TIMERS

Handler = Callable[[argparse.Namespace, Mapping[str, str]], int]
T = TypeVar("T")


class UsageError(Exception):
    """A bad command line: one line on stderr, exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (no usage block) and no exit from here."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def thresholds_arg(text: str) -> dict[str, Threshold]:
    """``--thresholds duration=10%,memory=25%``, checked while parsing."""
    try:
        return parse_threshold_spec(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def checked(parse: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse type from one of the config's own parsers, so a value has one range
    whether it comes from the config file or the command line."""

    def arg(text: str) -> T:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return arg


def shard_arg(text: str) -> Shard:
    try:
        return parse_shard(text)
    except AiwfCIError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="aiwf-ci", description="Continuous benchmarking with a statistical regression gate."
    )
    parser.add_argument("--version", action="version", version=f"aiwf-ci {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_run(sub)
    _add_compare(sub)
    _add_report(sub)
    _add_ab(sub)
    _add_bisect(sub)
    _add_calibrate(sub)
    merge = sub.add_parser("merge", help="join shard results into one results.json")
    merge.add_argument("shards", nargs="+", type=Path, metavar="SHARD.json")
    merge.add_argument("--out", type=Path, required=True, help="merged results file")
    validate = sub.add_parser("validate", help="check a suite config (and its python targets)")
    validate.add_argument("config", nargs="?", type=Path, default=None)
    validate.add_argument("--schema", action="store_true", help="print the config JSON Schema")
    _no_setup(validate)
    importer = sub.add_parser("import", help="convert a harness's output into results.json")
    importer.add_argument("format", help="pytest-benchmark, hyperfine, google-benchmark, go-test")
    importer.add_argument("file", type=Path)
    importer.add_argument("--out", type=Path, required=True)
    importer.add_argument("--suite", default="imported")
    sub.add_parser("action", help="run as the GitHub Action (reads INPUT_* and GITHUB_*)")
    return parser


Subparsers: TypeAlias = "argparse._SubParsersAction[Parser]"


def _add_bisect(sub: Subparsers) -> None:
    bisect = sub.add_parser(
        "bisect",
        help="find the first commit between --good and --bad where a benchmark regressed",
        description="Run in the project's git checkout. Each step measures a commit against "
        "--good on this machine in paired rounds (as ab does) and halves the range.",
    )
    bisect.add_argument(
        "config", nargs="?", type=Path, help="suite config in the checkout (.aiwf/bench.yml)"
    )
    bisect.add_argument("--good", required=True, help="a commit without the regression")
    bisect.add_argument("--bad", required=True, help="a later commit with it")
    bisect.add_argument("--benchmark", help="glob or substring of benchmark names to bisect")
    bisect.add_argument(
        "--time-budget",
        "--budget",
        type=checked(parse_time_budget),
        help="time for the whole search, 10s..6h, shared by its steps (each step: the config's)",
    )
    bisect.add_argument("--profile", help="config profile (overrides AIWF_PROFILE)")
    bisect.add_argument(
        "--verbose", action="store_true", help="every run of every step on stderr, as ab shows it"
    )
    _no_setup(bisect)
    _thresholds(bisect)
    _timer(bisect, "(overrides the config's)")


def _no_setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-setup",
        action="store_true",
        help="skip environment.setup: run on this interpreter, the project already installed",
    )


def _thresholds(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--thresholds",
        type=thresholds_arg,
        metavar="SPEC",
        help="override the config's, e.g. duration=10%%,memory=25%%",
    )


def _timer(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--timer",
        choices=TIMERS,
        help=f"which time the duration threshold gates {what} (auto: CPU time for CPU-bound "
        "work, wall time less the wait for a CPU for work that waits)",
    )


def _holm(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--holm",
        action="store_true",
        help="Holm's procedure across the suite's gated paired metrics: alpha bounds the chance "
        f"of any false alarm in the whole suite, not in each metric {what}",
    )


def _add_run(sub: Subparsers) -> None:
    run = sub.add_parser("run", help="run a benchmark suite and write results.json")
    run.add_argument("config", nargs="?", type=Path, default=None, help="default .aiwf/bench.yml")
    run.add_argument("--out", type=Path, default=Path("aiwf-results"), help="output folder")
    run.add_argument("--profile", help="config profile (overrides AIWF_PROFILE)")
    run.add_argument("--only", help="glob or substring of benchmark names (comma-separated)")
    run.add_argument("--shard", type=shard_arg, help="K/N: run only shard K of N")
    run.add_argument("--baseline", type=Path, help="compare against this results.json after")
    _no_setup(run)
    _thresholds(run)
    _timer(run, "(recorded in the results)")
    run.add_argument("--fail-on-regression", action="store_true")


def _add_compare(sub: Subparsers) -> None:
    compare = sub.add_parser("compare", help="compare two results files")
    compare.add_argument("baseline", type=Path, metavar="BASELINE.json")
    compare.add_argument("current", type=Path, metavar="CURRENT.json")
    compare.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    _thresholds(compare)
    _timer(compare, "(overrides what the results recorded)")
    compare.add_argument("--config", type=Path, help="suite config for its thresholds")
    _calibration_file(compare)
    compare.add_argument(
        "--history",
        type=Path,
        metavar="FILE_OR_DIR",
        help="results files of earlier runs of the base side (a folder: every *.json in it): "
        "judge by their run-to-run spread",
    )
    _holm(compare, "(also when the run recorded it)")
    compare.add_argument("--fail-on-regression", action="store_true")


def _add_report(sub: Subparsers) -> None:
    report = sub.add_parser("report", help="render an HTML (and Markdown) report")
    report.add_argument("results", type=Path, metavar="RESULTS.json")
    report.add_argument("--baseline", type=Path, metavar="B.json")
    report.add_argument("--html", type=Path, help="write the HTML report here")
    report.add_argument("--markdown", type=Path, help="write the Markdown report here")
    _thresholds(report)
    report.add_argument("--config", type=Path, help="suite config for its thresholds")


def _rounds_overrides(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--time-budget",
        "--budget",
        type=checked(parse_time_budget),
        help="time for the whole suite, 10s..6h (config, 10m)",
    )
    parser.add_argument(
        "--max-rounds", type=checked(parse_max_rounds), help="10..1000 (config, 100)"
    )
    parser.add_argument(
        "--samples", type=checked(parse_samples), help="runs of each side per round (config, 3)"
    )


def _add_calibrate(sub: Subparsers) -> None:
    calibrate = sub.add_parser(
        "calibrate",
        help="measure the suite against itself here: its noise and the smallest change "
        "the gate can show within the budget",
    )
    calibrate.add_argument(
        "config", nargs="?", type=Path, default=None, help="default .aiwf/bench.yml"
    )
    calibrate.add_argument(
        "--output",
        "--out",
        type=Path,
        default=Path("aiwf-calibration"),
        help="folder for calibration.json",
    )
    _rounds_overrides(calibrate)
    calibrate.add_argument("--profile", help="config profile (overrides AIWF_PROFILE)")
    _no_setup(calibrate)
    calibrate.add_argument("--only", help="glob or substring of benchmark names (comma-separated)")
    _thresholds(calibrate)
    _timer(calibrate, "(overrides the config's)")


def _calibration_file(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--calibration",
        type=Path,
        metavar="FILE",
        help="a calibration.json of this runner: warn where a threshold is below its reach",
    )


def _add_ab(sub: Subparsers) -> None:
    ab = sub.add_parser(
        "ab", help="run base and head source trees interleaved (ABAB) and compare them"
    )
    ab.add_argument(
        "config", nargs="?", type=Path, default=None, help="relative to each root; .aiwf/bench.yml"
    )
    ab.add_argument("--base-dir", type=Path, required=True, help="the baseline source tree")
    ab.add_argument("--head-dir", type=Path, required=True, help="the changed source tree")
    ab.add_argument("--out", type=Path, default=Path("aiwf-ab"), help="writes base/ and head/")
    _rounds_overrides(ab)
    _calibration_file(ab)
    ab.add_argument("--profile", help="config profile (overrides AIWF_PROFILE)")
    _no_setup(ab)
    ab.add_argument(
        "--no-profile",
        action="store_true",
        help="no per-function profiles of the benchmarks that changed (kept in OUT/profiles)",
    )
    ab.add_argument("--only", help="glob or substring of benchmark names (comma-separated)")
    _thresholds(ab)
    _timer(ab, "(overrides the config's)")
    _holm(ab, "(config rounds: {holm: true})")
    ab.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    ab.add_argument("--fail-on-regression", action="store_true")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        from aiwf_ci.usecases import interruptible  # after parsing: --help stays quick

        with interruptible():
            return _dispatch(args)
    except UsageError as exc:
        print(f"aiwf-ci: error: {str(exc).removeprefix('aiwf-ci: ')}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except AiwfCIError as exc:
        for line in redact(str(exc)).splitlines() or [type(exc).__name__]:
            print(f"aiwf-ci: error: {line}", file=sys.stderr)
        for line in redact(exc.details).splitlines():
            print(f"  | {line}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # `aiwf-ci compare ... | head`: the reader has had enough
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:  # an output folder that is a file, a read-only path, ...
        where = f" {exc.filename}" if exc.filename else ""
        print(f"aiwf-ci: error: cannot use{where}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("aiwf-ci: interrupted; every process it started was stopped", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print("aiwf-ci: terminated; every process it started was stopped", file=sys.stderr)
        return EXIT_TERMINATED


def _dispatch(args: argparse.Namespace) -> int:
    from aiwf_ci.cli import ab, bisect, commands

    handlers: dict[str, Handler] = {
        "run": commands.cmd_run,
        "compare": commands.cmd_compare,
        "report": commands.cmd_report,
        "merge": commands.cmd_merge,
        "validate": commands.cmd_validate,
        "import": commands.cmd_import,
        "action": commands.cmd_action,
        "ab": ab.cmd_ab,
        "bisect": bisect.cmd_bisect,
        "calibrate": commands.cmd_calibrate,
    }
    return handlers[args.command](args, dict(os.environ))
