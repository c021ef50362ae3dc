"""Run the real harnesses through tools/make-ingest-fixtures.sh and ingest fresh output.

This proves the fixture script still works and that the parsers read what today's tools write,
not only the committed fixtures. Skipped when a tool is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aiwf_ci.ingest import parse_file

ROOT = Path(__file__).parents[2]
SCRIPT = ROOT / "tools" / "make-ingest-fixtures.sh"
FORMATS = {
    "pytest-benchmark": "pytest-benchmark",
    "hyperfine": "hyperfine",
    "google-benchmark": "google-benchmark",
    "go-test": "go-test",
}


@pytest.fixture(scope="module")
def fresh_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    missing = [t for t in ("bash", "hyperfine", "g++", "go") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"tools not installed: {', '.join(missing)}")
    pytest.importorskip("pytest_benchmark")
    if not Path("/usr/include/benchmark/benchmark.h").exists():
        pytest.skip("libbenchmark-dev not installed")
    out = tmp_path_factory.mktemp("fixtures")
    env = {**os.environ, "INGEST_FIXTURES_OUT": str(out), "PYTHON": sys.executable}
    subprocess.run(["bash", str(SCRIPT)], check=True, env=env, capture_output=True, timeout=300)
    return out


@pytest.mark.slow
def test_the_script_writes_every_fixture_and_each_parses(fresh_output: Path) -> None:
    committed = sorted(p.name for p in (ROOT / "tests" / "data" / "ingest").iterdir())
    assert sorted(p.name for p in fresh_output.iterdir()) == committed
    for path in fresh_output.iterdir():
        fmt = next(f for prefix, f in FORMATS.items() if path.name.startswith(prefix))
        results = parse_file(fmt, path)
        assert results
        assert path.stat().st_size < 50_000


@pytest.mark.slow
def test_fresh_output_has_the_expected_shape(fresh_output: Path) -> None:
    gb = {r.name: r for r in parse_file("google-benchmark", fresh_output / "google-benchmark.json")}
    assert len(gb["BM_Sort/64"].metrics["duration"].samples) == 5
    go = parse_file("go-test", fresh_output / "go-test.txt")
    assert all(len(r.metrics["duration"].samples) == 5 for r in go)
    pb = parse_file("pytest-benchmark", fresh_output / "pytest-benchmark-data.json")
    assert all(not r.metrics["duration"].summary_only for r in pb)
