#!/usr/bin/env bash
# Set up a virtualenv (once) and run the bundled example suite locally, no GitHub needed.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
.venv/bin/aiwf-ci run examples/bench.yml --out aiwf-results "$@"
