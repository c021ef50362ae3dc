from __future__ import annotations

import aiwf_ci


def test_public_api_is_stable() -> None:
    assert set(aiwf_ci.__all__) == {
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
    }
    for name in aiwf_ci.__all__:
        assert getattr(aiwf_ci, name) is not None


def test_every_error_has_one_base() -> None:
    for name in (
        "BaselineError",
        "BenchmarkError",
        "ConfigError",
        "GitHubAPIError",
        "IngestError",
        "ReportError",
        "ResultsFormatError",
    ):
        assert issubclass(getattr(aiwf_ci, name), aiwf_ci.AiwfCIError)
