"""Writing results: the ``results.json`` form of a run, written atomically with ordinary
permissions (the next workflow step runs as another user) and secrets redacted."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from pathlib import Path

from aiwf_ci.models.core import (
    SCHEMA,
    Alert,
    BenchmarkResult,
    JSONValue,
    Metric,
    Results,
)
from aiwf_ci.redaction import redact


def results_to_dict(results: Results) -> dict[str, JSONValue]:
    data: dict[str, JSONValue] = {
        "schema": SCHEMA,
        "suite": results.suite,
        "created_at": results.created_at,
        "commit": {"sha": results.commit.sha, "ref": results.commit.ref},
        "environment": dict(results.environment),
    }
    if results.thresholds:
        data["thresholds"] = dict(results.thresholds)
    data["benchmarks"] = [_benchmark_to_dict(b) for b in results.benchmarks]
    return data


def _benchmark_to_dict(bench: BenchmarkResult) -> dict[str, JSONValue]:
    return {
        "name": bench.name,
        "kind": bench.kind,
        "metrics": {name: _metric_to_dict(m) for name, m in bench.metrics.items()},
        "errors": {"count": len(bench.errors), "messages": list(bench.errors)},
        "alerts": [_alert_to_dict(a) for a in bench.alerts],
        "series": {
            name: {"unit": s.unit, "t": list(s.t), "values": list(s.values)}
            for name, s in bench.series.items()
        },
        "extra": dict(bench.extra),
    }


def _metric_to_dict(metric: Metric) -> dict[str, JSONValue]:
    data: dict[str, JSONValue] = {
        "unit": metric.unit,
        "direction": metric.direction,
        "samples": list(metric.samples),
        "stats": metric.stats.as_dict(),
    }
    if metric.summary_only:
        data["summary_only"] = True
    if metric.rounds:
        data["rounds"] = list(metric.rounds)
    if metric.deterministic:
        data["deterministic"] = True
    return data


def _alert_to_dict(alert: Alert) -> dict[str, JSONValue]:
    return {
        "kind": alert.kind,
        "metric": alert.metric,
        "message": alert.message,
        "limit": alert.limit,
        "value": alert.value,
        "details": dict(alert.details),
    }


def dumps(results: Results) -> str:
    return json.dumps(results_to_dict(results), indent=2, allow_nan=False) + "\n"


def write_results(results: Results, path: Path) -> Path:
    """Write atomically (temp file + rename) so a crash never leaves half a file."""
    return write_text_atomic(path, dumps(results))


def current_umask() -> int:
    """The process's umask, read without changing it where Linux allows (``/proc``)."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder, then rename:
    readers see the old file or the new one, never half of one.

    The file gets the ordinary mode a plain ``open`` would give (0666 minus the umask, so
    0644 usually), not ``mkstemp``'s 0600: the action runs as root in its container and the
    next workflow step (``actions/upload-artifact``) runs as another user on the host.
    """
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(redact(text))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path
