"""The pure parts of the instructions instrument: out-file parsing, the differential per-call
arithmetic, the determinism check and the fixed environment. The out texts are real Valgrind
3.19 output captured on a Debian machine (``/bin/true``), with most cost lines cut (the parser reads only the header and summary lines). A ``$`` at the end
of a line stands for the trailing space Valgrind writes there."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiwf_ci.bench.instructions import (
    DEFAULT_TOLERANCE,
    FIXED_ENV,
    ValgrindMissing,
    check_determinism,
    count_command,
    deterministic_env,
    find_valgrind,
    parse_cachegrind_out,
    per_call,
    require_valgrind,
    valgrind_args,
)
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


def test_parses_cachegrind_without_cache_simulation() -> None:
    assert parse_cachegrind_out(CACHEGRIND_NO_SIM) == {"Ir": 127757}


def test_every_event_of_the_summary_is_read() -> None:
    events = parse_cachegrind_out(CACHEGRIND_SIM)
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
    assert parse_cachegrind_out(text) == {"Ir": 7, "Dr": 2, "Dw": 0}


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
        parse_cachegrind_out(text)


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


@pytest.mark.parametrize(
    ("counts", "tolerance", "message"),
    [
        ([5], 0.0, "at least two"),
        ([], 0.0, "at least two"),
        ([0, 5], 0.0, "positive"),
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
    assert args[:3] == ["-q", "--tool=cachegrind", "--trace-children=yes"]
    assert "--cachegrind-out-file=/tmp/x/out.%p" in args
    assert "--log-file=/tmp/x/valgrind.%p.log" in args
    assert "--cache-sim=no" in args
