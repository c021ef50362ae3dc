"""``aiwf-ci ab`` end to end: two tiny source trees run interleaved through the real CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from aiwf_ci.models import Results, load_results
from tests.integration.cli_helpers import aiwf

CONFIG = """\
suite: ab
defaults: {{warmup: 1, iterations: 6, memory: false}}
benchmarks:
  - name: sleep
    command: sleep {sleep}
  - name: call
    python: mod:work
"""
MODULE = """\
import time
def work():
    time.sleep({sleep} / 10)
"""


def tree(root: Path, sleep: float, extra: str = "") -> Path:
    config = root / ".aiwf" / "bench.yml"
    config.parent.mkdir(parents=True)
    config.write_text(CONFIG.format(sleep=sleep) + extra, encoding="utf-8")
    (root / ".aiwf" / "mod.py").write_text(MODULE.format(sleep=sleep), encoding="utf-8")
    return root


def ab(tmp_path: Path, base: Path, head: Path, *extra: str) -> tuple[int, str, str]:
    done = aiwf("ab", "--base-dir", base, "--head-dir", head, "--out", tmp_path / "out", *extra)
    return done.returncode, done.stdout, done.stderr


def test_a_slower_head_is_a_regression(tmp_path: Path) -> None:
    # 4x slower: far beyond the noise of a busy machine (sleeps stretch, they do not shrink)
    base, head = tree(tmp_path / "a", 0.03), tree(tmp_path / "b", 0.12)
    code, out, err = ab(tmp_path, base, head, "--samples", "2", "--fail-on-regression")
    assert code == 1, err
    assert "sleep [base r1]" in out and "sleep [head r2]" in out
    assert "2 regressions" in out
    for side in ("base", "head"):
        results = load_results(tmp_path / "out" / side / "results.json")
        record = results.environment["interleaved"]
        assert record["stopped"] == "decided" and record["samples_per_round"] == 2
        for bench in results.benchmarks:
            duration = bench.metrics["duration"]
            assert not bench.errors
            assert len(duration.samples) == 2 * len(set(duration.rounds))
            assert bench.extra["stopped"].startswith("decided after")
    # the regression is explained; code that sleeps is profiled in wall time (a sleep costs
    # no CPU), and within its few seconds (a CPU-time bound would run for minutes)
    head = load_results(tmp_path / "out" / "head" / "results.json").by_name()
    timed = head["call"].extra["profile"]["timed"]  # type: ignore[index]
    assert timed["clock"] == "wall" and "wall time" in timed["note"]  # type: ignore[index]


def test_identical_trees_pass_and_differing_names_are_noted(tmp_path: Path) -> None:
    more = '  - name: only-here\n    command: "true"\n'
    base, head = tree(tmp_path / "a", 0.02), tree(tmp_path / "b", 0.02, more)
    code, out, err = ab(tmp_path, base, head, "--fail-on-regression", "--format", "json")
    assert code == 0, out + err
    verdicts = {b["name"]: b["verdict"] for b in json.loads(out)["benchmarks"]}  # pure JSON
    assert set(verdicts) == {"sleep", "call"} and "regression" not in verdicts.values()
    assert "sleep [head r1]" in err  # progress goes to stderr with --format json
    assert "skipped only in head: only-here" in err


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    base = tree(tmp_path / "a", 0.01)
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [
        ((tmp_path / "missing", base), "base dir"),
        ((base, empty), "no config .aiwf/bench.yml in the head tree"),
        ((base, base, "--max-rounds", "5"), "--max-rounds: must be a whole number from 10 to"),
        # one range for the time budget, whichever input gives it (config, input, flag)
        ((base, base, "--budget", "1s"), "--time-budget/--budget: must be between 10s and 6h"),
        ((base, base, "--time-budget", "7h"), "must be between 10s and 6h"),
    ]
    for (b, h, *rest), message in cases:
        code, _, err = ab(tmp_path, Path(b), Path(h), *map(str, rest))
        assert code == 2 and message in err, err
        assert len(err.strip().splitlines()) == 1


# Issue 24: a worker killed from outside (SIGKILL) turned benchmarks into errors (exit 3) and
# threw away the paired rounds already measured. The workers here number themselves as they
# start (the import checks' too), so a test can pick one and kill it from outside.
KILLABLE = """\
import os
import signal
import time
from pathlib import Path

PROBE = Path(os.environ["AIWF_TEST_PROBE"])
MODE, _, AT = os.environ["AIWF_TEST_MODE"].partition(":")


def _number():
    n = 1
    while True:
        try:
            fd = os.open(PROBE / f"start-{n}", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            n += 1
            continue
        os.close(fd)
        return n


START = _number()


def work():
    if MODE == "victim" and START == int(AT):  # wait to be killed from outside
        (PROBE / "victim").write_text(f"{os.getpid()} {__file__}")
        time.sleep(60)
    if MODE == "suicide" and START >= int(AT):  # every worker from then on dies
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.004)
"""
THREE = """\
suite: killed
defaults: {warmup: 0, iterations: 3, memory: false, min-time: 8ms, timeout: 120s}
benchmarks:
  - {name: first, python: "calm:work"}
  - {name: killed, python: "killable:work"}
  - {name: third, python: "calm:work"}
"""


def killable_tree(root: Path) -> Path:
    (root / ".aiwf").mkdir(parents=True)
    (root / ".aiwf" / "bench.yml").write_text(THREE, encoding="utf-8")
    (root / ".aiwf" / "killable.py").write_text(KILLABLE, encoding="utf-8")
    calm = "import time\n\ndef work():\n    time.sleep(0.004)\n"
    (root / ".aiwf" / "calm.py").write_text(calm, encoding="utf-8")
    return root


def start_ab(tmp_path: Path, mode: str, fmt: str) -> subprocess.Popen[str]:
    probe = tmp_path / "probe"
    probe.mkdir()
    base, head = killable_tree(tmp_path / "base"), killable_tree(tmp_path / "head")
    env = {**os.environ, "AIWF_TEST_PROBE": str(probe), "AIWF_TEST_MODE": mode}
    argv = [sys.executable, "-m", "aiwf_ci", "ab", "--base-dir", str(base), "--head-dir"]
    argv += [str(head), "--out", str(tmp_path / "out"), "--max-rounds", "10", "--samples", "2"]
    return subprocess.Popen(
        [*argv, "--format", fmt],
        cwd=tmp_path,
        env={k: v for k, v in env.items() if not k.startswith(("GITHUB_", "INPUT_"))},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def rounds_of(results: Results) -> dict[str, set[int]]:
    return {b.name: set(b.metrics["duration"].rounds) for b in results.benchmarks}


def test_a_worker_killed_from_outside_costs_one_retried_round(tmp_path: Path) -> None:
    # the killable module's workers: 1-2 the import checks, then two per round: 9 is round 4
    proc = start_ab(tmp_path, "victim:9", "text")
    victim = tmp_path / "probe" / "victim"
    deadline = time.monotonic() + 300
    while not victim.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.1)  # the pid is written; a moment for the file to be complete
    pid, module = victim.read_text().split(" ", 1)
    os.kill(int(pid), signal.SIGKILL)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, out + err
    side = "base" if Path(module).is_relative_to(tmp_path / "base") else "head"
    note = (
        f"round 4: the {side} worker died (killed by signal 9, SIGKILL); the round was "
        "measured again with fresh workers"
    )
    head = load_results(tmp_path / "out" / "head" / "results.json")
    by_name = head.by_name()
    assert [a.kind for a in by_name["killed"].alerts] == ["round_retried"]
    assert by_name["killed"].alerts[0].message.startswith(note)
    assert not by_name["first"].alerts and not by_name["third"].alerts
    assert not [b.errors for b in head.benchmarks if b.errors]
    measured = set(range(head.environment["interleaved"]["rounds"]))
    assert rounds_of(head) == dict.fromkeys(by_name, measured)  # no round missing
    assert f"alert: killed: round_retried: {note}" in out  # the report says it


def test_a_callable_that_kills_its_worker_every_time_keeps_the_rounds_measured(
    tmp_path: Path,
) -> None:
    # from round 3 on (worker 7) every worker of the killed benchmark kills itself
    proc = start_ab(tmp_path, "suicide:7", "markdown")
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, out + err
    head = load_results(tmp_path / "out" / "head" / "results.json")
    rounds = rounds_of(head)
    assert rounds["killed"] == {0, 1}  # the two rounds measured before are kept
    measured = set(range(head.environment["interleaved"]["rounds"]))
    assert len(measured) > 2 and rounds["first"] == rounds["third"] == measured  # unaffected
    killed = head.by_name()["killed"]
    assert not killed.errors and killed.extra["stopped"] == "worker lost in round 3"
    (alert,) = killed.alerts
    assert alert.kind == "sampling_stopped"
    assert "round 3 was lost twice" in alert.message
    assert "killed by signal 9, SIGKILL" in alert.message
    assert "the verdict rests on the 2 rounds measured before" in alert.message
    assert "sampling\\_stopped: round 3 was lost twice" in out  # the report's alerts
    assert "no paired rounds" not in out
