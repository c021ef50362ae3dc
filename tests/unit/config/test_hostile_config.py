"""Absurd values in a suite config are one-line errors naming the file, line, field and the
limit, never a run that plans 10^12 writes, starts 10^8 threads or waits forever: counts,
sizes, concurrency, batch sizes, requests, rates and durations are bounded; non-finite numbers
(``.nan``, ``.inf``, ``1e400``) and URLs no client can open are refused; ``to:`` must stay
under ``{tmp}``; a huge value is never echoed whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiwf_ci.config import load_config
from aiwf_ci.config.models import FileBatchSpec, LoadSpec
from aiwf_ci.errors import ConfigError, ConfigErrors

HEAD = "suite: s\nbenchmarks:\n  - name: b\n"  # the benchmark's own keys start on line 4


def only_problem(tmp_path: Path, body: str, head: str = HEAD) -> str:
    """The single problem ``load_config`` reports for ``body`` (the benchmark's keys)."""
    path = tmp_path / "bench.yml"
    path.write_text(head + body, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    error = info.value
    lines = (
        [p.one_line() for p in error.problems] if isinstance(error, ConfigErrors) else [str(error)]
    )
    assert len(lines) == 1, lines
    line = lines[0]
    assert "\n" not in line and len(line) < 400, line
    assert line.startswith(f"{path}:"), line
    return line


def fb_op(op: str) -> str:
    return f"    file-batch:\n      operations:\n        - {op}\n"


def fb(key: str) -> str:
    return f"    file-batch:\n      {key}\n      operations: [{{op: read, glob: 'x'}}]\n"


def load(keys: str) -> str:
    return f"    load: {{url: 'http://127.0.0.1:8000/', duration: 2s, {keys}}}\n"


def own(key: str) -> str:
    return f"    command: echo\n    {key}\n"


W = "{op: write, size: 1, to: '{tmp}/w', "
LIMITS = {
    # name: (benchmark keys, line, field after "benchmarks[0].", problem, fix)
    "write-count-1e12": (
        fb_op(W + "count: 1000000000000}"),
        6,
        "file-batch.operations[0].count",
        "1000000000000 files is more than the limit",
        "at most 1,000,000 files",
    ),
    "write-size": (
        fb_op("{op: write, count: 1, to: '{tmp}/w', size: 100TB}"),
        6,
        "file-batch.operations[0].size",
        "'100TB' is larger than the limit",
        "at most 64GiB",
    ),
    "write-size-inf": (
        fb_op("{op: write, count: 1, to: '{tmp}/w', size: .inf}"),
        6,
        "file-batch.operations[0].size",
        "inf is not a finite size",
        "a number of bytes",
    ),
    "file-concurrency": (
        fb("concurrency: 100000000"),
        5,
        "file-batch.concurrency",
        "100000000 parallel operations is more than the limit",
        "at most 1,024 parallel operations",
    ),
    "batch-size": (
        fb("batch-size: 1000000000"),
        5,
        "file-batch.batch-size",
        "is more than the limit",
        "at most 100,000 operations a batch",
    ),
    "stream-threshold": (
        fb("stream-threshold: 2GiB"),
        5,
        "file-batch.stream-threshold",
        "'2GiB' is larger than the limit",
        "at most 1GiB",
    ),
    "load-concurrency-1e8": (
        load("concurrency: 100000000"),
        4,
        "load.concurrency",
        "100,000,000 workers is more than the limit",
        "at most 1,000 workers, one thread each",
    ),
    "raw-concurrency": (
        load("concurrency: 20000, client: raw"),
        4,
        "load.concurrency",
        "20,000 workers is more than the limit",
        "client: raw takes up to 10,000 connections",
    ),
    "requests": (
        load("requests: 1000000000"),
        4,
        "load.requests",
        "1000000000 requests is more than the limit",
        "at most 10,000,000 requests",
    ),
    "rate": (
        load("rate: 1.0e+9"),
        4,
        "load.rate",
        "is more than the limit",
        "at most 1,000,000 requests/s",
    ),
    "rate-inf": (load("rate: .inf"), 4, "load.rate", "expected a finite number", ""),
    "rate-nan": (load("rate: .nan"), 4, "load.rate", "expected a positive number", ""),
    "duration-1e400": (
        "    load: {url: 'http://h/', duration: 1e400}\n",
        4,
        "load.duration",
        "'1e400' is not a finite duration",
        "",
    ),
    "duration": (
        "    load: {url: 'http://h/', duration: 48h}\n",
        4,
        "load.duration",
        "'48h' is longer than the limit",
        "at most 24h",
    ),
    "ramp-up-nan": (load("ramp-up: .nan"), 4, "load.ramp-up", "nan is not a finite duration", ""),
    "request-timeout-zero": (
        load("request-timeout: 0"),
        4,
        "load.request-timeout",
        "must be greater than zero",
        "",
    ),
    "timeout-1e400": (own("timeout: 1e400"), 5, "timeout", "'1e400' is not a finite duration", ""),
    "timeout-nan": (own("timeout: .nan"), 5, "timeout", "nan is not a finite duration", ""),
    "timeout-inf": (own("timeout: .inf"), 5, "timeout", "inf is not a finite duration", ""),
    "timeout-long": (own("timeout: 100h"), 5, "timeout", "longer than the limit", "at most 24h"),
    "min-time": (own("min-time: 2h"), 5, "min-time", "longer than the limit", "at most 1h"),
    "warmup": (
        own("warmup: 1000000000000"),
        5,
        "warmup",
        "more than the limit",
        "at most 1,000,000,000",
    ),
    "iterations": (
        own("iterations: 1000000000000"),
        5,
        "iterations",
        "more than the limit",
        "at most 1,000,000,000 runs",
    ),
    "interval-tiny": (
        own("memory: {interval: 1ns}"),
        5,
        "memory.interval",
        "shorter than the limit",
        "at least 1ms",
    ),
    "interval-nan": (
        own("memory: {interval: .nan}"),
        5,
        "memory.interval",
        "nan is not a finite duration",
        "",
    ),
    "leak-threshold-inf": (
        own("memory: {leak-threshold: '" + "9" * 400 + "%'}"),
        5,
        "memory.leak-threshold",
        "is not a finite percentage",
        "",
    ),
    "max-peak": (
        own("memory: {max-peak: 100000TB}"),
        5,
        "memory.max-peak",
        "larger than the limit",
        "at most 64TiB",
    ),
    "memory-iterations": (
        own("memory: {iterations: 10000000}"),
        5,
        "memory.iterations",
        "more than the limit",
        "at most 10,000 memory-pass iterations",
    ),
}


@pytest.mark.parametrize("name", list(LIMITS))
def test_absurd_values_are_one_line_errors_that_say_the_limit(tmp_path: Path, name: str) -> None:
    body, line, field, problem, fix = LIMITS[name]
    message = only_problem(tmp_path, body)
    assert message.startswith(f"{tmp_path / 'bench.yml'}:{line}: benchmarks[0].{field}: ")
    assert problem in message
    assert fix in message.partition(" (")[2]  # the fix, in brackets after the problem


def test_limits_in_defaults_and_profiles_name_their_section(tmp_path: Path) -> None:
    head = "suite: s\ndefaults: {timeout: .nan}\nbenchmarks:\n  - name: b\n"
    message = only_problem(tmp_path, "    command: echo\n", head)
    assert ":2: defaults.timeout: invalid value: nan is not a finite duration" in message
    head = "suite: s\nprofiles:\n  ci: {iterations: 1000000000000}\nbenchmarks:\n  - name: b\n"
    message = only_problem(tmp_path, "    command: echo\n", head)
    assert ":3: profiles.ci.iterations: invalid value: 1000000000000 runs is more" in message


def test_values_at_the_limits_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bench.yml"
    path.write_text(
        HEAD
        + "    timeout: 24h\n    iterations: 1000000000\n"
        + fb_op("{op: write, count: 1000000, size: 64GiB, to: '{tmp}/w'}")
        + "  - name: l\n    load: {url: 'http://[::1]:65535/x', concurrency: 10000, client: raw,"
        + " duration: 24h, requests: 10000000, rate: 1000000, request-timeout: 1h}\n"
    )
    config = load_config(path, env={})
    spec = config.benchmarks[0].workload
    assert isinstance(spec, FileBatchSpec)
    assert (spec.operations[0].count, spec.operations[0].size) == (1_000_000, 64 * 1024**3)
    assert config.benchmarks[0].settings.timeout == 24 * 3600
    load_spec = config.benchmarks[1].workload
    assert isinstance(load_spec, LoadSpec) and load_spec.concurrency == 10_000


URLS = {
    "http://": "has no host name",
    "http://h:99999/": "cannot be parsed (Port out of range 0-65535)",
    "http://[::1": "cannot be parsed (Invalid IPv6 URL)",
    "http://h:0/": "has port 0",
    "http://h:x/": "cannot be parsed (Port could not be cast to integer value",
    "http://h/a b": "contains spaces or control characters",
    "ftp://h/": "is not an http:// or https:// URL",
}


@pytest.mark.parametrize("url", list(URLS))
def test_urls_no_client_can_open_are_refused_in_the_config(tmp_path: Path, url: str) -> None:
    message = only_problem(tmp_path, f"    load: {{url: '{url}', duration: 1s}}\n")
    assert f":4: benchmarks[0].load.url: invalid value: the URL {url!r} {URLS[url]}" in message


DESTINATIONS = ["out/w", "/tmp/x", "{tmp}/../x", "{tmp}/a/../../x", "x/{tmp}", "{tmp}x"]


@pytest.mark.parametrize("dest", DESTINATIONS)
def test_writes_and_copies_must_stay_under_tmp(tmp_path: Path, dest: str) -> None:
    message = only_problem(tmp_path, fb_op(f"{{op: copy, glob: 'data/*', to: '{dest}'}}"))
    assert f":6: benchmarks[0].file-batch.operations[0].to: invalid value: {dest!r}" in message
    assert "is not under {tmp} (file-batch writes only under {tmp}, a fresh folder" in message


@pytest.mark.parametrize("dest", ["{tmp}", "{tmp}/copy", "{tmp}/a/../b", "./{tmp}/c"])
def test_destinations_under_tmp_are_normalised(tmp_path: Path, dest: str) -> None:
    path = tmp_path / "bench.yml"
    path.write_text(HEAD + fb_op(f"{{op: copy, glob: 'data/*', to: '{dest}'}}"))
    spec = load_config(path, env={}).benchmarks[0].workload
    assert isinstance(spec, FileBatchSpec)
    assert (
        spec.operations[0].to
        == {
            "{tmp}": "{tmp}",
            "{tmp}/copy": "{tmp}/copy",
            "{tmp}/a/../b": "{tmp}/b",
            "./{tmp}/c": "{tmp}/c",
        }[dest]
    )


HUGE = "x" * 900_000  # a config may have up to 1 MiB
ECHOED = {
    "url": f"    load: {{url: 'ftp://h/{HUGE}', duration: 1s}}\n",
    "to": fb_op(f"{{op: copy, glob: 'd/*', to: '{HUGE}'}}"),
    "python": f"    python: '{HUGE}'\n",
    "timeout": own(f"timeout: '{HUGE}'"),
    "digits": own(f"timeout: '{'9' * 900_000}'"),
    "count": fb_op(f"{{op: write, size: 1, to: '{{tmp}}/w', count: '{HUGE}'}}"),
    "unknown-key": own(f"{HUGE}: 1"),
}


@pytest.mark.parametrize("name", list(ECHOED))
def test_a_huge_value_is_never_echoed_whole(tmp_path: Path, name: str) -> None:
    only_problem(tmp_path, ECHOED[name])  # one line, under 400 characters


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("a\\nb", "U+000A"),
        ("a\\eb", "U+001B"),
        ("a\\u202egnp.exe", "U+202E"),
        ("a\\u2066b", "U+2066"),
    ],
)
def test_a_name_with_a_control_or_direction_character_is_refused(
    tmp_path: Path, name: str, code: str
) -> None:
    path = tmp_path / "bench.yml"
    path.write_text(f'suite: s\nbenchmarks:\n  - name: "{name}"\n    command: "true"\n')
    with pytest.raises(ConfigErrors) as info:
        load_config(path, env={})
    (line,) = [p.one_line() for p in info.value.problems]
    assert f"benchmarks[0].name: invalid value: the name holds {code}" in line
    assert "\n" not in line and "\x1b" not in line and "\u202e" not in line


def test_a_70000_character_suite_name_is_refused_and_not_echoed(tmp_path: Path) -> None:
    path = tmp_path / "bench.yml"
    path.write_text("suite: " + "s" * 70_000 + '\nbenchmarks:\n  - {name: a, command: "true"}\n')
    with pytest.raises(ConfigErrors) as info:
        load_config(path, env={})
    (line,) = [p.one_line() for p in info.value.problems]
    assert "the name is 70,000 characters long (at most 200)" in line and len(line) < 400
    path.write_text("suite: " + "s" * 200 + '\nbenchmarks:\n  - {name: a, command: "true"}\n')
    assert load_config(path, env={}).suite == "s" * 200
