"""The ingest registry and shared helpers: formats, names, summary-only metrics."""

from __future__ import annotations

from pathlib import Path

import pytest

import aiwf_ci.ingest as ingest
from aiwf_ci.errors import ConfigError
from aiwf_ci.ingest import SUPPORTED_FORMATS, ingest_results, parse_file, parse_text
from aiwf_ci.ingest.common import dedupe_names, ingested, metric_name, summary_metric
from aiwf_ci.models import Commit

DATA = Path(__file__).parents[2] / "data" / "ingest"


def test_public_api() -> None:
    assert SUPPORTED_FORMATS == ("pytest-benchmark", "hyperfine", "google-benchmark", "go-test")
    assert set(ingest.__all__) == {
        "MAX_INPUT_BYTES",
        "SUPPORTED_FORMATS",
        "read_regular_file",
        "Parser",
        "ingest_results",
        "parse_file",
        "parse_text",
    }


def test_an_unknown_format_is_a_config_error_listing_the_formats() -> None:
    with pytest.raises(ConfigError, match=r"unknown ingest format 'jmh'.*go-test"):
        parse_text("jmh", "{}")


@pytest.mark.parametrize("spelling", ["go_test", "GO-TEST", " go-test "])
def test_format_names_are_normalised(spelling: str) -> None:
    assert parse_text(spelling, "BenchmarkA  1  2 ns/op\n")[0].name == "BenchmarkA"


def test_a_file_and_its_text_parse_alike() -> None:
    path = DATA / "hyperfine.json"
    assert parse_text("hyperfine", path.read_text(), source=str(path)) == parse_file(
        "hyperfine", path
    )


def test_an_unknown_format_is_said_before_the_file_is_read(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown ingest format 'jmh'"):
        parse_file("jmh", tmp_path / "missing.json")


def test_ingest_results_builds_a_results_document() -> None:
    commit = Commit(sha="abc", ref="main")
    results = ingest_results("go-test", DATA / "go-test.txt", suite="go", commit=commit)
    assert results.suite == "go"
    assert results.commit == commit
    assert len(results.benchmarks) == 6


def test_summary_metric_estimates_what_is_missing() -> None:
    metric, estimated = summary_metric(
        {"mean": 2.0, "median": 1.0, "stddev": 0.5}, unit="s", direction="lower"
    )
    assert metric.summary_only
    assert metric.samples == ()
    assert (metric.stats.min, metric.stats.max) == (1.0, 2.0)
    assert metric.stats.p95 == metric.stats.p99 == 2.0
    assert metric.stats.iqr == pytest.approx(1.349 * 0.5)
    assert metric.stats.cv == 0.25
    assert estimated == ("iqr", "max", "min", "p95", "p99")


def test_summary_metric_with_zero_mean_has_zero_cv() -> None:
    reported = {"mean": 0.0, "median": 0.0, "stddev": 0.0, "min": 0.0, "max": 0.0, "iqr": 0.0}
    metric, estimated = summary_metric(reported, unit="", direction="lower")
    assert metric.stats.cv == 0.0
    assert estimated == ("p95", "p99")


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("chars/op", "chars_per_op"),
        ("req/s", "req_per_s"),
        ("Widgets-Made", "widgets_made"),
        ("%", "value"),
        ("duration", "custom_duration"),
    ],
)
def test_metric_names(label: str, name: str) -> None:
    assert metric_name(label, frozenset({"duration"})) == name


def test_dedupe_names_keeps_the_first_and_numbers_the_rest() -> None:
    results = [ingested(n, {}, fmt="x") for n in ("a", "b", "a", "a")]
    assert [r.name for r in dedupe_names(results)] == ["a", "b", "a #2", "a #3"]


def test_a_utf8_bom_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + (DATA / "hyperfine.json").read_bytes())
    assert parse_file("hyperfine", path) == parse_file("hyperfine", DATA / "hyperfine.json")
