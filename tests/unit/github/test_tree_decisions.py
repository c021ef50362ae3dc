"""Pure decisions of the base tree: where a symbolic link finally points (through the
archive's other links) and which cached trees are evicted."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiwf_ci.errors import BaselineError
from aiwf_ci.github.treecache import CachedTree, CacheLimits, to_evict
from aiwf_ci.github.untar import link_target


def parts(links: dict[str, str]) -> dict[tuple[str, ...], str]:
    return {tuple(name.split("/")): target for name, target in links.items()}


def chain(n: int) -> dict[str, str]:
    """``l0 -> .``, ``lK -> l(K-1)/..``: each looks like ``.`` by name, climbs one folder."""
    return {"l0": ".", **{f"l{k}": f"l{k - 1}/.." for k in range(1, n)}}


def test_a_chain_that_looks_inside_by_name_is_followed_out_of_the_tree() -> None:
    links = parts(chain(4))
    assert link_target(("l0",), links) == ()
    with pytest.raises(BaselineError, match="'l1' points outside the tree"):
        link_target(("l1",), links)


@pytest.mark.parametrize(
    ("links", "name", "where"),
    [
        ({"pkg/alias.py": "mod.py"}, "pkg/alias.py", ("pkg", "mod.py")),
        ({"a": "b/c", "b": "sub"}, "a", ("sub", "c")),
        ({"a": "b/../x", "b": "d/e"}, "a", ("d", "x")),  # `..` leaves the folder b points to
        ({"docs/readme": "../README.md"}, "docs/readme", ("README.md",)),
        ({"here": "."}, "here", ()),
    ],
)
def test_links_inside_the_tree_resolve_through_the_others(
    links: dict[str, str], name: str, where: tuple[str, ...]
) -> None:
    assert link_target(tuple(name.split("/")), parts(links)) == where


@pytest.mark.parametrize(
    ("links", "name", "why"),
    [
        ({"a": "/etc/passwd"}, "a", "points outside"),
        ({"d/a": "../../x"}, "d/a", "points outside"),
        ({"b": "..", "a": "b/x"}, "a", "points outside"),  # a link to a link that leaves
        ({"a": "b/..", "b": "c/../.."}, "a", "points outside"),
        ({"a": "b", "b": "a"}, "a", "loop"),
        ({"a": "a/x"}, "a", "loop"),
    ],
)
def test_links_that_leave_the_tree_or_loop_are_refused(
    links: dict[str, str], name: str, why: str
) -> None:
    with pytest.raises(BaselineError, match=why):
        link_target(tuple(name.split("/")), parts(links))


def test_checking_links_has_a_budget_shared_by_the_archive() -> None:
    links = parts({f"l{i}": "x/" * 100 for i in range(10)})
    budget = [10_000]  # each of the 101 parts costs the length of the path so far: 5,151
    assert link_target(("l0",), links, budget) == ("x",) * 100
    with pytest.raises(BaselineError, match="too many links"):
        link_target(("l2",), links, budget)


def tree(name: str, used: float, size: int) -> CachedTree:
    return CachedTree(Path("/c/trees/s") / name, used, size)


def test_the_least_recently_used_trees_go_first_beyond_the_count() -> None:
    trees = [tree("a", 1, 10), tree("b", 5, 10), tree("c", 3, 10), tree("d", 4, 10)]
    evicted = to_evict(trees, Path("/c/trees/s/a"), CacheLimits(max_trees=3, max_bytes=10**9))
    assert evicted == [Path("/c/trees/s/c")]  # a is in use; b and d are the newest others
    two = to_evict(trees, Path("/c/trees/s/a"), CacheLimits(max_trees=2, max_bytes=10**9))
    assert two == [Path("/c/trees/s/d"), Path("/c/trees/s/c")]
    assert to_evict(trees, Path("/c/trees/s/a"), CacheLimits(max_trees=4, max_bytes=40)) == []


def test_bytes_evict_too_and_the_tree_in_use_is_kept_however_big() -> None:
    trees = [tree("big", 1, 500), tree("b", 5, 10), tree("c", 3, 10)]
    limits = CacheLimits(max_trees=10, max_bytes=515)
    assert to_evict(trees, Path("/c/trees/s/big"), limits) == [Path("/c/trees/s/c")]
    alone = CacheLimits(max_trees=1, max_bytes=1)
    assert to_evict(trees, Path("/c/trees/s/big"), alone) == [
        Path("/c/trees/s/b"),
        Path("/c/trees/s/c"),
    ]
