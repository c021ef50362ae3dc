"""The suite's ``environment:`` section (how a source tree is made ready to be measured) and
its ``rounds:`` section (how base and head are sampled on one machine).

    environment:
      setup:                        # run in the tree's root, in the tree's own virtualenv
        - pip install -e .
        - pip install -r requirements/bench.txt
      timeout: 15m                  # for all set-up commands together

Set-up is never timed and runs before anything is measured. Each source tree gets its own
virtualenv (``aiwf-ci ab`` and the same-runner verdict set up base and head apart), so base
code never imports head code, and the project's dependencies never mix with aiwf-ci's own.
"""

from __future__ import annotations

from collections.abc import Callable

from aiwf_ci.config.fields import Problems, read, type_name
from aiwf_ci.config.models import DEFAULT_SETUP_TIMEOUT, EnvironmentSpec, RoundsSpec
from aiwf_ci.config.yamlload import LineMap
from aiwf_ci.units import DURATION_HINT, parse_duration, parse_percent

ENVIRONMENT_KEYS = ("setup", "timeout")
SETUP_HINT = "a list of shell commands, e.g. setup: [pip install -e .]"


def _setup_commands(value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise ValueError("lists no command")
    if not all(isinstance(item, str) and item.strip() for item in items):
        raise ValueError("every set-up command must be a non-empty string")
    return tuple(str(item).strip() for item in items)


def _timeout(value: object) -> float:
    seconds = parse_duration(value)
    if not 0 < seconds <= 24 * 3600:
        raise ValueError("must be more than 0 and at most 24h")
    return seconds


def read_environment(problems: Problems, data: LineMap) -> EnvironmentSpec | None:
    """The ``environment:`` section, or ``None`` when the config has none."""
    section = data.get("environment")
    if section is None:
        return None
    if not isinstance(section, LineMap):
        problems.add(
            data.line_of("environment"),
            "environment",
            f"expected a mapping, got {type_name(section)}",
            "e.g. environment: {setup: [pip install -e .]}",
        )
        return None
    problems.check_keys(section, ENVIRONMENT_KEYS, "environment")
    setup = read(problems, section, "setup", "environment", _setup_commands, SETUP_HINT)
    timeout = read(problems, section, "timeout", "environment", _timeout, DURATION_HINT)
    return EnvironmentSpec(setup=setup or (), timeout=timeout or DEFAULT_SETUP_TIMEOUT)


ROUNDS_KEYS = ("budget", "max-rounds", "samples", "alpha")


def _budget(value: object) -> float:
    seconds = parse_duration(value)
    if not 10 <= seconds <= 6 * 3600:
        raise ValueError("must be between 10s and 6h")
    return seconds


def _count(low: int, high: int) -> Callable[[object], int]:
    def parse(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"must be a whole number from {low} to {high}")
        return value

    return parse


def _alpha(value: object) -> float:
    fraction = parse_percent(value) if isinstance(value, str) else value
    if isinstance(fraction, bool) or not isinstance(fraction, int | float):
        raise ValueError("expected a fraction like 0.01 or a percentage like 1%")
    if not 0.0001 <= float(fraction) <= 0.2:
        raise ValueError("must be between 0.0001 and 0.2")
    return float(fraction)


def read_rounds(problems: Problems, data: LineMap) -> RoundsSpec:
    """The ``rounds:`` section (defaults when absent)."""
    section = data.get("rounds")
    if section is None:
        return RoundsSpec()
    if not isinstance(section, LineMap):
        problems.add(
            data.line_of("rounds"),
            "rounds",
            f"expected a mapping, got {type_name(section)}",
            "e.g. rounds: {budget: 10m}",
        )
        return RoundsSpec()
    problems.check_keys(section, ROUNDS_KEYS, "rounds")
    default = RoundsSpec()
    budget = read(problems, section, "budget", "rounds", _budget, DURATION_HINT)
    max_rounds = read(problems, section, "max-rounds", "rounds", _count(10, 1000), "e.g. 100")
    samples = read(problems, section, "samples", "rounds", _count(1, 100), "e.g. 3")
    alpha = read(problems, section, "alpha", "rounds", _alpha, "e.g. 1%")
    return RoundsSpec(
        budget=budget if budget is not None else default.budget,
        max_rounds=max_rounds if max_rounds is not None else default.max_rounds,
        samples=samples if samples is not None else default.samples,
        alpha=alpha if alpha is not None else default.alpha,
    )
