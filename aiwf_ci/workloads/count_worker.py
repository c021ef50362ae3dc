"""The worker counted under Valgrind for ``python:`` callables
(``python -m aiwf_ci.workloads.count_worker JOB.json``).

The job is ``{"sys_path": [...], "target": "mod:func", "setup": "mod:func" | null, "loops": N}``
(an optional ``teardown`` runs after the loops). The worker imports the target, runs setup
once, calls the body ``N`` times and exits 0; on any error it prints ``Type: message`` to
stderr and exits 1. No clock and no result file: the instrument (``bench.instructions``) runs
it with two values of ``N`` and takes the difference, so everything but the calls cancels.

For that to hold, whatever is not a call must cost the same for every ``N``:

* the loop is ``for _ in itertools.repeat(None, n): call()``, the same instructions per
  iteration whatever ``n`` is (no loop counter object to allocate); with the call of an empty
  function that is ~400 instructions (CPython 3.11, ``PYTHONMALLOC=malloc``), part of every
  per-call figure;
* the garbage collector is collected after setup and disabled during the loops, as the timing
  worker does, so a collection triggered by setup's garbage is not billed to the body;
* the worker leaves with ``os._exit`` after flushing stdout/stderr: interpreter shutdown would
  free whatever the loops left behind (cycles pile up while the collector is off), a cost
  that grows with ``N`` and is not the body's.
"""

from __future__ import annotations

import gc
import itertools
import json
import os
import sys
from pathlib import Path
from typing import Any

from aiwf_ci.workloads.python_worker import bind, resolve


def run_job(job: dict[str, Any]) -> None:
    for entry in reversed(job["sys_path"]):
        sys.path.insert(0, entry)
    func = resolve(job["target"])
    setup = resolve(job["setup"]) if job.get("setup") else None
    teardown = resolve(job["teardown"]) if job.get("teardown") else None
    call = bind(func, setup() if setup else None)
    loops = int(job["loops"])
    gc.collect()
    gc.disable()
    for _ in itertools.repeat(None, loops):
        call()
    if teardown:
        teardown()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m aiwf_ci.workloads.count_worker JOB.json", file=sys.stderr)
        return 2
    try:
        run_job(json.loads(Path(argv[1]).read_text(encoding="utf-8")))
    except BaseException as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


def _exit(code: int) -> None:
    """Flush and leave without interpreter shutdown (see the module docstring)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 1
    os._exit(code)


if __name__ == "__main__":
    _exit(main(sys.argv))
