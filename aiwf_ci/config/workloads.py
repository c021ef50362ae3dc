"""Validation of each workload kind's keys (``command``, ``python``, ``file-batch``,
``load``, ``ingest``) into typed specs. One function per kind, all collecting problems.

Counts, sizes, concurrency, request budgets, rates and durations have upper limits no real
suite reaches (their values live beside the code they protect, ``filebatch`` and
``loadgen.models``): a typo such as ``count: 1000000000000`` is a one-line error naming the
limit, not a run that plans until it runs out of memory. ``to:`` folders must lie under
``{tmp}``, and load URLs must be ones a client can connect to."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from typing import Any

from aiwf_ci.config.fields import (
    Problems,
    as_bool,
    as_str,
    config_duration,
    duration_at_most,
    int_at_least,
    int_between,
    join,
    number_at_most,
    one_of,
    read,
    size_at_most,
    str_mapping,
    target,
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
from aiwf_ci.config.yamlload import LineList, LineMap, quote
from aiwf_ci.filebatch import (
    MAX_BATCH_SIZE,
    MAX_CONCURRENCY,
    MAX_STREAM_THRESHOLD,
    MAX_WRITE_COUNT,
    MAX_WRITE_SIZE,
)
from aiwf_ci.loadgen.models import (
    MAX_CONNECTIONS,
    MAX_DURATION,
    MAX_RATE,
    MAX_REQUEST_TIMEOUT,
    MAX_REQUESTS,
    MAX_WORKERS,
    check_url,
)
from aiwf_ci.units import DURATION_HINT, SIZE_HINT

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


Parser = Callable[[Problems, LineMap, str], WorkloadSpec | None]


def parse_workload(
    problems: Problems, entry: LineMap, kind: str, prefix: str
) -> WorkloadSpec | None:
    """The workload of a benchmark ``entry`` of kind ``kind``. ``command`` and ``python``
    read the entry's own keys; the other kinds read their section (``load: {...}``), checked
    to be a mapping of known keys here."""
    if kind in ENTRY_KINDS:
        return ENTRY_KINDS[kind](problems, entry, prefix)
    parse, keys = SECTION_KINDS[kind]
    field = join(prefix, kind)
    spec = problems.mapping(entry[kind], entry.line_of(kind), field)
    if spec is None:
        return None
    problems.check_keys(spec, keys, field)
    return parse(problems, spec, field)


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


FILE_BATCH_KEYS = ("operations", "concurrency", "batch-size", "stream-threshold")
FILE_OP_KEYS = ("op", "glob", "to", "count", "size", "overwrite")


def _file_batch(problems: Problems, spec: LineMap, field: str) -> FileBatchSpec | None:
    workers = int_between(1, MAX_CONCURRENCY, "parallel operations")
    batch_size = int_between(1, MAX_BATCH_SIZE, "operations a batch")
    concurrency = read(problems, spec, "concurrency", field, workers, "e.g. 8")
    batch = read(problems, spec, "batch-size", field, batch_size, "e.g. 100")
    stream_threshold = size_at_most(MAX_STREAM_THRESHOLD)
    stream = read(problems, spec, "stream-threshold", field, stream_threshold, SIZE_HINT)
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
    raw = problems.mapping(ops[index], ops.line_of(index), field)
    if raw is None:
        return None
    problems.check_keys(raw, FILE_OP_KEYS, field)
    kind = read(problems, raw, "op", field, one_of("read", "write", "copy"), "read, write or copy")
    glob = read(problems, raw, "glob", field, as_str, "a glob such as 'src/**/*.py'")
    dest = read(problems, raw, "to", field, tmp_destination, TMP_HINT)
    files = int_between(1, MAX_WRITE_COUNT, "files")
    count = read(problems, raw, "count", field, files, "a number of files")
    size = read(problems, raw, "size", field, size_at_most(MAX_WRITE_SIZE), SIZE_HINT)
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


TMP_HINT = (
    "file-batch writes only under {tmp}, a fresh folder per benchmark, removed afterwards: "
    "e.g. to: '{tmp}/copy'"
)


def tmp_destination(value: Any) -> str:
    """A ``to:`` folder under ``{tmp}``: ``{tmp}`` itself or ``{tmp}/sub/folder``.

    Anywhere else a run would write into the user's tree (and leave the files behind, so a
    second iteration finds them and fails with "already exists"); ``{tmp}/../x`` is refused
    after normalising, as it leaves ``{tmp}`` too."""
    text = as_str(value)
    inside = posixpath.normpath(text)
    if inside != "{tmp}" and not inside.startswith("{tmp}/"):
        raise ValueError(f"{quote(text)} is not under {{tmp}}")
    return inside


def tmp_relative(dest: str) -> str:
    """The part of a validated ``to:`` below ``{tmp}`` (``""`` for ``{tmp}`` itself)."""
    return dest.removeprefix("{tmp}").lstrip("/")


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


def _load(problems: Problems, spec: LineMap, field: str) -> LoadSpec | None:
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
    if not _workers_fit(problems, spec, field, values):
        return None
    return LoadSpec(**{k: v for k, v in values.items() if v is not None})


def _workers_fit(problems: Problems, spec: LineMap, field: str, values: dict[str, Any]) -> bool:
    """Every worker but the raw engine's is a thread: at most ``MAX_WORKERS`` of them; the
    raw engine multiplexes up to ``MAX_CONNECTIONS`` connections on one thread."""
    concurrency = values.get("concurrency") or 0
    raw = values.get("client") == "raw" and spec.get("mode") != "burst"
    if concurrency <= (MAX_CONNECTIONS if raw else MAX_WORKERS):
        return True
    problems.add(
        spec.line_of("concurrency"),
        join(field, "concurrency"),
        f"invalid value: {concurrency:,} workers is more than the limit",
        f"at most {MAX_WORKERS:,} workers, one thread each; a sustained run with client: raw "
        f"takes up to {MAX_CONNECTIONS:,} connections",
    )
    return False


def _url(value: Any) -> str:
    text = as_str(value)
    try:
        check_url(text)
    except ValueError as exc:
        raise ValueError(f"the URL {quote(text)} {exc}") from None
    return text


def _load_values(problems: Problems, spec: LineMap, field: str) -> dict[str, Any]:
    longest = duration_at_most(MAX_DURATION)
    readers: dict[str, tuple[Any, str]] = {
        "url": (_url, "e.g. http://127.0.0.1:8000/health"),
        "python": (target, TARGET_HINT),
        "method": (one_of("GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"), "an HTTP method"),
        "headers": (str_mapping, "a mapping Header: value"),
        "body": (as_str, "a request body string"),
        "concurrency": (int_at_least(1), "a number of workers, e.g. 16"),
        "ramp-up": (longest, DURATION_HINT),
        "duration": (duration_at_most(MAX_DURATION, positive=True), DURATION_HINT),
        "requests": (int_between(1, MAX_REQUESTS, "requests"), "a total number of requests"),
        "rate": (number_at_most(MAX_RATE, "requests/s"), "a maximum number of requests/s"),
        "request-timeout": (
            duration_at_most(MAX_REQUEST_TIMEOUT, positive=True),
            f"{DURATION_HINT}, at most {config_duration(MAX_REQUEST_TIMEOUT)}",
        ),
        "mode": (one_of("sustained", "burst"), "sustained or burst"),
        "client": (one_of("requests", "http.client", "raw"), "requests, http.client or raw"),
    }
    return {
        key.replace("-", "_"): read(problems, spec, key, field, parse, hint)
        for key, (parse, hint) in readers.items()
    }


INGEST_KEYS = ("format", "file", "command")


def _ingest(problems: Problems, spec: LineMap, field: str) -> IngestSpec | None:
    fmt = read(problems, spec, "format", field, one_of(*INGEST_FORMATS), ", ".join(INGEST_FORMATS))
    path = read(problems, spec, "file", field, as_str, "the file the harness writes")
    command = read(problems, spec, "command", field, as_str, "a shell command")
    for key in ("format", "file"):
        if key not in spec:
            problems.add(spec.line, join(field, key), f"missing {key!r}", f"add {key}: ...")
    if fmt is None or path is None:
        return None
    return IngestSpec(format=fmt, file=path, command=command)


ENTRY_KINDS: dict[str, Parser] = {"command": _command, "python": _python}
SECTION_KINDS: dict[str, tuple[Parser, tuple[str, ...]]] = {
    "file-batch": (_file_batch, FILE_BATCH_KEYS),
    "load": (_load, LOAD_KEYS),
    "ingest": (_ingest, INGEST_KEYS),
}
