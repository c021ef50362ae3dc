"""The GitHub Action: ``main()`` is what the container runs (``entrypoint/main.py``).

Modules:
    inputs        ActionConfig read once from INPUT_* / GITHUB_* (the token hidden)
    plan          what to do for this event and mode (a pure decision)
    main          builds the real clients, runs one side, maps errors to exit codes
    run_side      push / pull_request / mode run: measure, compare, report
    job           what every part is handed: inputs, plan, environment, console, client
    baseline      what head is compared with (same runner, pooled, artifact), and why
    history_side  the base branch's trend on a push; pooled baselines; accepted regressions
    culprits      bisecting a push's newly confirmed slowdowns for the commit that caused them
    comment_side  workflow_run / mode comment: post a fork PR's report without running its code
    output        what the action tells GitHub: annotations, outputs, summary, result files
"""

from aiwf_ci.action.main import main, run_action

__all__ = ["main", "run_action"]
