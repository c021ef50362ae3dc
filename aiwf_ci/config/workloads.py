"""Validation of each workload kind's keys (``command``, ``python``, ``file-batch``,
``load``, ``ingest``) into typed specs. One function per kind, all collecting problems."""

from __future__ import annotations

from typing import Any

from aiwf_ci.config.fields import (
    Problems,
    as_bool,
    as_str,
    int_at_least,
    join,
    one_of,
    positive_float,
    read,
    str_mapping,
    target,
    type_name,
)
from aiwf_ci.config.models import (
    CommandSpec,
    FileBatchSpec,
    FileOp,
    IngestSpec,
    LoadSpec,
    PythonSpec,
    WorkloadSpec,
)
from aiwf_ci.config.yamlload import LineList, LineMap
from aiwf_ci.units import DURATION_HINT, SIZE_HINT, parse_duration, parse_size

INGEST_FORMATS = ("pytest-benchmark", "hyperfine", "google-benchmark", "go-test")

# Keys a benchmark entry may carry besides the common ones, per workload kind.
EXTRA_KEYS: dict[str, tuple[str, ...]] = {
    "command": ("env", "cwd"),
    "python": ("setup", "teardown"),
    "file-batch": (),
    "load": (),
    "ingest": (),
}
TARGET_HINT = "module:callable, e.g. mypkg.benchmarks:parse_json"


def parse_workload(
    problems: Problems, entry: LineMap, kind: str, prefix: str
) -> WorkloadSpec | None:
    parser = {
        "command": _command,
        "python": _python,
        "file-batch": _file_batch,
        "load": _load,
        "ingest": _ingest,
    }[kind]
    return parser(problems, entry, prefix)


def _command(problems: Problems, entry: LineMap, prefix: str) -> CommandSpec | None:
    command = read(problems, entry, "command", prefix, as_str, "a shell command line")
    env = read(problems, entry, "env", prefix, str_mapping, "a mapping NAME: value")
    cwd = read(problems, entry, "cwd", prefix, as_str, "a folder, relative to the config")
    if command is None:
        return None
    return CommandSpec(command=command, env=env or {}, cwd=cwd)


def _python(problems: Problems, entry: LineMap, prefix: str) -> PythonSpec | None:
    func = read(problems, entry, "python", prefix, target, TARGET_HINT)
    setup = read(problems, entry, "setup", prefix, target, TARGET_HINT)
    teardown = read(problems, entry, "teardown", prefix, target, TARGET_HINT)
    if func is None:
        return None
    return PythonSpec(target=func, setup=setup, teardown=teardown)


def _section(problems: Problems, entry: LineMap, key: str, prefix: str) -> LineMap | None:
    value = entry[key]
    if not isinstance(value, LineMap):
        problems.add(
            entry.line_of(key), join(prefix, key), f"expected a mapping, got {type_name(value)}"
        )
        return None
    return value


FILE_BATCH_KEYS = ("operations", "concurrency", "batch-size", "stream-threshold")
FILE_OP_KEYS = ("op", "glob", "to", "count", "size", "overwrite")


def _file_batch(problems: Problems, entry: LineMap, prefix: str) -> FileBatchSpec | None:
    field = join(prefix, "file-batch")
    spec = _section(problems, entry, "file-batch", prefix)
    if spec is None:
        return None
    problems.check_keys(spec, FILE_BATCH_KEYS, field)
    concurrency = read(problems, spec, "concurrency", field, int_at_least(1), "e.g. 8")
    batch = read(problems, spec, "batch-size", field, int_at_least(1), "e.g. 100")
    stream = read(problems, spec, "stream-threshold", field, parse_size, SIZE_HINT)
    operations = _file_ops(problems, spec, field)
    if operations is None:
        return None
    return FileBatchSpec(
        operations=operations,
        concurrency=concurrency or 8,
        batch_size=batch or 100,
        stream_threshold=stream if stream is not None else 10 * 1000**2,
    )


def _file_ops(problems: Problems, spec: LineMap, field: str) -> tuple[FileOp, ...] | None:
    ops = spec.get("operations")
    if not isinstance(ops, LineList) or not ops:
        problems.add(
            spec.line_of("operations"),
            join(field, "operations"),
            "expected a non-empty list of operations",
            "e.g. - {op: read, glob: 'data/**/*.csv'}",
        )
        return None
    parsed = [
        _file_op(problems, ops, i, join(join(field, "operations"), i)) for i in range(len(ops))
    ]
    if any(op is None for op in parsed):
        return None
    return tuple(op for op in parsed if op is not None)


def _file_op(problems: Problems, ops: LineList, index: int, field: str) -> FileOp | None:
    raw = ops[index]
    if not isinstance(raw, LineMap):
        problems.add(ops.line_of(index), field, f"expected a mapping, got {type_name(raw)}")
        return None
    problems.check_keys(raw, FILE_OP_KEYS, field)
    kind = read(problems, raw, "op", field, one_of("read", "write", "copy"), "read, write or copy")
    glob = read(problems, raw, "glob", field, as_str, "a glob such as 'src/**/*.py'")
    dest = read(problems, raw, "to", field, as_str, "a folder such as '{tmp}/copy'")
    count = read(problems, raw, "count", field, int_at_least(1), "a number of files")
    size = read(problems, raw, "size", field, parse_size, SIZE_HINT)
    overwrite = read(problems, raw, "overwrite", field, as_bool, "true or false")
    needs = {"read": ("glob",), "copy": ("glob", "to"), "write": ("count", "size", "to")}
    if kind is None:
        if "op" not in raw:
            problems.add(raw.line, join(field, "op"), "missing 'op'", "read, write or copy")
        return None
    missing = [k for k in needs[kind] if k not in raw]
    for key in missing:
        problems.add(raw.line, join(field, key), f"op {kind} needs {key!r}", f"add {key}: ...")
    if missing:
        return None
    return FileOp(
        op=kind,  # type: ignore[arg-type]
        glob=glob,
        to=dest,
        count=count or 0,
        size=size or 0,
        overwrite=bool(overwrite),
    )


LOAD_KEYS = (
    "url",
    "python",
    "method",
    "headers",
    "body",
    "concurrency",
    "ramp-up",
    "duration",
    "requests",
    "rate",
    "request-timeout",
    "mode",
    "client",
)


def _load(problems: Problems, entry: LineMap, prefix: str) -> LoadSpec | None:
    field = join(prefix, "load")
    spec = _section(problems, entry, "load", prefix)
    if spec is None:
        return None
    problems.check_keys(spec, LOAD_KEYS, field)
    values = _load_values(problems, spec, field)
    targets = [k for k in ("url", "python") if k in spec]
    if len(targets) != 1:
        problems.add(
            spec.line,
            field,
            "needs exactly one target: url or python",
            "url: http://127.0.0.1:8000/health",
        )
        return None
    burst = spec.get("mode") == "burst"
    if not burst and "duration" not in spec and "requests" not in spec:
        problems.add(
            spec.line, field, "needs duration or requests (it must stop by itself)", "duration: 10s"
        )
        return None
    if any(v is None for k, v in values.items() if k.replace("_", "-") in spec):
        return None
    if values.get("client") == "raw" and str(values.get("url", "")).startswith("https://"):
        problems.add(
            spec.line_of("client"),
            join(field, "client"),
            "the raw client speaks plain HTTP only",
            "use client: requests for https:// URLs",
        )
        return None
    return LoadSpec(**{k: v for k, v in values.items() if v is not None})


def _load_values(problems: Problems, spec: LineMap, field: str) -> dict[str, Any]:
    def url(value: Any) -> str:
        text = as_str(value)
        if not text.startswith(("http://", "https://")):
            raise ValueError(f"expected an http:// or https:// URL, got {text!r}")
        return text

    readers: dict[str, tuple[Any, str]] = {
        "url": (url, "http://127.0.0.1:8000/health"),
        "python": (target, TARGET_HINT),
        "method": (one_of("GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"), "an HTTP method"),
        "headers": (str_mapping, "a mapping Header: value"),
        "body": (as_str, "a request body string"),
        "concurrency": (int_at_least(1), "a number of workers, e.g. 16"),
        "ramp-up": (parse_duration, DURATION_HINT),
        "duration": (parse_duration, DURATION_HINT),
        "requests": (int_at_least(1), "a total number of requests"),
        "rate": (positive_float, "a maximum number of requests per second"),
        "request-timeout": (parse_duration, DURATION_HINT),
        "mode": (one_of("sustained", "burst"), "sustained or burst"),
        "client": (one_of("requests", "http.client", "raw"), "requests, http.client or raw"),
    }
    return {
        key.replace("-", "_"): read(problems, spec, key, field, parse, hint)
        for key, (parse, hint) in readers.items()
    }


def _ingest(problems: Problems, entry: LineMap, prefix: str) -> IngestSpec | None:
    field = join(prefix, "ingest")
    spec = _section(problems, entry, "ingest", prefix)
    if spec is None:
        return None
    problems.check_keys(spec, ("format", "file", "command"), field)
    fmt = read(problems, spec, "format", field, one_of(*INGEST_FORMATS), ", ".join(INGEST_FORMATS))
    path = read(problems, spec, "file", field, as_str, "the file the harness writes")
    command = read(problems, spec, "command", field, as_str, "a shell command")
    for key in ("format", "file"):
        if key not in spec:
            problems.add(spec.line, join(field, key), f"missing {key!r}", f"add {key}: ...")
    if fmt is None or path is None:
        return None
    return IngestSpec(format=fmt, file=path, command=command)
