"""Callables for the dogfood suite: aiwf-ci's own hot paths on synthetic, seeded data."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from aiwf_ci.config import load_config
from aiwf_ci.models import BenchmarkResult, Metric, Results, results_from_dict, results_to_dict
from aiwf_ci.report import render_comment as _render_comment
from aiwf_ci.stats import summarize as _summarize
from aiwf_ci.verdict.compare import compare
from aiwf_ci.verdict.model import Comparison, Report

REPO = Path(__file__).resolve().parents[1]


def example_config_path() -> Path:
    return REPO / "examples" / "bench.yml"


def load_example_config(path: Path) -> Any:
    return load_config(path, env={})


def make_samples() -> list[float]:
    rng = random.Random(1)
    return [rng.lognormvariate(0, 0.3) for _ in range(10_000)]


def summarize(samples: list[float]) -> Any:
    return _summarize(samples)


def _suite(seed: int, slowdown: float) -> Results:
    rng = random.Random(seed)
    benches = []
    for i in range(50):
        scale = slowdown if i % 10 == 0 else 1.0
        duration = [rng.gauss(1.0, 0.1) * scale for _ in range(30)]
        memory = [rng.gauss(1e6, 1e4) for _ in range(30)]
        benches.append(
            BenchmarkResult(
                name=f"bench-{i:02d}",
                kind="python",
                metrics={
                    "duration": Metric.from_samples(duration, unit="s"),
                    "memory_peak": Metric.from_samples(memory, unit="bytes"),
                },
            )
        )
    return Results(suite="selfbench", benchmarks=tuple(benches))


def make_suites() -> tuple[Results, Results]:
    return _suite(1, 1.0), _suite(2, 1.3)


def compare_suites(pair: tuple[Results, Results]) -> Comparison:
    return compare(*pair)


def make_comparison() -> Comparison:
    return compare(*make_suites())


def render_comment(comparison: Comparison) -> str:
    return _render_comment(Report.of(comparison))


def make_results() -> str:
    return json.dumps(results_to_dict(_suite(3, 1.0)))


def roundtrip(text: str) -> Results:
    return results_from_dict(json.loads(text))
