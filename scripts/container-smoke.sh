#!/usr/bin/env bash
# Build the action's image and run it the way GitHub runs a Docker action: the workspace
# mounted at /github/workspace (also the working directory), the event and the file commands
# under /github/, INPUT_* and GITHUB_* variables. Prints the image size and the time from
# `podman run` to the first benchmark starting.
#
# Needs podman + runc and the local python:3.12-slim stand-in:
#   apt-get install -y podman runc debootstrap && ../shared/tools/container-base.sh
# (`--ulimit host` asks runc for more open files than this machine allows; explicit limits work.)
set -euo pipefail
cd "$(dirname "$0")/.."
image=${IMAGE:-aiwf-ci:smoke}
podman --runtime runc build --network host -q -t "$image" . >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/ws/.aiwf" "$work/home/file_commands" "$work/home/workflow"
cp examples/bench.yml "$work/ws/.aiwf/bench.yml"
cp examples/workloads.py "$work/ws/.aiwf/workloads.py"
cp tests/data/github/push.new-branch.json "$work/home/workflow/event.json"
: > "$work/home/file_commands/output"
: > "$work/home/file_commands/summary"

start=$(date +%s.%N)
first=""
while IFS= read -r line; do
  printf '%s\n' "$line" >> "$work/log.txt"
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
  -e INPUT_PROFILE=dev -e "INPUT_FAIL-ON-REGRESSION=true" \
  "$image"; echo "exit=$?")
end=$(date +%s.%N)

grep -q '^exit=0$' "$work/log.txt" || { cat "$work/log.txt"; echo "smoke: the action failed"; exit 1; }
grep -q '^status=no-baseline$' "$work/home/file_commands/output" || { echo "smoke: no status output"; exit 1; }
test -s "$work/ws/aiwf-results/results.json" || { echo "smoke: no results.json"; exit 1; }
test -s "$work/home/file_commands/summary" || { echo "smoke: empty job summary"; exit 1; }

size=$(podman image inspect "$image" --format '{{.Size}}')
base=$(podman image inspect docker.io/library/python:3.12-slim --format '{{.Size}}')
printf 'image size: %d MB (base stand-in %d MB, aiwf-ci layers %d MB)\n' \
  $((size / 1000000)) $((base / 1000000)) $(((size - base) / 1000000))
printf 'container start -> first benchmark: %.2f s\n' "$(echo "$first - $start" | bc -l)"
printf 'whole run: %.1f s\n' "$(echo "$end - $start" | bc -l)"
cat "$work/home/file_commands/output"
