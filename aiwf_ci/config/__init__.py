"""The suite config: YAML -> validated, frozen ``SuiteConfig`` (see ``load_config``).

Modules:
    yamlload     YAML that remembers line numbers, with limits on aliases and sizes
    fields       typed readers that collect problems instead of stopping at the first
    models       the frozen shape of a validated config
    settings     run settings (defaults, profiles, per benchmark) and their merging
    workloads    one spec per workload kind, each kind's keys checked
    environment  ``environment:`` (setting a tree up) and ``rounds:`` (paired sampling)
    suite        the loader: every problem at once, with file, line and fix
    schema       the JSON Schema shipped for editors
"""

from aiwf_ci.config.models import (
    WORKLOAD_KINDS,
    BenchmarkConfig,
    CommandSpec,
    EnvironmentSpec,
    FileBatchSpec,
    FileOp,
    IngestSpec,
    LoadSpec,
    MemorySettings,
    PythonSpec,
    RoundsSpec,
    Settings,
    SuiteConfig,
    WorkloadSpec,
)
from aiwf_ci.config.suite import DEFAULT_CONFIG, load_config

__all__ = [
    "DEFAULT_CONFIG",
    "WORKLOAD_KINDS",
    "BenchmarkConfig",
    "CommandSpec",
    "EnvironmentSpec",
    "FileBatchSpec",
    "FileOp",
    "IngestSpec",
    "LoadSpec",
    "MemorySettings",
    "PythonSpec",
    "RoundsSpec",
    "Settings",
    "SuiteConfig",
    "WorkloadSpec",
    "load_config",
]
