#!/usr/bin/env bash
# Build the action's image and run it the way GitHub runs a Docker action: the workspace
# mounted at /github/workspace (also the working directory), the event and the file commands
# under /github/, INPUT_* and GITHUB_* variables. The workspace is a real project (a src-layout
# package whose dependency only its own set-up installs, from a local wheel folder, so no
# network is needed: tests/projects.py). Checks that the run passed, that every file it wrote
# for the next step is readable by another user, and prints the image size, the project's
# set-up time and the time from `podman run` to the first benchmark starting.
#
# Needs podman + runc and a python:3.12-slim image (where no registry is reachable, a local
# stand-in built from Debian's Python with debootstrap serves). `--ulimit host` asks runc for
# more open files than some machines allow; explicit limits work everywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
image=${IMAGE:-aiwf-ci:smoke}
podman --runtime runc build --network host -q -t "$image" . >/dev/null

work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
mkdir -p "$work/home/file_commands" "$work/home/workflow"
python3 -m tests.projects "$work/ws" >/dev/null
cp tests/data/github/push.new-branch.json "$work/home/workflow/event.json"
: > "$work/home/file_commands/output"
: > "$work/home/file_commands/summary"

start=$(date +%s.%N)
first=""
setup=""
while IFS= read -r line; do
  printf '%s\n' "$line" >> "$work/log.txt"
  if [ -z "$setup" ] && [[ "$line" == "::group::aiwf-ci: setting up the project" ]]; then setup=$(date +%s.%N); fi
  if [ -z "$first" ] && [[ "$line" == "::group::[1/"* ]]; then first=$(date +%s.%N); fi
done < <(podman --runtime runc run --rm --network host \
  --ulimit nofile=20000:20000 --ulimit nproc=20000:20000 \
  -v "$work/ws:/github/workspace" -v "$work/home:/github/home" \
  -w /github/workspace \
  -e GITHUB_ACTIONS=true -e GITHUB_WORKSPACE=/github/workspace \
  -e GITHUB_EVENT_NAME=push -e GITHUB_EVENT_PATH=/github/home/workflow/event.json \
  -e GITHUB_OUTPUT=/github/home/file_commands/output \
  -e GITHUB_STEP_SUMMARY=/github/home/file_commands/summary \
  -e GITHUB_REPOSITORY=Codertocat/Hello-World -e GITHUB_SHA=6113728f27ae82c7b1a177c8d03f9e96e0adf246 \
  -e "INPUT_FAIL-ON-REGRESSION=true" -e "INPUT_CACHE-DIR=.aiwf-cache" \
  "$image"; echo "exit=$?")
end=$(date +%s.%N)

grep -q '^exit=0$' "$work/log.txt" || { cat "$work/log.txt"; echo "smoke: the action failed"; exit 1; }
grep -q '^status=no-baseline$' "$work/home/file_commands/output" || { echo "smoke: no status output"; exit 1; }
test -s "$work/ws/aiwf-results/results.json" || { echo "smoke: no results.json"; exit 1; }
test -s "$work/home/file_commands/summary" || { echo "smoke: empty job summary"; exit 1; }
grep -q '"render-doc"' "$work/ws/aiwf-results/results.json" || { echo "smoke: the project's benchmark is missing"; exit 1; }
if grep -q '"count": [1-9]' "$work/ws/aiwf-results/results.json"; then echo "smoke: a benchmark failed"; exit 1; fi
# the next workflow step runs as another user on the host: every file must be readable
unreadable=$(find "$work/ws/aiwf-results" $(ls -d "$work/ws/.aiwf-cache" 2>/dev/null) \( -type f ! -perm -o=r \) -o \( -type d ! -perm -o=rx \))
[ -z "$unreadable" ] || { echo "smoke: not readable by another user: $unreadable"; exit 1; }

size=$(podman image inspect "$image" --format '{{.Size}}')
base=$(podman image inspect docker.io/library/python:3.12-slim --format '{{.Size}}')
printf 'image size: %d MB (base stand-in %d MB, aiwf-ci layers %d MB)\n' \
  $((size / 1000000)) $((base / 1000000)) $(((size - base) / 1000000))
printf 'container start -> virtualenv made (start-up + python -m venv): %.2f s\n' "$(echo "$setup - $start" | bc -l)"
printf 'set-up commands + import check -> first benchmark: %.2f s\n' "$(echo "$first - $setup" | bc -l)"
printf 'container start -> first benchmark: %.2f s\n' "$(echo "$first - $start" | bc -l)"
printf 'whole run: %.1f s\n' "$(echo "$end - $start" | bc -l)"
cat "$work/home/file_commands/output"
