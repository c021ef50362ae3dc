"""Fixtures that run the action the way GitHub runs a Docker action: a workspace folder,
``INPUT_*``/``GITHUB_*`` variables, a real event payload, output and summary files, and the
fake GitHub API on 127.0.0.1 standing in for ``GITHUB_API_URL``."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from aiwf_ci.action.inputs import ActionConfig, check_folders, config_from_env
from aiwf_ci.action.main import run_action
from aiwf_ci.action.output import Console
from aiwf_ci.github.client import GitHubClient
from aiwf_ci.github.settings import ClientSettings
from tests.fakegithub.server import FakeGitHub

REPO = Path(__file__).resolve().parents[2]
EVENTS = REPO / "tests" / "data" / "github"
SUITE = """\
suite: e2e
defaults: {warmup: 0, iterations: 6, memory: false, timeout: 30s}
thresholds: {duration: 20%}
benchmarks:
  - name: nap
    command: sleep 0.1
  - name: "<img src=x onerror=alert(1)> | @team"
    command: sleep 0.05
"""


LIMITED = """
import resource, runpy, sys
entry, limit = sys.argv[1], int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
sys.argv = [entry]
runpy.run_path(entry, run_name="__main__")
"""


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()


@dataclass
class Action:
    """One workspace, one fake GitHub; ``run()`` starts ``entrypoint/main.py``."""

    workspace: Path
    fake: FakeGitHub
    temp: Path
    inputs: dict[str, str] = field(default_factory=dict)

    def event(self, name: str, edit: Any = None) -> Path:
        data = json.loads((EVENTS / name).read_text())
        if edit is not None:
            edit(data)
        path = self.temp / f"event-{len(list(self.temp.glob('event-*')))}.json"
        path.write_text(json.dumps(data))
        return path

    def run(
        self, event_name: str, event_path: Path, *, address_space: int = 0, **inputs: str
    ) -> Run:
        """The action on this event; ``address_space`` (bytes) limits the child's memory."""
        output, summary = self.temp / "output.txt", self.temp / "summary.md"
        env = self.environment(event_name, event_path, **inputs)
        entry = str(REPO / "entrypoint" / "main.py")
        argv = [sys.executable, entry]
        if address_space:
            argv = [sys.executable, "-c", LIMITED, entry, str(address_space)]
        done = subprocess.run(
            argv,
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        return Run(
            done.returncode,
            done.stdout,
            done.stderr,
            parse_outputs(output.read_text()),
            summary.read_text(),
        )

    def run_here(
        self, event_name: str, event_path: Path, *, client: Mapping[str, Any], **inputs: str
    ) -> Run:
        """The action on this event in this process (``run_action``, as ``main`` calls it),
        its GitHub client built with the ``client`` settings given (a small time budget)."""
        output, summary = self.temp / "output.txt", self.temp / "summary.md"
        env = self.environment(event_name, event_path, **inputs)
        config = config_from_env(env)
        check_folders(config)

        def factory(config: ActionConfig) -> GitHubClient:
            settings = ClientSettings(
                token=config.token.reveal(),
                api_url=config.api_url,
                repository=config.repository,
                cache_dir=config.cache_dir,
                **client,
            )
            return GitHubClient(settings)

        stream = io.StringIO()
        result = run_action(config, env, Console(stream), factory)
        outputs = parse_outputs(output.read_text())
        return Run(result.exit_code, stream.getvalue(), "", outputs, summary.read_text())

    def environment(self, event_name: str, event_path: Path, **inputs: str) -> dict[str, str]:
        """The variables GitHub gives the action's container (output files emptied)."""
        output, summary = self.temp / "output.txt", self.temp / "summary.md"
        output.write_text("")
        summary.write_text("")
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "AIWF_"))
        }
        env.update(
            GITHUB_ACTIONS="true",
            GITHUB_WORKSPACE=str(self.workspace),
            GITHUB_EVENT_NAME=event_name,
            GITHUB_EVENT_PATH=str(event_path),
            GITHUB_OUTPUT=str(output),
            GITHUB_STEP_SUMMARY=str(summary),
            GITHUB_API_URL=self.fake.base_url,
            GITHUB_SERVER_URL="https://github.com",
            GITHUB_REPOSITORY=self.fake.repo,
            GITHUB_RUN_ID="4242",
            GITHUB_SHA="ec26c3e57ca3a959ca5aad62de7213c562f8c821",
            GITHUB_REF="refs/pull/2/merge",
            GITHUB_WORKFLOW_REF=f"{self.fake.repo}/.github/workflows/bench.yml@refs/heads/master",
            RUNNER_TEMP=str(self.temp),
        )
        env["INPUT_GITHUB-TOKEN"] = self.fake.token
        for key, value in {**self.inputs, **inputs}.items():
            env[f"INPUT_{key.upper()}"] = value
        return env


def parse_outputs(text: str) -> dict[str, str]:
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and "=" not in line.split("<<")[0]:
            name, delimiter = line.split("<<", 1)
            value = []
            for inner in lines:
                if inner == delimiter:
                    break
                value.append(inner)
            outputs[name] = "\n".join(value)
        elif "=" in line:
            name, value_text = line.split("=", 1)
            outputs[name] = value_text
    return outputs


@pytest.fixture
def action(tmp_path: Path) -> Iterator[Action]:
    workspace = tmp_path / "workspace"
    (workspace / ".aiwf").mkdir(parents=True)
    (workspace / ".aiwf" / "bench.yml").write_text(textwrap.dedent(SUITE))
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    with FakeGitHub() as fake:
        yield Action(workspace=workspace, fake=fake, temp=temp)


def nap_results(sha: str, samples: list[float]) -> dict[str, Any]:
    """A results file of suite ``e2e`` on master's commit ``sha``: one command ``nap`` with
    these wall-time samples (seconds)."""
    return {
        "schema": "aiwf-ci/results@1",
        "suite": "e2e",
        "commit": {"sha": sha, "ref": "refs/heads/master"},
        "environment": {},
        "benchmarks": [
            {
                "name": "nap",
                "kind": "command",
                "metrics": {"duration": {"unit": "s", "direction": "lower", "samples": samples}},
            }
        ],
    }


def without_reference(results: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of results.json without the reference loop's times (as in a file written
    before them). The e2e tests are about what the action does with a verdict; on a busy
    test machine its speed can move by more than 20% between a seeded baseline's run and
    the PR's, which makes an unpaired CPU-time verdict inconclusive (``verdict.speed``,
    tested on its own): a seeded baseline without them is compared as measured."""
    data: dict[str, Any] = json.loads(json.dumps(results))
    for bench in data["benchmarks"]:
        bench["metrics"].pop("reference_time", None)
    return data


def scaled(results: Mapping[str, Any], factor: float) -> dict[str, Any]:
    """A copy of results.json with every time sample (wall, CPU, the wait for a CPU)
    multiplied by ``factor``: the same benchmarks, ``factor`` times as long (without the
    reference loop's times: ``without_reference``)."""
    data = without_reference(results)
    for bench in data["benchmarks"]:
        for name in ("duration", "cpu_time", "run_queue_delay"):
            metric = bench["metrics"].get(name)
            if metric:
                metric["samples"] = [s * factor for s in metric["samples"]]
    return data
