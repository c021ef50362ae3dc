"""The run-in-the-workspace use case: one tree set up as its config says and measured.

``aiwf-ci run`` (the current folder) and the action (the checked-out workspace, on a push
or when no same-runner baseline can be had) do the same job: choose the benchmarks (``--only``,
the shard), set the tree up in its own environment, run the suite. The front ends differ
only in what they do with the results.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aiwf_ci.config import SuiteConfig
from aiwf_ci.console.progress import ProgressPrinter
from aiwf_ci.errors import ConfigErrors
from aiwf_ci.models import Results
from aiwf_ci.run.runner import run_suite
from aiwf_ci.run.selection import Shard, select
from aiwf_ci.usecases.common import ready_tree, run_options
from aiwf_ci.workloads.paths import check_cwds


def run_workspace(
    config: SuiteConfig,
    root: Path,
    env: Mapping[str, str],
    printer: ProgressPrinter,
    *,
    only: str | None = None,
    shard: Shard | None = None,
    setup: bool = True,
    cache_dir: Path | None = None,
) -> Results:
    """The suite's chosen benchmarks run in ``root``, set up first (package downloads cached
    under ``cache_dir``), removed again afterwards. A ``cwd:`` that is not a folder (after
    the set-up, which may make it) stops the run before anything is measured, as
    ``validate`` would: ``ConfigErrors``."""
    benchmarks = select(config.benchmarks, only=only, shard=shard)
    with (
        printer.section(f"aiwf-ci: setting up {root}") as section,
        ready_tree(config, root, env, log=section.log, cache_dir=cache_dir, setup=setup) as tree,
    ):
        section.close()
        problems = check_cwds(benchmarks, tree.root, config.path)
        if problems:
            raise ConfigErrors(problems)
        return run_suite(config, benchmarks, run_options(tree, env), printer)
