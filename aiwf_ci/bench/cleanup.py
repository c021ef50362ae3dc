"""Clean-up that a second Ctrl-C cannot cut short.

A Ctrl-C (or a runner's cancellation: SIGINT, then SIGTERM) raises an exception in the main
thread, and the temporary folders and virtualenvs are removed on the way out. A second
signal raised in the middle of that removal would stop it and leave the rest on disk (a
whole virtualenv). ``held_signals`` holds SIGINT and SIGTERM off while a clean-up runs:

- a signal held is delivered when the clean-up ends, unless the clean-up is itself the way
  out of an exception (an interrupt already under way: the held signal asked for the same);
- the hold is bounded: a signal that comes after ``HOLD_SECONDS`` of clean-up is delivered
  at once, so a clean-up that hangs can still be stopped;
- only the main thread takes signals, so elsewhere it does nothing (nor is it needed).

``remove_folder`` is the clean-up of a temporary folder under it.
"""

from __future__ import annotations

import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

HOLD_SECONDS = 30.0
"""How long a clean-up may hold signals off."""

HELD = (signal.SIGINT, signal.SIGTERM)

_Handler = Callable[[int, FrameType | None], Any] | int | None


@contextmanager
def held_signals(seconds: float = HOLD_SECONDS) -> Iterator[None]:
    """SIGINT and SIGTERM held off while the block runs (module docstring)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    start = time.monotonic()
    previous: dict[int, _Handler] = {}

    def hold(signum: int, frame: FrameType | None) -> None:
        if time.monotonic() - start <= seconds:
            held.append(signum)
            return
        _restore(previous)
        signal.raise_signal(signum)

    previous.update({sig: signal.signal(sig, hold) for sig in HELD})
    try:
        yield
    except BaseException:
        _restore(previous)
        raise
    _restore(previous)
    if held:
        signal.raise_signal(held[0])


def _restore(previous: dict[int, _Handler]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def remove_folder(folder: Path) -> None:
    """Remove ``folder`` and everything in it, a second signal notwithstanding."""
    with held_signals():
        shutil.rmtree(folder, ignore_errors=True)
