"""How far a run's median moves from run to run on this runner, learned from the base side's
history: what an unpaired comparison of two separate runs needs to tell a change from the
machine's mood.

Two separate runs (an artifact baseline, a pooled baseline, a push against the previous
push, ``aiwf-ci compare`` of two files) each carry the state of the machine in their moment:
a busy stretch slows a whole run, and no test on one run's samples can see that. So the
unpaired gate (``verdict.blocks``) has two rules, both stated in ``rule_text``:

- **no history**: a change counts only when its whole interval lies beyond the threshold;
  the report says that such a comparison can only show large changes;
- **with history** (results files of earlier runs of the base side, oldest first): per
  benchmark and metric, the run medians of the like-machine runs (``history.trend``'s notion
  of unlike machines: another CPU model or core count than head's; those runs are left out,
  never mixed) give a **prediction interval for one new run median**, on the log scale:

      centre ± t(0.995, n - 1) · s · sqrt(1 + 1/n)

  with ``centre`` the median of the ``n`` log run medians and ``s`` their robust spread (the
  median absolute deviation × 1.4826). A change is a regression when it is significant and
  estimated beyond the threshold (as without history, the estimate, not the whole interval)
  AND head's median lies beyond that interval on the worse side; "unchanged" still needs the
  whole interval within ±threshold; otherwise it is inconclusive, "within this runner's
  run-to-run spread ±x%". A metric with fewer than ``MIN_HISTORY`` like-machine runs falls
  back to the no-history rule, and its row says so.

Why a prediction interval rather than rustc-perf's rule (a significance threshold of
Q3 + 3·IQR over the history of run-to-run changes |Δ log median|): that rule reads quartiles
of the changes, which need tens of runs to settle (with 10 runs, 9 changes, Q3 and the IQR
each rest on two or three values), and it judges head against one previous run, so the
noise of that single base run counts twice. The prediction interval is made for the
question asked here, "is this one new run median like the others?": the t quantile with
``n - 1`` degrees of freedom and ``sqrt(1 + 1/n)`` widen it for a short history and for the
uncertainty of its centre; the robust ``s`` keeps one freak run of the history from hiding
every change; its 99% level matches the gate's ``alpha`` of 1% per metric. On this
project's pools of separate runs (``benchmarks/unpaired_quality.py``, 196 unchanged
comparisons), rustc-perf's rule flagged more unchanged work (9 against 6) and caught fewer
slowdowns; the standard deviation in place of the MAD flagged as many and caught fewer. The
figures are in the README.

Pure: ``Results`` in, ``History`` out; the gate reads it from ``GatePolicy.history``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aiwf_ci.history.tdist import t_quantile
from aiwf_ci.history.trend import unlike_machines
from aiwf_ci.models import Metric, Results
from aiwf_ci.stats import median
from aiwf_ci.verdict.speed import adjusted
from aiwf_ci.verdict.timer import ACTIVE, active_metric

__all__ = [
    "LEVEL",
    "MIN_HISTORY",
    "NO_HISTORY",
    "History",
    "Spread",
    "learn_history",
    "prediction_bound",
    "rule_text",
    "spread_of",
]

MIN_HISTORY = 5
"""Like-machine runs a metric needs before its spread is trusted (fewer: no-history rule)."""
LEVEL = 0.99
"""Two-sided level of the prediction interval: 0.5% of unchanged runs beyond it per side."""
MAD_TO_SIGMA = 1.4826
"""The median absolute deviation of a normal sample times this estimates its sigma."""
NO_HISTORY = (
    "no history of the base side: only a change whose whole interval lies beyond the "
    "threshold counts (large changes only)"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Spread:
    """One metric's run-to-run spread: ``runs`` like-machine run medians, their ``centre``
    (log of the median) and the half-width ``bound`` of the prediction interval for one new
    run median, on the log scale."""

    runs: int
    centre: float
    bound: float

    @property
    def relative(self) -> float:
        """The half-width as a fraction (``exp(bound) - 1``): the ``±x%`` of the report."""
        return math.expm1(self.bound)

    def away(self, head_median: float, sign: float) -> float:
        """How far head's median lies from the centre, log scale, positive = worse
        (``sign``: ``verdict.gate.sign`` of the metric's direction)."""
        return sign * (math.log(head_median) - self.centre)


@dataclass(frozen=True, slots=True, kw_only=True)
class History:
    """What the base side's history gives the unpaired gate: ``runs`` files given, ``used``
    of them on a machine like head's, and each (benchmark, metric)'s ``Spread`` (only those
    with at least ``MIN_HISTORY`` runs)."""

    runs: int
    used: int
    spreads: Mapping[tuple[str, str], Spread] = field(default_factory=dict)

    def of(self, benchmark: str, metric: str) -> Spread | None:
        return self.spreads.get((benchmark, metric))


def prediction_bound(log_medians: Sequence[float], level: float = LEVEL) -> float | None:
    """Half-width of the prediction interval for one new log run median (module docstring),
    or ``None`` with fewer than ``MIN_HISTORY`` values."""
    n = len(log_medians)
    if n < MIN_HISTORY:
        return None
    centre = median(log_medians)
    s = MAD_TO_SIGMA * median([abs(x - centre) for x in log_medians])
    return t_quantile(1.0 - (1.0 - level) / 2.0, n - 1) * s * math.sqrt(1.0 + 1.0 / n)


def spread_of(medians: Sequence[float], level: float = LEVEL) -> Spread | None:
    """The ``Spread`` of a metric's run medians (positive values; oldest first), or ``None``
    when there are too few or one is not positive (no log scale)."""
    if not medians or min(medians) <= 0:
        return None
    logs = [math.log(x) for x in medians]
    bound = prediction_bound(logs, level)
    if bound is None:
        return None
    return Spread(runs=len(logs), centre=median(logs), bound=bound)


def learn_history(runs: Sequence[Results], head: Results | None = None) -> History:
    """Every (benchmark, metric)'s spread over ``runs`` (oldest first), leaving out runs on a
    machine unlike head's and head itself (a re-run must not count twice)."""
    like = [r for r in runs if head is None or not (unlike_machines(r, head) or _same_run(r, head))]
    medians: dict[tuple[str, str], list[float]] = {}
    for run in like:
        for (bench, name), metric in _metrics(run).items():
            medians.setdefault((bench, name), []).append(metric.stats.median)
    spreads = {key: s for key, values in medians.items() if (s := spread_of(values)) is not None}
    return History(runs=len(runs), used=len(like), spreads=spreads)


def _same_run(a: Results, b: Results) -> bool:
    return a.created_at == b.created_at and a.commit.sha == b.commit.sha


def _metrics(run: Results) -> dict[tuple[str, str], Metric]:
    """A run's metrics by (benchmark, name), with ``active_time`` derived where it can be (the
    timer may gate it) and CPU time at the reference speed where the run timed the reference
    (``verdict.speed``: the unpaired gate compares on that scale)."""
    out: dict[tuple[str, str], Metric] = {}
    for bench in run.benchmarks:
        if bench.failed:
            continue
        for name, metric in adjusted(bench.metrics).items():
            if not metric.summary_only and metric.samples:
                out[(bench.name, name)] = metric
        active = active_metric(bench.metrics)
        if active is not None:
            out[(bench.name, ACTIVE)] = active
    return out


def rule_text(history: History | None) -> str:
    """The unpaired rule in a clause, for the report's design line (one home: the gate in
    ``verdict.blocks`` decides by the same ``History``)."""
    if history is None:
        return NO_HISTORY
    return (
        f"with the base side's history ({history.used} like-machine runs of {history.runs}): "
        "a change counts beyond the threshold and beyond the run-to-run spread of one new run "
        f"({LEVEL:.0%} prediction interval; a metric with under {MIN_HISTORY} runs: its whole "
        "interval beyond the threshold)"
    )
