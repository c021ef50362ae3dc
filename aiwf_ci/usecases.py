"""What the two front ends share: the CLI (``aiwf-ci run``, ``compare``, ``ab``) and the
GitHub Action do the same few things in the same way, so they live here once.

- ``load_checked_config``: a suite config, validated, with its ``python:`` targets imported
  in a worker, every problem reported at once (exit 2) before anything is measured;
- ``threshold_rules``: the one place threshold rules are layered (seed defaults, the config's
  ``thresholds:`` and per-benchmark overrides, then ``--thresholds`` / the ``thresholds``
  input);
- ``run_options``: the environment benchmarks run in (interpreter on ``PATH``, the commit,
  the machine's fingerprint);
- ``exit_code``: one mapping from a ``Status`` to the process exit code.

Nothing here prints or exits: the front ends map results and errors to their own output.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from aiwf_ci.config import DEFAULT_CONFIG, SuiteConfig, load_config
from aiwf_ci.errors import (
    EXIT_BENCHMARK_FAILED,
    EXIT_OK,
    EXIT_REGRESSION,
    ConfigErrors,
)
from aiwf_ci.run.environment import child_environment, detect_commit, fingerprint
from aiwf_ci.run.runner import RunOptions
from aiwf_ci.verdict.model import Status
from aiwf_ci.verdict.thresholds import Threshold, ThresholdRules, build_rules
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


def threshold_rules(
    suite: SuiteConfig | None, overrides: Mapping[str, Threshold] | None = None
) -> ThresholdRules:
    """Seed defaults <- the suite's ``thresholds:`` and per-benchmark rules <- ``overrides``."""
    if suite is None:
        return build_rules(overrides=overrides)
    return build_rules(suite.thresholds, suite.benchmark_thresholds(), overrides)


def run_options(cwd: Path, env: Mapping[str, str]) -> RunOptions:
    """How benchmarks run here: this interpreter first on ``PATH``, the commit under test and
    the machine's fingerprint recorded in the results."""
    return RunOptions(
        env=child_environment(env, sys.executable),
        commit=detect_commit(cwd, env),
        environment=fingerprint(env),
    )


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
