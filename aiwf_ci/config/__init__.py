"""The suite config: YAML -> validated, frozen ``SuiteConfig`` (see ``load_config``).

Submodules: ``yamlload`` (line-aware YAML), ``fields`` (typed readers that collect
problems), ``settings`` (run settings and their merging), ``workloads`` (one spec per
workload kind), ``suite`` (the loader), ``schema`` (the JSON Schema shipped for editors).
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
