"""The steps every use case and both front ends share, so they exist once.

- ``load_suite`` and ``ready_tree``: a suite config, validated, and a source tree set up as
  its ``environment:`` says, with its ``python:`` targets imported in a worker on the tree's
  own interpreter, every problem reported at once (exit 2) before anything is measured;
- ``threshold_rules``: the one place threshold rules are layered (seed defaults, the config's
  ``thresholds:`` and per-benchmark overrides, then ``--thresholds`` / the ``thresholds``
  input);
- ``run_options``: what a run records (the commit, the machine's fingerprint);
- ``interruptible``: Ctrl-C and a runner's cancellation stop every process tree first;
- ``exit_code``: one mapping from a ``Status`` to the process exit code.

Nothing here prints or exits: the front ends map results and errors to their own output.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from aiwf_ci.bench.process import kill_all_trees
from aiwf_ci.config import DEFAULT_CONFIG, SuiteConfig, load_config
from aiwf_ci.config.models import PythonSpec
from aiwf_ci.errors import (
    EXIT_BENCHMARK_FAILED,
    EXIT_OK,
    EXIT_REGRESSION,
    ConfigErrors,
    Terminated,
)
from aiwf_ci.numbers import duration
from aiwf_ci.run.environment import detect_commit, fingerprint
from aiwf_ci.run.project import Tree, prepared_tree
from aiwf_ci.run.runner import RunOptions, tree_context
from aiwf_ci.verdict.model import Status
from aiwf_ci.verdict.thresholds import Threshold, ThresholdRules, build_rules
from aiwf_ci.verdict.timer import Timer
from aiwf_ci.workloads.instructions import check_valgrind
from aiwf_ci.workloads.python import check_python_targets


def load_suite(
    path: Path | None,
    env: Mapping[str, str],
    profile: str | None = None,
    *,
    timer: Timer | None = None,
) -> SuiteConfig:
    """The suite config (``.aiwf/bench.yml`` by default), validated: every problem at once;
    ``timer`` (``--timer``, the ``timer`` input) overrides every benchmark's."""
    config = load_config(path or DEFAULT_CONFIG, profile=profile, env=env)
    if timer is None:
        return config
    benchmarks = tuple(
        replace(b, settings=replace(b.settings, timer=timer)) for b in config.benchmarks
    )
    return replace(config, benchmarks=benchmarks)


@contextmanager
def ready_tree(
    config: SuiteConfig,
    root: Path,
    env: Mapping[str, str],
    *,
    log: Callable[[str], None],
    cache_dir: Path | None = None,
    setup: bool = True,
    own_code: bool = False,
) -> Iterator[Tree]:
    """The source tree at ``root`` set up as ``config.environment`` says (unless ``setup`` is
    off: then aiwf-ci's own interpreter), its ``python:`` targets imported in a worker on the
    tree's interpreter and checked to be the tree's own code (``own_code``: a side of an A/B
    run, see ``workloads.python_origin``; problems raised together, exit 2; how long it took
    logged after the set-up's own lines), removed again when the block ends.
    """
    missing = check_valgrind(config, env)
    if missing:
        raise ConfigErrors(missing)
    spec = config.environment if setup else None
    with prepared_tree(root, spec, env, log=log, cache_dir=cache_dir) as tree:
        start = time.monotonic()
        problems = check_python_targets(
            config, tree_context(tree, config, _quiet, own_code=own_code)
        )
        if problems:
            raise ConfigErrors(problems)
        if tree.isolated and any(isinstance(b.workload, PythonSpec) for b in config.benchmarks):
            log(f"aiwf-ci: python: targets imported in {duration(time.monotonic() - start)}")
        yield tree


def _quiet(_line: str) -> None:
    return None


def threshold_rules(
    suite: SuiteConfig | None, overrides: Mapping[str, Threshold] | None = None
) -> ThresholdRules:
    """Seed defaults <- the suite's ``thresholds:`` and per-benchmark rules <- ``overrides``."""
    if suite is None:
        return build_rules(overrides=overrides)
    return build_rules(suite.thresholds, suite.benchmark_thresholds(), overrides, suite.ignore)


def run_options(tree: Tree, env: Mapping[str, str]) -> RunOptions:
    """How a run in ``tree`` is recorded: the commit under test and the machine's fingerprint."""
    return RunOptions(tree=tree, commit=detect_commit(tree.root, env), environment=fingerprint(env))


@contextmanager
def interruptible() -> Iterator[None]:
    """SIGINT and SIGTERM (a Ctrl-C; a CI runner's cancellation sends SIGINT, then SIGTERM)
    first kill every process tree aiwf-ci started — they run in sessions of their own, so
    the signal never reaches them — then raise ``KeyboardInterrupt`` or ``Terminated`` in the
    main thread, so every temporary folder and virtualenv is removed on the way out and no
    results file is left half-written. When the block ends, any process an ended tree left
    behind is killed too (``bench.reaper``). Only the main thread can take signals;
    elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: object) -> None:
        kill_all_trees()
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Terminated

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        kill_all_trees()  # any stray a tree left (none, unless one escaped its tree's end)
        for sig, old in previous.items():
            signal.signal(sig, old)


def exit_code(
    status: Status, *, fail_on_regression: bool, fail_on_inconclusive: bool = False
) -> int:
    """The exit code of a run (CLI and action alike): 3 when a benchmark failed to run (it
    outranks a regression), 1 on a regression (or an inconclusive verdict) when asked to
    fail on it, else 0 (a pass, an unchanged verdict, no baseline)."""
    if status == "error":
        return EXIT_BENCHMARK_FAILED
    if status == "regression" and fail_on_regression:
        return EXIT_REGRESSION
    if status == "inconclusive" and fail_on_inconclusive:
        return EXIT_REGRESSION
    return EXIT_OK
