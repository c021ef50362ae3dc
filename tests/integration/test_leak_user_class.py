"""A leaking callable whose leak is the user's own class, through the real worker process:
the alert names ``LeakedThing`` (not only the ``bytearray`` it holds) and keeps both."""

from __future__ import annotations

import textwrap
from pathlib import Path

from aiwf_ci.config.models import BenchmarkConfig, MemorySettings, PythonSpec, Settings
from aiwf_ci.workloads.base import RunContext
from aiwf_ci.workloads.python import run_python_benchmark

MODULE = """\
MIB = 1024 * 1024
KEPT = []


class LeakedThing:
    def __init__(self):
        self.payload = bytearray(MIB)


def leak():
    KEPT.append(LeakedThing())
"""


def test_leak_alert_names_the_users_class(tmp_path: Path) -> None:
    (tmp_path / "leaky_mod.py").write_text(textwrap.dedent(MODULE), encoding="utf-8")
    bench = BenchmarkConfig(
        name="leaky",
        kind="python",
        workload=PythonSpec(target="leaky_mod:leak"),
        settings=Settings(
            warmup=0, iterations=3, min_time=0.001, memory=MemorySettings(iterations=10)
        ),
    )
    result = run_python_benchmark(bench, RunContext(root=tmp_path, config_dir=tmp_path))
    assert not result.errors, result.errors
    (alert,) = [a for a in result.alerts if a.kind == "memory_leak_suspected"]
    types = alert.details["types"]
    assert types[0]["type"] == "leaky_mod.LeakedThing" and types[0]["user_defined"] is True
    assert types[0]["count_diff"] >= 8
    assert types[0]["site"].endswith("leaky_mod.py:7")
    assert any(t["type"] == "bytearray" and t["size_diff"] >= 7 * 1024 * 1024 for t in types)
    assert "growing type leaky_mod.LeakedThing" in alert.message
