"""The metric catalogue: what aiwf-ci knows about every metric it produces.

One entry per metric name or family (an entry also covers the names that start with its
name and ``_``: ``memory`` covers ``memory_peak``, ``throughput`` covers
``throughput_items``), saying

- ``unit``: the unit its values are in (``throughput`` is a rate of what the workload
  counts: the workload names the counted thing, ``files/s``, ``req/s``);
- ``direction``: whether lower or higher is better;
- ``rule``: the relative threshold it gets by default (the allowed worsening as a fraction,
  whatever the direction), or ``None``: reported, never gating unless a threshold names it
  (a name without a rule of its own is still covered by its family's: ``throughput_bytes``
  by ``throughput``'s);
- ``floor``: the absolute minimum effect that default rule gets, in the metric's unit;
- ``borrows``: the entry whose rule it takes when it has none (``latency`` -> ``duration``);
- ``follows``: the entry whose *stated* rule (the config's, ``--thresholds``, the
  ``thresholds`` input) replaces its default when none is stated for it (``instructions`` ->
  ``duration``: a tolerance stated for time is the tolerance for the work; a config that says
  ``duration: 10%`` and nothing on counts must not fail on a +1% count at the 0.5% default);
- ``schedule``: ``round`` (measured in every round of an A/B run and compared in pairs) or
  ``side`` (measured once per side: the memory pass; instruction counts and what is
  measured beside them).

Readers: ``verdict.thresholds`` (default rules and floors, the names a rule may give, the
family a metric borrows from, a rule's unit and direction), ``run.interleave`` and
``run.python_rounds`` (per round or once per side), and the workloads and the memory pass,
which build their metrics with ``measured``. Metrics ingested from another harness keep the
units their files give; names the catalogue does not know are custom metrics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from aiwf_ci.models import Direction, Metric

Schedule = Literal["round", "side"]

SECONDS = "s"
BYTES = "B"
"""The one spelling of bytes, as in ``B/s``."""
PER_SECOND = "/s"


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricSpec:
    """One entry of the catalogue (module docstring)."""

    name: str
    unit: str
    direction: Direction = "lower"
    rule: float | None = None
    floor: float | None = None
    borrows: str = ""
    follows: str = ""
    schedule: Schedule = "round"


DURATION = "duration"
CPU_TIME = "cpu_time"
RUN_QUEUE_DELAY = "run_queue_delay"
REFERENCE_TIME = "reference_time"
ACTIVE_TIME = "active_time"
MEMORY = "memory"
INSTRUCTIONS = "instructions"

CATALOGUE: tuple[MetricSpec, ...] = (
    # wall time of a run, a call or a burst of calls
    MetricSpec(name=DURATION, unit=SECONDS, rule=0.20),
    # CPU time (user + system); carries the duration rule when the timer picks it
    MetricSpec(name=CPU_TIME, unit=SECONDS),
    # time runnable but waiting for a CPU (Linux): shown on the timer line, never a row
    MetricSpec(name=RUN_QUEUE_DELAY, unit=SECONDS),
    # CPU time of a fixed reference loop beside each sample (``bench.reference``): the
    # machine's speed of the moment, for unpaired comparisons; never a row
    MetricSpec(name=REFERENCE_TIME, unit=SECONDS),
    # wall time less the wait for a CPU, derived by the verdict (``verdict.timer``)
    MetricSpec(name=ACTIVE_TIME, unit=SECONDS),
    # the memory pass: measured to the byte and deterministic, so without a floor a
    # 1 KiB -> 2 KiB change would be a "significant +100%" regression
    MetricSpec(name=MEMORY, unit=BYTES, rule=0.30, floor=64 * 1024.0, schedule="side"),
    # a load test's request latencies
    MetricSpec(name="latency", unit=SECONDS, borrows=DURATION),
    # what a workload gets done per second: files/s, req/s
    MetricSpec(name="throughput", unit=PER_SECOND, direction="higher", rule=0.10),
    MetricSpec(name="throughput_bytes", unit=BYTES + PER_SECOND, direction="higher"),
    # the share of a load test's requests that failed
    MetricSpec(name="error_rate", unit="ratio"),
    # ingested from go test
    MetricSpec(name="allocs_per_op", unit="allocs"),
    # counted under Valgrind (``measure: instructions``): a checked count has no noise, so
    # 0.5% is a real change of executed work (a 1% change of work moves a count by a little
    # under 1%, so a 1% rule would miss it)
    MetricSpec(name=INSTRUCTIONS, unit="instr", rule=0.005, follows=DURATION, schedule="side"),
    # beside an instruction count: the counted run's wall time, ordinary runs' wall time
    # and their I/O
    MetricSpec(name="valgrind_time", unit=SECONDS, schedule="side"),
    MetricSpec(name="native_time", unit=SECONDS, schedule="side"),
    MetricSpec(name="io_read_bytes", unit=BYTES, schedule="side"),
    MetricSpec(name="io_write_bytes", unit=BYTES, schedule="side"),
    MetricSpec(name="io_calls", unit="calls", schedule="side"),
)

BY_NAME: Mapping[str, MetricSpec] = {entry.name: entry for entry in CATALOGUE}


def family_of(metric: str) -> str:
    """The family a metric belongs to: ``memory_peak`` -> ``memory``, ``duration`` -> itself."""
    return metric.split("_", 1)[0]


def find(metric: str) -> MetricSpec | None:
    """The entry of a metric: its own, else its family's; ``None`` for a custom metric."""
    return BY_NAME.get(metric) or BY_NAME.get(family_of(metric))


def unit_of(metric: str) -> str | None:
    """The unit of a metric or of a rule's name: its entry's, else the one unit every entry of
    its family shares (``cpu`` -> ``s``); ``None`` when unknown or not one unit (``io``)."""
    found = find(metric)
    if found is not None:
        return found.unit
    units = {e.unit for e in CATALOGUE if family_of(e.name) == family_of(metric)}
    return units.pop() if len(units) == 1 else None


def direction_of(metric: str) -> Direction:
    """Which way is better for a metric or a rule's name (``lower`` for a custom one)."""
    found = find(metric)
    return found.direction if found is not None else "lower"


def once_per_side(metric: str) -> bool:
    """Whether an A/B run measures the metric once per side rather than in every round."""
    found = find(metric)
    return found is not None and found.schedule == "side"


def measured(
    metric: str,
    samples: Sequence[float],
    *,
    counting: str = "",
    deterministic: bool = False,
) -> Metric:
    """A metric aiwf-ci produced, with the unit and direction the catalogue gives it;
    ``counting`` names what a rate counts (``measured("throughput", s, counting="files")``
    is in files/s). ``KeyError`` for a name the catalogue does not know."""
    found = find(metric)
    if found is None:
        raise KeyError(f"{metric!r} is not in the metric catalogue")
    if bool(counting) != (found.unit == PER_SECOND):
        raise ValueError(f"{metric!r}: a rate names what it counts, other metrics do not")
    return Metric.from_samples(
        samples,
        unit=counting + found.unit,
        direction=found.direction,
        deterministic=deterministic,
    )
