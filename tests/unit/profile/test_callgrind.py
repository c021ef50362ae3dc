"""Callgrind's format read into self and inclusive counts, checked against hand sums."""

from __future__ import annotations

from pathlib import Path

from aiwf_ci.profile.callgrind import read_callgrind

# main (tree/app.c) costs 10 + 5 itself, calls helper twice (inclusive 300 + 200) and
# recurses into itself once (its own frames already hold that cost); helper costs 500
# itself, in libm it calls 40 of sqrt; names are compressed after their first use.
OUT = """\
# callgrind format
version: 1
positions: line
events: Ir
summary: 515

ob=(1) /tree/app
fl=(1) /tree/app.c
fn=(1) main
3 10
+2 5
cfn=(2) helper
calls=2 20
4 500
cfn=(1)
calls=1 3
4 7

fn=(2)
20 460
cob=(2) /usr/lib/libm.so.6
cfl=(2) ???
cfn=(3) sqrt'2
calls=1 0
21 40

ob=(2)
fl=(2)
fn=(3)
0 40
"""


def test_self_and_inclusive_counts_per_function(tmp_path: Path) -> None:
    path = tmp_path / "callgrind.out.1"
    path.write_text(OUT, encoding="utf-8")
    profile = read_callgrind([path], root=Path("/tree"))
    main, helper = profile.functions[("app.c", "main")], profile.functions[("app.c", "helper")]
    sqrt = profile.functions[("libm.so.6", "sqrt")]  # a recursion level is the same function
    assert (main.self_cost, main.inclusive, main.line) == (15, 515, 3)
    assert (helper.self_cost, helper.inclusive, helper.calls) == (460, 500, 2)
    assert (sqrt.self_cost, sqrt.inclusive, sqrt.calls) == (40, 40, 1)
    assert profile.total == 515 == sum(f.self_cost for f in profile.functions.values())
    assert main.label == "main (app.c:3)"


def test_out_files_of_several_processes_add_up(tmp_path: Path) -> None:
    files = []
    for pid in (1, 2):
        files.append(tmp_path / f"callgrind.out.{pid}")
        files[-1].write_text(OUT, encoding="utf-8")
    profile = read_callgrind(files, root=Path("/tree"))
    assert profile.total == 1030
    assert profile.functions[("app.c", "helper")].self_cost == 920
