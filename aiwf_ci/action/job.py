"""What every part of the action is handed, as one value: the inputs, the plan for this
event, the environment, where to write, and the GitHub client (``None`` without a token).
The sides and the choices they make take a ``Job`` and read what they need from it; what
they do on GitHub they do inside ``job.api_phase(name)``, so each phase has the client's
time budget for itself."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
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

    def api_phase(self, name: str) -> AbstractContextManager[object]:
        """The calls made inside count against API phase ``name`` (``GitHubClient.phase``);
        nothing to count without a client."""
        return nullcontext() if self.client is None else self.client.phase(name)
