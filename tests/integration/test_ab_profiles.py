"""``aiwf-ci ab`` explains a regression: per-function profiles of both sides, after the
verdict, name the function that does more work."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from benchmarks.profile_attribution import pipeline
from tests.integration.cli_helpers import aiwf

CONFIG = """\
suite: pipeline
rounds: {samples: 1, budget: 90s}
defaults: {warmup: 1, memory: false, min-time: 0.02}
thresholds: {duration: 10%}
benchmarks:
  - name: etl
    python: pipeline:run
"""


def tree(root: Path, slow: int | None) -> Path:
    (root / ".aiwf").mkdir(parents=True)
    (root / ".aiwf" / "bench.yml").write_text(CONFIG, encoding="utf-8")
    (root / ".aiwf" / "pipeline.py").write_text(pipeline(slow), encoding="utf-8")
    return root


def test_the_step_doing_three_times_the_work_is_named_first(tmp_path: Path) -> None:
    base, head = tree(tmp_path / "base", None), tree(tmp_path / "head", 7)
    out = tmp_path / "out"
    done = aiwf("ab", "--base-dir", base, "--head-dir", head, "--out", out, "--no-setup",
                timeout=900)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((out / "head" / "results.json").read_text(encoding="utf-8"))
    [etl] = results["benchmarks"]
    profile = etl["extra"]["profile"]
    # counted bytecode is deterministic: step 7 alone changed, so it is the whole change
    bytecode = profile["bytecode"]
    [step_7, *_rest] = bytecode["entries"]
    assert step_7["function"].startswith("pipeline:step_7 (.aiwf/pipeline.py:")
    assert step_7["share"] == 1.0 and step_7["head_self"] > 2.9 * step_7["base_self"]
    assert all(e["self_change"] == 0 for e in bytecode["entries"][1:])
    assert (out / profile["files"]["head_bytecode"]).is_file()
    # timed moves with the machine (which step leads is the benchmark script's to show):
    # the profile is there, whole, and step 7 is among what grew
    timed = profile["timed"]
    assert timed["clock"] == "cpu"  # CPU-bound: a wait for a CPU is billed to no function
    grew = [e["function"] for e in timed["entries"] if e["self_change"] > 0]
    assert any(f.startswith("pipeline:step_7 (.aiwf/pipeline.py:") for f in grew), grew
    merged = out / profile["files"]["head_pstats"]
    assert merged.is_file() and len(list(merged.parent.glob("profile.*.pstats"))) == 5
    if shutil.which("valgrind"):
        counted = profile["counted"]
        assert counted["head_total"] > counted["base_total"] and counted["entries"]
        assert (out / profile["files"]["base_callgrind"][0]).is_file()
    where = done.stdout.split("where: etl by instructions (Python bytecode)", 1)[1]
    assert where.splitlines()[1].lstrip().startswith("pipeline:step_7")


def test_no_profile_without_a_change_or_when_switched_off(tmp_path: Path) -> None:
    base, head = tree(tmp_path / "base", 7), tree(tmp_path / "head", None)
    out = tmp_path / "out"
    done = aiwf("ab", "--base-dir", base, "--head-dir", head, "--out", out, "--no-setup",
                "--no-profile", timeout=900)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((out / "head" / "results.json").read_text(encoding="utf-8"))
    assert "profile" not in results["benchmarks"][0].get("extra", {})
    assert not (out / "profiles").exists()
