"""The pure parts of the instructions instrument: out-file parsing, the differential per-call
arithmetic, the determinism check, how many runs it makes, and the fixed environment. The out
texts are real Valgrind 3.19 output captured on a Debian machine (``/bin/true``; callgrind:
``sh -c '(:)'``), with most cost lines cut (the parser reads only the header and summary
lines). A ``$`` at the end of a line stands for the trailing space Valgrind writes there."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiwf_ci.bench.instructions import (
    DEFAULT_TOLERANCE,
    FIXED_ENV,
    MAX_RUNS,
    MIN_RUNS,
    ValgrindMissing,
    check_determinism,
    count_command,
    deterministic_env,
    find_valgrind,
    more_runs,
    parse_out_file,
    per_call,
    require_valgrind,
    valgrind_args,
)
from aiwf_ci.bench.valgrind import read_counts
from aiwf_ci.errors import ConfigError

CACHEGRIND_NO_SIM = """\
desc: I1 cache:         32768 B, 64 B, 8-way associative
desc: D1 cache:         32768 B, 64 B, 8-way associative
desc: LL cache:         268435456 B, 64 B, direct-mapped
cmd: /bin/true
events: Ir
fl=./csu/../csu/libc-start.c
fn=__libc_start_main@@GLIBC_2.34
128 2
134 3
fn=???
0 131
summary: 127757
"""

CACHEGRIND_SIM = """\
desc: I1 cache:         32768 B, 64 B, 8-way associative
desc: D1 cache:         32768 B, 64 B, 8-way associative
desc: LL cache:         8388608 B, 64 B, 16-way associative
cmd: /bin/true
events: Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw $
fl=./csu/../csu/libc-start.c
fn=__libc_start_main@@GLIBC_2.34
128 2 1 1 2 0 0 0 0 0
0 131 24 23 44 5 0 17 1 1
summary: 127757 1091 1072 29395 1225 1015 10266 343 311
""".replace("$\n", " \n")


CALLGRIND_PART = """\
# callgrind format
version: 1
creator: callgrind-3.19.0
pid: {pid}
cmd:  /bin/sh -c (:)
part: {part}


desc: I1 cache:$
desc: D1 cache:$
desc: LL cache:$

desc: Timerange: Basic block 0 - 48302
desc: Trigger: --dump-before=fork

positions: line
events: Ir
summary: {ir}


ob=(3) /usr/lib/x86_64-linux-gnu/libc.so.6
fl=(143) ./csu/../sysdeps/nptl/libc_start_call_main.h
fn=(530) (below main)
cob=(5) /usr/bin/dash
cfi=(140) ???
cfn=(538) 0x0000000000004580
calls=0 0$
58 {ir}

totals: {ir}
""".replace("$\n", " \n")


def test_parses_callgrind() -> None:
    assert parse_out_file(CALLGRIND_PART.format(pid=2848, part=1, ir=219344)) == {"Ir": 219344}


def test_every_part_of_every_process_is_summed_once(tmp_path: Path) -> None:
    # sh -c '(:)' under callgrind: the shell dumps before its fork (out.2848.1) and at its exit
    # (out.2848); the subshell (out.2878) counts from zero, not from the shell's count
    parts = {
        "out.2848.1": (2848, 1, 219344),
        "out.2848": (2848, 2, 1006),
        "out.2878": (2878, 1, 2657),
    }
    for name, (pid, part, ir) in parts.items():
        (tmp_path / name).write_text(CALLGRIND_PART.format(pid=pid, part=part, ir=ir))
    (tmp_path / "valgrind.2848.log").write_text("")
    assert read_counts(tmp_path, "sh") == ({"Ir": 219344 + 1006 + 2657}, 2)


def test_parses_cachegrind_without_cache_simulation() -> None:
    assert parse_out_file(CACHEGRIND_NO_SIM) == {"Ir": 127757}


def test_every_event_of_the_summary_is_read() -> None:
    events = parse_out_file(CACHEGRIND_SIM)
    assert events == {
        "Ir": 127757,
        "I1mr": 1091,
        "ILmr": 1072,
        "Dr": 29395,
        "D1mr": 1225,
        "DLmr": 1015,
        "Dw": 10266,
        "D1mw": 343,
        "DLmw": 311,
    }


def test_missing_trailing_numbers_are_zero() -> None:
    text = "events: Ir Dr Dw\nfn=main\n1 5 2\nsummary: 7 2\n"
    assert parse_out_file(text) == {"Ir": 7, "Dr": 2, "Dw": 0}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no events"),
        ("events: Ir\nfn=main\n1 5\n", "no events: or summary"),
        ("summary: 5\n", "no events"),
        ("events: Ir\nsummary: 5 6\n", "2 numbers for 1 events"),
        ("events: Ir\nsummary: many\n", "invalid literal"),
    ],
)
def test_rejects_text_that_is_not_an_out_file(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_out_file(text)


def test_per_call_is_the_difference_over_the_extra_loops() -> None:
    # start-up + setup = 1_000_000 in both runs, 250 per call
    assert per_call(1_000_000 + 10 * 250, 1_000_000 + 110 * 250, 10, 110) == 250.0
    assert per_call(500, 500 + 3 * 7, 0, 7) == 3.0


@pytest.mark.parametrize(
    ("counts", "loops", "message"),
    [
        ((100, 200), (10, 10), "loops_small < loops_large"),
        ((100, 200), (20, 10), "loops_small < loops_large"),
        ((100, 200), (-1, 10), "0 <= loops_small"),
        ((-1, 200), (1, 10), "must not be negative"),
        ((300, 200), (1, 10), "not deterministic"),
    ],
)
def test_per_call_rejects_bad_input(
    counts: tuple[int, int], loops: tuple[int, int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        per_call(*counts, *loops)


def test_identical_counts_are_deterministic() -> None:
    check = check_determinism([31020688, 31020688, 31020688])
    assert check.ok
    assert check.spread == 0.0
    assert check.counts == (31020688, 31020688, 31020688)
    assert check.tolerance == DEFAULT_TOLERANCE


def test_spread_is_relative_to_the_smallest_count() -> None:
    check = check_determinism([1000, 1010, 1005], tolerance=0.01)
    assert check.spread == pytest.approx(0.01)
    assert check.ok
    assert not check_determinism([1000, 1011], tolerance=0.01).ok


def test_default_tolerance_allows_a_few_hundred_instructions_of_thirty_million() -> None:
    assert check_determinism([30_000_000, 30_000_300]).ok
    assert not check_determinism([30_000_000, 30_003_000]).ok


BIG = 80_000_000  # a run above SMALL_RUN
A, B = 1_234_567, 1_250_000


def test_two_agreeing_runs_are_not_enough() -> None:
    # a body whose work is random in a third of its runs agrees with itself in two runs 5
    # times in 9: two runs never decide
    assert more_runs([BIG, BIG]) == 1
    assert more_runs([]) == MIN_RUNS


def test_a_third_run_that_differs_makes_it_not_deterministic() -> None:
    # the runs a body random in some runs gives: the first two agree, the third does not
    assert more_runs([A, A]) > 0
    check = check_determinism([A, A, B])
    assert not check.ok
    assert (check.runs, check.agreed, check.value) == (3, 2, A)
    assert check.describe("per run") == (
        "2 of 3 runs agreed (1,234,567 instructions per run; the others 1,250,000): "
        "not deterministic"
    )
    assert more_runs([A, A, B]) == 0  # decided: no further run can make them agree


def test_big_identical_counts_are_decided_after_three_runs() -> None:
    assert more_runs([BIG] * 3) == 0
    assert check_determinism([BIG] * 3).describe() == "3 of 3 runs counted 80,000,000 instructions"


def test_small_counts_are_checked_more_often() -> None:
    assert more_runs([A] * 3, small=True) == MAX_RUNS - 3
    assert more_runs([A] * MAX_RUNS, small=True) == 0
    assert check_determinism([A] * 5).describe("per call") == (
        "5 of 5 runs counted 1,234,567 instructions per call"
    )


def test_counts_that_differ_within_the_tolerance_are_checked_more_often() -> None:
    counts = [BIG, BIG + 100, BIG]
    assert check_determinism(counts).ok
    assert more_runs(counts) == MAX_RUNS - 3
    assert more_runs([*counts, BIG, BIG]) == 0
    assert check_determinism([*counts, BIG, BIG]).describe() == (
        "5 of 5 runs agreed within 1e-05 (80,000,000 to 80,000,100 instructions)"
    )


def test_how_many_agreed_is_the_largest_group() -> None:
    check = check_determinism([B, A, B, A, A])
    assert (check.agreed, check.value) == (3, A)
    assert check_determinism([A, B]).agreed == 1  # a tie: the smaller count names the group


def test_counts_of_zero_or_less_are_never_deterministic() -> None:
    check = check_determinism([0.0, 5.0])
    assert not check.ok and check.spread == float("inf")
    assert check_determinism([0.0, 0.0]).ok


@pytest.mark.parametrize(("low", "high"), [(1, 1), (3, 2), (1, 5)])
def test_more_runs_rejects_bad_bounds(low: int, high: int) -> None:
    with pytest.raises(ValueError, match="min_runs"):
        more_runs([A], min_runs=low, max_runs=high)


@pytest.mark.parametrize(
    ("counts", "tolerance", "message"),
    [
        ([5], 0.0, "at least two"),
        ([], 0.0, "at least two"),
        ([5, 5], -0.1, "tolerance"),
    ],
)
def test_check_determinism_rejects_bad_input(
    counts: list[int], tolerance: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        check_determinism(counts, tolerance=tolerance)


def test_deterministic_env_keeps_few_variables_and_fixes_the_rest() -> None:
    runner = {
        "PATH": "/opt/bin:/usr/bin",
        "HOME": "/home/runner",
        "PYTHONPATH": "/src",
        "GITHUB_RUN_ID": "123456789",
        "VALGRIND_OPTS": "--tool=memcheck",
        "PYTHONHASHSEED": "random",
        "LANG": "de_DE.UTF-8",
        "TERM": "xterm",
    }
    env = deterministic_env(runner)
    assert env == {
        "PATH": "/opt/bin:/usr/bin",
        "HOME": "/home/runner",
        "PYTHONPATH": "/src",
        **FIXED_ENV,
    }
    assert env["PYTHONHASHSEED"] == "0"
    assert env["PYTHONMALLOC"] == "malloc"
    assert list(env) == sorted(env), "a fixed order: environ's order is part of the count"


def test_deterministic_env_has_a_path_even_when_the_caller_has_none() -> None:
    assert deterministic_env({})["PATH"] == "/usr/local/bin:/usr/bin:/bin"


def test_a_missing_valgrind_is_a_one_line_config_error_with_an_install_hint() -> None:
    env = {"PATH": "/nonexistent"}
    assert find_valgrind(env) is None
    with pytest.raises(ValgrindMissing) as caught:
        require_valgrind(env, field="benchmarks[0].measure")
    error = caught.value
    assert isinstance(error, ConfigError)
    assert error.field == "benchmarks[0].measure"
    assert "apt-get install valgrind" in error.fix
    assert "\n" not in str(error)


def test_counting_without_valgrind_fails_before_running_anything(tmp_path: Path) -> None:
    with pytest.raises(ValgrindMissing, match="needs valgrind"):
        count_command("touch ran", cwd=tmp_path, env={"PATH": "/nonexistent"}, timeout=5)
    assert not (tmp_path / "ran").exists()


def test_valgrind_arguments() -> None:
    args = valgrind_args(Path("/tmp/x"))
    assert args[:3] == ["-q", "--tool=callgrind", "--trace-children=yes"]
    assert "--callgrind-out-file=/tmp/x/out.%p" in args
    assert "--log-file=/tmp/x/valgrind.%p.log" in args
    # counts dumped and zeroed before a fork: a child does not repeat its parent's count
    assert {"--dump-before=fork", "--dump-before=vfork"} <= set(args)
