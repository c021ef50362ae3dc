"""Loads a suite YAML file into a validated ``SuiteConfig``: every problem is collected and
raised together as ``ConfigErrors`` (one line each: file:line, field, problem, fix)."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from pathlib import Path

import yaml

from aiwf_ci.config import yamlload
from aiwf_ci.config.environment import read_environment, read_rounds
from aiwf_ci.config.fields import Problems, as_name, as_str, join, read
from aiwf_ci.config.models import (
    COUNTED_KINDS,
    WORKLOAD_KINDS,
    BenchmarkConfig,
    LoadSpec,
    Settings,
    SuiteConfig,
    WorkloadSpec,
)
from aiwf_ci.config.settings import (
    SETTING_KEYS,
    Partial,
    apply_env_flags,
    merge_settings,
    read_settings,
)
from aiwf_ci.config.workloads import EXTRA_KEYS, parse_workload
from aiwf_ci.config.yamlload import MAX_BYTES, LineList, LineMap
from aiwf_ci.errors import ConfigError, ConfigErrors
from aiwf_ci.units import PERCENT_HINT
from aiwf_ci.verdict.thresholds import DEFAULT_THRESHOLDS, Threshold, parse_threshold

DEFAULT_CONFIG = Path(".aiwf/bench.yml")
TOP_KEYS = (
    "suite",
    "environment",
    "rounds",
    "ignore",
    "defaults",
    "thresholds",
    "profile",
    "profiles",
    "benchmarks",
)
COMMON_KEYS = ("name", "description", "thresholds", *SETTING_KEYS)


def load_config(
    path: Path, *, profile: str | None = None, env: Mapping[str, str] | None = None
) -> SuiteConfig:
    """Read, validate and resolve a suite config.

    ``profile`` (the CLI flag) wins over ``AIWF_PROFILE`` in ``env``, which wins over the
    file's ``profile:`` key. ``env`` defaults to ``os.environ``.
    """
    environ = dict(os.environ if env is None else env)
    data = _read_yaml(path)
    problems = Problems(path)
    config = _build(problems, data, profile or environ.get("AIWF_PROFILE") or None, environ)
    if problems.items or config is None:
        raise ConfigErrors(problems.items or [ConfigError("invalid config", where=str(path))])
    return config


def _read_yaml(path: Path) -> LineMap:
    data = load_yaml(_read_bytes(path), where=path)
    if not isinstance(data, LineMap):
        got = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        raise ConfigError(  # the file's content is not quoted: it may be any file at all
            f"expected a mapping at the top, got {got}; is this a suite config?",
            where=f"{path}:1",
            fix="start with 'suite: NAME' and 'benchmarks:'",
        )
    return data


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, after checking it is a regular file of a sane size (a FIFO or a
    device would block or never end; a huge file is refused before it is read)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(
                "not a regular file", where=str(path), fix="pass the path of a suite YAML file"
            )
        if info.st_size > MAX_BYTES:
            raise ConfigError(
                f"the file has {info.st_size:,} bytes; a config may have at most 1 MiB "
                f"({MAX_BYTES:,} bytes)",
                where=str(path),
                fix="a suite config is a few kilobytes: check the path",
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            "config file not found", where=str(path), fix="pass the path of a suite YAML file"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config: {exc.strerror}", where=str(path)) from None


def load_yaml(data: bytes, *, where: Path) -> object:
    """Parse with the line-aware loader; a YAML problem is one ``ConfigError`` line."""
    try:
        return yamlload.load_yaml(data)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"{where}:{mark.line + 1}" if mark is not None else str(where)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if isinstance(exc, yamlload.LoadError):
            raise ConfigError(problem, where=line) from None
        raise ConfigError(
            f"invalid YAML: {problem}", where=line, fix="fix the YAML syntax"
        ) from None


def _build(
    problems: Problems, data: LineMap, profile: str | None, env: Mapping[str, str]
) -> SuiteConfig | None:
    problems.check_keys(data, TOP_KEYS, "")
    suite = read(problems, data, "suite", "", as_name, "a suite name, e.g. suite: my-project")
    if "suite" not in data:
        problems.add(data.line, "suite", "missing 'suite'", "add suite: NAME at the top")
    defaults = _mapping_settings(problems, data, "defaults")
    profiles = _profiles(problems, data)
    chosen = _choose_profile(problems, data, profiles, profile)
    layers = [defaults] + ([profiles[chosen]] if chosen else [])
    settings = apply_env_flags(merge_settings(Settings(), *layers), env)
    thresholds = {**DEFAULT_THRESHOLDS, **_thresholds(problems, data, "")}
    environment = read_environment(problems, data)
    rounds = read_rounds(problems, data)
    ignore = read(problems, data, "ignore", "", _patterns, IGNORE_HINT) or ()
    benchmarks = _benchmarks(problems, data, layers, env)
    if suite is None or benchmarks is None:
        return None
    return SuiteConfig(
        suite=suite,
        path=problems.path,
        settings=settings,
        thresholds=thresholds,
        benchmarks=benchmarks,
        profile=chosen,
        profiles=tuple(profiles),
        environment=environment,
        rounds=rounds,
        ignore=ignore,
    )


IGNORE_HINT = "a list of benchmark names or globs, e.g. ignore: [flaky-*]"


def _patterns(value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, str) and item.strip() for item in items):
        raise ValueError("every entry must be a non-empty name or glob")
    return tuple(str(item).strip() for item in items)


def _mapping_settings(problems: Problems, data: LineMap, key: str) -> Partial:
    section = problems.section(data, key, key)
    if section is None:
        return {}
    problems.check_keys(section, SETTING_KEYS, key)
    return read_settings(problems, section, key)


def _profiles(problems: Problems, data: LineMap) -> dict[str, Partial]:
    section = problems.section(data, "profiles", "profiles")
    if section is None:
        return {}
    result: dict[str, Partial] = {}
    for name, value in section.items():
        field = join("profiles", name)
        example = "e.g. dev: {iterations: 3}"
        body = problems.mapping(value, section.line_of(name), field, example)
        if body is None:
            continue
        problems.check_keys(body, SETTING_KEYS, field)
        result[name] = read_settings(problems, body, field)
    return result


def _choose_profile(
    problems: Problems, data: LineMap, profiles: Mapping[str, Partial], requested: str | None
) -> str | None:
    name = requested
    if name is None and "profile" in data:
        name = read(problems, data, "profile", "", as_str, "the name of a profile")
    if name is None:
        return None
    if name not in profiles:
        known = ", ".join(profiles) or "none defined"
        line = data.line_of("profile") if requested is None else data.line_of("profiles")
        problems.add(line, "profile", f"unknown profile {name!r}", f"known profiles: {known}")
        return None
    return name


def _thresholds(problems: Problems, data: LineMap, prefix: str) -> dict[str, Threshold]:
    field = join(prefix, "thresholds")
    section = problems.section(data, "thresholds", field, "e.g. duration: 20%")
    if section is None:
        return {}
    rules: dict[str, Threshold] = {}
    for metric in section:
        hint = f"{PERCENT_HINT}, or {{relative: 10%, absolute: 2ms}}"
        rule = read(problems, section, metric, field, partial(parse_threshold, metric), hint)
        if rule is not None:
            rules[metric] = rule
    return rules


def _benchmarks(
    problems: Problems, data: LineMap, layers: list[Partial], env: Mapping[str, str]
) -> tuple[BenchmarkConfig, ...] | None:
    entries = data.get("benchmarks")
    if not isinstance(entries, LineList) or not entries:
        problems.add(
            data.line_of("benchmarks"),
            "benchmarks",
            "expected a non-empty list of benchmarks",
            "add benchmarks: with at least one '- name: ...' entry",
        )
        return None
    seen: dict[str, int] = {}
    parsed = []
    for index in range(len(entries)):
        bench = _benchmark(problems, entries, index, layers, env)
        if bench is None:
            continue
        if bench.name in seen:
            problems.add(
                bench.line,
                join(join("benchmarks", index), "name"),
                f"duplicate benchmark name {bench.name!r} (first on line {seen[bench.name]})",
                "give each benchmark a unique name",
            )
        seen.setdefault(bench.name, bench.line)
        parsed.append(bench)
    return tuple(parsed)


LOAD_DEFAULTS = Settings(warmup=0, iterations=5)
"""A load run lasts its whole ``duration`` and gives one throughput sample: suite-wide
``warmup``/``iterations`` (meant for short runs) do not apply, only the benchmark's own."""


def _kind_settings(
    kind: str, workload: WorkloadSpec, layers: list[Partial], own: Partial
) -> Settings:
    if not isinstance(workload, LoadSpec):
        return merge_settings(Settings(), *layers, own)
    shared = [
        {k: v for k, v in layer.items() if k not in ("warmup", "iterations")} for layer in layers
    ]
    settings = merge_settings(LOAD_DEFAULTS, *shared, own)
    if "timeout" in own or workload.duration is None:
        return settings
    per_run = workload.ramp_up + workload.duration + workload.request_timeout
    needed = (settings.warmup + settings.iterations) * per_run + 10.0
    return replace(settings, timeout=max(settings.timeout, needed))


def _benchmark(
    problems: Problems, entries: LineList, index: int, layers: list[Partial], env: Mapping[str, str]
) -> BenchmarkConfig | None:
    field = join("benchmarks", index)
    example = "e.g. - name: sort, command: ..."
    entry = problems.mapping(entries[index], entries.line_of(index), field, example)
    if entry is None:
        return None
    kinds = [k for k in WORKLOAD_KINDS if k in entry]
    name = read(problems, entry, "name", field, as_name, "a unique benchmark name")
    if "name" not in entry:
        problems.add(entry.line, join(field, "name"), "missing 'name'", "add name: ...")
    if len(kinds) != 1:
        found = " and ".join(kinds) if kinds else "none"
        problems.add(
            entry.line,
            field,
            f"needs exactly one workload key, found {found}",
            f"use one of {', '.join(WORKLOAD_KINDS)}",
        )
        return None
    kind = kinds[0]
    problems.check_keys(entry, (*COMMON_KEYS, kind, *EXTRA_KEYS[kind]), field)
    workload = parse_workload(problems, entry, kind, field)
    own = read_settings(problems, entry, field)
    if own.get("measure") == "instructions" and kind not in COUNTED_KINDS:
        problems.add(
            entry.line_of("measure"),
            join(field, "measure"),
            f"a {kind} benchmark cannot be counted in instructions",
            "only command and python benchmarks can; remove measure or use measure: time",
        )
    thresholds = _thresholds(problems, entry, field)
    if name is None or workload is None:
        return None
    settings = apply_env_flags(_kind_settings(kind, workload, layers, own), env)
    description = entry.get("description")
    return BenchmarkConfig(
        name=name,
        kind=kind,
        workload=workload,
        settings=settings,
        thresholds=thresholds,
        description=description if isinstance(description, str) else "",
        line=entry.line,
    )
