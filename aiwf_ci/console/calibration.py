"""A calibration (``aiwf-ci calibrate``) as the terminal shows it: a table of every gated
metric's spread, A/A verdict and reach, then one line a person reads per benchmark ("on this
machine `parse-json` can show changes of 4% or more within 3 min")."""

from __future__ import annotations

import math

from aiwf_ci.models.calibration import BenchmarkCalibration, Calibration, MetricCalibration
from aiwf_ci.numbers import duration
from aiwf_ci.verdict.independence import CHECK_FROM, FIRE_Z_FINAL

HEADER = (
    "benchmark",
    "metric",
    "rounds",
    "spread",
    "lag-1",
    "A/A",
    "threshold",
    "reach",
    "at threshold",
    "unchanged after",
    "2x threshold after",
)


def calibration_text(calibration: Calibration) -> str:
    """The table and the sentences (plain text, no trailing newline)."""
    rows = [HEADER] + [
        _row(bench, metric) for bench in calibration.benchmarks for metric in bench.metrics
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines += ["", _budget_line(calibration), *_cautions(calibration)]
    lines += [sentence(bench, calibration) for bench in calibration.benchmarks]
    if not calibration.benchmarks:
        lines.append("no benchmark with a gated metric measured in paired rounds to calibrate")
    return "\n".join(lines)


def _row(bench: BenchmarkCalibration, m: MetricCalibration) -> tuple[str, ...]:
    return (
        bench.name,
        m.metric,
        str(m.rounds),
        f"{m.spread:.2%}",
        f"{m.lag1:+.2f}",
        m.verdict,
        f"{m.threshold:.1%}",
        _pct(m.noise_floor),
        _pct(m.detectable),
        _rounds(m.rounds_unchanged, bench.seconds_per_round),
        _rounds(m.rounds_twice, bench.seconds_per_round),
    )


def _share(value: float) -> str:
    """4%, 12%; 2.5% and 0.8% below 10%, where the digit matters."""
    return f"{value:.0%}" if value >= 0.1 else f"{value:.1%}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _rounds(rounds: int | None, seconds: float) -> str:
    if rounds is None:
        return "-"
    return f"{rounds} ({duration(rounds * seconds)})"


def _budget_line(calibration: Calibration) -> str:
    return (
        f"budget {duration(calibration.time_budget)}: {calibration.budget_rounds} rounds of "
        f"every benchmark ({calibration.rounds} measured in {duration(calibration.seconds)}); "
        "reach: the smallest change shown in 90% of runs within them (whatever the "
        "threshold); at threshold: the smallest the gate calls a regression"
    )


def _cautions(calibration: Calibration) -> list[str]:
    """What makes the figures less sure: few rounds, rounds that are not independent."""
    out = []
    if calibration.rounds < CHECK_FROM:
        out.append(
            f"only {calibration.rounds} rounds measured: the spreads are rough guesses "
            "(a longer --time-budget measures more)"
        )
    for bench in calibration.benchmarks:
        for m in bench.metrics:
            if m.rounds >= CHECK_FROM and m.lag1 > FIRE_Z_FINAL / math.sqrt(m.rounds):
                out.append(
                    f"`{bench.name}` {m.metric}: rounds not independent (rank lag-1 "
                    f"{m.lag1:+.2f}): the rule batches them, and its reach is smaller than shown"
                )
    return out


def sentence(bench: BenchmarkCalibration, calibration: Calibration) -> str:
    """The line a person reads, from the benchmark's first gated metric (the time): what
    this runner can show at all, and what its threshold lets the gate call a regression."""
    within = duration(calibration.time_budget)
    metric = bench.metrics[0]
    if metric.noise_floor is None or metric.detectable is None:
        return (
            f"on this machine `{bench.name}` cannot show a regression within {within} "
            f"({calibration.budget_rounds} rounds of the suite fit): raise the budget"
        )
    text = (
        f"on this machine `{bench.name}` can show changes of {_share(metric.noise_floor)} or "
        f"more within {within}"
    )
    if metric.threshold < metric.noise_floor:
        return text + f"; its threshold, {metric.threshold:.1%}, is below that"
    return text + (
        f" (its threshold, {metric.threshold:.0%}, gates changes of "
        f"{_share(metric.detectable)} or more)"
    )
