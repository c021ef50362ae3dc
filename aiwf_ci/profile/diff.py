"""Base against head, function by function: which functions account for a benchmark's change.

Pure: two ``Profile`` values in, a ``ProfileDiff`` out. Each function's change is its head
cost minus its base cost, self and inclusive; its **share** is its self change over the
whole profile's change (self costs add up to the whole, so the shares of all functions sum
to 1; inclusive changes overlap and are shown, not summed). The entries come in the order of
their contribution to the change (for a slowdown the largest increases first), at most
``top`` of them, so the helper that does 3× the work leads the list.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from aiwf_ci.profile.model import FunctionCost, Profile

TOP = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class DiffEntry:
    """One function's change (costs per call of the benchmark, in the profile's unit)."""

    label: str
    base_self: float
    head_self: float
    base_inclusive: float
    head_inclusive: float
    share: float | None

    @property
    def self_change(self) -> float:
        return self.head_self - self.base_self

    @property
    def inclusive_change(self) -> float:
        return self.head_inclusive - self.base_inclusive


@dataclass(frozen=True, slots=True, kw_only=True)
class ProfileDiff:
    """The functions that account for the change, and the whole profiles' totals."""

    unit: str
    base_total: float
    head_total: float
    entries: tuple[DiffEntry, ...]

    @property
    def change(self) -> float:
        return self.head_total - self.base_total


def diff_profiles(base: Profile, head: Profile, *, top: int = TOP) -> ProfileDiff:
    """The ``top`` functions by their contribution to the change of the whole."""
    if base.unit != head.unit:
        raise ValueError(f"profiles in {base.unit} and {head.unit} cannot be compared")
    whole = head.total - base.total
    sign = -1.0 if whole < 0 else 1.0
    empty = FunctionCost(file="", name="")
    entries = []
    for key in base.functions.keys() | head.functions.keys():
        b, h = base.functions.get(key, empty), head.functions.get(key, empty)
        entries.append(
            DiffEntry(
                label=(h if key in head.functions else b).label,
                base_self=b.self_cost,
                head_self=h.self_cost,
                base_inclusive=b.inclusive,
                head_inclusive=h.inclusive,
                share=(h.self_cost - b.self_cost) / whole if whole else None,
            )
        )
    entries.sort(key=lambda e: (-sign * e.self_change, -abs(e.inclusive_change), e.label))
    kept = tuple(e for e in entries if e.self_change or e.inclusive_change)[:top]
    return ProfileDiff(unit=head.unit, base_total=base.total, head_total=head.total, entries=kept)


def scaled(profile: Profile, factor: float) -> Profile:
    """Every cost times ``factor`` (a profile of N calls made per call: ``1 / N``)."""
    return Profile(
        unit=profile.unit,
        total=profile.total * factor,
        functions={
            key: FunctionCost(
                file=f.file,
                name=f.name,
                line=f.line,
                self_cost=f.self_cost * factor,
                inclusive=f.inclusive * factor,
                calls=f.calls,
                module=f.module,
            )
            for key, f in profile.functions.items()
        },
    )


def minus(profile: Profile, start: Profile) -> Profile:
    """What ``profile`` costs beyond ``start`` (the same program doing no calls): the
    calls' own cost, function by function, never below zero."""
    functions = {}
    for key, f in profile.functions.items():
        s = start.functions.get(key)
        functions[key] = FunctionCost(
            file=f.file,
            name=f.name,
            line=f.line,
            self_cost=max(0.0, f.self_cost - (s.self_cost if s else 0.0)),
            inclusive=max(0.0, f.inclusive - (s.inclusive if s else 0.0)),
            calls=max(0, f.calls - (s.calls if s else 0)),
            module=f.module,
        )
    return Profile(
        unit=profile.unit,
        total=max(0.0, profile.total - start.total),
        functions={k: f for k, f in functions.items() if f.self_cost or f.inclusive},
    )


def median_profile(profiles: Sequence[Profile]) -> Profile:
    """Function by function, the median of several profiles of the same calls (blocks of a
    timed profile, each made per call): one block that the machine slowed moves no
    function. A function missing from a block cost nothing there; the total is the sum of
    the medians, so that the shares of a difference still add up to the whole."""
    if not profiles:
        raise ValueError("no profiles to take the median of")
    keys = sorted({k for p in profiles for k in p.functions})
    functions = {}
    for key in keys:
        found = [p.functions.get(key) for p in profiles]
        first = next(f for f in found if f is not None)
        functions[key] = FunctionCost(
            file=first.file,
            name=first.name,
            line=first.line,
            self_cost=statistics.median(f.self_cost if f else 0.0 for f in found),
            inclusive=statistics.median(f.inclusive if f else 0.0 for f in found),
            calls=sum(f.calls for f in found if f),
            module=first.module,
        )
    total = sum(f.self_cost for f in functions.values())
    return Profile(unit=profiles[0].unit, total=total, functions=functions)
