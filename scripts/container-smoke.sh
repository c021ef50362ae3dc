#!/usr/bin/env bash
# Build the action's image and run it the way GitHub runs a Docker action: the workspace
# mounted at /github/workspace (also the working directory), the event and the file commands
# under /github/, INPUT_* and GITHUB_* variables.
#
# 1. A push: the workspace is a real project (a src-layout package whose dependency only its
#    own set-up installs, from a local wheel folder, so no network is needed:
#    tests/projects.py). Checks that the run passed, that every file it wrote for the next
#    step is readable by another user, and prints the image size, the project's set-up time
#    and the time from `podman run` to the first benchmark starting.
# 2. Pull requests, as a runner has them: the same project versioned by setuptools-scm (its
#    build's wheels fetched once on the host into $SCM_WHEELS; the container installs from
#    the project's wheel folder only), full git history (`fetch-depth: 0`) with the base
#    commit and the head, the workspace owned by another user (uid 1001) while the container
#    runs as root, and the fake GitHub (tests/fakegithub) on the host's 127.0.0.1 recording
#    every request. Checks that the base tree came from git (no tarball request), that a head
#    doing 1.5x the work is a regression (exit 1 with fail-on-regression) and that a head
#    that changes no code is not. The first runs with a cold pip cache, the second with the
#    cache the first left (as actions/cache restores it); prints each one's way from
#    `podman run` to its first benchmark, step by step, from the log lines' times.
#
# Needs podman + runc and a python:3.12-slim image (where no registry is reachable, a local
# stand-in built from Debian's Python with debootstrap serves), and root (to hand the
# workspace to uid 1001). `--ulimit host` asks runc for more open files than some machines
# allow; explicit limits work everywhere. Set KEEP=1 to keep the work folder.
set -euo pipefail
cd "$(dirname "$0")/.."
image=${IMAGE:-aiwf-ci:smoke}
podman --runtime runc build --network host -q -t "$image" . >/dev/null

work=$(mktemp -d)
fake_pid=""
cleanup() {
  [ -z "$fake_pid" ] || kill "$fake_pid" 2>/dev/null || true
  [ -n "${KEEP:-}" ] && echo "kept: $work" || rm -rf "$work"
}
trap cleanup EXIT
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
  if [ -z "$setup" ] && [[ "$line" == '$ '* ]]; then setup=$(date +%s.%N); fi
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
  "$image" && echo "exit=0" || echo "exit=$?")
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

# --- 2. pull requests --------------------------------------------------------------------
wheels=${SCM_WHEELS:-${XDG_CACHE_HOME:-$HOME/.cache}/aiwf-ci/smoke-scm-wheels}
repo="$work/repo"
python3 -m tests.projects "$repo" --scm-wheels "$wheels" --work 4 >/dev/null
g() { git -C "$repo" -c user.email=smoke@example.com -c user.name=smoke "$@"; }
g init -q -b master && g add -A && g commit -qm base && g tag v1.0.0
base_sha=$(g rev-parse HEAD)
g checkout -q -b slower
sed -i 's/^WORK = 4$/WORK = 6/' "$repo/src/mdproj/bench.py"   # 1.5x the work
g commit -qam "render the document 6 times, not 4"
slow_sha=$(g rev-parse HEAD)
g checkout -q -b docs master
printf 'A tiny project.\n' > "$repo/README.md"
g add README.md && g commit -qm "a README, no code change"
same_sha=$(g rev-parse HEAD)

python3 -m tests.fakegithub.serve "$work/fake.json" "$work/requests.txt" &
fake_pid=$!
for _ in $(seq 100); do [ -s "$work/fake.json" ] && break; sleep 0.1; done
fake() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$work/fake.json" "$1"; }
api=$(fake base_url); token=$(fake token)

# pr NAME HEAD_SHA BRANCH CACHE_FROM: clone the history at the head, hand it to uid 1001, run
# the action on a pull_request event (the base commit from the event), log with times
pr() {
  local name=$1 head=$2 branch=$3 cache_from=$4 ws="$work/ws-$1" home="$work/home-$1"
  git clone -q --branch "$branch" "$repo" "$ws"
  [ -z "$cache_from" ] || cp -a "$cache_from/.aiwf-cache" "$ws/.aiwf-cache"
  chown -R 1001:1001 "$ws"
  mkdir -p "$home/file_commands" "$home/workflow"
  python3 - "$home/workflow/event.json" "$base_sha" "$head" <<'PY'
import json, sys
event = json.load(open("tests/data/github/pull_request.opened.json"))
event["pull_request"]["base"]["sha"], event["pull_request"]["head"]["sha"] = sys.argv[2:4]
json.dump(event, open(sys.argv[1], "w"))
PY
  : > "$home/file_commands/output"
  : > "$home/file_commands/summary"
  local start=${EPOCHREALTIME/./} now
  while IFS= read -r line; do  # each line with its time since `podman run` (no fork: µs)
    now=${EPOCHREALTIME/./}
    printf '%d.%06d %s\n' $(((now - start) / 1000000)) $(((now - start) % 1000000)) "$line"
  done >> "$work/pr-$name.log" < <(podman --runtime runc run --rm --network host \
    --ulimit nofile=20000:20000 --ulimit nproc=20000:20000 \
    -v "$ws:/github/workspace" -v "$home:/github/home" -w /github/workspace \
    -e GITHUB_ACTIONS=true -e GITHUB_WORKSPACE=/github/workspace \
    -e GITHUB_EVENT_NAME=pull_request -e GITHUB_EVENT_PATH=/github/home/workflow/event.json \
    -e GITHUB_OUTPUT=/github/home/file_commands/output \
    -e GITHUB_STEP_SUMMARY=/github/home/file_commands/summary \
    -e GITHUB_API_URL="$api" -e GITHUB_REPOSITORY=Codertocat/Hello-World \
    -e GITHUB_SHA="$head" -e GITHUB_REF=refs/pull/2/merge -e GITHUB_RUN_ID=4242 \
    -e GITHUB_WORKFLOW_REF=Codertocat/Hello-World/.github/workflows/bench.yml@refs/heads/master \
    -e "INPUT_GITHUB-TOKEN=$token" -e "INPUT_FAIL-ON-REGRESSION=true" \
    -e "INPUT_CACHE-DIR=.aiwf-cache" -e "INPUT_TIME-BUDGET=${PR_TIME_BUDGET:-90s}" \
    "$image" 2>&1 && echo "exit=0" || echo "exit=$?")  # errexit: neither ends the loop
}

# at NAME PATTERN [N]: the time (s) of the Nth (default first) line of run NAME matching PATTERN
at() { grep -E "^[0-9.]+ $2" "$work/pr-$1.log" | sed -n "${3:-1}p" | cut -d' ' -f1; }
span() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%5.1f s", b - a}'; }
steps() {  # the trees are set up side by side and each logs its own step times
  local n=$1 tree setup ready first source
  tree=$(at "$n" 'aiwf-ci: base tree of ')
  source=$(grep -m1 -oE 'aiwf-ci: base tree of [0-9a-f]+ from [a-z]+' "$work/pr-$n.log" | awk '{print $NF}')
  setup=$(at "$n" 'aiwf-ci: setting up the head and base trees side by side')
  ready=$(at "$n" 'aiwf-ci: both trees ready in ')
  first=$(at "$n" '::group::\[1/')
  row() { printf '  %-44s %s\n' "$1" "$2"; }
  said() { grep -oE "aiwf-ci: $2 in [0-9.]+ [a-z]+" "$work/pr-$n.log" | sed -n "$1p" | awk '{print $(NF-1), $NF}'; }
  echo "$n: container start -> first benchmark $(span 0 "$first")"
  row "start-up, event, base tree from $source" "$(span 0 "$tree")"
  row "base config read" "$(span "$tree" "$setup")"
  row "both trees set up, side by side" "$(span "$setup" "$ready")"
  row "  head: virtualenv" "$(said 1 'virtualenv made')"
  row "  head: pip install -e ." "$(said 1 'set-up commands done')"
  row "  head: import check" "$(said 1 'python: targets imported')"
  row "  base: virtualenv" "$(said 2 'virtualenv made')"
  row "  base: pip install -e ." "$(said 2 'set-up commands done')"
  row "  base: import check" "$(said 2 'python: targets imported')"
  row "trees ready -> first benchmark" "$(span "$ready" "$first")"
  row "whole run" "$(span 0 "$(tail -1 "$work/pr-$n.log" | cut -d' ' -f1)")"
}
check() {  # check NAME EXIT STATUS: the run's exit code and status output
  local n=$1 out="$work/home-$1/file_commands/output"
  grep -q " exit=$2\$" "$work/pr-$n.log" \
    || { cat "$work/pr-$n.log"; echo "smoke: $n: expected exit $2"; exit 1; }
  grep -qE "^status=($3)\$" "$out" || { cat "$out"; echo "smoke: $n: status is not $3"; exit 1; }
}

pr slower "$slow_sha" slower ""
check slower 1 regression
grep -q "aiwf-ci: base tree of ${base_sha:0:7} from git" "$work/pr-slower.log" \
  || { cat "$work/pr-slower.log"; echo "smoke: the base tree did not come from git"; exit 1; }
grep -q "SETUPTOOLS_SCM_PRETEND_VERSION=0.0.0+g${base_sha:0:7}" "$work/pr-slower.log" \
  || { echo "smoke: the base tree (no .git) got no pretend version"; exit 1; }
pr same "$same_sha" docs "$work/ws-slower"
check same 0 'pass|inconclusive'

kill "$fake_pid"; wait "$fake_pid" || true; fake_pid=""
if grep -q '/tarball/' "$work/requests.txt"; then
  echo "smoke: a tarball was requested:"; grep '/tarball/' "$work/requests.txt"; exit 1
fi
echo "pull requests (slower head: regression, exit 1; no-change head: $(grep '^status=' "$work/home-same/file_commands/output")); no tarball request ($(wc -l < "$work/requests.txt") API requests)"
steps slower
steps same
