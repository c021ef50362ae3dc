"""Regression thresholds: how much worse a metric may get before it counts.

A ``Threshold`` is parsed from the suite config (``duration: 20%`` or
``duration: {relative: 10%, absolute: 2ms}``) or from the CLI/action grammar
``duration=10%,memory=25%``; both produce the same objects. ``relative`` is the allowed
change in the worse direction as a positive fraction whatever the metric's direction:
``duration: 20%`` allows head up to 1.2 x base, ``throughput: -10%`` down to 0.9 x base
(a drop of 100% or more is refused: nothing is left to drop); the gates compare on the log
scale with the bound ``verdict.gate.margin`` makes of it. ``absolute`` is an optional
minimum effect in the metric's own unit.

Layering (``build_rules``): the catalogue's defaults, the config's rules, then ``--thresholds``
or the ``thresholds`` input. A metric the catalogue says ``follows`` another (instruction
counts follow ``duration``) takes that metric's *stated* rule when none is stated for it:
``duration: 10%`` alone makes instruction counts 10% too, shown as
``instructions +10% (from duration)``; a stated ``instructions:`` rule always wins.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from aiwf_ci.metrics import BYTES, CATALOGUE, SECONDS, direction_of, family_of, unit_of
from aiwf_ci.numbers import human
from aiwf_ci.units import PERCENT_HINT, parse_duration, parse_percent, parse_size


@dataclass(frozen=True, slots=True, kw_only=True)
class Threshold:
    """Allowed worsening of one metric: ``relative`` (a positive fraction) and an optional
    ``absolute`` minimum effect in the metric's unit; both must be exceeded."""

    metric: str
    relative: float
    absolute: float | None = None
    source: str = field(default="", compare=False)
    """Where the rule came from (not part of its value): ``""`` stated (the config,
    ``--thresholds``, the ``thresholds`` input), ``default`` built in, or the metric whose
    stated rule it follows (``duration`` for instruction counts: ``FOLLOWERS``)."""

    @property
    def percent(self) -> str:
        """``20%``, ``0.5%``: as many digits as the rule has (``.0%`` would print 0.5% as 0%)."""
        return f"{self.relative * 100:g}%"

    def describe(self) -> str:
        """``duration +20%``, ``throughput -10%``: the sign says which way is worse."""
        sign = "-" if direction_of(self.metric) == "higher" else "+"
        text = f"{self.metric} {sign}{self.percent}"
        if self.absolute is not None:
            text += f" (min {human(self.absolute, unit_of(self.metric) or '')})"
        return f"{text} (from {self.source})" if self.source not in ("", DEFAULT) else text

    @property
    def stated(self) -> bool:
        """Given by the user, not built in or followed from another metric's rule."""
        return not self.source


DEFAULT = "default"
"""``Threshold.source`` of a built-in rule."""


DEFAULT_THRESHOLDS: Mapping[str, Threshold] = {
    e.name: Threshold(metric=e.name, relative=e.rule, source=DEFAULT)
    for e in CATALOGUE
    if e.rule is not None
}
"""Built-in rules: every metric the catalogue (``aiwf_ci.metrics``) gives a rule."""


def parse_absolute(metric: str, value: object) -> float:
    """An absolute minimum effect in the metric's unit: a duration or a size must say its
    unit (``2ms``, ``64KiB``); a bare ``2`` would be read as 2 seconds and switch the gate
    off for millisecond benchmarks, so it is refused (``0`` is 0 in any unit). Other metrics
    take a plain number."""
    if value == 0 and not isinstance(value, bool):
        return 0.0
    unit = unit_of(metric)
    if unit == SECONDS:
        if not isinstance(value, str):
            raise ValueError(f"give the unit, e.g. absolute: {value}ms or {value}s")
        return parse_duration(value)
    if unit == BYTES:
        if not isinstance(value, str):
            raise ValueError(f"give the unit, e.g. absolute: {value}KiB or {value}MB")
        return float(parse_size(value))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise ValueError("expected a number")


KNOWN_METRICS = tuple(e.name for e in CATALOGUE)
"""Metric names and families aiwf-ci produces (the catalogue); other names are custom
metrics (ingested)."""


def check_metric_name(metric: str) -> None:
    """A name that is not a known family but looks like one is a typo, not a custom metric:
    ``duraton=10%`` would otherwise silently leave the 20% default in force."""
    known = {*KNOWN_METRICS, *map(family_of, KNOWN_METRICS)}
    if metric in known or family_of(metric) in known:
        return
    close = difflib.get_close_matches(metric, sorted(known), n=1, cutoff=0.75)
    if close:
        raise ValueError(f"unknown metric {metric!r}; did you mean {close[0]!r}?")


def parse_threshold(metric: str, value: object) -> Threshold:
    """``"20%"`` or ``{"relative": "10%", "absolute": "2ms"}`` -> Threshold."""
    check_metric_name(metric)
    if isinstance(value, Mapping):
        unknown = set(value) - {"relative", "absolute"}
        if unknown:
            raise ValueError(f"unknown key {sorted(unknown)[0]!r}; allowed: relative, absolute")
        if "relative" not in value:
            raise ValueError(f"missing 'relative'; expected {PERCENT_HINT}")
        relative = _relative(metric, value["relative"])
        absolute = value.get("absolute")
        return Threshold(
            metric=metric,
            relative=relative,
            absolute=None if absolute is None else parse_absolute(metric, absolute),
        )
    return Threshold(metric=metric, relative=_relative(metric, value))


def _relative(metric: str, value: object) -> float:
    """The allowed change as a positive fraction; where higher is better below 100%."""
    relative = abs(parse_percent(value))
    if direction_of(metric) == "higher" and relative >= 1.0:
        raise ValueError(
            f"{metric} is better higher: -{relative * 100:g}% fails only a head below "
            f"{1 - relative:g} x base, which cannot be; give less than 100%, e.g. -10%"
        )
    return relative


def parse_threshold_spec(text: str) -> dict[str, Threshold]:
    """``duration=10%,memory=25%`` -> {metric: Threshold}; raises ValueError on bad input."""
    rules: dict[str, Threshold] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        metric, sep, value = part.partition("=")
        metric = metric.strip()
        if not sep or not metric:
            raise ValueError(f"{part!r} is not METRIC=PERCENT; example: duration=10%,memory=25%")
        try:
            rules[metric] = parse_threshold(metric, value.strip())
        except ValueError as exc:
            raise ValueError(f"{part!r}: {exc}; example: duration=10%,memory=25%") from None
    return rules


# --- lookup --------------------------------------------------------------------------------

#: The absolute minimum effect a family's rule gets when the config sets none (the
#: catalogue's ``floor``: memory's). ``absolute: 0`` in a rule turns the floor off.
DEFAULT_FLOORS: Mapping[str, float] = {e.name: e.floor for e in CATALOGUE if e.floor is not None}


def with_default_floor(rule: Threshold | None) -> Threshold | None:
    if rule is None or rule.absolute is not None:
        return rule
    floor = DEFAULT_FLOORS.get(family_of(rule.metric))
    return rule if floor is None else replace(rule, absolute=floor)


#: Metrics that borrow another family's rule when they have none of their own.
FALLBACK_FAMILIES: Mapping[str, str] = {e.name: e.borrows for e in CATALOGUE if e.borrows}


#: Metrics that take another's *stated* rule when none is stated for them (module docstring).
FOLLOWERS: Mapping[str, str] = {e.name: e.follows for e in CATALOGUE if e.follows}


def follow_stated(
    rules: Mapping[str, Threshold], outer: Mapping[str, Threshold] | None = None
) -> dict[str, Threshold]:
    """``rules`` with each follower whose rule is not stated (absent, built in, or followed
    before) taking its leader's stated rule, the relative part only (an absolute minimum is
    in the leader's unit). ``outer``: the suite's rules around a benchmark's own, where a
    stated follower rule also counts as stated."""
    out = dict(rules)
    for name, leader in FOLLOWERS.items():
        lead, own = out.get(leader), out.get(name) or (outer or {}).get(name)
        if lead is None or not lead.stated or (own is not None and own.stated):
            continue
        out[name] = Threshold(metric=name, relative=lead.relative, source=leader)
    return out


def _lookup(rules: Mapping[str, Threshold], metric: str) -> Threshold | None:
    family = family_of(metric)
    found = rules.get(metric) or rules.get(family)
    if found is None and family in FALLBACK_FAMILIES:
        found = rules.get(FALLBACK_FAMILIES[family])
    return found


@dataclass(frozen=True, slots=True, kw_only=True)
class ThresholdRules:
    """Every threshold of a suite: suite-level rules plus per-benchmark overrides.

    Lookup for (benchmark, metric), first hit wins: the benchmark's own rules, then the
    suite's; within each, the exact metric name, then its family (``memory`` covers
    ``memory_peak``), then a fallback family (``latency`` borrows ``duration``). No hit
    means the metric is reported but never fails the build. Benchmarks matching an
    ``ignore`` pattern (the config's ``ignore:``, glob or exact name) are reported and never
    gate either: no rule resolves for them.
    """

    suite: Mapping[str, Threshold] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    per_benchmark: Mapping[str, Mapping[str, Threshold]] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()

    def ignored(self, benchmark: str) -> bool:
        return any(fnmatch.fnmatchcase(benchmark, pattern) for pattern in self.ignore)

    def resolve(self, benchmark: str, metric: str) -> Threshold | None:
        if self.ignored(benchmark):
            return None
        own = self.per_benchmark.get(benchmark)
        found = _lookup(own, metric) if own else None
        return with_default_floor(found if found is not None else _lookup(self.suite, metric))

    def describe(self) -> str:
        """``duration +20%, memory +30% (min 65536), throughput -10%, ...; 2 benchmark(s)
        with rules of their own``."""
        text = ", ".join(self.suite[m].describe() for m in sorted(self.suite))
        if self.per_benchmark:
            text += f"; {len(self.per_benchmark)} benchmark(s) with rules of their own"
        if self.ignore:
            text += f"; ignored: {', '.join(self.ignore)}"
        return text

    def with_overrides(self, overrides: Mapping[str, Threshold]) -> ThresholdRules:
        """Suite rules updated by e.g. the ``thresholds`` action input (per-benchmark kept),
        followers following a newly stated leader."""
        return replace(self, suite=follow_stated({**self.suite, **overrides}))


def build_rules(
    suite: Mapping[str, Threshold] | None = None,
    per_benchmark: Mapping[str, Mapping[str, Threshold]] | None = None,
    overrides: Mapping[str, Threshold] | None = None,
    ignore: Sequence[str] = (),
) -> ThresholdRules:
    """Layer the built-in defaults, the config's suite rules and CLI/action overrides, in order,
    followers following their stated leaders (module docstring)."""
    merged = follow_stated({**DEFAULT_THRESHOLDS, **(suite or {}), **(overrides or {})})
    own = {b: follow_stated(rules, merged) for b, rules in (per_benchmark or {}).items()}
    return ThresholdRules(suite=merged, per_benchmark=own, ignore=tuple(ignore))


DEFAULT_RULES = ThresholdRules()
