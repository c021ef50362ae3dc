"""The one home of "end a process tree": everything a command or worker starts ends with it.

Every command, worker and set-up command runs in a session of its own (``start_session``),
so a signal meant for aiwf-ci never reaches it, and its process group is what a timeout
kills. A group is not the whole tree, though: ``sleep 100 &`` stays in it after the shell
exits, ``setsid`` leaves it for a session of its own, a double fork leaves its parent. So:

- aiwf-ci makes itself a *child subreaper* (Linux ``prctl(PR_SET_CHILD_SUBREAPER)``): a
  process whose parent dies is re-parented to aiwf-ci, not to the system's init, so whatever
  a tree leaves behind stays among aiwf-ci's own descendants, where it can be found;
- every tree carries a token in its environment (``AIWF_CI_TREE``), inherited by whatever it
  starts, ``setsid`` or not; every token has the same length, so every run of a command sees
  an environment of the same size (the size moves the stack: instruction counts and timings
  follow it);
- when a tree ends (``end_tree``: after each command, sample, worker and set-up command) what
  is left of it is found among aiwf-ci's descendants — the leader's descendants, its process
  group and session, aiwf-ci's adopted children carrying its token or, with the token gone
  (``env -i``) or unreadable (a zombie), in a session of their own started after the leader —
  sent SIGTERM, given ``GRACE`` seconds, sent SIGKILL, and reaped;
- ``kill_tree`` does the same at once with SIGKILL (a timeout, an interrupt), and
  ``kill_all_trees`` does it for every tree still running plus any stray of an ended one (the
  front ends' signal handler, and the end of a run).

Measurements are untouched: the leader's resource usage (``os.wait4``) covers the leader and
the descendants *it* waited for, as before; an orphan reaped here is counted in aiwf-ci's
own children usage, never in the command's. An adopted orphan of another tree running at
the same time (``aiwf-ci ab`` sets up both sides at once) that lost its token *and* left its
session could be taken for one of this tree's; nothing else of another tree is touched.
Where there is no subreaper (not Linux) an orphan that left the group and session escapes.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import os
import secrets
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psutil

TREE_VARIABLE = "AIWF_CI_TREE"
"""The environment variable that names the tree a process belongs to."""

GRACE = 0.5
"""Seconds between SIGTERM and SIGKILL for what a finished tree left running."""

KILL_WAIT = 2.0
"""Seconds to wait for SIGKILLed processes to die and be reaped."""

_PR_SET_CHILD_SUBREAPER = 36
_PREFIX = secrets.token_hex(6)
_COUNTER = itertools.count()
_LOCK = threading.RLock()  # reentrant: the signal handler may run while the main thread holds it
_LIVE: set[int] = set()
_RECENT_LEADERS: deque[int] = deque(maxlen=4096)
_SUBREAPER: list[bool] = []


@dataclass(frozen=True, slots=True)
class _Tree:
    token: str
    started: float
    """The leader's start time (``psutil``'s ``create_time``; 0 when unknown)."""


_TREES: dict[int, _Tree] = {}


def become_subreaper() -> bool:
    """Make aiwf-ci the child subreaper of everything it starts (once); False where the
    system has none (not Linux, or ``prctl`` refused)."""
    with _LOCK:
        if not _SUBREAPER:
            _SUBREAPER.append(_prctl_subreaper())
        return _SUBREAPER[0]


def _prctl_subreaper() -> bool:
    if not Path("/proc/self").is_dir():
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def start_session(
    args: str | list[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    stdout: IO[bytes] | int,
    stderr: IO[bytes] | int,
    pass_fds: tuple[int, ...] = (),
) -> subprocess.Popen[bytes]:
    """Start ``args`` (a ``str``: a shell command) in a session of its own, its process group
    being the tree ``kill_tree`` kills, with stdin from ``/dev/null``, registered (with its
    token) until ``tracked`` ends for it."""
    become_subreaper()
    token = f"{_PREFIX}.{next(_COUNTER):012d}"  # one length (module docstring)
    with _LOCK:  # registered before any other thread can look for leftovers
        proc = subprocess.Popen(
            args,
            shell=isinstance(args, str),  # the user's shell command: running it is the point
            cwd=cwd,
            env={**env, TREE_VARIABLE: token},
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            pass_fds=pass_fds,
            start_new_session=True,
        )
        _TREES[proc.pid] = _Tree(token=token, started=_started(proc.pid))
        _LIVE.add(proc.pid)
        _RECENT_LEADERS.append(proc.pid)
    return proc


@contextlib.contextmanager
def tracked(pid: int) -> Iterator[None]:
    """Keep the tree led by ``pid`` registered for ``kill_all_trees`` while the block runs."""
    with _LOCK:
        _LIVE.add(pid)
    try:
        yield
    finally:
        with _LOCK:
            _LIVE.discard(pid)
            _TREES.pop(pid, None)


def kill_tree(pid: int) -> None:
    """SIGKILL the tree led by ``pid`` now: its process group and everything ``end_tree``
    would find; the leader is left for its caller to reap."""
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
    _finish(_leftovers(pid), grace=0.0)


def end_tree(pid: int, *, group: bool = True) -> int:
    """End what is left of the tree led by ``pid`` (module docstring): SIGTERM, ``GRACE``,
    SIGKILL, reaped; how many processes were left. ``group``: also signal the process group
    (only while the leader is not reaped yet, so its id cannot have been reused)."""
    if group:
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGTERM)
    left = _leftovers(pid)
    if not left:
        return 0
    _finish(left, grace=GRACE)
    if group:
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
    for _ in range(3):  # a process that forked while being ended
        again = _leftovers(pid)
        if not again:
            break
        _finish(again, grace=0.0)
    return len(left)


def kill_all_trees() -> int:
    """SIGKILL every tree still registered and any stray an ended tree left (an interrupt,
    the end of a run); how many trees were running."""
    with _LOCK:
        pids = list(_LIVE)
    for pid in pids:
        kill_tree(pid)
    _finish(_strays(), grace=0.0)
    return len(pids)


def _finish(procs: list[int], *, grace: float) -> None:
    """SIGTERM (with a grace) or SIGKILL ``procs``, wait for them to die, reap them."""
    if not procs:
        return
    if grace > 0:
        _send(procs, signal.SIGTERM)
        _wait_dead(procs, grace)
    _send([p for p in procs if not _dead(p)], signal.SIGKILL)
    _wait_dead(procs, KILL_WAIT)


def _send(procs: Iterable[int], sig: int) -> None:
    for pid in procs:
        with contextlib.suppress(OSError):
            os.kill(pid, sig)


def _wait_dead(procs: list[int], seconds: float) -> None:
    """Reap those of ``procs`` that are aiwf-ci's children (orphans come to it once their
    parent is dead) until all are gone or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    pause = 0.001
    while True:
        for pid in procs:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
        if all(not Path(f"/proc/{pid}").exists() for pid in procs):
            return
        if time.monotonic() >= deadline:
            return
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def _leftovers(pid: int) -> list[int]:
    """What is left of the tree led by ``pid`` among aiwf-ci's descendants (not the leader,
    not another registered tree's leader; module docstring)."""
    me = os.getpid()
    family = _descendants(me)
    with _LOCK:
        tree = _TREES.get(pid)
        others = (_LIVE | set(_TREES)) - {pid}
    own_sid = _sid(me)
    picked = {
        child
        for child, parent in family.items()
        if child not in others
        and child != pid
        and (_in_group(child, pid) or (parent == me and _adopted(child, tree, own_sid)))
    }
    picked |= _below({pid} | picked, family, others)
    picked.discard(pid)
    return sorted(picked)


def _strays() -> list[int]:
    """aiwf-ci's adopted children that any of its trees left (its token, or the group or
    session of a recent leader), with their descendants."""
    me = os.getpid()
    family = _descendants(me)
    with _LOCK:
        others = _LIVE | set(_TREES)
        leaders = set(_RECENT_LEADERS) - others
    own_sid = _sid(me)
    picked = {
        child
        for child, parent in family.items()
        if parent == me
        and child not in others
        and _sid(child) != own_sid
        and (_token(child).startswith(f"{_PREFIX}.") or _ids(child) & leaders)
    }
    return sorted(picked | _below(picked, family, others))


def _in_group(child: int, pid: int) -> bool:
    return pid in _ids(child)


def _adopted(child: int, tree: _Tree | None, own_sid: int) -> bool:
    """An orphan re-parented to aiwf-ci that belongs to ``tree``: its token, or no token
    (cleared, or a zombie's) in a session of its own started after the leader."""
    if tree is None or _sid(child) == own_sid:
        return False
    token = _token(child)
    if token:
        return token == tree.token
    return _started(child) >= tree.started


def _below(roots: set[int], family: Mapping[int, int], others: set[int]) -> set[int]:
    """Every descendant of ``roots`` in ``family`` (child -> parent), not entering others."""
    kids: dict[int, list[int]] = {}
    for child, parent in family.items():
        kids.setdefault(parent, []).append(child)
    found: set[int] = set()
    stack = list(roots)
    while stack:
        for child in kids.get(stack.pop(), []):
            if child not in found and child not in others:
                found.add(child)
                stack.append(child)
    return found


def _descendants(pid: int) -> dict[int, int]:
    """Every descendant of ``pid`` as child -> parent, from ``/proc/<pid>/task/*/children``
    (only the family is read, not every process of the machine)."""
    family: dict[int, int] = {}
    stack = [pid]
    while stack:
        parent = stack.pop()
        for child in _children(parent):
            if child not in family and child != pid:
                family[child] = parent
                stack.append(child)
    return family


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return _psutil_children(pid)
    for task in tasks:
        try:
            text = (task / "children").read_text(encoding="ascii")
        except FileNotFoundError:
            continue
        except OSError:
            return _psutil_children(pid)
        found.extend(int(x) for x in text.split())
    return found


def _psutil_children(pid: int) -> list[int]:
    try:
        return [p.pid for p in psutil.Process(pid).children()]
    except psutil.Error:
        return []


def _ids(pid: int) -> set[int]:
    """The process group and session of ``pid`` (empty when it is gone)."""
    try:
        return {os.getpgid(pid), os.getsid(pid)}
    except OSError:
        return set()


def _sid(pid: int) -> int:
    try:
        return os.getsid(pid)
    except OSError:
        return -1


def _token(pid: int) -> str:
    """The tree token in ``pid``'s environment ("" when cleared or unreadable)."""
    try:
        data = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return ""
    key = f"{TREE_VARIABLE}=".encode()
    for entry in data.split(b"\0"):
        if entry.startswith(key):
            return entry[len(key) :].decode("ascii", errors="replace")
    return ""


def _started(pid: int) -> float:
    try:
        return float(psutil.Process(pid).create_time())
    except psutil.Error:
        return 0.0


def _dead(pid: int) -> bool:
    """Gone, or a zombie (dead, waiting for its parent to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] in (["Z"], ["X"])
