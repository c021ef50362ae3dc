"""What every part of the action is handed, as one value: the inputs, the plan for this
event, the environment, where to write, and the GitHub client (``None`` without a token).
The sides and the choices they make take a ``Job`` and read what they need from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiwf_ci.action.inputs import ActionConfig
from aiwf_ci.action.output import Console
from aiwf_ci.action.plan import Plan
from aiwf_ci.github.client import GitHubClient


@dataclass(frozen=True, slots=True)
class Job:
    config: ActionConfig
    plan: Plan
    env: Mapping[str, str]
    console: Console
    client: GitHubClient | None
