"""The jobs aiwf-ci does, each once, for both front ends: the CLI (``aiwf-ci run``, ``ab``,
``compare``) and the GitHub Action call these and only map results and errors to their own
output. Nothing here prints or exits.

Modules:
    common      the steps every job shares: load a suite, set a tree up, layer threshold
                rules, record a run, stop cleanly on a signal, map a status to an exit code
    workspace   run the suite in one tree (``aiwf-ci run``; the action on a push)
    ab          two trees measured in paired rounds on this machine (``aiwf-ci ab``; the
                action's same-runner baseline)
    bisect      the first bad commit between a good and a bad one, each step an ``ab``
                (``aiwf-ci bisect``)
    explain     after an A/B verdict, per-function profiles of both sides of what changed
    calibrate   the suite against itself, paired as ``ab`` runs it: the runner's noise and
                the smallest change the gate can show within the budget
"""

from aiwf_ci.usecases.common import (
    exit_code,
    interruptible,
    load_suite,
    ready_tree,
    run_options,
    threshold_rules,
)

__all__ = [
    "exit_code",
    "interruptible",
    "load_suite",
    "ready_tree",
    "run_options",
    "threshold_rules",
]
