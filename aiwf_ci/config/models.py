"""The typed, frozen shape of a suite config, after validation and profile/default merging.

The runner and the workloads only ever see these objects, never raw YAML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from aiwf_ci.loadgen.models import LoadPace
from aiwf_ci.verdict.thresholds import Threshold
from aiwf_ci.verdict.timer import Timer

WorkloadKind = Literal["command", "python", "file-batch", "load", "ingest"]
Measure = Literal["time", "instructions"]
MEASURES: tuple[Measure, ...] = ("time", "instructions")
COUNTED_KINDS = frozenset({"command", "python"})
"""Kinds that can be measured in instructions (``measure: instructions``)."""
WORKLOAD_KINDS: tuple[WorkloadKind, ...] = ("command", "python", "file-batch", "load", "ingest")

DEFAULT_MAX_PEAK = 500 * 1000**2
"""The default RSS alert limit (500 MB), used by ``memory: {max-peak: default}``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MemorySettings:
    """Memory profiling: sampler interval, leak rule, absolute limits."""

    enabled: bool = True
    interval: float = 0.01
    leak_threshold: float = 0.05
    max_peak: int | None = None
    iterations: int = 20


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Per-benchmark run settings (defaults <- profile <- benchmark)."""

    warmup: int = 2
    iterations: int = 10
    min_time: float = 0.1
    timeout: float = 120.0
    memory: MemorySettings = field(default_factory=MemorySettings)
    measure: Measure = "time"
    """``time`` (wall and CPU time, the default) or ``instructions`` (counted under Valgrind:
    ``command`` and ``python`` benchmarks)."""
    timer: Timer = "auto"
    """Which time the ``duration`` rule gates (``verdict.timer``): ``auto``, ``wall``, ``cpu``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandSpec:
    command: str
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PythonSpec:
    target: str
    setup: str | None = None
    teardown: str | None = None


FileOpKind = Literal["read", "write", "copy"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FileOp:
    """One ``file-batch`` operation: read a glob, copy a glob to ``to``, or write N files."""

    op: FileOpKind
    glob: str | None = None
    to: str | None = None
    count: int = 0
    size: int = 0
    overwrite: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class FileBatchSpec:
    operations: tuple[FileOp, ...]
    concurrency: int = 8
    batch_size: int = 100
    stream_threshold: int = 10 * 1000**2


LoadMode = Literal["sustained", "burst"]
LoadClient = Literal["requests", "http.client", "raw"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadSpec(LoadPace):
    """A load test against an HTTP URL or a Python callable, paced as ``LoadPace`` says."""

    url: str | None = None
    python: str | None = None
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None
    mode: LoadMode = "sustained"
    client: LoadClient = "requests"


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestSpec:
    """Run an optional command, then parse a harness's output file."""

    format: str
    file: str
    command: str | None = None


WorkloadSpec = CommandSpec | PythonSpec | FileBatchSpec | LoadSpec | IngestSpec


DEFAULT_SETUP_TIMEOUT = 900.0


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvironmentSpec:
    """How a source tree is made ready: set-up commands run in the tree's root, in its own
    virtualenv, before anything is measured; ``timeout`` (seconds) covers them all."""

    setup: tuple[str, ...] = ()
    timeout: float = DEFAULT_SETUP_TIMEOUT


DEFAULT_TIME_BUDGET = 600.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RoundsSpec:
    """How base and head are sampled on one machine (``aiwf-ci ab``, same-runner mode):
    ``samples`` runs of each side per round, rounds until every benchmark is decided, at
    most ``max_rounds``, within ``time_budget`` seconds for the whole suite; ``alpha`` is the
    false-alarm rate of each gated metric over all looks of the stopping rule; ``holm``
    applies Holm's procedure across the suite's gated metrics, so that ``alpha`` bounds the
    chance of any false alarm in the whole suite."""

    time_budget: float = DEFAULT_TIME_BUDGET
    max_rounds: int = 100
    samples: int = 3
    alpha: float = 0.01
    holm: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class BenchmarkConfig:
    name: str
    kind: WorkloadKind
    workload: WorkloadSpec
    settings: Settings
    thresholds: Mapping[str, Threshold] = field(default_factory=dict)
    description: str = ""
    line: int = 0

    @property
    def counts_instructions(self) -> bool:
        """Measured in instructions under Valgrind (``measure: instructions``)?"""
        return self.settings.measure == "instructions" and self.kind in COUNTED_KINDS


@dataclass(frozen=True, slots=True, kw_only=True)
class SuiteConfig:
    suite: str
    path: Path
    settings: Settings
    thresholds: Mapping[str, Threshold]
    benchmarks: tuple[BenchmarkConfig, ...]
    profile: str | None = None
    profiles: tuple[str, ...] = ()
    environment: EnvironmentSpec | None = None
    rounds: RoundsSpec = field(default_factory=RoundsSpec)
    ignore: tuple[str, ...] = ()
    """Benchmarks (names or globs) that are reported but never gate the build."""

    @property
    def config_dir(self) -> Path:
        """The config's folder: ``python:`` modules are looked up here first."""
        return self.path.parent

    def benchmark_thresholds(self) -> dict[str, Mapping[str, Threshold]]:
        """Per-benchmark threshold overrides, by benchmark name (for the verdict)."""
        return {b.name: b.thresholds for b in self.benchmarks if b.thresholds}
