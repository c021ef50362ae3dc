"""Pure decisions of the action: inputs, the mode plan, which links a fork may supply."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aiwf_ci.action.comment_side import check_locations, is_own_run_url
from aiwf_ci.action.history_side import audit_line
from aiwf_ci.action.inputs import Secret, config_from_env, parse_bool
from aiwf_ci.action.plan import decide, is_fork
from aiwf_ci.errors import ConfigError
from aiwf_ci.github.issues import LabelEvent

EVENTS = Path(__file__).resolve().parents[2] / "data" / "github"


def event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return data


def test_secret_never_prints() -> None:
    secret = Secret("ghs_abc")
    assert "ghs_abc" not in repr(secret) + str(secret) + f"{secret}"
    assert secret.reveal() == "ghs_abc"
    config = config_from_env({"INPUT_GITHUB-TOKEN": "ghs_abc", "GITHUB_WORKSPACE": "/w"})
    assert "ghs_abc" not in repr(config)


def test_inputs_accept_dashes_or_underscores_and_resolve_paths() -> None:
    config = config_from_env(
        {"GITHUB_WORKSPACE": "/w", "INPUT_RESULTS_DIR": "out", "INPUT_FAIL-ON-REGRESSION": "False"}
    )
    assert config.results_dir == Path("/w/out")
    assert config.fail_on_regression is False
    assert config.config == Path("/w/.aiwf/bench.yml")


@pytest.mark.parametrize("value", ["maybe", "2", ""])
def test_bad_booleans(value: str) -> None:
    with pytest.raises(ConfigError, match="true or false"):
        parse_bool(value, "comment-on-pr")


def test_mode_plans() -> None:
    pr = event("pull_request.opened.json")
    plan = decide(mode="auto", event_name="pull_request", event=pr, comment_on_pr=True)
    assert (plan.run_suite, plan.post_comment, plan.pr_number, plan.base_branch) == (
        True,
        True,
        2,
        "master",
    )
    assert plan.base_sha == pr["pull_request"]["base"]["sha"]
    pr["pull_request"]["head"]["repo"]["full_name"] = "fork/Hello-World"
    assert is_fork(pr)
    fork_plan = decide(mode="auto", event_name="pull_request", event=pr, comment_on_pr=True)
    assert (fork_plan.post_comment, fork_plan.write_comment_json) == (False, True)
    push = decide(
        mode="auto", event_name="push", event=event("push.new-branch.json"), comment_on_pr=True
    )
    assert (push.run_suite, push.post_comment, push.base_branch, push.base_sha) == (
        True,
        False,
        "master",
        None,
    )
    wr = event("workflow_run.completed.with-pull-requests.json")
    comment = decide(mode="auto", event_name="workflow_run", event=wr, comment_on_pr=True)
    assert (comment.run_suite, comment.post_comment, comment.pr_number) == (False, True, 2)
    assert comment.triggering_run_id == wr["workflow_run"]["id"]
    with pytest.raises(ConfigError, match="workflow_run"):
        decide(mode="comment", event_name="push", event={}, comment_on_pr=True)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://github.com/o/r/actions/runs/123", True),
        ("https://github.com/o/r/actions/runs/123/../../../../evil/phish", False),
        ("https://github.com/o/r/actions/runs/123?x=https://evil", False),
        ("https://github.com/o/other/actions/runs/123", False),
        ("javascript:alert(1)", False),
    ],
)
def test_only_own_run_links_survive(url: str, ok: bool) -> None:
    config = config_from_env({"GITHUB_REPOSITORY": "o/r", "GITHUB_WORKSPACE": "/w"})
    assert is_own_run_url(config, url) is ok


def test_an_internal_error_is_one_line_with_the_traceback_folded(tmp_path: Path) -> None:
    """A bug shows as one ::error:: line; the traceback follows in a collapsed group (with
    workflow commands switched off inside it), so a bug report has it."""
    import io

    from aiwf_ci.action.inputs import config_from_env
    from aiwf_ci.action.main import run_action
    from aiwf_ci.action.output import Console

    event = tmp_path / "event.json"
    event.write_text('{"ref": "refs/heads/main"}')
    env = {
        "GITHUB_WORKSPACE": str(tmp_path),
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "o/r",
        "INPUT_GITHUB-TOKEN": "t",
    }
    stream = io.StringIO()

    def broken_factory(_config: object) -> None:
        raise RuntimeError("boom ::error::injected")

    result = run_action(config_from_env(env), env, Console(stream), broken_factory)
    lines = stream.getvalue().splitlines()
    assert result.exit_code == 1 and result.status == "error"
    errors = [line for line in lines if line.startswith("::error")]
    assert len(errors) == 1 and "internal error: RuntimeError" in errors[0]
    start = lines.index("::group::aiwf-ci: internal error details")
    assert lines[start + 1].startswith("::stop-commands::")
    body = lines[start + 2 : lines.index("::endgroup::")]
    assert any(line.startswith("Traceback") for line in body)
    assert any("broken_factory" in line for line in body)


def test_who_writes_the_check_run() -> None:
    """The same-repository PR's own run, or the comment side of the fork pair; never a push,
    a fork's read-only run or ``mode: run``; and not with ``check-run: false``."""
    pr = event("pull_request.opened.json")
    head = pr["pull_request"]["head"]["sha"]
    own = decide(mode="auto", event_name="pull_request", event=pr, comment_on_pr=False)
    assert (own.check_run, own.head_sha) == (True, head)
    off = decide(
        mode="auto", event_name="pull_request", event=pr, comment_on_pr=True, check_run=False
    )
    assert off.check_run is False
    run_side = decide(mode="run", event_name="pull_request", event=pr, comment_on_pr=True)
    assert run_side.check_run is False
    pr["pull_request"]["head"]["repo"]["full_name"] = "fork/Hello-World"
    assert (
        decide(mode="auto", event_name="pull_request", event=pr, comment_on_pr=True).check_run
        is False
    )
    push = decide(
        mode="auto", event_name="push", event=event("push.new-branch.json"), comment_on_pr=True
    )
    assert push.check_run is False
    wr = event("workflow_run.completed.with-pull-requests.json")
    comment = decide(mode="comment", event_name="workflow_run", event=wr, comment_on_pr=True)
    assert (comment.check_run, comment.head_sha) == (True, wr["workflow_run"]["head_sha"])
    wr["workflow_run"]["head_sha"] = "../../issues/1#"  # it goes into an API path
    assert (
        decide(mode="comment", event_name="workflow_run", event=wr, comment_on_pr=True).check_run
        is False
    )


def test_check_run_input() -> None:
    assert config_from_env({"GITHUB_WORKSPACE": "/w"}).check_run is True
    assert (
        config_from_env({"GITHUB_WORKSPACE": "/w", "INPUT_CHECK-RUN": "false"}).check_run is False
    )
    with pytest.raises(ConfigError, match="input check-run"):
        config_from_env({"GITHUB_WORKSPACE": "/w", "INPUT_CHECK-RUN": "sometimes"})


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        ({"path": ".aiwf/bench.yml", "lines": {"a": 5, "b": 7}}, (".aiwf/bench.yml", {"a": 5, "b": 7})),
        ({"path": ".aiwf/bench.yml", "lines": {"a": True, "b": -1, "c": "3", "d": 4}},
         (".aiwf/bench.yml", {"d": 4})),
        ({"path": "../../etc/passwd", "lines": {"a": 1}}, ("", {})),
        ({"path": "/etc/passwd", "lines": {"a": 1}}, ("", {})),
        ({"path": "a/./b.yml", "lines": {}}, ("", {})),
        ({"path": "a b\n.yml", "lines": {}}, ("", {})),
        ({"path": 7, "lines": {}}, ("", {})),
        ("not a mapping", ("", {})),
        (None, ("", {})),
    ],
)  # fmt: skip
def test_a_forks_config_locations_are_checked(
    check: Any, expected: tuple[str, dict[str, int]]
) -> None:
    assert check_locations({"check": check}) == expected


def test_the_audit_line_names_who_and_when_or_why_not() -> None:
    event = LabelEvent(label="ok", actor="bob", at="2026-12-02T09:30:00Z")
    assert audit_line("ok", event, "x") == "label 'ok' added by @bob at 2026-12-02T09:30:00Z"
    assert audit_line("ok", None, "events not readable") == (
        "accepted by label 'ok' (who/when unknown: events not readable)"
    )
