"""The time budget has one range (10 s to 6 h), checked once where each input is read: the
config's ``rounds: {budget}``, ``aiwf-ci ab --time-budget`` and the action's ``time-budget``
input accept and refuse the same values. (``ab --budget 1s`` used to run.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from aiwf_ci.action.inputs import config_from_env
from aiwf_ci.cli.main import UsageError, build_parser
from aiwf_ci.config import load_config
from aiwf_ci.errors import ConfigError

CASES = [("9s", False), ("10s", True), ("10m", True), ("6h", True), ("361m", False)]


def from_config(tmp_path: Path, value: str) -> float:
    path = tmp_path / "bench.yml"
    path.write_text(
        f"suite: s\nrounds: {{budget: {value}}}\nbenchmarks:\n  - name: a\n    command: 'true'\n"
    )
    return load_config(path, env={}).rounds.time_budget


def from_input(value: str) -> float | None:
    return config_from_env({"GITHUB_WORKSPACE": "/w", "INPUT_TIME-BUDGET": value}).time_budget


def from_flag(value: str) -> float:
    args = build_parser().parse_args(
        ["ab", "--base-dir", "a", "--head-dir", "b", "--time-budget", value]
    )
    seconds: float = args.time_budget
    return seconds


@pytest.mark.parametrize(("value", "ok"), CASES)
def test_every_input_has_the_same_range(tmp_path: Path, value: str, ok: bool) -> None:
    readers = {
        "config": lambda: from_config(tmp_path, value),
        "input": lambda: from_input(value),
        "flag": lambda: from_flag(value),
    }
    outcomes: dict[str, float | None] = {}
    errors: dict[str, str] = {}
    for name, read in readers.items():
        try:
            outcomes[name] = read()
        except (ConfigError, UsageError) as exc:
            errors[name], outcomes[name] = str(exc), None
    assert all("10s and 6h" in message for message in errors.values()), errors
    accepted = {name for name, seconds in outcomes.items() if seconds is not None}
    assert accepted == (set(readers) if ok else set()), outcomes
    assert len({v for v in outcomes.values() if v is not None}) <= 1  # the same seconds


def test_the_old_flag_name_still_works() -> None:
    args = build_parser().parse_args(["ab", "--base-dir", "a", "--head-dir", "b", "--budget", "2m"])
    assert args.time_budget == 120.0
