"""The difference of two profiles: order, shares, per-call scaling, start-up removed."""

from __future__ import annotations

import pytest

from aiwf_ci.profile.diff import diff_profiles, median_profile, minus, scaled
from aiwf_ci.profile.model import FunctionCost, Profile, import_name, module_of


def profile(costs: dict[str, tuple[float, float]], unit: str = "Ir") -> Profile:
    functions = {
        ("m.py", name): FunctionCost(file="m.py", name=name, self_cost=own, inclusive=incl)
        for name, (own, incl) in costs.items()
    }
    return Profile(unit=unit, total=sum(own for own, _ in costs.values()), functions=functions)


BASE = profile({"run": (10, 100), "a": (30, 30), "b": (30, 30), "c": (30, 30)})


def test_the_function_that_grew_leads_and_shares_add_up() -> None:
    head = profile({"run": (10, 150), "a": (30, 30), "b": (90, 90), "c": (20, 20)})
    diff = diff_profiles(BASE, head)
    assert [e.label.split(" ")[0] for e in diff.entries] == ["m:b", "m:run", "m:c"]
    assert diff.entries[0].self_change == 60 and diff.entries[0].share == pytest.approx(60 / 50)
    assert sum(e.share or 0 for e in diff.entries) == pytest.approx(1.0)
    assert diff.change == 50


def test_an_improvement_lists_the_largest_saving_first() -> None:
    head = profile({"run": (10, 70), "a": (30, 30), "b": (5, 5), "c": (25, 25)})
    diff = diff_profiles(BASE, head)
    assert diff.entries[0].label.startswith("m:b") and diff.entries[0].self_change == -25


def test_new_and_gone_functions_are_entries_too_and_at_most_top_are_kept() -> None:
    head = profile({"run": (10, 100), "a": (30, 30), "b": (30, 30), "new": (40, 40)})
    diff = diff_profiles(BASE, head, top=2)  # c is gone, new is new; run did not change
    assert [e.label.split(" ")[0] for e in diff.entries] == ["m:new", "m:c"]
    assert diff.entries[1].base_self == 30 and diff.entries[1].head_self == 0


def test_units_must_agree() -> None:
    with pytest.raises(ValueError, match="cannot be compared"):
        diff_profiles(BASE, profile({"run": (1, 1)}, unit="s"))


def test_per_call_scaling_and_start_up_removed() -> None:
    start = profile({"run": (10, 10), "a": (30, 30)})
    only_calls = minus(BASE, start)
    assert only_calls.total == 60 and ("m.py", "a") not in only_calls.functions
    assert only_calls.functions[("m.py", "run")].inclusive == 90
    assert scaled(only_calls, 0.5).functions[("m.py", "b")].inclusive == 15


def test_module_names_as_python_imports_them() -> None:
    assert module_of("src/pkg/__init__.py") == "pkg"
    assert module_of("lib/python3.12/site-packages/pkg/mod.py") == "pkg.mod"
    assert module_of("app.c") == ""
    assert import_name("/t/.aiwf/pipeline.py", ["/t/.aiwf", "/t"]) == "pipeline"


def test_the_median_of_blocks_ignores_one_slowed_block() -> None:
    quiet = profile({"run": (10, 100), "a": (30, 30), "b": (30, 30), "c": (30, 30)})
    slowed = profile({"run": (10, 400), "a": (30, 30), "b": (30, 30), "c": (330, 330)})
    without_a = profile({"run": (10, 70), "b": (30, 30), "c": (30, 30)})
    merged = median_profile([quiet, slowed, quiet, without_a, quiet])
    assert merged.functions[("m.py", "c")].self_cost == 30
    assert merged.functions[("m.py", "run")].inclusive == 100
    # missing from one block of five: cost nothing there, the median is unmoved
    assert merged.functions[("m.py", "a")].self_cost == 30
    assert merged.total == sum(f.self_cost for f in merged.functions.values()) == 100
    assert diff_profiles(quiet, merged).entries == ()
    with pytest.raises(ValueError, match="no profiles"):
        median_profile([])
