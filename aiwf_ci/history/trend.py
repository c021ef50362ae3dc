"""A suite's trend on the base branch: one series per benchmark metric over the last push
runs, its change points, and a pooled baseline from the current stable stretch.

Pure: history points in (each a push run's ``Results`` with its commit), ``Trend`` values
out. Each point of a series is the metric's median in that run. Runs on an unlike machine
(another CPU model or core count than the newest run) are **marked**, never silently mixed:
they stay in the series for the chart but not in the change-point search or the pooled
baseline. A change point is announced only with ``confirm`` runs after it (a single spike is
never one) and only when beyond ``min_magnitude``; each is reported as "between commit a and
commit b, +x% (interval), p".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from aiwf_ci.history.changepoints import ChangePoint, ChangePointOptions, detect
from aiwf_ci.models import BenchmarkResult, Metric, Results, short_sha

DEFAULT_OPTIONS = ChangePointOptions(max_pvalue=0.001, min_magnitude=0.03, min_segment=3)
MACHINE_KEYS = ("cpu_model", "cores")
MAX_VIEW_SAMPLES = 1000
"""Samples a stored run keeps per metric for a pooled baseline (the first ones); its median
is the run's own, from every sample."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunPoint:
    """One push run as the trend sees it."""

    sha: str
    run_id: int
    created_at: str
    results: Results


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """A change point, in commits: the metric's level changed between ``before_sha`` (the
    last run of the old level) and ``after_sha`` (the first run of the new one)."""

    metric: str
    before_sha: str
    after_sha: str
    change: float | None
    ci: tuple[float, float] | None
    p_value: float
    index: int

    def describe(self) -> str:
        change = "?" if self.change is None else f"{self.change:+.1%}"
        interval = "" if self.ci is None else f" ({self.ci[0]:+.1%} … {self.ci[1]:+.1%})"
        return (
            f"between {short_sha(self.before_sha)} and {short_sha(self.after_sha)}: "
            f"{change}{interval}, p = {self.p_value:.2g}"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Series:
    """One benchmark metric over the runs (oldest first): medians, commits, which runs were
    on an unlike machine, and the steps found."""

    benchmark: str
    metric: str
    unit: str
    values: tuple[float, ...]
    shas: tuple[str, ...]
    unlike: tuple[bool, ...]
    points: tuple[int, ...]
    """The index, among the runs, of each value (a run without this metric has none)."""
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Trend:
    suite: str
    series: tuple[Series, ...]
    runs: int
    notes: tuple[str, ...] = field(default_factory=tuple)

    def steps(self) -> list[tuple[Series, Step]]:
        return [(s, step) for s in self.series for step in s.steps]


def trend_view(results: Results) -> Results:
    """What a trend and a pooled baseline need of a stored run, and nothing else: per metric
    its unit, direction, statistics and at most ``MAX_VIEW_SAMPLES`` samples; whether each
    benchmark failed (one error line); the machine keys. Series, alerts, extras and rounds
    go: a history of 200 runs stays small in memory whatever the files held."""
    return replace(
        results,
        environment={k: results.environment[k] for k in MACHINE_KEYS if k in results.environment},
        thresholds={},
        benchmarks=tuple(_bench_view(b) for b in results.benchmarks),
    )


def _bench_view(bench: BenchmarkResult) -> BenchmarkResult:
    metrics = {
        name: replace(m, samples=m.samples[:MAX_VIEW_SAMPLES], rounds=())
        for name, m in bench.metrics.items()
    }
    errors = (bench.errors[0][:200],) if bench.errors else ()
    return BenchmarkResult(name=bench.name, kind=bench.kind, metrics=metrics, errors=errors)


def unlike_machines(a: Results, b: Results) -> bool:
    """Whether two runs were on unlike machines: a CPU model or core count that both record
    and that differs (a run that records none cannot be told apart)."""
    for key in MACHINE_KEYS:
        left, right = a.environment.get(key), b.environment.get(key)
        if left not in (None, "") and right not in (None, "") and str(left) != str(right):
            return True
    return False


def build_trend(
    points: Sequence[RunPoint],
    *,
    options: ChangePointOptions = DEFAULT_OPTIONS,
    notes: Sequence[str] = (),
) -> Trend:
    """Series and change points of every benchmark metric that the newest run has;
    ``notes`` (runs left out before, say) come first among the trend's notes."""
    if not points:
        return Trend(suite="", series=(), runs=0, notes=tuple(notes))
    newest = points[-1].results
    unlike = tuple(unlike_machines(p.results, newest) for p in points)
    series = [
        _series(points, bench.name, name, metric.unit, unlike, options)
        for bench in newest.benchmarks
        if not bench.failed
        for name, metric in bench.metrics.items()
    ]
    found = list(notes)
    if any(unlike):
        found.append(f"{sum(unlike)} run(s) on another CPU model or core count are shown, not used")
    return Trend(suite=newest.suite, series=tuple(series), runs=len(points), notes=tuple(found))


def _series(
    points: Sequence[RunPoint],
    bench: str,
    name: str,
    unit: str,
    unlike: Sequence[bool],
    options: ChangePointOptions,
) -> Series:
    cells = [_median(p.results.by_name().get(bench), name) for p in points]
    kept = [i for i, v in enumerate(cells) if v is not None]
    values = tuple(cells[i] or 0.0 for i in kept)
    shas = tuple(points[i].sha for i in kept)
    marks = tuple(unlike[i] for i in kept)
    usable = [i for i, mark in enumerate(marks) if not mark]
    steps = _steps([values[i] for i in usable], [shas[i] for i in usable], name, options)
    return Series(
        benchmark=bench,
        metric=name,
        unit=unit,
        values=values,
        shas=shas,
        unlike=marks,
        points=tuple(kept),
        steps=tuple(replace(step, index=usable[step.index]) for step in steps),
    )


def _median(bench: BenchmarkResult | None, name: str) -> float | None:
    metric: Metric | None = None if bench is None or bench.failed else bench.metrics.get(name)
    return None if metric is None else metric.stats.median


def _steps(
    values: Sequence[float], shas: Sequence[str], name: str, options: ChangePointOptions
) -> list[Step]:
    if len(values) < 2 * options.min_segment:
        return []
    try:
        found: Sequence[ChangePoint] = detect(values, options)
    except ValueError:
        return []
    return [
        Step(
            metric=name,
            before_sha=shas[point.index - 1],
            after_sha=shas[point.index],
            change=point.change,
            ci=point.ci,
            p_value=point.p_value,
            index=point.index,
        )
        for point in found
    ]


def stable_points(series: Series, pooled: int) -> list[int]:
    """Run indexes of the last ``pooled`` like-machine runs after the latest step: the
    stretch a pooled baseline may come from."""
    start = series.steps[-1].index if series.steps else 0
    usable = [series.points[i] for i in range(start, len(series.values)) if not series.unlike[i]]
    return usable[-pooled:]


def pooled_baseline(points: Sequence[RunPoint], pooled: int) -> Results | None:
    """The last ``pooled`` like-machine runs after every benchmark's latest step, their
    samples pooled per benchmark and metric (a baseline far less noisy than one run)."""
    if not points:
        return None
    trend = build_trend(points)
    chosen: dict[tuple[str, str], list[int]] = {
        (s.benchmark, s.metric): stable_points(s, pooled) for s in trend.series
    }
    newest = points[-1].results
    benchmarks = []
    for bench in newest.benchmarks:
        metrics: dict[str, Metric] = {}
        for name, metric in bench.metrics.items():
            runs = chosen.get((bench.name, name), [])
            samples = [
                x for i in runs for x in _samples(points[i].results.by_name().get(bench.name), name)
            ]
            if samples:
                metrics[name] = Metric.from_samples(
                    samples, unit=metric.unit, direction=metric.direction
                )
        if metrics:
            benchmarks.append(BenchmarkResult(name=bench.name, kind=bench.kind, metrics=metrics))
    return Results(
        suite=newest.suite,
        benchmarks=tuple(benchmarks),
        commit=newest.commit,
        environment={**newest.environment, "pooled_runs": pooled},
    )


def _samples(bench: BenchmarkResult | None, name: str) -> tuple[float, ...]:
    metric = None if bench is None or bench.failed else bench.metrics.get(name)
    return () if metric is None or metric.summary_only else metric.samples


def by_metric(trend: Trend) -> Mapping[tuple[str, str], Series]:
    return {(s.benchmark, s.metric): s for s in trend.series}
