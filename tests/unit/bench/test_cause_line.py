"""The one line that names why a process failed, on real output of pip (``tests/data/pip``):
the build backend's exception, not pip's "Failed to build" or ``metadata-generation-failed``
after it, even when only the tail of the output is kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiwf_ci.bench.process import OUTPUT_TAIL, cause_line

PIP = Path(__file__).resolve().parents[2] / "data" / "pip"
SCM = "LookupError: setuptools-scm was unable to detect version for /tmp/scmproj."


@pytest.mark.parametrize(
    ("name", "cause"),
    [
        ("setuptools-scm-no-git.pip-23.0.1.stderr", SCM),
        ("setuptools-scm-no-git.pip-26.3.stderr", SCM),
        (
            "hatch-vcs-no-git.pip-23.0.1.stderr",
            "LookupError: Error getting the version from source `vcs`: setuptools-scm was "
            "unable to detect version for /tmp/hvproj.",
        ),
        (
            "missing-build-dependency.pip-23.0.1.stderr",
            "ERROR: No matching distribution found for editables~=0.3",
        ),
    ],
)
def test_pip_s_failure_is_named_by_its_cause(name: str, cause: str) -> None:
    output = (PIP / name).read_text(encoding="utf-8")
    assert cause_line(output) == cause
    tail = "…" + output[-OUTPUT_TAIL:]  # what run_process keeps of a long output
    assert cause_line(tail) == cause


def test_a_top_level_traceback_gives_its_exception_line_not_its_message_s_last_line() -> None:
    output = (
        "Traceback (most recent call last):\n"
        '  File "bench.py", line 3, in <module>\n'
        "    main()\n"
        "    ^^^^^^\n"
        "ValueError: the input is empty\n"
        "try a longer one\n"
    )
    assert cause_line(output) == "ValueError: the input is empty"


def test_pip_s_own_error_line_wins_over_an_earlier_traceback_of_another_command() -> None:
    output = (
        "Traceback (most recent call last):\n"
        '  File "warm.py", line 1, in <module>\n'
        "KeyError: 'cache'\n"
        "ERROR: Could not find a version that satisfies the requirement nope\n"
    )
    assert cause_line(output) == (
        "ERROR: Could not find a version that satisfies the requirement nope"
    )


def test_without_a_traceback_or_error_line_the_last_meaningful_line() -> None:
    assert cause_line("building\nmake: *** [all] Error 2\nnote: see above\n") == (
        "make: *** [all] Error 2"
    )


def test_git_s_fatal_line_not_its_advice() -> None:
    output = (
        "fatal: detected dubious ownership in repository at '/github/workspace'\n"
        "To add an exception for this directory, call:\n"
        "\n"
        "\tgit config --global --add safe.directory /github/workspace\n"
    )
    assert cause_line(output) == (
        "fatal: detected dubious ownership in repository at '/github/workspace'"
    )
