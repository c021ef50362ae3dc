"""Python bytecode instructions counted per function: exact, per call and inclusive, and
read back through the Callgrind reader (the file KCachegrind opens)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiwf_ci.profile.bytecode import BytecodeCounter
from aiwf_ci.profile.callgrind import read_callgrind
from aiwf_ci.profile.diff import diff_profiles
from aiwf_ci.profile.model import Profile

HERE = Path(__file__).name


def loop(n: int) -> int:
    s = 0
    for i in range(n):
        s += i
    return s


def twice(n: int) -> int:
    return loop(n) + loop(n)


def fact(n: int) -> int:
    return 1 if n <= 1 else n * fact(n - 1)


def numbers(n: int) -> Iterator[int]:
    yield from range(n)


def raises() -> None:
    loop(10)
    raise KeyError("x")


def counted(call: object, tmp_path: Path) -> Profile:
    counter = BytecodeCounter()
    counter.run(call)  # type: ignore[arg-type]
    path = tmp_path / "bytecode.callgrind"
    counter.write(path)
    return read_callgrind([path], root=Path(__file__).parent)


def fn(profile: Profile, name: str) -> tuple[float, float, int]:
    f = profile.functions[(HERE, name)]
    return f.self_cost, f.inclusive, f.calls


def test_each_iteration_costs_the_same_and_inclusive_adds_the_callees(tmp_path: Path) -> None:
    small, large = counted(lambda: loop(100), tmp_path), counted(lambda: loop(400), tmp_path)
    per_iteration = (fn(large, "loop")[0] - fn(small, "loop")[0]) / 300
    assert per_iteration == int(per_iteration) > 0  # whole instructions, no noise
    both = counted(lambda: twice(100), tmp_path)
    own_loop, loop_inclusive, calls = fn(both, "loop")
    assert loop_inclusive == own_loop  # it calls no Python function
    assert own_loop == 2 * fn(small, "loop")[0] and calls == 2
    own, inclusive, _ = fn(both, "twice")
    assert inclusive == own + own_loop and own < own_loop
    assert both.total == sum(f.self_cost for f in both.functions.values())


def test_the_count_repeats_exactly(tmp_path: Path) -> None:
    first, again = counted(lambda: twice(50), tmp_path), counted(lambda: twice(50), tmp_path)
    assert first.functions == again.functions and first.total == again.total


def test_recursion_counts_once_generators_and_exceptions_close_their_frames(
    tmp_path: Path,
) -> None:
    deep = counted(lambda: fact(30), tmp_path)
    own, inclusive, calls = fn(deep, "fact")
    assert inclusive == own and calls == 30  # the calls of itself are in its own count
    gen = counted(lambda: sum(numbers(20)), tmp_path)
    assert fn(gen, "numbers")[0] > 0

    def catch() -> None:
        try:
            raises()
        except KeyError:
            loop(5)

    caught = counted(catch, tmp_path)
    ten = fn(counted(lambda: loop(10), tmp_path), "loop")[0]
    assert fn(caught, "raises")[1] == fn(caught, "raises")[0] + ten
    assert fn(caught, "loop")[2] == 2


def test_a_changed_function_leads_the_difference_with_the_whole_change(
    tmp_path: Path,
) -> None:
    base = counted(lambda: (loop(100), twice(100)), tmp_path)
    head = counted(lambda: (loop(300), twice(100)), tmp_path)
    diff = diff_profiles(base, head)
    assert diff.entries[0].label.startswith("test_bytecode:loop (test_bytecode.py:")
    assert diff.entries[0].share == pytest.approx(1.0)


def test_skipped_files_are_not_counted_but_their_callees_are() -> None:
    counter = BytecodeCounter(skip={__file__})
    counter.run(lambda: textwrap.dedent("  a\n  b\n"))
    files = {code.co_filename for code in counter.own}
    assert __file__ not in files and textwrap.__file__ in files
    assert counter.total == sum(counter.own.values()) > 0
