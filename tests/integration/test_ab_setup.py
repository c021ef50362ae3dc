"""Setting up the two trees of an A/B run (``usecases.ab``): side by side, each tree's log
one group (head's first), head's error before base's, and nothing left behind, whatever
fails or interrupts."""

from __future__ import annotations

import io
import os
import signal
import tempfile
import threading
import time
from pathlib import Path

import pytest

from aiwf_ci.console.progress import ProgressPrinter
from aiwf_ci.errors import BaseTreeError, SetupError
from aiwf_ci.usecases import interruptible, load_suite, threshold_rules
from aiwf_ci.usecases.ab import ABRequest, ABSide, measure_ab

ENV = {"PATH": "/usr/bin:/bin"}


def wait_for(name: str) -> str:
    """A shell command that waits (a minute at most) for ``../name``, failing without it."""
    return f"for i in $(seq 600); do [ -e ../{name} ] && break; sleep 0.1; done; [ -e ../{name} ]"


def tree(root: Path, *setup: str) -> ABSide:
    """A tree whose one benchmark does nothing, set up with ``setup``."""
    config = root / "bench.yml"
    root.mkdir(parents=True)
    commands = "".join(f"    - {command!r}\n" for command in setup)
    config.write_text(
        "suite: s\n"
        f"environment:\n  setup:\n{commands}"
        "defaults: {warmup: 0, iterations: 1, memory: false}\n"
        "benchmarks:\n  - {name: noop, command: 'true'}\n"
    )
    return ABSide(config=load_suite(config, ENV), root=root)


def request(base: ABSide, head: ABSide) -> ABRequest:
    rules = threshold_rules(head.config)
    return ABRequest(base=base, head=head, rules=rules, time_budget=10, max_rounds=10, samples=1)


@pytest.fixture
def temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the trees' virtualenvs go (to see that none is left behind)."""
    folder = tmp_path / "temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def groups(output: str) -> list[tuple[str, list[str]]]:
    """The ``::group::`` blocks of ``output``: title and lines (workflow commands left out)."""
    found: list[tuple[str, list[str]]] = []
    inside = False
    for line in output.splitlines():
        if line.startswith("::group::"):
            found.append((line.removeprefix("::group::"), []))
            inside = True
        elif line == "::endgroup::":
            inside = False
        elif inside and not line.startswith("::"):
            found[-1][1].append(line)
    return found


def test_the_trees_are_set_up_at_once_and_each_log_is_one_group_head_first(
    tmp_path: Path, temp: Path
) -> None:
    # each tree waits for the other to start: one after the other, the head would fail
    head = tree(
        tmp_path / "head",
        "touch ../head-started",
        wait_for("base-started"),
        "sleep 1; echo head one",  # base finishes first, head's group still comes first
        "echo head two",
    )
    base = tree(tmp_path / "base", "touch ../base-started", wait_for("head-started"), "echo b1")
    out = io.StringIO()
    outcome = measure_ab(request(base, head), ENV, ProgressPrinter(out, github_actions=True))
    assert [b.name for b in outcome.head.benchmarks] == ["noop"]
    found = groups(out.getvalue())
    assert [title for title, _ in found[:2]] == [
        f"aiwf-ci: setting up the head tree ({tmp_path / 'head'})",
        f"aiwf-ci: setting up the base tree ({tmp_path / 'base'})",
    ]
    (_, head_lines), (_, base_lines) = found[:2]
    assert [x for x in head_lines if not x.startswith("aiwf-ci: ")] == [
        "$ touch ../head-started",
        f"$ {wait_for('base-started')}",
        "$ sleep 1; echo head one",
        "head one",
        "$ echo head two",
        "head two",
    ]
    own = [x for x in base_lines if not x.startswith(("$ ", "aiwf-ci: no git history"))]
    assert own == [
        next(x for x in base_lines if x.startswith("aiwf-ci: virtualenv made in ")),
        "b1",
        next(x for x in base_lines if x.startswith("aiwf-ci: set-up commands done in ")),
    ]
    lines = out.getvalue().splitlines()
    assert lines[0] == "aiwf-ci: setting up the head and base trees side by side …"
    assert any(x.startswith("aiwf-ci: both trees ready in ") for x in lines)
    assert list(temp.iterdir()) == []


def test_when_both_fail_head_s_error_wins_and_nothing_is_left_behind(
    tmp_path: Path, temp: Path
) -> None:
    head = tree(tmp_path / "head", "exit 4")
    base = tree(tmp_path / "base", "exit 5")
    out = io.StringIO()
    with pytest.raises(SetupError, match=r"'exit 4' exited with code 4") as caught:
        measure_ab(request(base, head), ENV, ProgressPrinter(out, github_actions=True))
    assert not isinstance(caught.value, BaseTreeError)
    assert list(temp.iterdir()) == []


def test_a_failing_base_is_a_base_tree_error_and_head_is_removed(
    tmp_path: Path, temp: Path
) -> None:
    head = tree(tmp_path / "head", "true")
    base = tree(tmp_path / "base", "exit 5")
    with pytest.raises(BaseTreeError, match=r"base tree could not be set up: .*code 5") as caught:
        measure_ab(request(base, head), ENV, ProgressPrinter(io.StringIO(), github_actions=True))
    assert caught.value.exit_code == 3
    assert list(temp.iterdir()) == []


def test_a_failing_head_stops_the_base_set_up(tmp_path: Path, temp: Path) -> None:
    head = tree(tmp_path / "head", "touch ../head-failed; exit 4")
    # base goes on a second after head failed: by then it has been told to stop
    base = tree(tmp_path / "base", f"{wait_for('head-failed')}; sleep 2", "touch ../base-went-on")
    out = io.StringIO()
    with pytest.raises(SetupError, match="exited with code 4"):
        measure_ab(request(base, head), ENV, ProgressPrinter(out, github_actions=True))
    assert not (tmp_path / "base-went-on").exists()
    base_lines = groups(out.getvalue())[1][1]
    assert base_lines[-1] == "aiwf-ci: stopped (the head tree's set-up failed)"
    assert list(temp.iterdir()) == []


def test_an_interrupt_stops_both_set_ups_and_removes_both(tmp_path: Path, temp: Path) -> None:
    head = tree(tmp_path / "head", "touch ../head-started; sleep 60")
    base = tree(tmp_path / "base", "touch ../base-started; sleep 60")

    def interrupt() -> None:
        deadline = time.monotonic() + 60
        started = (tmp_path / "head-started", tmp_path / "base-started")
        while not all(p.exists() for p in started) and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt), interruptible():
        measure_ab(request(base, head), ENV, ProgressPrinter(io.StringIO(), github_actions=True))
    assert time.monotonic() - start < 55  # the sleeps were killed, not waited for
    assert list(temp.iterdir()) == []
