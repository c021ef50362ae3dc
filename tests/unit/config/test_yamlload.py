from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from aiwf_ci.config import load_config, yamlload
from aiwf_ci.config.yamlload import (
    MAX_ALIAS_NODES,
    MAX_BYTES,
    MAX_DEPTH,
    DuplicateKeyError,
    LimitError,
    LineList,
    LineMap,
    LoadError,
    load_yaml,
    quote,
)
from aiwf_ci.errors import ConfigError, ConfigErrors

REPO = Path(__file__).resolve().parents[3]


def load(text: str) -> LineMap:
    data = load_yaml(textwrap.dedent(text))
    assert isinstance(data, LineMap)
    return data


def refused(text: str | bytes, kind: type[LoadError] = LoadError) -> LoadError:
    """The error ``load_yaml`` raises; its problem must be one line, with the line marked."""
    with pytest.raises(kind) as info:
        load_yaml(textwrap.dedent(text) if isinstance(text, str) else text)
    problem = info.value.problem
    assert problem and "\n" not in problem and len(problem) < 300
    return info.value


def line_of(err: LoadError) -> int:
    assert err.problem_mark is not None
    return err.problem_mark.line + 1


# -- merge keys ------------------------------------------------------------------------


def test_merge_key_explicit_keys_win_and_lines_point_at_the_anchor() -> None:
    data = load(
        """\
        base: &base
          iterations: 5
          warmup: 1
          timeout: 10s
        bench:
          name: a
          <<: *base
          warmup: 3
        """
    )
    bench = data["bench"]
    assert bench == {"name": "a", "iterations": 5, "warmup": 3, "timeout": "10s"}
    assert list(bench) == ["name", "iterations", "timeout", "warmup"]  # merged where << is
    assert bench.line_of("name") == 6
    assert bench.line_of("iterations") == 2  # written in the anchor
    assert bench.line_of("timeout") == 4
    assert bench.line_of("warmup") == 8  # the explicit key, not the anchor's line 3
    assert "<<" not in bench
    assert data["base"] == {"iterations": 5, "warmup": 1, "timeout": "10s"}  # untouched


def test_merge_list_earlier_mappings_win() -> None:
    data = load(
        """\
        a: &a {x: 1, y: 1}
        b: &b {y: 2, z: 2}
        c:
          <<: [*a, *b, {z: 3, w: 3}]
          x: 0
        """
    )
    c = data["c"]
    assert c == {"x": 0, "y": 1, "z": 2, "w": 3}
    assert [c.line_of(k) for k in ("x", "y", "z", "w")] == [5, 1, 2, 4]


def test_merge_of_a_merge_keeps_the_line_where_the_key_is_written() -> None:
    data = load(
        """\
        a: &a
          x: 1
        b: &b
          <<: *a
          y: 2
        c:
          <<: *b
        """
    )
    assert data["c"] == {"x": 1, "y": 2}
    assert data["c"].line_of("x") == 2 and data["c"].line_of("y") == 5


def test_merged_nested_values_keep_their_own_lines() -> None:
    data = load(
        """\
        base: &base
          env:
            A: "1"
          ops:
            - read
            - write
        bench:
          <<: *base
        """
    )
    bench = data["bench"]
    assert isinstance(bench["env"], LineMap) and bench["env"].line_of("A") == 3
    assert isinstance(bench["ops"], LineList) and bench["ops"].line_of(1) == 6


def test_duplicate_keys_are_still_found_next_to_merge_keys() -> None:
    err = refused(
        """\
        base: &base {x: 1}
        bench:
          <<: *base
          x: 2
          y: 3
          x: 4
        """,
        DuplicateKeyError,
    )
    assert err.problem == "duplicate key 'x'" and line_of(err) == 6
    # a key both merged and written once is not a duplicate; nor one in two merged maps
    assert load("a: &a {x: 1}\nb: &b {x: 2}\nc: {<<: [*a, *b], x: 3}\n")["c"] == {"x": 3}


def test_two_merge_keys_in_one_mapping_are_a_duplicate() -> None:
    err = refused("a: &a {x: 1}\nb: &b {y: 1}\nc:\n  <<: *a\n  <<: *b\n", DuplicateKeyError)
    assert "<<: [*a, *b]" in str(err.problem) and line_of(err) == 5


@pytest.mark.parametrize(
    "value", ["*s", "[*s]", "[*m, 1]", "null", "[[{x: 1}]]", "!!set {x}"], ids=str
)
def test_merge_needs_mappings(value: str) -> None:
    err = refused(f"s: &s text\nm: &m {{x: 1}}\nc:\n  <<: {value}\n")
    assert "merge key '<<' takes a mapping or a list of mappings" in str(err.problem)
    assert line_of(err) == 4


def test_merge_sign_as_a_value_or_quoted_key_is_plain_text() -> None:
    assert load("a: <<\n'<<': 1\n") == {"a": "<<", "<<": 1}


def test_anchor_reused_by_many_benchmarks_is_fine() -> None:
    defaults = "".join(f"  k{i}: {i}\n" for i in range(20))
    entries = "".join(f"  - {{<<: *d, name: b{i}}}\n" for i in range(400))
    data = load(f"defaults: &d\n{defaults}benchmarks:\n{entries}")
    assert len(data["benchmarks"]) == 400
    assert data["benchmarks"][399]["k19"] == 19
    assert data["benchmarks"][399].line_of("k19") == 21
    assert MAX_ALIAS_NODES > 400 * 41  # 41 values (20 keys + 20 values + the mapping) each


# -- refusing, with one-line messages on the right line ---------------------------------


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system ['echo hi']",
        "!!python/name:os.system",
        "!!python/object/new:os.system ['echo hi']",
        "!!python/object:argparse.Namespace {a: 1}",
        "!custom {a: 1}",
        "!<tag:example.com,2000:thing> x",
    ],
)
def test_tags_that_would_build_objects_are_refused(tag: str) -> None:
    err = refused(f"suite: s\ncommand: {tag}\n")
    assert "is not allowed: a config is plain data" in str(err.problem)
    assert line_of(err) == 2


def test_plain_yaml_tags_still_work() -> None:
    data = load("a: !!str 12\nb: !!int '7'\nc: !!float 1\nd: !!binary aGk=\n")
    assert data == {"a": "12", "b": 7, "c": 1.0, "d": b"hi"}


def test_keys_must_be_plain_values() -> None:
    err = refused("a: 1\n? [x, y]\n: 2\n")
    assert "a key must be a plain value, not a list" in str(err.problem) and line_of(err) == 2
    assert load("1: a\ntrue: b\n") == {"1": "a", "True": "b"}  # scalars become text, as before


def test_duplicate_key_message_cuts_a_huge_key() -> None:
    key = "k" * 100_000
    err = refused(f"? {key}\n: 1\n? {key}\n: 2\n", DuplicateKeyError)
    assert err.problem is not None and len(err.problem) < 120 and err.problem.endswith("…")


def test_quote_cuts_to_80_characters() -> None:
    assert quote("short") == "'short'"
    long = quote("x" * 10_000)
    assert len(long) == 80 and long.endswith("…") and long.startswith("'xxx")
    assert len(quote(list(range(10_000)))) == 80


def test_bad_scalars_are_load_errors_not_value_errors() -> None:
    err = refused("a: 1\nwhen: 2024-13-45\n")
    assert "cannot read the value '2024-13-45'" in str(err.problem) and line_of(err) == 2
    err = refused("a: 1\nn: " + "9" * 5000 + "\n", LimitError)
    assert "a number with more than 1,000 characters" in str(err.problem) and line_of(err) == 2
    assert len(str(err.problem)) < 200
    err = refused("a: 1\nn: " + "1:" * 5000 + "1\n", LimitError)  # base 60: quadratic time
    assert line_of(err) == 2


def test_anchor_mistakes() -> None:
    err = refused("a: &a [1, *a]\n")
    assert "alias *a is inside its own anchor &a" in str(err.problem)
    err = refused("a: 1\nb: *nope\n")
    assert "alias *nope has no anchor" in str(err.problem) and line_of(err) == 2
    err = refused("a: &x 1\nb: &x 2\n")
    assert "anchor &x is already defined on line 1" in str(err.problem) and line_of(err) == 2
    name = "n" * 5000
    err = refused(f"a: *{name}\n")
    assert len(str(err.problem)) < 200


# -- limits -----------------------------------------------------------------------------


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_depth_limit() -> None:
    assert load(f"a: {nested(MAX_DEPTH - 1)}\n")  # 1 (the top mapping) + 63 lists
    err = refused(f"x: 1\na: {nested(MAX_DEPTH)}\n", LimitError)
    assert err.problem == f"nested deeper than {MAX_DEPTH} levels; flatten the structure"
    assert line_of(err) == 2
    block = "".join("  " * i + "a:\n" for i in range(250)) + "  " * 250 + "x\n"
    assert line_of(refused(block, LimitError)) == MAX_DEPTH + 1


def test_depth_limit_counts_through_aliases() -> None:
    half = MAX_DEPTH // 2 + 1
    err = refused(f"a: &a {nested(half)}\nb: {'[' * half}*a{']' * half}\n", LimitError)
    assert "alias *a nests the document deeper than 64 levels" in str(err.problem)
    assert line_of(err) == 2


def bomb(levels: int = 9, indent: str = "") -> str:
    """Billion laughs: level n is a list of 9 aliases of level n-1, so 9**9 values."""
    names = "abcdefghi"[:levels]
    lines = [f"{indent}- &a [{', '.join(['lol'] * 9)}]\n"]
    lines += [
        f"{indent}- &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
        for prev, name in itertools.pairwise(names)
    ]
    return "".join(lines)


def test_alias_bomb_stops_at_the_alias_that_crosses_the_budget() -> None:
    started = time.monotonic()
    err = refused(f"x: 1\nbomb:\n{bomb()}", LimitError)
    assert f"aliases expand to more than {MAX_ALIAS_NODES:,} values (at *d)" in str(err.problem)
    assert line_of(err) == 7  # level e, the first to alias *d (7,381 values each)
    assert time.monotonic() - started < 5


def test_alias_budget_counts_text_too() -> None:
    long = "x" * 400_000
    err = refused(f"a: &a {long}\nb: [*a, *a, *a]\n", LimitError)
    assert "aliases expand to more than 1,048,576 characters of text (at *a)" in str(err.problem)
    assert line_of(err) == 2


def test_size_limit_in_bytes_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    err = refused("a: " + "x" * MAX_BYTES, LimitError)
    assert err.problem_mark is None
    assert "a config may have at most 1 MiB (1,048,576 bytes)" in str(err.problem)
    err = refused(("a: " + "é" * (MAX_BYTES // 2)).encode(), LimitError)
    assert "the file has 1,048,579 bytes" in str(err.problem)
    err = refused("a: " + "é" * (MAX_BYTES // 2), LimitError)  # text: counted as UTF-8
    assert "the file has 1,048,579 bytes" in str(err.problem)
    monkeypatch.setattr(yamlload, "MAX_BYTES", 10)
    assert load_yaml("a: 1234567") == {"a": 1234567}  # exactly 10 bytes
    refused("a: 12345678", LimitError)


def test_node_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlload, "MAX_NODES", 10)
    assert load_yaml("[1, 2, 3, 4, 5, 6, 7, 8, 9]") == list(range(1, 10))
    err = refused("[1, 2, 3, 4, 5,\n 6, 7, 8, 9, 10]", LimitError)
    assert "more than 10 values" in str(err.problem) and line_of(err) == 2


# -- encodings ----------------------------------------------------------------------------


def test_bytes_must_be_utf8() -> None:
    assert load_yaml("a: é\n".encode()) == {"a": "é"}
    err = refused(b"a: 1\nb: x\xffy\n")
    assert err.problem == "invalid UTF-8 (byte 0xff at column 5); save the file as UTF-8"
    assert line_of(err) == 2
    err = refused(b"a: 1\n\nb: \xed\xa0\x80\n")  # an encoded lone surrogate
    assert "invalid UTF-8 (byte 0xed" in str(err.problem) and line_of(err) == 3


def test_lone_surrogates_are_refused() -> None:
    err = refused("a: 1\nb: x\ud800\n")
    assert "a lone surrogate U+D800 is not valid UTF-8 text" in str(err.problem)
    assert line_of(err) == 2
    err = refused('a: 1\n\nb: "x\\udc80"\n')  # made by an escape
    assert "a lone surrogate \\udc80 is not valid Unicode" in str(err.problem)
    assert line_of(err) == 3
    assert load('a: "\\u00e9 \\U0001F600"\n') == {"a": "é 😀"}


def test_control_characters_name_their_line() -> None:
    err = refused("a: 1\r\nb: 2\r\nc: x\x00\n")
    assert "the character U+0000 is not allowed in YAML" in str(err.problem)
    assert line_of(err) == 3


# -- through load_config ----------------------------------------------------------------

MERGED = """\
suite: demo
profiles:
  quick: &quick
    iterations: 3
    warmup: 0
benchmarks:
  - &base
    name: sort
    command: echo sort
    iterations: 7
    timeout: 10s
    env: {A: "1"}
  - <<: *base
    name: parse
    command: echo parse
    warmup: 2
  - <<: [*quick, *base]
    name: quick-sort
"""


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "bench.yml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_load_config_with_merge_keys(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MERGED), env={})
    sort, parse, quick = config.benchmarks
    assert (parse.name, parse.line, parse.settings.iterations) == ("parse", 13, 7)
    assert parse.settings.warmup == 2 and parse.settings.timeout == 10.0
    assert parse.workload.env == {"A": "1"}  # type: ignore[union-attr]
    assert parse.workload.command == "echo parse"  # type: ignore[union-attr]
    assert (quick.name, quick.line, quick.settings.iterations, quick.settings.warmup) == (
        "quick-sort",
        17,
        3,
        0,
    )
    assert quick.workload.command == "echo sort"  # type: ignore[union-attr]
    assert sort.settings.iterations == 7


def test_error_in_a_merged_mapping_names_the_line_where_it_is_written(tmp_path: Path) -> None:
    text = MERGED.replace("iterations: 7", "iterations: 0").replace("warmup: 2", "warmpu: 2")
    with pytest.raises(ConfigErrors) as info:
        load_config(write(tmp_path, text), env={})
    lines = [p.one_line() for p in info.value.problems]
    path = tmp_path / "bench.yml"
    assert f"{path}:10: benchmarks[0].iterations: invalid value" in lines[0]
    assert any(line.startswith(f"{path}:10: benchmarks[1].iterations:") for line in lines)
    assert any(line.startswith(f"{path}:16: benchmarks[1].warmpu: unknown key") for line in lines)
    assert not any("benchmarks[2].iterations" in line for line in lines)  # *quick wins
    assert len(lines) == 3


def test_load_config_duplicate_key_next_to_merge(tmp_path: Path) -> None:
    text = MERGED.replace("    warmup: 2\n", "    warmup: 2\n    name: again\n")
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text), env={})
    assert str(info.value).startswith(f"{tmp_path / 'bench.yml'}:17: duplicate key")


def test_load_config_invalid_utf8_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, b"suite: s\xff\nbenchmarks: []\n"), env={})
    assert "UTF-8" in str(info.value) and "\n" not in str(info.value)


# -- hostile files, each in a child with 1 GiB of address space and 20 s ------------------

CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
resource.setrlimit(resource.RLIMIT_CPU, (20, 20))
from pathlib import Path
from aiwf_ci.config import load_config
from aiwf_ci.errors import ConfigError
try:
    load_config(Path(sys.argv[1]), env={})
except ConfigError as exc:
    print(exc)
    sys.exit(exc.exit_code)
print("loaded")
"""

HEAD = "suite: s\nbenchmarks:\n  - name: b\n"  # the entry's keys start on line 4

HOSTILE = {
    "bomb-as-key": (
        HEAD + "    command: echo\n    ? " + bomb(indent="      ")[6:] + "    : 1\n",
        9,
    ),
    "bomb-as-key-top-anchors": (
        "x:\n" + bomb(indent="  ") + HEAD + "    command: echo\n    ? *i\n    : 1\n",
        6,
    ),
    "bomb-as-value": (HEAD + "    command:\n" + bomb(indent="      "), 9),
    "bomb-as-env-value": (
        HEAD + "    command: echo\n    env:\n      A:\n" + bomb(indent="        "),
        11,
    ),
    "bomb-in-flow": (
        HEAD + "    env: {A: [" + bomb().replace("- ", "").replace("\n", ", ") + "]}\n",
        4,
    ),
    "deep-flow": ("suite: s\nbenchmarks: " + nested(250) + "\n", 2),
    # line 4+i opens nesting level 3+i, so level 65 is on line 66
    "deep-block": (HEAD + "".join("    " + "  " * i + "a:\n" for i in range(250)), 66),
    "huge-file": (HEAD + "    command: echo\n" + ("# " + "x" * 100 + "\n") * 20_000, None),
    "python-tag": (HEAD + "    command: !!python/object/apply:os.system ['touch MARKER']\n", 4),
}
EXPECTED = {
    "bomb": "aliases expand to more than 50,000 values (at *d)",
    "deep": "nested deeper than 64 levels",
    "huge": "a config may have at most 1 MiB (1,048,576 bytes)",
    "python": "the tag !!python/object/apply:os.system is not allowed",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_config_is_refused_quickly_in_one_line(tmp_path: Path, name: str) -> None:
    text, line = HOSTILE[name]
    path = write(tmp_path, text)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=20,
        cwd=tmp_path,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert proc.stderr == "" and proc.returncode == 2, proc.stderr[-2000:]
    message = proc.stdout.rstrip("\n")
    where = f"{path}:{line}" if line else f"{path}"
    assert message.count("\n") == 0 and len(message) < 400
    assert message.startswith(f"{where}: "), message
    assert "(fix the YAML syntax)" not in message  # one fix, the limit's own
    assert EXPECTED[name.split("-")[0]] in message
    assert not (tmp_path / "MARKER").exists()
