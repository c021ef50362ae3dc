"""The shapes of a verdict: verdicts, notes, the gate's policy, the frozen ``Comparison``
that ``compare`` returns, the one ``Status`` vocabulary and the ``Report`` every front end
renders. Kept apart from ``compare`` (the decisions) so reports and the action can name
them without the statistics."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from aiwf_ci.models import Alert, Direction, Results
from aiwf_ci.numbers import counted
from aiwf_ci.verdict.design import SequentialDesign
from aiwf_ci.verdict.spread import History
from aiwf_ci.verdict.thresholds import DEFAULT_RULES, Threshold, ThresholdRules
from aiwf_ci.verdict.timer import Timer, TimerChoice

Verdict = Literal[
    "regression", "improvement", "unchanged", "inconclusive", "new", "removed", "errored"
]
Confidence = Literal["high", "medium", "low"]
Status = Literal["pass", "regression", "inconclusive", "no-baseline", "error"]
"""The outcome of a whole run, as the ``status`` output, the report and the exit code see it:
``pass`` (nothing regressed), ``regression``, ``inconclusive`` (not decided within the
budget), ``no-baseline`` (nothing to compare with) and ``error`` (a benchmark failed to run)."""
VERDICTS: tuple[Verdict, ...] = (
    "regression",
    "errored",
    "inconclusive",
    "improvement",
    "new",
    "removed",
    "unchanged",
)

NOTE_NOISY = "too noisy to decide"
NOTE_FEW = "not enough samples"
NOTE_SUMMARY = "summary only"
NOTE_NO_THRESHOLD = "no threshold: reported only"
UNPAIRED_METHOD = "Mann-Whitney"
"""``MetricComparison.method`` of two separate blocks of runs (``verdict.blocks``)."""
EXACT_METHOD = "exact counts"
"""``MetricComparison.method`` of deterministic counts, judged without a test."""
NOTE_ZERO = "baseline is zero: relative change undefined"


@dataclass(frozen=True, slots=True, kw_only=True)
class GatePolicy:
    """How sure the gate must be. ``history``: the base side's run-to-run spread
    (``verdict.spread``); without it an unpaired change counts only when its whole interval
    lies beyond the threshold. ``resamples`` and ``seed`` only matter for the bootstrap
    fallback (huge or non-positive samples); the Hodges-Lehmann interval is exact and needs
    neither."""

    alpha: float = 0.01
    confidence: float = 0.95
    resamples: int = 2000
    min_samples: int = 5
    history: History | None = None
    seed: int = 0
    design: SequentialDesign = field(default_factory=SequentialDesign)
    """The stopping rule interleaved (paired) data was sampled under; its results file
    records it, and ``compare`` replays it over the stored rounds."""
    machines_apart: str = ""
    """Why baseline and head ran on unlike machines (CPU model, OS, Python differ), or ``""``:
    exact counts are then not comparable (``verdict.exact``). ``compare`` fills it in."""
    timer: Timer | None = None
    """Overrides the ``timer`` each benchmark recorded (``--timer``, the ``timer`` input)."""
    same_run: bool = False
    """Both sides were measured in one interleaved run (``compare`` fills it in): a base
    that failed there is an error of the run, not a benchmark that is new."""
    unpaired: str = ""
    """Why the rounds both files hold are not analysed as pairs (``verdict.pairing``: two
    different runs, or files without a run id), or ``""``. ``compare`` fills it in; the
    report's design line says it."""
    holm: bool = False
    """Holm's procedure across the suite's gated paired metrics (``--holm``; also when the
    run's recorded design asks for it)."""
    holm_alpha: Mapping[tuple[str, str], float] = field(default_factory=dict)
    """Filled in by ``compare`` under Holm's procedure: the alpha each (benchmark, metric)
    of the family is judged at."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricComparison:
    """One metric of one benchmark. ``baseline`` and ``head`` are the medians; ``change``
    is the estimated head/baseline - 1 (signed, raw: the Hodges-Lehmann estimate when
    there are samples, else the ratio of medians); ``worsening`` is the same change signed
    so that positive is worse whatever the direction; ``ci`` is the confidence interval of
    ``change``."""

    benchmark: str
    metric: str
    unit: str
    direction: Direction
    verdict: Verdict
    baseline: float | None = None
    head: float | None = None
    change: float | None = None
    ci: tuple[float, float] | None = None
    p_value: float | None = None
    n_baseline: int = 0
    n_head: int = 0
    threshold: Threshold | None = None
    note: str = ""
    confidence: Confidence = "low"
    method: str = UNPAIRED_METHOD
    """The test behind ``p_value`` and ``ci``: ``Mann-Whitney`` (two blocks of runs, unpaired)
    or ``Wilcoxon signed-rank`` (interleaved rounds, paired)."""
    rounds: int = 0
    """Paired rounds the verdict used (0 for unpaired data)."""
    ci_level: float = 0.95
    """The confidence of ``ci``: 95% unpaired; for paired data 1 - the alpha its look spent."""
    spread: float | None = None
    """Unpaired rows judged with the base side's history: the run-to-run spread of one new
    run median (``±spread``, a fraction; ``verdict.spread``); ``None`` otherwise."""

    @property
    def worsening(self) -> float | None:
        if self.change is None:
            return None
        return self.change if self.direction == "lower" else -self.change

    @property
    def statement(self) -> str:
        """How sure the verdict is, in words: confidence, interval, p-value and sizes."""
        parts = [f"{self.confidence} confidence"]
        if self.ci is not None:
            parts.append(f"CI {self.ci[0]:+.1%} … {self.ci[1]:+.1%}")
        if self.p_value is not None:
            parts.append(f"{self.method} p = {self.p_value:.2g}")
        elif self.method == EXACT_METHOD:
            parts.append("exact counts")
        if self.rounds:
            parts.append(counted(self.rounds, "paired round"))
        else:
            parts.append(f"n = {self.n_baseline} vs {self.n_head}")
        return "; ".join(parts)


@dataclass(frozen=True, slots=True, kw_only=True)
class BenchmarkComparison:
    """One benchmark: its overall verdict (the worst of its metrics) and the details."""

    name: str
    kind: str
    verdict: Verdict
    metrics: tuple[MetricComparison, ...] = ()
    errors: tuple[str, ...] = ()
    alerts: tuple[Alert, ...] = ()
    timer: TimerChoice | None = None
    """Which time carries the ``duration`` rule, and why (``verdict.timer``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Comparison:
    """The whole verdict, plus the two runs it was computed from (the reports need them)."""

    suite: str
    benchmarks: tuple[BenchmarkComparison, ...]
    counts: Mapping[Verdict, int]
    warnings: tuple[str, ...]
    policy: GatePolicy
    baseline: Results
    head: Results = field(repr=False)
    rules: ThresholdRules = DEFAULT_RULES
    """The threshold rules the verdict judged by (the report's thresholds line)."""

    @property
    def regressions(self) -> int:
        return self.counts.get("regression", 0)

    @property
    def inconclusive(self) -> int:
        return self.counts.get("inconclusive", 0)

    @property
    def status(self) -> Status:
        """``error`` if a head benchmark failed to run (exit code 3 outranks 1), else
        ``regression`` if any, else ``inconclusive`` if any benchmark could not be decided,
        else ``pass``."""
        if self.counts.get("errored", 0):
            return "error"
        if self.regressions:
            return "regression"
        return "inconclusive" if self.inconclusive else "pass"


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """What a run concluded: the head results and, when there was a baseline, the comparison.

    Every report (PR comment, job summary, HTML, terminal) and every output (status, exit
    code) is derived from one of these.
    """

    head: Results
    comparison: Comparison | None = None
    accepted: str = ""
    """The audit line when a regression was accepted on purpose (a pull request label): the
    regressions stay in the report, the status is ``pass``."""

    @classmethod
    def of(cls, comparison: Comparison) -> Report:
        return cls(head=comparison.head, comparison=comparison)

    @property
    def suite(self) -> str:
        return self.head.suite

    @property
    def regressions(self) -> int:
        return self.comparison.regressions if self.comparison is not None else 0

    @property
    def status(self) -> Status:
        """``error`` if a head benchmark failed (it outranks a regression), else the
        comparison's status, else ``no-baseline``."""
        if self.comparison is not None:
            status = self.comparison.status
            return "pass" if status == "regression" and self.accepted else status
        return "error" if any(b.failed for b in self.head.benchmarks) else "no-baseline"
