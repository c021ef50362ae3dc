"""aiwf-ci: continuous benchmarking with a statistical regression gate.

The public API is what ``__all__`` lists; everything else is internal and may change. Names
are imported on first use, so a benchmark worker that imports ``aiwf_ci.workloads.*`` inside a
project's own virtualenv needs nothing but the standard library.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiwf_ci.config import SuiteConfig, load_config
    from aiwf_ci.errors import (
        AiwfCIError,
        BaselineError,
        BenchmarkError,
        ConfigError,
        GitHubAPIError,
        IngestError,
        ReportError,
        ResultsFormatError,
    )
    from aiwf_ci.models import BenchmarkResult, Metric, Results, load_results, write_results
    from aiwf_ci.verdict.compare import compare
    from aiwf_ci.verdict.model import Comparison

__version__ = "0.1.0"

_EXPORTS = {
    "AiwfCIError": "aiwf_ci.errors",
    "BaselineError": "aiwf_ci.errors",
    "BenchmarkError": "aiwf_ci.errors",
    "ConfigError": "aiwf_ci.errors",
    "GitHubAPIError": "aiwf_ci.errors",
    "IngestError": "aiwf_ci.errors",
    "ReportError": "aiwf_ci.errors",
    "ResultsFormatError": "aiwf_ci.errors",
    "BenchmarkResult": "aiwf_ci.models",
    "Metric": "aiwf_ci.models",
    "Results": "aiwf_ci.models",
    "load_results": "aiwf_ci.models",
    "write_results": "aiwf_ci.models",
    "Comparison": "aiwf_ci.verdict.model",
    "compare": "aiwf_ci.verdict.compare",
    "SuiteConfig": "aiwf_ci.config",
    "load_config": "aiwf_ci.config",
}

__all__ = [
    "AiwfCIError",
    "BaselineError",
    "BenchmarkError",
    "BenchmarkResult",
    "Comparison",
    "ConfigError",
    "GitHubAPIError",
    "IngestError",
    "Metric",
    "ReportError",
    "Results",
    "ResultsFormatError",
    "SuiteConfig",
    "__version__",
    "compare",
    "load_config",
    "load_results",
    "write_results",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
