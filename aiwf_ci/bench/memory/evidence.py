"""What grows: evidence for a suspected leak, gathered inside the worker process.

- **Sites**: a tracemalloc snapshot at the start of the leak window, diffed against one at its
  end, gives the allocation sites (``file.py:12``) whose live size grew. A site is the
  innermost frame in the user's code (outside the standard library, site-packages and
  aiwf-ci itself), falling back to the innermost frame, so a leak through ``json.loads`` is
  blamed on the line that keeps the result.
- **Types**: live objects allocated since tracing started (they have a tracemalloc
  traceback) counted and sized by type. This is the growth of the live-object counts since
  the pass began, measured at the end only: steady callables, which never reach this step,
  pay nothing for it (a full census before the window would cost ~1 s per million objects).
  The objects scanned are ``gc.get_objects()`` (containers) plus the untracked objects they
  refer to (``bytes``, ``str``, ``bytearray``...).
- **The user's classes** (defined outside the standard library, the builtins and aiwf-ci)
  come first, ranked by how many instances were added, whatever their own size: a
  ``LeakedThing`` holding a 1 MiB ``bytearray`` weighs a few dozen bytes itself, yet it is
  the answer to "what leaks", while the ``bytearray`` it holds is only the biggest
  symptom. Their growth is a census: instances per class counted before tracing starts
  (``prepare``; ``Counter(map(type, gc.get_objects()))`` runs in C, some 30 ms per million
  objects, and nothing it allocates is traced) and again at the end. A census, because
  Python 3.11's ``tracemalloc`` cannot find the traceback of an instance with a managed
  ``__dict__`` (an ordinary class), so the traced scan above never sees them. Their site is
  the allocation of what they hold when their own is unknown.

The profiler's own allocations (every module of this package, the worker's readings among
them; tracemalloc; importlib) are filtered out of both, so the evidence never names the
profiler. The package's files are listed from its folder, so a module renamed or added is
filtered too.
"""

from __future__ import annotations

import fnmatch
import functools
import gc
import os
import sys
import sysconfig
import tracemalloc
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import aiwf_ci

TOP = 5
NOISE_SHARE = 0.01
USER_MIN_COUNT = 2  # a single instance is a cache or a singleton, not growth
SITE_SAMPLE = 200  # instances of a grown class whose allocation sites are looked up
FRAMES_SHOWN = 5
_K = TypeVar("_K")
_AIWF_DIR = str(Path(aiwf_ci.__file__).resolve().parent)
_PROFILER_DIR = os.path.dirname(__file__)
_OWN_FILES = frozenset(
    {
        # spelt as the import system spells them (``__file__``, ``co_filename``): not resolved
        *(os.path.join(_PROFILER_DIR, f) for f in os.listdir(_PROFILER_DIR) if f.endswith(".py")),
        tracemalloc.__file__,
        "<frozen importlib._bootstrap>",
        "<frozen importlib._bootstrap_external>",
        "<unknown>",
    }
)
_FILTERS = [tracemalloc.Filter(False, name) for name in sorted(_OWN_FILES)]


_census: Counter[type] = Counter()
"""Live instances per class when tracing started (``prepare``): the worker process measures
one callable at a time, so one census at a time."""


def prepare() -> None:
    """Before tracing starts: fill the caches filtering a snapshot fills (the filters' regular
    expressions, ``abc``'s subclass cache), so they are not mistaken for growth, and count
    the instances of every class."""
    for name in _OWN_FILES:
        fnmatch.fnmatch("", name)
    tracemalloc.Snapshot((), 1).filter_traces(_FILTERS)
    _census.clear()
    _census.update(map(type, gc.get_objects()))


def start_evidence() -> tracemalloc.Snapshot:
    """The snapshot the end of the window is compared with."""
    return _snapshot()


def end_evidence(start: tracemalloc.Snapshot) -> dict[str, object]:
    """Growing sites and types since ``start``, JSON-ready. The end snapshot comes first, so
    the work of naming types (path caches, counters) is not part of it."""
    sites = grown_sites(_snapshot().compare_to(start, "traceback"))
    return {"sites": sites, "types": new_object_types()}


def _snapshot() -> tracemalloc.Snapshot:
    return tracemalloc.take_snapshot().filter_traces(_FILTERS)


def grown_sites(diffs: Iterable[tracemalloc.StatisticDiff]) -> list[dict[str, object]]:
    """Size and count growth per blamed site, largest growth first."""
    merged: dict[str, _Growth] = {}
    for diff in diffs:
        frames = innermost_first(diff.traceback)
        if frames:
            site = merged.setdefault(where(blamed(frames)), _Growth(frames=shown(frames)))
            site.add(diff.size_diff, diff.count_diff)
    return [{"site": name, **growth.as_dict()} for name, growth in _top(merged)]


def new_object_types() -> list[dict[str, object]]:
    """Live objects allocated while tracing, by type: the user's classes first (most
    instances first), then the others, largest total size first; each with the site that
    allocated most of them and whether the user defined the type."""
    objects = gc.get_objects()
    by_type: dict[type, _Growth] = {}
    for obj, frames in _traced_objects(objects):
        if is_user_type(type(obj)):
            continue  # counted by the census instead
        growth = by_type.setdefault(type(obj), _Growth())
        growth.add(sys.getsizeof(obj, 0), 1)
        growth.sites[where(blamed(frames))] += 1
    users = _top_users(user_growth(objects))
    return [
        *(_type_entry(kind, g, True) for kind, g in users),
        *(_type_entry(kind, g, False) for kind, g in _top(by_type)),
    ]


def user_growth(objects: list[object]) -> dict[type, _Growth]:
    """Instances of the user's classes added since ``prepare``'s census, with their size and
    allocation sites (their own, or that of what they hold)."""
    now = Counter(kind for kind in map(type, objects) if is_user_type(kind))
    grown = {kind: now[kind] - _census[kind] for kind in now if now[kind] > _census[kind]}
    instances: dict[type, list[object]] = {kind: [] for kind in grown}
    for obj in objects:
        found = instances.get(type(obj))
        if found is not None and len(found) < SITE_SAMPLE:
            found.append(obj)
    return {kind: _user_entry(grown[kind], instances[kind]) for kind in grown}


def _user_entry(count: int, sample: list[object]) -> _Growth:
    growth = _Growth()
    size = sum(sys.getsizeof(obj, 0) for obj in sample) / max(1, len(sample))
    growth.add(int(size * count), count)
    for obj in sample:
        frames = _frames_of(obj)
        if frames:
            growth.sites[where(blamed(frames))] += 1
    return growth


def _frames_of(obj: object) -> list[tracemalloc.Frame]:
    """Where ``obj`` was allocated, else where the first traced object it holds was."""
    for candidate in (obj, *gc.get_referents(obj)):
        if isinstance(candidate, type):
            continue
        traceback = tracemalloc.get_object_traceback(candidate)
        if traceback is not None:
            return innermost_first(traceback)
    return []


def _type_entry(kind: type, growth: _Growth, user: bool) -> dict[str, object]:
    site = growth.sites.most_common(1)
    return {
        "type": type_name(kind),
        "count_diff": growth.count,
        "size_diff": growth.size,
        "site": site[0][0] if site else "?",
        "user_defined": user,
    }


def _top_users(growth: dict[type, _Growth]) -> list[tuple[type, _Growth]]:
    """The user's classes with the most new instances (at least ``USER_MIN_COUNT``)."""
    ranked = sorted(growth.items(), key=lambda item: (-item[1].count, -item[1].size))
    return [(kind, g) for kind, g in ranked[:TOP] if g.count >= USER_MIN_COUNT]


_user_types: dict[type, bool] = {}


def is_user_type(kind: type) -> bool:
    """Defined outside the standard library, the builtins and aiwf-ci: the user's code (or
    a third-party package it uses). Cached: it runs once per object of a scan."""
    known = _user_types.get(kind)
    if known is None:
        known = _user_types[kind] = _defined_by_user(kind)
    return known


def _defined_by_user(kind: type) -> bool:
    module = str(getattr(kind, "__module__", "") or "builtins")
    top = module.split(".", 1)[0]
    return top not in sys.stdlib_module_names and top not in ("builtins", "aiwf_ci")


def _top(growth: dict[_K, _Growth]) -> list[tuple[_K, _Growth]]:
    """The ``TOP`` largest positive growths, dropping those below ``NOISE_SHARE`` of the
    largest (the interpreter's own caches, not the leak)."""
    ranked = sorted(growth.items(), key=lambda item: -item[1].size)
    if not ranked or ranked[0][1].size <= 0:
        return []
    floor = max(1, int(ranked[0][1].size * NOISE_SHARE))
    return [(key, g) for key, g in ranked[:TOP] if g.size >= floor]


def _traced_objects(objects: list[object]) -> Iterator[tuple[object, list[tracemalloc.Frame]]]:
    atoms = (ref for ref in gc.get_referents(*objects) if not gc.is_tracked(ref))
    seen: set[int] = set()
    for obj in (*objects, *atoms):
        traceback = tracemalloc.get_object_traceback(obj)
        if traceback is None or id(obj) in seen:
            continue
        seen.add(id(obj))
        frames = innermost_first(traceback)
        if frames and frames[0].filename not in _OWN_FILES:
            yield obj, frames


@dataclass(slots=True)
class _Growth:
    size: int = 0
    count: int = 0
    frames: list[str] = field(default_factory=list)
    sites: Counter[str] = field(default_factory=Counter)

    def add(self, size: int, count: int) -> None:
        self.size += size
        self.count += count

    def as_dict(self) -> dict[str, object]:
        return {"size_diff": self.size, "count_diff": self.count, "frames": self.frames}


def type_name(kind: type) -> str:
    """``bytearray`` for builtins, ``module.Qualified`` otherwise."""
    module = getattr(kind, "__module__", "builtins")
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def innermost_first(traceback: tracemalloc.Traceback) -> list[tracemalloc.Frame]:
    """tracemalloc sorts frames oldest first; evidence reads them from the allocation out."""
    return list(reversed(traceback))


def _library_dirs() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    dirs = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    return (*sorted(str(Path(d).resolve()) for d in dirs), _AIWF_DIR)


_LIBRARY_DIRS = _library_dirs()


@functools.lru_cache(maxsize=4096)
def _is_user_file(name: str) -> bool:
    if name.startswith("<"):
        return False
    resolved = os.path.realpath(name)
    return not any(resolved.startswith(d + os.sep) for d in _LIBRARY_DIRS)


def blamed(frames: list[tracemalloc.Frame]) -> tracemalloc.Frame:
    """The innermost user frame, else the innermost frame."""
    return next((f for f in frames if _is_user_file(f.filename)), frames[0])


def where(frame: tracemalloc.Frame) -> str:
    return f"{display_path(frame.filename)}:{frame.lineno}"


def shown(frames: list[tracemalloc.Frame]) -> list[str]:
    return [where(f) for f in frames[:FRAMES_SHOWN]]


def display_path(filename: str) -> str:
    """A path relative to the working directory when inside it, else as given."""
    if filename.startswith("<"):
        return filename
    try:
        relative = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if relative.startswith("..") else relative
