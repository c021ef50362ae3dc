"""A baseline: the results a run is compared with, and where they came from.

Every source of a baseline (a results file given on the command line, a previous run's
artifact on GitHub) is a ``BaselineStore``: ``fetch()`` returns a ``Baseline`` or raises
``BaselineError`` whose message is the ``no-baseline`` reason the report shows. What a
store needs to know to search (a branch, a commit, a workflow) it is given when it is made,
so callers choose a store and then treat them all alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from aiwf_ci.errors import AiwfCIError, BaselineError, ImpossibleValueError
from aiwf_ci.models.core import Results
from aiwf_ci.models.read import load_results


@dataclass(frozen=True, slots=True, kw_only=True)
class Baseline:
    """A usable baseline and where it came from (shown in the report): ``exact`` is false
    when it is not the base commit's own run, and ``note`` then says which run stood in."""

    results: Results
    source: str
    run_id: int | None = None
    run_url: str = ""
    head_sha: str = ""
    created_at: str = ""
    exact: bool = True
    note: str = ""
    folder: Path | None = None
    """Where the baseline's files were unpacked (an artifact: ``calibration.json`` may sit
    beside its ``results.json``), or ``None``."""


class BaselineStore(Protocol):
    """Anything that can produce a baseline or say, in one sentence, why it cannot; a
    baseline holding impossible values (``ImpossibleValueError``) is an error, not "none"."""

    def fetch(self) -> Baseline:
        """Return the baseline or raise ``BaselineError`` with the no-baseline reason."""
        ...


class LocalBaselineStore:
    """``--baseline FILE``: a results.json on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fetch(self) -> Baseline:
        if not self.path.is_file():
            raise BaselineError(f"baseline file {self.path} does not exist")
        try:
            results = load_results(self.path)
        except ImpossibleValueError:
            raise
        except AiwfCIError as exc:
            raise BaselineError(f"baseline file is unusable: {exc}") from None
        return Baseline(
            results=results,
            source=str(self.path),
            head_sha=results.commit.sha,
            created_at=results.created_at,
        )
