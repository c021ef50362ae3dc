"""Malformed, truncated, empty and wrong-format input: always an IngestError naming the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aiwf_ci.errors import IngestError
from aiwf_ci.ingest import SUPPORTED_FORMATS, parse_file, parse_text
from aiwf_ci.models import Results, dumps

DATA = Path(__file__).parents[2] / "data" / "ingest"
FIXTURES = {
    "pytest-benchmark": "pytest-benchmark-data.json",
    "hyperfine": "hyperfine.json",
    "google-benchmark": "google-benchmark.json",
    "go-test": "go-test.txt",
}
JSON_FORMATS = ("pytest-benchmark", "hyperfine", "google-benchmark")
ROWS = {"pytest-benchmark": "benchmarks", "hyperfine": "results", "google-benchmark": "benchmarks"}


def _copy(tmp_path: Path, text: str | bytes, name: str = "bench-output.json") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize("fmt", SUPPORTED_FORMATS)
@pytest.mark.parametrize("text", ["", "  \n\t\n"])
def test_an_empty_file_names_the_file(fmt: str, text: str, tmp_path: Path) -> None:
    path = _copy(tmp_path, text)
    with pytest.raises(IngestError, match=r"bench-output\.json: the file is empty; expected"):
        parse_file(fmt, path)


@pytest.mark.parametrize("fmt", JSON_FORMATS)
def test_every_truncation_of_a_json_file_is_an_ingest_error(fmt: str, tmp_path: Path) -> None:
    text = (DATA / FIXTURES[fmt]).read_text().rstrip()
    for cut in range(1, len(text), max(1, len(text) // 60)):
        path = _copy(tmp_path, text[:cut])
        with pytest.raises(IngestError, match=r"bench-output\.json: ") as info:
            parse_file(fmt, path)
        assert fmt in str(info.value)


def test_a_truncated_json_file_says_it_ends_early(tmp_path: Path) -> None:
    text = (DATA / "hyperfine.json").read_text()
    path = _copy(tmp_path, text[: len(text) // 2])
    with pytest.raises(IngestError, match=r"ends early at line \d+ \(truncated\?\)"):
        parse_file("hyperfine", path)


def test_a_go_line_cut_in_the_middle_is_an_error(tmp_path: Path) -> None:
    text = (DATA / "go-test.txt").read_text()
    cut = text.index("9.000 chars/op") + len("9.000")
    path = _copy(tmp_path, text[:cut], "go.txt")
    with pytest.raises(IngestError, match=r"go\.txt: line \d+: the file ends in the middle of a"):
        parse_file("go-test", path)


def test_any_truncation_of_go_output_parses_or_raises_ingest_error(tmp_path: Path) -> None:
    text = (DATA / "go-test-fail.txt").read_text()
    for cut in range(0, len(text), 7):
        try:
            parse_text("go-test", text[:cut], source="go.txt")
        except IngestError as exc:
            message = str(exc)
        else:
            message = "go.txt: parsed"
        assert message.startswith("go.txt: ")


@pytest.mark.parametrize("fmt", SUPPORTED_FORMATS)
@pytest.mark.parametrize("other", SUPPORTED_FORMATS)
def test_another_tools_output_is_a_clear_error(fmt: str, other: str, tmp_path: Path) -> None:
    if fmt == other:
        return
    path = _copy(tmp_path, (DATA / FIXTURES[other]).read_text())
    with pytest.raises(IngestError, match=rf"bench-output\.json: .*expected {fmt} output"):
        parse_file(fmt, path)


@pytest.mark.parametrize("fmt", SUPPORTED_FORMATS)
def test_binary_and_missing_files(fmt: str, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"bench-output\.json: not a UTF-8 text file"):
        parse_file(fmt, _copy(tmp_path, b"\x89PNG\r\n\x1a\n\xff\xfe"))
    with pytest.raises(IngestError, match=r"missing\.json: cannot read"):
        parse_file(fmt, tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("fmt", "document", "message"),
    [
        ("pytest-benchmark", [], "the top level is list"),
        ("pytest-benchmark", {"machine_info": {}}, "'benchmarks' is missing or null"),
        ("pytest-benchmark", {"benchmarks": []}, "'benchmarks' is empty"),
        ("pytest-benchmark", {"benchmarks": [{"fullname": "t"}]}, r"benchmarks\[0\]\.stats is"),
        (
            "pytest-benchmark",
            {"benchmarks": [{"name": "t", "stats": {"data": [1, "x"]}}]},
            r"benchmarks\[0\]\.stats\.data\[1\] is str 'x'",
        ),
        ("hyperfine", {"results": {}}, "'results' is dict"),
        ("hyperfine", {"results": [{"times": [1]}]}, r"results\[0\]\.command is missing"),
        ("hyperfine", {"results": [{"command": "c", "times": []}]}, r"times is empty"),
        ("hyperfine", {"results": [{"command": "c", "times": [True]}]}, r"is bool True"),
        ("google-benchmark", {"context": {}}, "'benchmarks' is missing"),
        ("google-benchmark", {"benchmarks": [{"name": "b"}]}, r"real_time is missing"),
        (
            "google-benchmark",
            {"benchmarks": [{"name": "b", "real_time": 1, "time_unit": "fortnight"}]},
            "time_unit is 'fortnight'",
        ),
        (
            "google-benchmark",
            {"benchmarks": [{"name": "b", "real_time": 1, "time_unit": ["ns"]}]},
            r"time_unit is \['ns'\]",
        ),
    ],
)
def test_wrong_shapes_name_the_field(fmt: str, document: Any, message: str) -> None:
    with pytest.raises(IngestError, match=rf"^out\.json: .*{message}"):
        parse_text(fmt, json.dumps(document), source="out.json")


def test_nan_times_are_rejected() -> None:
    text = '{"results": [{"command": "c", "times": [NaN]}]}'
    with pytest.raises(IngestError, match="expected a finite number"):
        parse_text("hyperfine", text, source="h.json")


def test_go_text_without_results_is_an_error() -> None:
    with pytest.raises(IngestError, match=r"g\.txt: no benchmark result lines"):
        parse_text("go-test", "PASS\nok  \texample.com/x\t0.01s\n", source="g.txt")


def test_a_broken_go_json_stream_names_the_line() -> None:
    text = '{"Action":"output","Output":"goos: linux\\n"}\n{"Action":"out'
    with pytest.raises(IngestError, match=r"g\.json: line 2: not a go test -json event"):
        parse_text("go-test", text, source="g.json")


_MUTATIONS: list[Any] = [None, "x", -1, [], {}, True, 1e308, float("nan"), ["a", {}]]


@pytest.mark.parametrize("fmt", JSON_FORMATS)
def test_any_damaged_field_parses_or_raises_ingest_error(fmt: str) -> None:
    """Every key of the first row replaced by every odd value: never a stray exception."""
    original = json.loads((DATA / FIXTURES[fmt]).read_text())
    first = original[ROWS[fmt]][0]
    nested = [(k, s) for k, v in first.items() if isinstance(v, dict) for s in v]
    for key, sub in [(k, None) for k in first] + nested:
        for value in _MUTATIONS:
            document = json.loads(json.dumps(original))
            target = document[ROWS[fmt]][0]
            if sub is None:
                target[key] = value
            else:
                target[key][sub] = value
            try:
                results = parse_text(fmt, json.dumps(document), source="damaged.json")
            except IngestError as exc:
                message = str(exc)
            else:
                message = "damaged.json: parsed"
                dumps(Results(suite="s", benchmarks=results))  # strict JSON, no NaN
            assert message.startswith("damaged.json: ")


def test_go_values_that_are_not_finite_are_rejected() -> None:
    with pytest.raises(IngestError, match=r"g\.txt: line 1: .*'inf' is not a finite number"):
        parse_text("go-test", "BenchmarkA  10  inf ns/op\n", source="g.txt")


def test_values_whose_statistics_overflow_are_rejected() -> None:
    text = '{"results": [{"command": "c", "times": [1e308, 1e308]}]}'
    with pytest.raises(IngestError, match=r"h\.json: results\[0\]\.times: values too large"):
        parse_text("hyperfine", text, source="h.json")
