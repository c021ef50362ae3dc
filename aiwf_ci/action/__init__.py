"""The GitHub Action: ``main()`` is what the container runs (``entrypoint/main.py``).

inputs      ActionConfig read once from INPUT_* / GITHUB_* (the token hidden)
plan        what to do for this event and mode (a pure decision)
main        builds the real clients, runs one side, maps errors to exit codes
run_side    push / pull_request / mode run: run the suite, baseline, compare, report
comment_side  workflow_run / mode comment: post a fork PR's report without running its code
output      what the action tells GitHub: annotations, outputs, summary, result files
"""

from aiwf_ci.action.main import main, run_action

__all__ = ["main", "run_action"]
