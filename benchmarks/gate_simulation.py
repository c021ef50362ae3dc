"""The gate's promises, simulated: noise models of same-runner rounds, and the paired stopping
rule (``aiwf_ci.verdict.sequential``) mirrored with numpy so that tens of thousands of runs
take seconds, checked decision by decision against the rule's own ``replay``.

Used by ``benchmarks/gate_promises.py`` (the full tables) and by
``tests/unit/verdict/test_gate_promises.py`` (the same, with fewer runs, as a test).

**The sampling model** (as ``aiwf_ci.run.interleave`` and ``run.python_rounds`` sample): a
round is ``SAMPLES`` = 3 samples per side, one side then the other, the order flipping every
pair (``A B B A A B``); A, the side going first, is base in even rounds and head in odd
ones. Each sample takes 0.1 s and a round starts with 0.3 s of untimed start-up. A round's
figure is ``log(median(head)) - log(median(base))`` (positive = worse), what
``verdict.rounds.worse_log_ratios`` computes from stored rounds. Every sample is ``true
cost x change (head only) x noise``, the noise of a scenario (``Noise``): per-sample lognormal
noise of a given CV (or Student-t tails), a process offset per side and round (lognormal,
1% unless said), the side going first slower, a neighbour busy and idle in turns of 2-5 s
multiplying every sample taken while busy, a slow drift shared by both sides (a random
walk), one-sided 3x outliers, a per-side AR(1) of round offsets (state carried from round to
round: a per-tree server, a warm cache), and a coarse timer (values rounded to a quantum).

**The mirror** (``decide``) judges the looks of ``aiwf_ci.verdict.design.looks`` exactly as
``sequential._decide`` does: the rank lag-1 diagnostic and batch means, Tukey's interval as
counts of Walsh averages beyond a bound (``W_(k) > c`` iff at most ``k - 1`` Walsh averages
are ``<= c``, with the same floating-point averages ``(a + b) / 2``), the Hodges-Lehmann
estimate as the median of those averages, and the signed-rank p-value from the rule's own
function where it matters. It uses the rule's primitives (the look schedule, Tukey's ``k``,
the batch-size formula), so what it checks is the decision logic; ``check`` replays a
sample of runs through ``replay`` and counts every disagreement.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata

from aiwf_ci.verdict.design import SequentialDesign, final_shares, last_look, looks
from aiwf_ci.verdict.independence import (
    BATCH_CORRELATION,
    CHECK_FROM,
    FIRE_Z,
    FIRE_Z_FINAL,
    batch_correlation,
)
from aiwf_ci.verdict.paired import _tukey_k, wilcoxon_signed_rank
from aiwf_ci.verdict.sequential import replay

Array = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

SAMPLES = 3
SAMPLE_SECONDS = 0.1
STARTUP_SECONDS = 0.3
WARM_START_SECONDS = 10.0
STATES = ("inconclusive", "regression", "improvement", "unchanged")
INCONCLUSIVE, REGRESSION, IMPROVEMENT, UNCHANGED = range(4)
ROWS_PER_CHUNK = 256


# --- noise models ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Noise:
    """One scenario: what multiplies a sample besides the side's true cost."""

    name: str
    cv: float = 0.05
    t_df: float | None = None
    offset: float = 0.01
    first_side: float = 0.0
    bursts: tuple[float, float] | None = None
    drift: float = 0.0
    outliers: float = 0.0
    ar: float = 0.0
    ar_sd: float = 0.05
    quantum: float | None = None


SCENARIOS: tuple[Noise, ...] = (
    Noise(name="i.i.d. CV 2%", cv=0.02),
    Noise(name="i.i.d. CV 10%", cv=0.10),
    Noise(name="i.i.d. CV 30%", cv=0.30),
    Noise(name="heavy tails (t, 3 df) + 3x outliers (5%)", t_df=3.0, outliers=0.05),
    Noise(name="shared drift + bursts 1.5-2.5x", bursts=(1.5, 2.5), drift=0.05),
    Noise(name="first side +3%", first_side=0.03),
    Noise(name="per-side AR(1) 0.2", cv=0.01, offset=0.0, ar=0.2),
    Noise(name="per-side AR(1) 0.6", cv=0.01, offset=0.0, ar=0.62),
    Noise(name="coarse timer (1/50 of the value)", cv=0.02, quantum=0.02),
)
"""The simulation set. The AR(1) scenarios' round offsets (sd 5%) dominate the per-sample
noise (CV 1%), so the lag-1 correlation of the per-round log ratios is about the AR's
coefficient (0.18 and 0.59-0.60)."""


def scenario(name: str) -> Noise:
    return next(s for s in SCENARIOS if s.name == name)


def sigma(cv: float) -> float:
    """The log-scale sd of a lognormal with this coefficient of variation."""
    return math.sqrt(math.log1p(cv * cv))


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each sample of a round falls: taken by the side going first, by head, when."""

    first_side: npt.NDArray[np.bool_]
    head: npt.NDArray[np.bool_]
    times: Array


def layout(rounds: int) -> Layout:
    first_side = np.array([p == (0 if i % 2 == 0 else 1) for i in range(SAMPLES) for p in (0, 1)])
    head_first = (np.arange(rounds) % 2 == 1)[:, None]
    seconds = STARTUP_SECONDS + 2 * SAMPLES * SAMPLE_SECONDS
    start = np.arange(rounds)[:, None] * seconds + STARTUP_SECONDS
    positions = np.arange(2 * SAMPLES)
    return Layout(
        first_side=first_side,
        head=first_side[None, :] == head_first,
        times=start + (positions[None, :] + 0.5) * SAMPLE_SECONDS,
    )


def round_ratios(
    rng: np.random.Generator, noise: Noise, change: float, runs: int, rounds: int = 100
) -> Array:
    """Per run and round: log(median(head samples)) - log(median(base samples)), head's true
    cost ``1 + change`` times base's."""
    at = layout(rounds)
    shape = (runs, rounds, 2 * SAMPLES)
    if noise.t_df is not None:
        scale = math.sqrt((noise.t_df - 2.0) / noise.t_df)
        z = rng.standard_t(noise.t_df, shape) * scale
    else:
        z = rng.standard_normal(shape)
    logs = math.log1p(change) * at.head + sigma(noise.cv) * z
    offsets = sigma(noise.offset) * rng.standard_normal((runs, rounds, 2))
    if noise.ar:
        offsets = offsets + sigma(noise.ar_sd) * _ar1(rng, noise.ar, (runs, rounds, 2))
    logs += np.where(at.head, offsets[:, :, 1:], offsets[:, :, :1])
    logs += math.log1p(noise.first_side) * at.first_side
    if noise.bursts is not None:
        logs += _burst_logs(rng, noise.bursts, at.times, runs)
    if noise.drift:
        steps = rng.standard_normal((runs, at.times.size)) * noise.drift * math.sqrt(SAMPLE_SECONDS)
        logs += np.cumsum(steps, axis=1).reshape(runs, *at.times.shape)
    if noise.outliers:
        logs += math.log(3.0) * (rng.random(shape) < noise.outliers)
    values = np.exp(logs)
    if noise.quantum is not None:
        values = np.maximum(noise.quantum, np.round(values / noise.quantum) * noise.quantum)
    head = values[:, at.head].reshape(runs, rounds, SAMPLES)
    base = values[:, ~at.head].reshape(runs, rounds, SAMPLES)
    return np.asarray(np.log(np.median(head, axis=2)) - np.log(np.median(base, axis=2)))


def _ar1(rng: np.random.Generator, phi: float, shape: tuple[int, int, int]) -> Array:
    """Stationary AR(1) along axis 1, unit variance."""
    e = rng.standard_normal(shape)
    out = np.empty(shape)
    out[:, 0] = e[:, 0]
    scale = math.sqrt(1.0 - phi * phi)
    for t in range(1, shape[1]):
        out[:, t] = phi * out[:, t - 1] + scale * e[:, t]
    return out


def _burst_logs(
    rng: np.random.Generator, bursts: tuple[float, float], times: Array, runs: int
) -> Array:
    """log(factor) of the burst under way at each sample (busy/idle turns of 2-5 s), 0 idle."""
    low, high = bursts
    horizon = float(times.max()) + WARM_START_SECONDS
    turns = math.ceil(horizon / 2.0) + 2
    ends = np.cumsum(rng.uniform(2.0, 5.0, (runs, turns)), axis=1)
    factors = np.log(rng.uniform(low, high, (runs, turns)))
    busy_first = rng.random(runs) < 0.5
    starts = rng.uniform(0.0, WARM_START_SECONDS, runs)
    out = np.zeros((runs, *times.shape))
    for run in range(runs):
        turn = np.searchsorted(ends[run], times + starts[run], side="right")
        busy = (turn % 2 == 0) == busy_first[run]
        out[run] = np.where(busy, factors[run, turn], 0.0)
    return out


def lag1(d: Array) -> float:
    """Mean over runs of the lag-1 autocorrelation of the per-round log ratios."""
    x = d - d.mean(axis=1, keepdims=True)
    return float(np.mean((x[:, 1:] * x[:, :-1]).sum(axis=1) / (x * x).sum(axis=1)))


# --- the rule, mirrored ---------------------------------------------------------------------


@dataclass(slots=True)
class Outcome:
    """Per run: the state (an index into ``STATES``), the rounds it was decided after, and
    the batch size of the deciding look."""

    state: Ints
    rounds: Ints
    batch: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def rate(self, state: int) -> float:
        return float(np.mean(self.state == state))

    def count(self, state: int) -> int:
        return int(np.sum(self.state == state))


def decide(
    d: Array, threshold: float, design: SequentialDesign, rounds: Ints | int | None = None
) -> Outcome:
    """What ``replay(d[i, :rounds[i]], final=True)`` decides for every run ``i`` (all of
    ``d``'s rounds when ``rounds`` is None: the run ended at its last look)."""
    runs = d.shape[0]
    ends = np.full(runs, d.shape[1]) if rounds is None else np.broadcast_to(rounds, runs)
    state = np.zeros(runs, dtype=np.int64)
    at = np.zeros(runs, dtype=np.int64)
    batch = np.ones(runs, dtype=np.int64)
    for end in np.unique(ends):
        rows = np.nonzero(ends == end)[0]
        for start in range(0, rows.size, ROWS_PER_CHUNK):
            chunk = rows[start : start + ROWS_PER_CHUNK]
            _decide_rows(d[chunk], threshold, design, int(end), chunk, (state, at, batch))
    return Outcome(state=state, rounds=at, batch=batch)


def _schedule(design: SequentialDesign, end: int) -> list[tuple[int, float, float]]:
    """(rounds, alpha share, beta share) of every look ``replay(final=True)`` judges."""
    last = min(end - end % 2, last_look(design))
    out = [(k.rounds, k.alpha, k.beta) for k in looks(design) if k.rounds < last]
    if last > 0:
        final = final_shares(design, last)
        out.append((last, final.alpha, final.beta))
    return out


def _decide_rows(
    d: Array,
    threshold: float,
    design: SequentialDesign,
    end: int,
    rows: Ints,
    into: tuple[Ints, Ints, Ints],
) -> None:
    state, at, batch = into
    bound = math.log1p(threshold)
    margin = design.margin * bound
    open_ = np.ones(d.shape[0], dtype=bool)
    schedule = _schedule(design, end)
    for look, (n, alpha, beta) in enumerate(schedule):
        idx = np.nonzero(open_)[0]
        if idx.size == 0:
            return
        x = d[idx, :n]
        m = _batch_sizes(x, final=look == len(schedule) - 1 and n < last_look(design))
        decided = np.zeros(idx.size, dtype=np.int64)
        for size in np.unique(m):
            sel = np.nonzero(m == size)[0]
            units = _batch_means(x[sel], int(size))
            if units.shape[1] >= 2:
                decided[sel] = _judge(units, alpha, beta, bound, margin)
        state[rows[idx]] = decided
        at[rows[idx]] = n
        batch[rows[idx]] = m
        open_[idx[decided != INCONCLUSIVE]] = False


def _batch_sizes(x: Array, *, final: bool) -> Ints:
    """``independence.batch_size`` of every row."""
    n = x.shape[1]
    m = np.ones(x.shape[0], dtype=np.int64)
    if n < CHECK_FROM:
        return m
    ranks = rankdata(x, axis=1)
    dev = ranks - (n + 1) / 2.0
    r = (dev[:, 1:] * dev[:, :-1]).sum(axis=1) / (dev * dev).sum(axis=1)
    z = FIRE_Z_FINAL if final else FIRE_Z
    for i in np.nonzero(r > z / math.sqrt(n) - 1.0 / n)[0]:
        rho = min(0.95, max(0.0, (n * float(r[i]) + 1.0) / (n - 3.0)))
        size = 1
        while batch_correlation(rho, size) > BATCH_CORRELATION:
            size *= 2
        m[i] = size
    return m


def _batch_means(x: Array, m: int) -> Array:
    """Means of ``m`` consecutive rounds, summed left to right as ``sum`` does."""
    if m == 1:
        return x
    k = x.shape[1] // m
    blocks = x[:, : k * m].reshape(x.shape[0], k, m)
    total = np.zeros(blocks.shape[:2])
    for j in range(m):
        total = total + blocks[:, :, j]
    return np.asarray(total / m)


def _judge(u: Array, alpha: float, beta: float, bound: float, margin: float) -> Ints:
    """One look's state for every row of units ``u`` (``sequential._decide``)."""
    walsh = _Walsh(u)
    out = np.zeros(u.shape[0], dtype=np.int64)
    ka = _tukey_k(walsh.k, alpha) if 0.0 < alpha < 1.0 else 0
    if ka:
        low_above = walsh.at_most(margin) <= ka - 1  # W_(ka) > margin
        high_below = walsh.at_least(-margin) <= ka - 1  # W_(M+1-ka) < -margin
        regression = low_above & walsh.median_above(bound)
        improvement = high_below & walsh.median_below(-bound) & ~regression
        for row in np.nonzero(regression | improvement)[0]:  # the test of no change too
            if wilcoxon_signed_rank(u[row].tolist()).p_value > alpha:
                regression[row] = improvement[row] = False
        out[regression] = REGRESSION
        out[improvement] = IMPROVEMENT
    kb = _tukey_k(walsh.k, 2.0 * beta) if 0.0 < 2.0 * beta < 1.0 else 0
    if kb:
        inside = (walsh.at_most(-bound) <= kb - 1) & (walsh.at_least(bound) <= kb - 1)
        out[inside & (out == INCONCLUSIVE)] = UNCHANGED
    return out


class _Walsh:
    """Counts of the Walsh averages ``(s_i + s_j) / 2``, ``i <= j``, of every row beyond a
    bound, in O(k log k) a row, exact in floating point: for each ``i`` the ``j`` whose
    average is ``<= c`` form a prefix of the sorted row (addition is monotone), found by a
    search on ``2c - s_i`` and then corrected where that rounding differs."""

    def __init__(self, u: Array) -> None:
        self.s = np.sort(u, axis=1)
        self.rows, self.k = self.s.shape
        self.total = self.k * (self.k + 1) // 2
        span = float(np.abs(self.s).max()) * 4.0 + 8.0
        self._offset = (np.arange(self.rows) * span)[:, None]
        self._flat = (self.s + self._offset).ravel()

    def _prefix(self, c: float, strict: bool) -> Ints:
        """Per row and i: how many j (any j) have (s_i + s_j) / 2 <= c (< c if strict)."""
        s, k = self.s, self.k
        side = "left" if strict else "right"
        guess = np.searchsorted(self._flat, ((2.0 * c - s) + self._offset).ravel(), side=side)
        b = guess.reshape(self.rows, k) - (np.arange(self.rows) * k)[:, None]
        b = np.clip(b, 0, k)

        def holds(j: Ints) -> npt.NDArray[np.bool_]:
            value = (s + np.take_along_axis(s, np.clip(j, 0, k - 1), axis=1)) / 2.0
            return (value < c) if strict else (value <= c)

        while True:  # the last index in the prefix must hold, the first past it must not
            back = (b > 0) & ~holds(b - 1)
            ahead = (b < k) & holds(b)
            if not (back.any() or ahead.any()):
                return np.asarray(b)
            b = b - back + ahead

    def at_most(self, c: float) -> Ints:
        """#{W <= c} per row."""
        return self._count(self._prefix(c, strict=False))

    def at_least(self, c: float) -> Ints:
        """#{W >= c} per row."""
        return self.total - self._count(self._prefix(c, strict=True))

    def _count(self, prefix: Ints) -> Ints:
        i = np.arange(self.k)[None, :]
        return np.asarray(np.maximum(0, prefix - i).sum(axis=1))

    def median_above(self, c: float) -> npt.NDArray[np.bool_]:
        """``median_sorted(W) > c`` per row."""
        return self._median_beyond(c, above=True)

    def median_below(self, c: float) -> npt.NDArray[np.bool_]:
        """``median_sorted(W) < c`` per row."""
        return self._median_beyond(c, above=False)

    def _median_beyond(self, c: float, *, above: bool) -> npt.NDArray[np.bool_]:
        mid = self.total // 2
        # #{W > c} above, #{W < c} below
        outside = self.total - (self.at_most(c) if above else self.at_least(c))
        if self.total % 2:
            return np.asarray(outside >= mid + 1)
        result = outside >= mid + 1  # both middle averages beyond c
        unsure = np.nonzero(outside == mid)[0]  # one each side: their mean decides
        if unsure.size:
            i, j = np.triu_indices(self.k)
            walsh = (self.s[unsure][:, i] + self.s[unsure][:, j]) / 2.0
            part = np.partition(walsh, (mid - 1, mid), axis=1)
            median = (part[:, mid - 1] + part[:, mid]) / 2.0
            result[unsure] = (median > c) if above else (median < c)
        return np.asarray(result)


def check(
    d: Array,
    threshold: float,
    design: SequentialDesign,
    outcome: Outcome,
    sample: Sequence[int],
    rounds: Ints | int | None = None,
) -> list[str]:
    """Replay the runs ``sample`` through ``replay`` itself; every disagreement with the
    mirror's ``outcome``, described."""
    ends = (
        np.full(d.shape[0], d.shape[1]) if rounds is None else np.broadcast_to(rounds, d.shape[0])
    )
    problems = []
    for i in sample:
        decision = replay(d[i, : ends[i]].tolist(), threshold=threshold, design=design, final=True)
        state = STATES.index("inconclusive" if decision.state == "undecided" else decision.state)
        if (state, decision.rounds) != (outcome.state[i], outcome.rounds[i]):
            problems.append(
                f"run {i}: replay {decision.state} after {decision.rounds}, mirror "
                f"{STATES[outcome.state[i]]} after {outcome.rounds[i]}"
            )
    return problems


# --- counting -------------------------------------------------------------------------------


def half_threshold(threshold: float) -> float:
    """The true change of half the threshold on the log scale: sqrt(1 + t) - 1."""
    return math.sqrt(1.0 + threshold) - 1.0


# --- the tables -------------------------------------------------------------------------------


def seeded(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=keys))


@dataclass(frozen=True, slots=True)
class Cell:
    """The outcomes of ``runs`` simulated runs of one scenario at one true change."""

    noise: Noise
    change: float
    outcome: Outcome
    lag1: float

    @property
    def runs(self) -> int:
        return int(self.outcome.state.size)


def simulate(
    noise: Noise,
    change: float,
    runs: int,
    seed: int,
    *,
    threshold: float = 0.05,
    design: SequentialDesign | None = None,
    rounds: int | None = None,
    keys: tuple[int, ...] = (),
) -> tuple[Cell, Array]:
    """``runs`` runs of ``noise`` at ``change``, judged by the rule (ended at ``rounds``, a
    budget, else at the design's last look); the cell and the per-round log ratios."""
    design = design or SequentialDesign()
    d = round_ratios(seeded(seed, *keys), noise, change, runs, design.max_rounds)
    outcome = decide(d, threshold, design, rounds)
    return Cell(noise=noise, change=change, outcome=outcome, lag1=lag1(d)), d


def changes(threshold: float) -> dict[str, float]:
    """The true changes of the promises table: none, half the threshold, the threshold,
    twice the threshold (on the log scale, so +4.9%/+10.25% at 5%: (1 + t)^k - 1)."""
    return {
        "0": 0.0,
        "t/2": half_threshold(threshold),
        "t": threshold,
        "2t": (1.0 + threshold) ** 2 - 1.0,
    }


CURVE = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
"""The operating curve's true changes, in multiples of the threshold on the log scale."""


def operating_curve(
    noise: Noise, runs: int, seed: int, threshold: float = 0.05
) -> list[tuple[float, Cell]]:
    """P(regression), P(unchanged) against the true change, 0 to twice the threshold."""
    out = []
    for k, multiple in enumerate(CURVE):
        change = (1.0 + threshold) ** multiple - 1.0
        cell, _ = simulate(noise, change, runs, seed, threshold=threshold, keys=(90, k))
        out.append((multiple, cell))
    return out


@dataclass(frozen=True, slots=True)
class SuiteOutcome:
    """Per simulated suite (a row of benchmarks): the state of every benchmark."""

    states: Ints

    def share(self, test: npt.NDArray[np.bool_]) -> tuple[int, int]:
        return int(test.sum()), int(test.size)

    @property
    def clean(self) -> tuple[int, int]:
        """Every benchmark shown unchanged."""
        return self.share((self.states == UNCHANGED).all(axis=1))

    @property
    def regressed(self) -> tuple[int, int]:
        """Some benchmark called a regression: the suite fails."""
        return self.share((self.states == REGRESSION).any(axis=1))

    @property
    def open(self) -> tuple[int, int]:
        """Some benchmark inconclusive."""
        return self.share((self.states == INCONCLUSIVE).any(axis=1))

    @property
    def alarm(self) -> tuple[int, int]:
        """Some benchmark called a regression or an improvement."""
        moved = (self.states == REGRESSION) | (self.states == IMPROVEMENT)
        return self.share(moved.any(axis=1))


def suites(
    noise: Noise,
    changes_: Sequence[float],
    count: int,
    seed: int,
    *,
    holm: bool,
    threshold: float = 0.05,
    key: int = 0,
) -> SuiteOutcome:
    """``count`` suites of ``len(changes_)`` benchmarks (benchmark i truly ``changes_[i]``)
    sampled until decided, each benchmark at most ``max_rounds``. Under Holm's procedure
    sampling judges every benchmark at ``alpha / K`` and stops it when decided, then the
    verdict replays the stored rounds, passing on the alpha of what it rejected, as
    ``verdict.compare`` does."""
    design = SequentialDesign()
    k = len(changes_)
    d = np.stack(
        [
            round_ratios(seeded(seed, 70, key, i), noise, c, count, design.max_rounds)
            for i, c in enumerate(changes_)
        ],
        axis=1,
    ).reshape(count * k, design.max_rounds)
    if not holm:
        return SuiteOutcome(decide(d, threshold, design).state.reshape(count, k))
    sampled = decide(d, threshold, replace_alpha(design, design.alpha / k))
    stored = np.where(sampled.state == INCONCLUSIVE, design.max_rounds, sampled.rounds)
    return SuiteOutcome(_holm(d, stored, threshold, design, count, k))


def replace_alpha(design: SequentialDesign, alpha: float) -> SequentialDesign:
    return SequentialDesign(
        alpha=alpha,
        beta=design.beta,
        max_rounds=design.max_rounds,
        min_rounds=design.min_rounds,
        look_every=design.look_every,
        rho=design.rho,
        beta_rho=design.beta_rho,
        margin=design.margin,
    )


def _holm(
    d: Array, stored: Ints, threshold: float, design: SequentialDesign, count: int, k: int
) -> Ints:
    """Holm's step-down over each suite's k benchmarks, on the rounds sampling stored."""
    states = np.zeros(count * k, dtype=np.int64)
    rejected = np.zeros((count, k), dtype=bool)
    pending = np.ones(count, dtype=bool)
    while pending.any():
        moved = rejected.sum(axis=1)
        for r in np.unique(moved[pending]):
            suites_ = np.nonzero(pending & (moved == r))[0]
            rows = (suites_[:, None] * k + np.arange(k)[None, :]).ravel()
            rows = rows[~rejected.ravel()[rows]]
            judged = decide(
                d[rows], threshold, replace_alpha(design, design.alpha / (k - r)), stored[rows]
            )
            states[rows] = judged.state
        now = (states == REGRESSION) | (states == IMPROVEMENT)
        now = now.reshape(count, k)
        grown = (now & ~rejected).any(axis=1) & ~now.all(axis=1)
        rejected |= now
        pending = grown
    return states.reshape(count, k)


def budget_cells(
    noise: Noise, runs: int, seed: int, budgets: Sequence[int], threshold: float = 0.05
) -> dict[tuple[int, str], Cell]:
    """Runs a time budget ended after ``n`` rounds (a final look spending the rest)."""
    out = {}
    for i, n in enumerate(budgets):
        for j, (label, change) in enumerate(changes(threshold).items()):
            cell, _ = simulate(noise, change, runs, seed, rounds=n, keys=(80, i, j))
            out[n, label] = cell
    return out
