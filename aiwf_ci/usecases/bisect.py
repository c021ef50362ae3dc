"""The bisect use case: the first commit between a good and a bad one where a benchmark
regressed, each step a same-runner paired comparison.

Why: a regression on the base branch ("`etl` +41% between a1b2c3d and e4f5a6b") spans
several commits when the runs were sparse; the next question is which one. ``git bisect``
needs a yes/no per commit, and a benchmark's yes/no is a statistical verdict. Here each step
is the A/B use case (``usecases.ab``) with the known-good commit as base and the commit under
test as head, decided by the same stopping rule as a pull request; ``history.bisection``
chooses the commits.

- The range is the **first-parent chain** from good to bad (``git log --first-parent
  --ancestry-path``), as a main branch's merges are; good must be an ancestor of bad.
- Every commit's tree is ``git archive``'d into a temporary folder (``github.trees``, checked
  as carefully as a downloaded tree) and set up in its own environment unless ``setup`` is
  off; the user's checkout is never changed.
- The first step measures bad against good: a bad commit that is not shown to regress ends
  the search ("no regression between them").
- A step that says ``regression`` marks its commit bad, one that is shown ``unchanged`` (or
  better) marks it good; an undecided step is measured once more (a busy stretch of the
  machine); a commit that cannot be set up, whose config cannot be read, or whose
  measurement stayed undecided twice is skipped, as ``git bisect skip`` does, and named.
- The time budget is for the whole search, shared evenly among the steps it may take.

Nothing here prints or exits: steps go to ``on_step`` as they are done.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from aiwf_ci.config import SuiteConfig
from aiwf_ci.console.progress import ProgressPrinter
from aiwf_ci.errors import (
    EXIT_BENCHMARK_FAILED,
    AiwfCIError,
    BaselineError,
    BaseTreeError,
    BenchmarkError,
    ConfigError,
)
from aiwf_ci.github.checkout import checkout_top, git_command, git_failure
from aiwf_ci.github.treecache import CacheLimits
from aiwf_ci.github.trees import base_tree
from aiwf_ci.history.bisection import Answer, Bisection
from aiwf_ci.models import Commit
from aiwf_ci.usecases.ab import ABRequest, ABSide, measure_ab
from aiwf_ci.usecases.common import load_suite, threshold_rules
from aiwf_ci.verdict.compare import compare
from aiwf_ci.verdict.model import Comparison
from aiwf_ci.verdict.thresholds import Threshold
from aiwf_ci.verdict.timer import Timer

KEEP_ALL = CacheLimits(max_trees=10**6, max_bytes=2**62)
"""The search's trees live in its own temporary folder, removed at its end: none is evicted
before (the tree cache's limits are for a cache kept between runs)."""

MIN_STEP_BUDGET = 10.0
"""Seconds a step gets at least (the shortest time budget of paired rounds)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Revision:
    """A commit as the steps show it."""

    sha: str
    subject: str

    @property
    def short(self) -> str:
        return self.sha[:7]


@dataclass(frozen=True, slots=True, kw_only=True)
class BisectRequest:
    """What to search: ``repo`` is a git checkout, ``config`` the suite config's path inside
    it (the same in every commit); ``only`` chooses the benchmark(s), as ``ab --only`` does;
    ``time_budget`` is for the whole search (``None``: each step the config's own)."""

    repo: Path
    config: Path
    good: str
    bad: str
    only: str | None = None
    time_budget: float | None = None
    setup: bool = True
    thresholds: Mapping[str, Threshold] | None = None
    profile: str | None = None
    timer: Timer | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BisectStep:
    """One measured commit: its verdict against the good one, the largest gated change
    (signed so that positive is worse), what the search made of it, and why when skipped."""

    number: int
    revision: Revision
    verdict: str
    change: float | None
    answer: Answer
    note: str = ""


State = Literal["found", "no-regression", "ambiguous"]


@dataclass(frozen=True, slots=True, kw_only=True)
class BisectOutcome:
    """The search's end: ``found`` (``candidates`` is the first bad commit), ``ambiguous``
    (skipped commits before it: any of ``candidates``), or ``no-regression``."""

    good: Revision
    bad: Revision
    commits: int
    steps: tuple[BisectStep, ...]
    state: State
    candidates: tuple[Revision, ...] = field(default_factory=tuple)


StepListener = Callable[[BisectStep], None]


def bisect(
    request: BisectRequest,
    env: Mapping[str, str],
    printer: ProgressPrinter,
    on_step: StepListener,
) -> BisectOutcome:
    """Search the range (see the module docstring)."""
    top = _checkout(request.repo)
    good, revisions = commit_range(top, request.good, request.bad)
    scratch = Path(tempfile.mkdtemp(prefix="aiwf-bisect-"))
    try:
        search = _Search(request, env, printer, top, scratch, good, revisions, on_step)
        return search.run()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def step_budget(total: float | None, commits: int) -> float | None:
    """Each step's share of the whole search's budget: the first step plus at most
    ``ceil(log2(commits))`` halvings, never below ``MIN_STEP_BUDGET``."""
    if total is None:
        return None
    steps = 1 + math.ceil(math.log2(commits)) if commits > 1 else 1
    return max(MIN_STEP_BUDGET, total / steps)


def answer_of(comparison: Comparison) -> tuple[Answer, str]:
    """What a step's verdict means for the search, and why when it is a skip."""
    status = comparison.status
    if status == "regression":
        return "bad", ""
    if status == "pass":
        return "good", ""
    if status == "error":
        return "skip", "a benchmark failed to run"
    return "skip", "undecided twice within the step's budget"


def worst_change(comparison: Comparison) -> float | None:
    """The largest gated change of the step (positive is worse), for its line."""
    changes = [
        m.worsening
        for b in comparison.benchmarks
        for m in b.metrics
        if m.threshold is not None and m.worsening is not None
    ]
    return max(changes, default=None)


def commit_range(top: Path, good: str, bad: str) -> tuple[Revision, tuple[Revision, ...]]:
    """The good commit and the first-parent chain after it up to bad, oldest first; a
    ``ConfigError`` (exit 2) for refs git does not know, or a good that is not an ancestor
    of bad."""
    good_rev = _revision(top, good, "--good")
    bad_rev = _revision(top, bad, "--bad")
    if good_rev.sha == bad_rev.sha:
        raise ConfigError(
            f"--good and --bad are the same commit ({good_rev.short})",
            field="--good",
            fix="pass a good commit before the bad one",
        )
    ancestor = _git(top, "merge-base", "--is-ancestor", good_rev.sha, bad_rev.sha, check=False)
    if ancestor.returncode != 0:
        raise ConfigError(
            f"{good} ({good_rev.short}) is not an ancestor of {bad} ({bad_rev.short})",
            field="--good",
            fix="pass a good commit that the bad one descends from",
        )
    listing = _git(
        top,
        "log",
        "--reverse",
        "--first-parent",
        "--ancestry-path",
        "--format=%H%x1f%s",
        f"{good_rev.sha}..{bad_rev.sha}",
    )
    revisions = tuple(_parse(line) for line in listing.stdout.splitlines() if line.strip())
    if not revisions or revisions[-1].sha != bad_rev.sha:
        raise ConfigError(
            f"{bad} ({bad_rev.short}) is not on the first-parent chain from {good}",
            field="--bad",
            fix="pass commits of one branch, the good one first",
        )
    return good_rev, revisions


def _parse(line: str) -> Revision:
    sha, _, subject = line.partition("\x1f")
    return Revision(sha=sha.strip(), subject=subject.strip())


def _revision(top: Path, ref: str, flag: str) -> Revision:
    if not ref or ref.startswith("-"):
        raise ConfigError(f"{flag} {ref!r} is not a commit", field=flag, fix="pass a commit or ref")
    done = _git(top, "log", "-1", "--format=%H%x1f%s", f"{ref}^{{commit}}", "--", check=False)
    if done.returncode != 0 or not done.stdout.strip():
        raise ConfigError(
            f"{flag} {ref!r} is not a commit of {top} ({git_failure(done.stderr)})",
            field=flag,
            fix="pass a commit SHA, branch or tag of this checkout",
        )
    return _parse(done.stdout.strip())


def _checkout(repo: Path) -> Path:
    top = checkout_top(repo)
    if top is None:
        raise ConfigError(
            f"{repo} is not a git checkout",
            field="bisect",
            fix="run aiwf-ci bisect inside the project's git checkout",
        )
    return top


def _git(top: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    command = git_command(top, *args)
    if command is None:
        raise ConfigError("git is not installed", field="bisect", fix="install git")
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    if check and done.returncode != 0:
        raise ConfigError(
            f"git {args[0]} failed: {git_failure(done.stderr)}",
            field="bisect",
            fix="check the refs and the checkout",
        )
    return done


class _Search:
    """One search's trees and steps (a class only to keep the shared state in one place)."""

    def __init__(
        self,
        request: BisectRequest,
        env: Mapping[str, str],
        printer: ProgressPrinter,
        top: Path,
        scratch: Path,
        good: Revision,
        revisions: tuple[Revision, ...],
        on_step: StepListener,
    ) -> None:
        self.request, self.env, self.printer, self.top = request, env, printer, top
        self.scratch, self.good, self.revisions, self.on_step = scratch, good, revisions, on_step
        self.budget = step_budget(request.time_budget, len(revisions))
        self.steps: list[BisectStep] = []
        self.good_side = self._side(good, role="good")

    def run(self) -> BisectOutcome:
        first = self._step(self.revisions[-1])
        if first.verdict == "skipped":
            raise UnusableCommitError("bad", first.revision, first.note)
        if first.answer != "bad":
            return self._outcome("no-regression", ())
        search = Bisection.over(tuple(r.sha for r in self.revisions))
        while (index := search.next()) is not None:
            search = search.judged(index, self._step(self.revisions[index]).answer)
        by_sha = {r.sha: r for r in self.revisions}
        candidates = tuple(by_sha[sha] for sha in search.candidates)
        return self._outcome("found" if search.culprit else "ambiguous", candidates)

    def _outcome(self, state: State, candidates: tuple[Revision, ...]) -> BisectOutcome:
        return BisectOutcome(
            good=self.good,
            bad=self.revisions[-1],
            commits=len(self.revisions),
            steps=tuple(self.steps),
            state=state,
            candidates=candidates,
        )

    def _step(self, revision: Revision) -> BisectStep:
        number = len(self.steps) + 1
        self.printer.note(
            f"aiwf-ci: bisect step {number}: {revision.short} against {self.good.short}"
        )
        try:
            comparison = self._measure(revision)
            if comparison.status == "inconclusive":  # a busy stretch: one more try
                self.printer.note(f"aiwf-ci: {revision.short} undecided: measured once more")
                comparison = self._measure(revision)
        except (ConfigError, BenchmarkError, BaselineError) as exc:
            step = BisectStep(
                number=number,
                revision=revision,
                verdict="skipped",
                change=None,
                answer="skip",
                note=f"cannot be set up: {str(exc).splitlines()[0] if str(exc) else exc}",
            )
        else:
            answer, note = answer_of(comparison)
            step = BisectStep(
                number=number,
                revision=revision,
                verdict=comparison.status,
                change=worst_change(comparison),
                answer=answer,
                note=note,
            )
        self.steps.append(step)
        self.on_step(step)
        return step

    def _measure(self, revision: Revision) -> Comparison:
        head = self._side(revision, role="head")
        rules = threshold_rules(head.config, self.request.thresholds)
        try:
            outcome = measure_ab(
                ABRequest(
                    base=self.good_side,
                    head=head,
                    rules=rules,
                    only=self.request.only,
                    setup=self.request.setup,
                    time_budget=self.budget,
                ),
                self.env,
                self.printer,
            )
        except BaseTreeError as exc:
            raise UnusableCommitError("good", self.good, str(exc)) from exc
        return compare(outcome.base, outcome.head, rules)

    def _side(self, revision: Revision, *, role: str) -> ABSide:
        try:
            root, _ = base_tree(
                sha=revision.sha,
                cache_dir=self.scratch,
                workspace=self.top,
                client=None,
                cache=KEEP_ALL,  # the good tree is in use at every step: never evicted
            )
        except BaselineError as exc:
            if role == "good":
                raise UnusableCommitError("good", revision, str(exc)) from exc
            raise
        config = self._config(root, revision)
        return ABSide(config=config, root=root, commit=Commit(sha=revision.sha))

    def _config(self, root: Path, revision: Revision) -> SuiteConfig:
        relative = self.request.config
        path = root / relative
        if not path.is_file():
            raise ConfigError(
                f"no config {relative} in commit {revision.short}",
                field="config",
                fix="bisect a range where every commit has the suite config at that path",
            )
        return load_suite(path, self.env, self.request.profile, timer=self.request.timer)


class UnusableCommitError(AiwfCIError):
    """The good or the bad commit cannot be set up or read: the search cannot start (exit 3,
    as a tree that cannot be set up is elsewhere)."""

    exit_code = EXIT_BENCHMARK_FAILED

    def __init__(self, role: str, revision: Revision, why: str) -> None:
        super().__init__(f"the {role} commit {revision.short} cannot be used: {why}")
