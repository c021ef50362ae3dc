"""A leak alert names the user's own class, not only the biggest built-in type it holds:
a ``LeakedThing`` keeping a 1 MiB ``bytearray`` is reported as ``LeakedThing`` first, with
the ``bytearray`` still in the data."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiwf_ci.bench.memory.convert import memory_outcome_from_worker
from aiwf_ci.bench.memory.evidence import is_user_type, new_object_types, prepare
from aiwf_ci.config.models import MemorySettings
from aiwf_ci.models import BenchmarkResult, Results
from aiwf_ci.report import render_comment
from aiwf_ci.verdict.model import Report

MIB = 1024 * 1024
HELD = next(
    i
    for i, line in enumerate(Path(__file__).read_text().splitlines(), 1)
    if line.endswith("# HELD")
)


class LeakedThing:
    """What a user's cache keeps: a small object holding a big buffer."""

    def __init__(self) -> None:
        self.payload = bytearray(MIB)  # HELD


@pytest.fixture
def traced() -> Iterator[None]:
    already = tracemalloc.is_tracing()
    prepare()  # the census of instances, before tracing starts
    if not already:
        tracemalloc.start(8)
    try:
        yield
    finally:
        if not already:
            tracemalloc.stop()


def test_user_classes_are_told_from_the_standard_library() -> None:
    assert is_user_type(LeakedThing)
    assert not is_user_type(bytearray)
    assert not is_user_type(json.JSONDecoder)
    assert not is_user_type(MemorySettings)  # aiwf-ci's own


def test_the_users_class_comes_first_and_the_bytearray_stays(traced: None) -> None:
    kept = [LeakedThing() for _ in range(8)]
    types = new_object_types()
    assert kept
    first = types[0]
    assert first["type"] == f"{__name__}.LeakedThing"
    assert first["count_diff"] == 8 and first["user_defined"] is True
    assert str(first["site"]).endswith(f"test_leak_user_types.py:{HELD}")  # where its payload was
    held = next(t for t in types if t["type"] == "bytearray")
    assert held["count_diff"] == 8 and int(str(held["size_diff"])) >= 8 * MIB
    assert held["user_defined"] is False


def test_the_alert_message_and_the_report_name_the_users_class(traced: None) -> None:
    kept = [LeakedThing() for _ in range(8)]
    evidence = {"sites": [], "types": new_object_types()}
    assert kept
    rss = [20.0 * MIB + i * MIB for i in range(10)]
    data = {
        "iterations": 10,
        "skip": 2,
        "t": [i * 0.1 for i in range(10)],
        "peak": [MIB] * 10,
        "gc_freed": [0.0] * 10,
        "rss": rss,
        "traced": rss,
        "evidence": evidence,
    }
    outcome = memory_outcome_from_worker(json.loads(json.dumps(data)), MemorySettings())
    (alert,) = outcome.alerts
    assert f"growing type {__name__}.LeakedThing (+8)" in alert.message
    bench = BenchmarkResult(name="cache", kind="python", alerts=(alert,))
    text = render_comment(Report(head=Results(suite="s", benchmarks=(bench,))))
    types = [line for line in text.splitlines() if "objects of type" in line]
    assert "LeakedThing: +8 objects" in types[0]
    assert "bytearray: +8 objects" in types[1]
