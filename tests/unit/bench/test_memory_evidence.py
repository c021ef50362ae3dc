"""The leak evidence never blames the profiler: what the memory pass itself allocates (its
readings, its snapshot, its reads of ``/proc``) is filtered out, file by file, and every file
the filter names is one of the package's own."""

from __future__ import annotations

import gc
import json
import os
import sys
import warnings
from pathlib import Path

import aiwf_ci
from aiwf_ci.bench.memory import evidence, leak, worker
from aiwf_ci.bench.memory.worker import callable_memory_pass

PACKAGE = os.path.dirname(aiwf_ci.__file__)
PROFILER = os.path.dirname(worker.__file__)


def test_every_file_the_filter_names_in_the_package_exists() -> None:
    ours = [name for name in evidence._OWN_FILES if name.startswith(PACKAGE + os.sep)]
    assert ours
    missing = [name for name in ours if not os.path.isfile(name)]
    assert not missing, f"the evidence filter names files that do not exist: {missing}"


def test_the_modules_that_run_in_the_leak_window_are_filtered() -> None:
    for module in (worker, evidence, leak):
        assert module.__file__ in evidence._OWN_FILES, module.__name__


def test_every_module_of_the_profiler_is_filtered() -> None:
    modules = [m for m in sys.modules.values() if getattr(m, "__file__", None)]
    profiler = {m.__file__ for m in modules if os.path.dirname(m.__file__ or "") == PROFILER}
    assert profiler <= evidence._OWN_FILES


_kept: list[bytes] = []
LEAK_LINE = next(
    i
    for i, line in enumerate(Path(__file__).read_text().splitlines(), 1)
    if line.endswith("# LEAK")
)


def _leaky() -> None:
    _kept.append(bytes(2000))  # LEAK


def test_a_small_leak_is_all_the_evidence_names() -> None:
    """A leak of 2 kB a call, small enough that what the pass itself allocates counts: its
    reading arrays, its reads of ``/proc``, the caches its snapshot fills. Each of those was
    named beside the leak (``array.array`` allocated at ``worker.py``, a site whose innermost
    frame is ``worker.py``, types from the ``ascii`` codec, ``<frozen abc>``)."""
    _kept.clear()
    with warnings.catch_warnings():  # an earlier test's garbage (say, a file it left open)
        warnings.simplefilter("ignore", ResourceWarning)  # is collected now, not in the pass
        gc.collect()
    try:
        data = callable_memory_pass(_leaky, {"iterations": 12, "leak_threshold": 1e-6})
    finally:
        _kept.clear()
    found = data["evidence"]
    assert found, "the leak was not suspected"
    leak_site = f"{os.path.relpath(__file__)}:{LEAK_LINE}"
    sites = [s["frames"][0] for s in found["sites"]] + [t["site"] for t in found["types"]]
    assert sites and set(sites) == {leak_site}, json.dumps(found, indent=1)
    assert [t["type"] for t in found["types"]] == ["bytes"]
