"""``aiwf-ci compare --holm``: Holm's procedure across the suite's gated paired metrics, from
the command line, in the text report and in the JSON (which stays valid JSON)."""

from __future__ import annotations

import json
from pathlib import Path

from aiwf_ci.models import BenchmarkResult, Commit, Metric, Results, write_results
from tests.integration.cli_helpers import aiwf


def side(path: Path, factor: float) -> Path:
    """Two benchmarks measured in 9 paired rounds each (one sample a round), head ``factor``
    times base, +-0.5% in turns."""
    benches = tuple(
        BenchmarkResult(
            name=name,
            kind="command",
            metrics={
                "duration": Metric.from_samples(
                    [factor * (1 + 0.005 * (-1) ** i * (1 + i / 9)) for i in range(9)],
                    unit="s",
                    rounds=list(range(9)),
                )
            },
        )
        for name in ("a", "b")
    )
    run = Results(
        suite="s",
        benchmarks=benches,
        commit=Commit(sha="0" * 40),
        environment={"interleaved": {"run_id": "one-run"}},  # one run: its rounds are paired
    )
    return write_results(run, path)


def test_holm_makes_two_borderline_regressions_inconclusive(tmp_path: Path) -> None:
    base, head = side(tmp_path / "base.json", 1.0), side(tmp_path / "head.json", 1.2)
    args = ("compare", base, head, "--thresholds", "duration=5%", "--fail-on-regression")
    plain = aiwf(*args, "--format", "json", cwd=tmp_path)
    assert plain.returncode == 1, plain.stderr
    assert json.loads(plain.stdout)["status"] == "regression"
    holm = aiwf(*args, "--holm", "--format", "json", cwd=tmp_path)
    assert holm.returncode == 0, holm.stderr
    data = json.loads(holm.stdout)
    assert data["status"] == "inconclusive"
    assert data["policy"]["holm"] is True
    assert sorted((x["benchmark"], x["alpha"]) for x in data["policy"]["holm_alpha"]) == [
        ("a", 0.005),
        ("b", 0.005),
    ]
    markdown = aiwf(*args, "--holm", "--format", "markdown", cwd=tmp_path)
    assert "Holm's procedure across 2 metrics: 0.01 for the whole suite" in markdown.stdout
