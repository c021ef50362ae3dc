"""The action's configuration, read once from ``INPUT_*`` and ``GITHUB_*`` variables.

GitHub passes inputs as ``INPUT_<NAME>`` with the name upper-cased and dashes kept
(``INPUT_GITHUB-TOKEN``); we also accept underscores, which other runners use. The token is
wrapped in ``Secret`` so it never shows in a ``repr``, a log line or an exception.
Every bad input is a ``ConfigError`` naming the input and the fix (exit code 2).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from aiwf_ci.config.environment import parse_time_budget
from aiwf_ci.errors import ConfigError
from aiwf_ci.redaction import register
from aiwf_ci.run.selection import Shard, parse_shard
from aiwf_ci.verdict.thresholds import Threshold, parse_threshold_spec
from aiwf_ci.verdict.timer import TIMERS, Timer

Mode = Literal["auto", "run", "comment"]
MODES: tuple[Mode, ...] = ("auto", "run", "comment")
BaselineMode = Literal["auto", "same-runner", "artifact"]
BASELINE_MODES: tuple[BaselineMode, ...] = ("auto", "same-runner", "artifact")
T = TypeVar("T", bound=str)
DEFAULT_ACCEPT_LABEL = "benchmark-regression-accepted"
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


class Secret:
    """A string that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        register(value)  # out of every text that leaves the process

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionConfig:
    """Everything the action needs from its environment, validated."""

    config: Path
    token: Secret
    mode: Mode
    baseline: BaselineMode
    baseline_artifact: str
    baseline_branch: str | None
    results_dir: Path
    comment_on_pr: bool
    check_run: bool = True
    fail_on_regression: bool
    fail_on_inconclusive: bool
    time_budget: float | None
    history_runs: int
    history_issue: bool
    bisect_on_change: bool = False
    bisect_budget: float = 600.0
    pooled_baseline: int
    accept_label: str
    thresholds: Mapping[str, Threshold]
    profile: str | None
    timer: Timer | None
    shard: Shard | None
    cache_dir: Path
    workspace: Path
    event_name: str
    event: Mapping[str, Any] = field(default_factory=dict)
    repository: str = ""
    api_url: str = "https://api.github.com"
    server_url: str = "https://github.com"
    run_id: int | None = None
    sha: str = ""
    ref: str = ""
    workflow_ref: str = ""
    output_path: Path | None = None
    summary_path: Path | None = None
    calibrate: bool = False
    """On a push, measure the suite against itself after it ran (``aiwf-ci calibrate``)."""


def read_input(env: Mapping[str, str], name: str, default: str = "") -> str:
    """An input by its action.yml name, trimmed; dashes or underscores both work."""
    for key in (f"INPUT_{name.upper()}", f"INPUT_{name.upper().replace('-', '_')}"):
        value = env.get(key)
        if value is not None and value.strip():
            return value.strip()
    return default


def parse_bool(value: str, name: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"invalid boolean {value!r}", field=f"input {name}", fix="use true or false")


def config_from_env(env: Mapping[str, str]) -> ActionConfig:
    """Build and validate the configuration; raises ``ConfigError`` on the first bad input."""
    workspace = Path(env.get("GITHUB_WORKSPACE") or ".")
    temp = Path(env.get("RUNNER_TEMP") or "/tmp")  # noqa: S108 - only a default location
    return ActionConfig(
        config=_in_workspace(workspace, read_input(env, "config", ".aiwf/bench.yml")),
        token=Secret(read_input(env, "github-token") or env.get("GITHUB_TOKEN", "")),
        mode=_choice(read_input(env, "mode", "auto"), MODES, "mode"),
        baseline=_choice(read_input(env, "baseline", "auto"), BASELINE_MODES, "baseline"),
        baseline_artifact=read_input(env, "baseline-artifact", "aiwf-benchmark-results"),
        baseline_branch=read_input(env, "baseline-branch") or None,
        results_dir=_in_workspace(workspace, read_input(env, "results-dir", "aiwf-results")),
        comment_on_pr=parse_bool(read_input(env, "comment-on-pr", "true"), "comment-on-pr"),
        check_run=parse_bool(read_input(env, "check-run", "true"), "check-run"),
        fail_on_regression=parse_bool(
            read_input(env, "fail-on-regression", "true"), "fail-on-regression"
        ),
        fail_on_inconclusive=parse_bool(
            read_input(env, "fail-on-inconclusive", "false"), "fail-on-inconclusive"
        ),
        time_budget=_time_budget(read_input(env, "time-budget"), "time-budget"),
        history_runs=_count(read_input(env, "history-runs", "30"), "history-runs", 0, 200),
        history_issue=parse_bool(read_input(env, "history-issue", "false"), "history-issue"),
        bisect_on_change=parse_bool(
            read_input(env, "bisect-on-change", "false"), "bisect-on-change"
        ),
        bisect_budget=_time_budget(read_input(env, "bisect-budget", "10m"), "bisect-budget")
        or 600.0,
        pooled_baseline=_count(read_input(env, "pooled-baseline", "0"), "pooled-baseline", 0, 50),
        accept_label=read_input(env, "accept-label", DEFAULT_ACCEPT_LABEL)[:100],
        thresholds=_thresholds(read_input(env, "thresholds")),
        profile=read_input(env, "profile") or None,
        timer=_choice(read_input(env, "timer"), TIMERS, "timer")
        if read_input(env, "timer")
        else None,
        shard=parse_shard(read_input(env, "shard"), source="input shard")
        if read_input(env, "shard")
        else None,
        cache_dir=Path(read_input(env, "cache-dir") or temp / "aiwf-cache"),
        workspace=workspace,
        event_name=env.get("GITHUB_EVENT_NAME", ""),
        event=_event(env.get("GITHUB_EVENT_PATH")),
        repository=env.get("GITHUB_REPOSITORY", ""),
        api_url=(env.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
        server_url=(env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/"),
        run_id=int(env["GITHUB_RUN_ID"]) if env.get("GITHUB_RUN_ID", "").isdigit() else None,
        sha=env.get("GITHUB_SHA", ""),
        ref=env.get("GITHUB_REF", ""),
        workflow_ref=env.get("GITHUB_WORKFLOW_REF", ""),
        output_path=Path(env["GITHUB_OUTPUT"]) if env.get("GITHUB_OUTPUT") else None,
        summary_path=Path(env["GITHUB_STEP_SUMMARY"]) if env.get("GITHUB_STEP_SUMMARY") else None,
        calibrate=parse_bool(read_input(env, "calibrate", "false"), "calibrate"),
    )


def check_folders(config: ActionConfig) -> None:
    """Fail before running anything when a folder the action must write is not a folder."""
    for name, path in (("results-dir", config.results_dir), ("cache-dir", config.cache_dir)):
        if path.exists() and not path.is_dir():
            raise ConfigError(
                f"{path} exists and is not a folder", field=f"input {name}", fix="pass a folder"
            )


def _choice(value: str, choices: tuple[T, ...], name: str) -> T:
    for choice in choices:
        if value.lower() == choice:
            return choice
    raise ConfigError(
        f"unknown {name} {value[:50]!r}",
        field=f"input {name}",
        fix=f"use one of {', '.join(choices)}",
    )


def _timer(text: str) -> Timer | None:
    return _choice(text, TIMERS, "timer") if text else None


def _count(text: str, name: str, low: int, high: int) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise ConfigError(
            f"invalid {name} {text[:20]!r}",
            field=f"input {name}",
            fix=f"a whole number {low}..{high}",
        )
    return int(text)


def _time_budget(text: str, name: str) -> float | None:
    if not text:
        return None
    try:
        return parse_time_budget(text)
    except ValueError as exc:
        raise ConfigError(
            f"{name} {text[:20]!r}: {exc}", field=f"input {name}", fix="e.g. 10m"
        ) from None


def _thresholds(text: str) -> dict[str, Threshold]:
    try:
        return parse_threshold_spec(text)
    except ValueError as exc:
        raise ConfigError(str(exc), field="input thresholds") from None


def _in_workspace(workspace: Path, value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else workspace / path


def _event(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise ConfigError(
            f"cannot read the event payload: {exc}", field="GITHUB_EVENT_PATH"
        ) from None
    return data if isinstance(data, dict) else {}
