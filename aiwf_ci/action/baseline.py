"""The action's choice of baseline: one place decides what head is compared with, and says
why, as one value (``Measured``).

In order of preference:

1. **same runner** (``plan.same_runner``: a pull request under ``baseline: auto`` or
   ``same-runner``): the base commit's tree (local git, else the repository tarball, cached
   by SHA: ``github.trees``), its suite config read from the same relative path as head's,
   both trees measured in paired rounds on this runner (``usecases.ab``). A baseline from
   another job on another runner carries that runner's noise; no test on the samples can
   remove it. Anything that stops the *base* side (no tree, no config, a config or set-up
   that fails there) falls back to the next choice, the reason shown as a notice and kept
   where people read: in the note when another baseline was used ("…; compared with the
   artifact"), else first in the chain of reasons the report gives for having none. A
   problem of the *head* side is the run's own error.
2. **pooled history** (a pull request with ``pooled-baseline: K``): the last K push runs
   after the latest change point, pooled.
3. **artifact**: a previous push run's results artifact on the base branch
   (``github.baseline``); when the base commit has no run of its own, the note names the
   run that stood in.

Both separate-run baselines carry the base branch's push runs (``Measured.history``: the
pooled ones, or the last few within ``history-runs``), from which the unpaired gate learns
each metric's run-to-run spread (``verdict.spread``).
4. **none**: head alone, with every reason in turn (``same-runner comparison not possible:
   X; artifact baseline not available: Y``; status ``no-baseline``, never a failure).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aiwf_ci.action.history_side import pooled_artifact_baseline, spread_runs
from aiwf_ci.action.job import Job
from aiwf_ci.config import SuiteConfig
from aiwf_ci.console.progress import ProgressPrinter
from aiwf_ci.errors import AiwfCIError, BaselineError, BaseTreeError
from aiwf_ci.github.baseline import ArtifactBaselineStore, BaselineQuery, workflow_file_from_ref
from aiwf_ci.github.trees import base_tree, tree_file
from aiwf_ci.history.trend import Trend
from aiwf_ci.models import Commit, Results, short_sha
from aiwf_ci.models.baseline import Baseline
from aiwf_ci.run.environment import detect_commit
from aiwf_ci.usecases import load_suite
from aiwf_ci.usecases.ab import ABOutcome, ABRequest, ABSide, measure_ab
from aiwf_ci.usecases.explain import ExplainOptions
from aiwf_ci.usecases.workspace import run_workspace
from aiwf_ci.verdict.compare import unrelated
from aiwf_ci.verdict.thresholds import ThresholdRules


@dataclass(frozen=True, slots=True, kw_only=True)
class Measured:
    """Head's results and what they are compared with: ``design`` is ``same-runner`` or
    ``artifact`` (``""`` when nothing was compared); ``baseline`` is ``None`` when there is
    none (``reason`` says why, every choice tried in turn); ``note`` is what the report adds
    to a comparison (why same-runner fell back, which run stood in)."""

    head: Results
    design: str
    baseline: Baseline | None = None
    reason: str = ""
    note: str = ""
    trend: Trend | None = None
    history: tuple[Results, ...] = ()
    """The base branch's push runs, oldest first, whose run-to-run spread the unpaired gate
    learns (``verdict.spread``); empty for same-runner or when history is off."""


def measure(job: Job, suite: SuiteConfig, rules: ThresholdRules) -> Measured:
    """Head measured, and the baseline chosen as the module docstring says."""
    fallback = ""
    if job.plan.same_runner:
        try:
            return _same_runner(job, suite, rules)
        except BaselineError as exc:
            fallback = f"{NO_SAME_RUNNER}: {exc}"
            job.console.annotate(
                "notice", f"{fallback}; trying the artifact baseline", title="aiwf-ci"
            )
    return _head_alone(job, suite, fallback)


NO_SAME_RUNNER = "same-runner comparison not possible"
NO_ARTIFACT = "artifact baseline not available"


def _head_alone(job: Job, suite: SuiteConfig, fallback: str) -> Measured:
    """Head run in the workspace, compared with pooled history or an artifact (or nothing,
    with the reasons); ``fallback`` is why same-runner was not used, if it was asked for."""
    config = job.config
    printer = ProgressPrinter(job.console.stream, github_actions=True)
    root = config.workspace.resolve()
    head = run_workspace(
        suite, root, job.env, printer, shard=config.shard, cache_dir=config.cache_dir
    )
    with job.api_phase("history"):
        pooled = pooled_artifact_baseline(job, head.suite) if job.plan.pr_number else None
    if pooled is not None:
        runs = f"the last {config.pooled_baseline} push runs after the latest change point"
        baseline = Baseline(results=pooled.baseline, source=f"pooled: {runs}")
        note = _join(_instead(fallback, "pooled artifacts"), f"pooled baseline: {runs}")
        return Measured(
            head=head,
            design="artifact",
            baseline=baseline,
            note=note,
            trend=pooled.trend,
            history=pooled.runs,
        )
    try:
        with job.api_phase("baseline"):
            found = _artifact(job, head)
    except BaselineError as exc:
        job.console.annotate("notice", f"no baseline: {exc}", title="aiwf-ci")
        reason = _join(fallback, f"{NO_ARTIFACT}: {exc}") if fallback else str(exc)
        return Measured(head=head, design="", reason=reason)
    note = _join(_instead(fallback, "the artifact"), found.note)
    with job.api_phase("history"):
        history = spread_runs(job, head.suite)
    return Measured(head=head, design="artifact", baseline=found, note=note, history=history)


def _instead(fallback: str, used: str) -> str:
    """``same-runner comparison not possible: X; compared with the artifact``, said only
    once that baseline was found and used; ``""`` when same-runner was not asked for."""
    return f"{fallback}; compared with {used}" if fallback else ""


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def _same_runner(job: Job, suite: SuiteConfig, rules: ThresholdRules) -> Measured:
    """Base and head measured interleaved on this runner; ``BaselineError`` when the base
    side cannot be had (the caller falls back)."""
    root = job.config.workspace.resolve()
    base_suite, base_root, source = _base_suite(job, root)
    job.console.line(f"aiwf-ci: base tree of {short_sha(job.plan.base_sha)} from {source}")
    request = ABRequest(
        base=ABSide(
            config=base_suite,
            root=base_root,
            commit=Commit(sha=job.plan.base_sha or "", ref=job.plan.base_branch or ""),
        ),
        head=ABSide(config=suite, root=root, commit=detect_commit(root, job.env)),
        rules=rules,
        shard=job.config.shard,
        cache_dir=job.config.cache_dir,
        time_budget=job.config.time_budget,
        explain=ExplainOptions(folder=job.config.results_dir / "profiles"),
    )
    printer = ProgressPrinter(job.console.stream, github_actions=True)
    try:
        outcome: ABOutcome = measure_ab(request, job.env, printer)
    except BaseTreeError as exc:
        raise BaselineError(str(exc)) from None
    sha = job.plan.base_sha or ""
    return Measured(
        head=outcome.head,
        design="same-runner",
        baseline=Baseline(results=outcome.base, source="the same runner", head_sha=sha),
        note=outcome.note,
    )


def _base_suite(job: Job, root: Path) -> tuple[SuiteConfig, Path, str]:
    """The base commit's tree, where it came from, and the suite config found in it."""
    try:
        relative = job.config.config.resolve().relative_to(root)
    except ValueError:
        raise BaselineError(
            "the config is outside the workspace, so the base tree has none to match"
        ) from None
    with job.api_phase("base tree"):
        tree, source = base_tree(
            sha=job.plan.base_sha or "",
            cache_dir=job.config.cache_dir,
            workspace=root,
            client=job.client,
        )
    path = tree_file(tree, relative)
    if not path.is_file():
        raise BaselineError(f"the base commit has no {relative} (a new suite?)")
    try:
        return load_suite(path, job.env, job.config.profile, timer=job.config.timer), tree, source
    except AiwfCIError as exc:
        raise BaselineError(f"the base commit's {relative} is not usable: {exc}") from None


def _artifact(job: Job, head: Results) -> Baseline:
    """A previous push run's results; ``BaselineError`` says why there is none."""
    if not job.plan.base_branch:
        raise BaselineError("no base branch known for this event; set the baseline-branch input")
    if job.client is None:
        raise BaselineError("no GitHub token or repository: cannot look up the baseline artifact")
    workflow = workflow_file_from_ref(job.config.workflow_ref)
    if not workflow:
        raise BaselineError(
            "GITHUB_WORKFLOW_REF is not set: cannot tell which workflow's runs to search"
        )
    query = BaselineQuery(
        base_branch=job.plan.base_branch,
        base_sha=job.plan.base_sha or "",
        workflow=workflow,
        artifact_name=job.config.baseline_artifact,
    )
    found = ArtifactBaselineStore(job.client, query, repository=job.config.repository).fetch()
    why = unrelated(found.results, head)
    if why:
        raise BaselineError(
            f"the baseline artifact is not usable: {why}; "
            "check baseline-artifact (each suite needs an artifact of its own)"
        )
    return found
