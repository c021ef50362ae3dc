"""``held_signals``: a clean-up runs to its end through a second signal, which is delivered
after it (unless the clean-up is already the way out of an exception), within a bound."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from aiwf_ci.bench.cleanup import held_signals, remove_folder


def clean_up(steps: list[str], *, seconds: float = 30.0, fail: bool = False) -> None:
    """A clean-up interrupted by SIGINT half-way; ``steps`` records how far it got."""
    with held_signals(seconds):
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000):  # a Python handler runs between bytecodes
            pass
        steps.append("after the signal")
        if fail:
            raise RuntimeError("first")


def test_a_signal_during_clean_up_waits_for_its_end() -> None:
    steps: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        clean_up(steps)
    assert steps == ["after the signal"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_clean_up_on_the_way_out_of_an_interrupt_keeps_that_interrupt() -> None:
    steps: list[str] = []
    with pytest.raises(RuntimeError, match="first"):
        clean_up(steps, fail=True)
    assert steps == ["after the signal"]


def test_a_signal_after_the_bound_is_not_held() -> None:
    steps: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        clean_up(steps, seconds=0.0)
    assert steps == []


def interrupted_removal(folder: Path) -> None:
    with held_signals():
        os.kill(os.getpid(), signal.SIGINT)
        remove_folder(folder)


def test_remove_folder_removes_everything_through_a_signal(tmp_path: Path) -> None:
    folder = tmp_path / "venv"
    (folder / "lib").mkdir(parents=True)
    (folder / "lib" / "x").write_text("x")
    with pytest.raises(KeyboardInterrupt):
        interrupted_removal(folder)
    assert not folder.exists()
