"""aiwf-ci: continuous benchmarking with a statistical regression gate.

The public API is what ``__all__`` lists; everything else is internal and may change.
"""

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
