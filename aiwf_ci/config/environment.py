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

from aiwf_ci.config.fields import Problems, as_bool, read, type_name
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
    example = "e.g. environment: {setup: [pip install -e .]}"
    section = problems.section(data, "environment", "environment", example)
    if section is None:
        return None
    problems.check_keys(section, ENVIRONMENT_KEYS, "environment")
    setup = read(problems, section, "setup", "environment", _setup_commands, SETUP_HINT)
    timeout = read(problems, section, "timeout", "environment", _timeout, DURATION_HINT)
    return EnvironmentSpec(setup=setup or (), timeout=timeout or DEFAULT_SETUP_TIMEOUT)


ROUNDS_KEYS = ("budget", "max-rounds", "samples", "alpha", "holm")


def parse_time_budget(value: object) -> float:
    """The time budget of paired rounds, read the same from every input (``rounds: {budget}``,
    ``aiwf-ci ab --time-budget``, the action's ``time-budget``): 10 s to 6 h. Less cannot
    finish the first rounds of a benchmark; more outlasts a hosted runner's job limit."""
    seconds = parse_duration(value)
    if not 10 <= seconds <= 6 * 3600:
        raise ValueError("must be between 10s and 6h")
    return seconds


def _count(low: int, high: int) -> Callable[[object], int]:
    def parse(value: object) -> int:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)  # a command-line or input value
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"must be a whole number from {low} to {high}")
        return value

    return parse


parse_max_rounds = _count(10, 1000)
"""Rounds at most (``rounds: {max-rounds}``, ``--max-rounds``)."""
parse_samples = _count(1, 100)
"""Runs of each side per round (``rounds: {samples}``, ``--samples``)."""


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
    budget = read(problems, section, "budget", "rounds", parse_time_budget, DURATION_HINT)
    max_rounds = read(problems, section, "max-rounds", "rounds", parse_max_rounds, "e.g. 100")
    samples = read(problems, section, "samples", "rounds", parse_samples, "e.g. 3")
    alpha = read(problems, section, "alpha", "rounds", _alpha, "e.g. 1%")
    holm = read(problems, section, "holm", "rounds", as_bool, "holm: true or false")
    return RoundsSpec(
        time_budget=budget if budget is not None else default.time_budget,
        max_rounds=max_rounds if max_rounds is not None else default.max_rounds,
        samples=samples if samples is not None else default.samples,
        alpha=alpha if alpha is not None else default.alpha,
        holm=holm if holm is not None else default.holm,
    )
