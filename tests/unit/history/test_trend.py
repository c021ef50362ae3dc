"""The base branch's trend (pure): series per benchmark metric, change points in commits,
unlike machines marked and left out, and a pooled baseline from after the last step."""

from __future__ import annotations

import random

from aiwf_ci.history.trend import (
    MAX_VIEW_SAMPLES,
    RunPoint,
    build_trend,
    pooled_baseline,
    trend_view,
)
from aiwf_ci.models import BenchmarkResult, Commit, Metric, Results, Series


def run(i: int, level: float, *, rng: random.Random, cpu: str = "EPYC") -> RunPoint:
    samples = [level * (1 + rng.gauss(0, 0.03)) for _ in range(10)]
    bench = BenchmarkResult(
        name="parse", kind="python", metrics={"duration": Metric.from_samples(samples, unit="s")}
    )
    sha = f"{i:02d}" + "a" * 38
    results = Results(
        suite="s",
        benchmarks=(bench,),
        commit=Commit(sha=sha),
        environment={"cpu_model": cpu, "cores": 2},
    )
    return RunPoint(sha=sha, run_id=100 + i, created_at="", results=results)


def test_a_step_at_run_20_is_one_change_point_between_its_commits() -> None:
    rng = random.Random(4)
    points = [run(i, 1.0 if i < 20 else 1.25, rng=rng) for i in range(30)]
    trend = build_trend(points)
    (series,) = trend.series
    assert len(series.values) == 30
    (step,) = series.steps
    assert (step.before_sha[:2], step.after_sha[:2]) == ("19", "20")
    assert step.change is not None and 0.2 < step.change < 0.3
    assert step.describe().startswith("between 19aaaaa and 20aaaaa: +2")


def test_a_single_spike_is_no_change_point() -> None:
    rng = random.Random(5)
    points = [run(i, 2.0 if i == 15 else 1.0, rng=rng) for i in range(30)]
    assert build_trend(points).steps() == []


def test_runs_on_another_machine_are_marked_not_mixed() -> None:
    rng = random.Random(6)
    points = [run(i, 1.0, rng=rng, cpu="Xeon" if i in (3, 4) else "EPYC") for i in range(12)]
    trend = build_trend(points)
    (series,) = trend.series
    assert series.unlike == tuple(i in (3, 4) for i in range(12))
    assert trend.notes and "2 run(s) on another CPU model" in trend.notes[0]


def test_the_pooled_baseline_takes_the_last_runs_after_the_step() -> None:
    rng = random.Random(7)
    points = [run(i, 1.0 if i < 20 else 1.25, rng=rng) for i in range(30)]
    pooled = pooled_baseline(points, pooled=5)
    assert pooled is not None
    duration = pooled.benchmarks[0].metrics["duration"]
    assert len(duration.samples) == 5 * 10
    assert 1.2 < duration.stats.median < 1.3  # only runs of the new level
    assert pooled.environment["pooled_runs"] == 5


def test_a_trend_view_keeps_what_the_trend_needs_and_nothing_else() -> None:
    samples = [1.0 + i / 10_000 for i in range(MAX_VIEW_SAMPLES + 500)]
    metric = Metric.from_samples(samples, unit="s")
    bench = BenchmarkResult(
        name="parse",
        kind="python",
        metrics={"duration": metric},
        errors=("boom " * 1000,),
        series={"rss": Series(unit="B", t=(0.0,) * 1000, values=(1.0,) * 1000)},
        extra={"blob": "z" * 10_000},
    )
    results = Results(
        suite="s",
        benchmarks=(bench,),
        commit=Commit(sha="a" * 40),
        environment={"cpu_model": "EPYC", "cores": 2, "huge": "y" * 10_000},
    )
    (kept,) = trend_view(results).benchmarks
    assert trend_view(results).environment == {"cpu_model": "EPYC", "cores": 2}
    assert (dict(kept.series), dict(kept.extra), kept.failed) == ({}, {}, True)
    assert len(kept.errors[0]) <= 200
    assert len(kept.metrics["duration"].samples) == MAX_VIEW_SAMPLES
    assert kept.metrics["duration"].stats == metric.stats  # the run's own median, all samples


def test_notes_from_before_come_first() -> None:
    rng = random.Random(1)
    points = [run(i, 1.0, rng=rng, cpu="EPYC" if i else "Xeon") for i in range(8)]
    trend = build_trend(points, notes=("2 stored run(s) left out",))
    assert trend.notes[0] == "2 stored run(s) left out"
    assert "another CPU model" in trend.notes[1]
    assert build_trend([], notes=("x",)).notes == ("x",)
