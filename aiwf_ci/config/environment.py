"""The suite's ``environment:`` section: how a source tree is made ready to be measured.

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

from aiwf_ci.config.fields import Problems, join, read, type_name
from aiwf_ci.config.models import DEFAULT_SETUP_TIMEOUT, EnvironmentSpec
from aiwf_ci.config.yamlload import LineList, LineMap
from aiwf_ci.units import DURATION_HINT, parse_duration

ENVIRONMENT_KEYS = ("setup", "timeout")
SETUP_HINT = "a list of shell commands, e.g. setup: [pip install -e .]"


def _setup_commands(value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, str) and item.strip() for item in items):
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
    if "setup" in section and isinstance(section["setup"], LineList) and not section["setup"]:
        problems.add(section.line_of("setup"), join("environment", "setup"), "empty", SETUP_HINT)
    timeout = read(problems, section, "timeout", "environment", _timeout, DURATION_HINT)
    return EnvironmentSpec(setup=setup or (), timeout=timeout or DEFAULT_SETUP_TIMEOUT)
