"""The GitHub Action: ``main()`` reads the environment and builds the real clients;
``run_action()`` does the work with everything passed in, so tests drive it against a local
fake GitHub server.

    inputs -> plan (pure) -> run the suite -> baseline -> compare -> report files, job summary,
    PR comment (or comment.json for a fork's workflow_run), annotations, outputs -> exit code

``mode: comment`` (a ``workflow_run``) never runs PR code: see ``comment_side``.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Mapping
from typing import TextIO

from aiwf_ci.action.comment_side import comment_side
from aiwf_ci.action.inputs import ActionConfig, check_folders, config_from_env
from aiwf_ci.action.job import Job
from aiwf_ci.action.output import ActionResult, Console, failed
from aiwf_ci.action.plan import Plan, decide
from aiwf_ci.action.run_side import run_side
from aiwf_ci.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    AiwfCIError,
    Terminated,
)
from aiwf_ci.github.client import GitHubClient
from aiwf_ci.github.settings import ClientSettings
from aiwf_ci.usecases import interruptible

ClientFactory = Callable[[ActionConfig], "GitHubClient | None"]


def make_client(config: ActionConfig) -> GitHubClient | None:
    """The real cached GitHub client, or ``None`` without a token or repository."""
    if not config.token or not config.repository:
        return None
    settings = ClientSettings(
        token=config.token.reveal(),
        api_url=config.api_url,
        repository=config.repository,
        cache_dir=config.cache_dir,
    )
    return GitHubClient(settings)


def main(env: Mapping[str, str] | None = None, stream: TextIO | None = None) -> int:
    """The container's entry point: environment in, exit code out."""
    environ = dict(os.environ if env is None else env)
    console = Console(stream or sys.stdout)
    try:
        config = config_from_env(environ)
        check_folders(config)
    except AiwfCIError as exc:
        for line in str(exc).splitlines():
            console.annotate("error", line, title="aiwf-ci: bad input")
        return exc.exit_code
    console.mask(config.token.reveal())
    try:
        with interruptible():
            return run_action(config, environ, console, make_client).exit_code
    except KeyboardInterrupt:
        console.annotate("error", "interrupted; every process it started was stopped")
        return EXIT_INTERRUPTED
    except Terminated:
        console.annotate("error", "cancelled; every process it started was stopped")
        return EXIT_TERMINATED


def run_action(
    config: ActionConfig,
    env: Mapping[str, str],
    console: Console,
    client_factory: ClientFactory,
) -> ActionResult:
    """Plan, then run the benchmark side or the comment side; errors become exit codes."""
    try:
        plan = decide(
            mode=config.mode,
            event_name=config.event_name,
            event=config.event,
            comment_on_pr=config.comment_on_pr,
            baseline_branch=config.baseline_branch,
            baseline=config.baseline,
            check_run=config.check_run,
        )
        console.line(f"aiwf-ci: {plan.reason}")
        client = client_factory(config) if _needs_client(plan) else None
        try:
            side = run_side if plan.run_suite else comment_side
            return side(Job(config, plan, env, console, client))
        finally:
            if client is not None:
                client.close()
    except AiwfCIError as exc:
        for line in str(exc).splitlines():
            console.annotate("error", line, title="aiwf-ci")
        if exc.details:
            console.folded("aiwf-ci: error details", exc.details)
        return failed(config.output_path, exc.exit_code)
    except OSError as exc:  # a folder we must write is a file, read-only, missing, ...
        where = f" {exc.filename}" if exc.filename else ""
        console.annotate("error", f"cannot use{where}: {exc.strerror}", title="aiwf-ci")
        return failed(config.output_path, EXIT_BAD_INPUT)
    except Exception as exc:  # a bug: one line, and the traceback folded away for a report
        console.annotate("error", f"internal error: {type(exc).__name__}: {exc}", title="aiwf-ci")
        console.folded("aiwf-ci: internal error details", traceback.format_exc())
        return failed(config.output_path, 1)


def _needs_client(plan: Plan) -> bool:
    return bool(plan.base_branch or plan.post_comment or plan.triggering_run_id or plan.check_run)
