from __future__ import annotations

import textwrap
from pathlib import Path

from aiwf_ci.config.workloads import INGEST_FORMATS
from aiwf_ci.ingest import SUPPORTED_FORMATS, parse_file
from aiwf_ci.models import load_results
from tests.integration.cli_helpers import REPO, aiwf

FIXTURES = REPO / "tests" / "data" / "ingest"


def test_config_accepts_exactly_the_supported_formats() -> None:
    assert set(INGEST_FORMATS) == set(SUPPORTED_FORMATS)


def test_import_command_writes_results(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    done = aiwf("import", "hyperfine", FIXTURES / "hyperfine.json", "--out", out, "--suite", "hf")
    assert done.returncode == 0, done.stderr
    results = load_results(out)
    expected = parse_file("hyperfine", FIXTURES / "hyperfine.json")
    assert results.suite == "hf"
    assert [b.name for b in results.benchmarks] == [b.name for b in expected]
    assert (
        results.benchmarks[0].metrics["duration"].samples == expected[0].metrics["duration"].samples
    )


def test_import_of_a_broken_file_is_bad_input(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"results": [')
    done = aiwf("import", "hyperfine", broken, "--out", tmp_path / "r.json")
    assert done.returncode == 2
    assert str(broken) in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "r.json").exists()


def test_ingest_workload_runs_command_then_parses(tmp_path: Path) -> None:
    fixture = (FIXTURES / "go-test.txt").read_text()
    (tmp_path / "go.txt.src").write_text(fixture)
    config = tmp_path / "bench.yml"
    config.write_text(
        textwrap.dedent(
            """\
            suite: ingested
            benchmarks:
              - name: go
                ingest: {format: go-test, file: out/go.txt, command: "mkdir -p out && cp go.txt.src out/go.txt"}
              - name: missing
                ingest: {format: hyperfine, file: nope.json}
            """
        )
    )
    # relative paths (the command's folder, file:) start at the repository root: the cwd
    done = aiwf("run", config, "--out", tmp_path / "res", cwd=tmp_path)
    assert done.returncode == 3, done.stdout + done.stderr  # the missing file is an error
    results = {b.name: b for b in load_results(tmp_path / "res" / "results.json").benchmarks}
    expected = parse_file("go-test", tmp_path / "out" / "go.txt")
    for bench in expected:
        assert (
            results[f"go/{bench.name}"].metrics["duration"].samples
            == bench.metrics["duration"].samples
        )
    assert "nope.json" in results["missing"].errors[0]
