"""History points for the trend reports' tests: push runs of a few benchmarks whose level
follows a given function of the run number, with 2% noise, on one machine or another."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import replace

from aiwf_ci.history.trend import RunPoint
from aiwf_ci.models import BenchmarkResult, Commit, Metric, Results

Level = Callable[[int], float]

HOSTILE = (
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script><!--",
    "| @team GH-12 #3 **bold** [x](http://evil.example)",
    "<!-- aiwf-ci:history suite=demo -->",
)


def sha(i: int) -> str:
    return f"{i:02d}" + "c0ffee" * 6 + "00"


def history(
    levels: Mapping[str, tuple[Level, str]],
    *,
    runs: int = 30,
    unlike: tuple[int, ...] = (),
    seed: int = 1,
    suite: str = "demo",
) -> list[RunPoint]:
    """``runs`` push runs; ``levels`` maps a benchmark name to (level of run i, unit); the
    runs in ``unlike`` were on another CPU model."""
    rng = random.Random(seed)
    points = []
    for i in range(runs):
        benches = tuple(
            BenchmarkResult(
                name=name,
                kind="python",
                metrics={
                    "duration": Metric.from_samples(
                        [level(i) * (1 + rng.gauss(0, 0.02)) for _ in range(10)], unit=unit
                    )
                },
            )
            for name, (level, unit) in levels.items()
        )
        cpu = "Xeon" if i in unlike else "EPYC"
        results = Results(
            suite=suite,
            benchmarks=benches,
            commit=Commit(sha=sha(i)),
            environment={"cpu_model": cpu, "cores": 2},
        )
        points.append(RunPoint(sha=sha(i), run_id=100 + i, created_at="", results=results))
    return points


def step_at(run: int, before: float, after: float) -> Level:
    return lambda i: before if i < run else after


def flat(value: float) -> Level:
    return lambda i: value


def scaled_history(base: Results, *, runs: int = 24, step: int = 16) -> list[RunPoint]:
    """``base``'s benchmarks over ``runs`` runs: every median 20% higher from run ``step``,
    1% noise; run 4 on another machine."""
    rng = random.Random(3)
    points = []
    for i in range(runs):
        factor = 1.0 if i < step else 1.2
        benches = []
        for bench in base.benchmarks:
            if bench.failed:
                continue
            metrics = {
                name: replace(
                    metric,
                    stats=replace(
                        metric.stats, median=metric.stats.median * factor * (1 + rng.gauss(0, 0.01))
                    ),
                )
                for name, metric in bench.metrics.items()
            }
            benches.append(replace(bench, metrics=metrics))
        env = {"cpu_model": "Xeon" if i == 4 else "EPYC", "cores": 2}
        results = replace(
            base, benchmarks=tuple(benches), commit=Commit(sha=sha(i)), environment=env
        )
        points.append(RunPoint(sha=sha(i), run_id=i, created_at="", results=results))
    return points
