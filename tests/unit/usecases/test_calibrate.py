"""``aiwf_ci.usecases.calibrate.calibration_of`` (pure, from an A/A run's two results) and
``calibration.json`` written and read back, with a one-line error for a bad file."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from aiwf_ci.console.calibration import calibration_text
from aiwf_ci.errors import ResultsFormatError
from aiwf_ci.models import BenchmarkResult, Metric, Results
from aiwf_ci.models.calibration import dumps_calibration, load_calibration
from aiwf_ci.usecases.calibrate import budget_rounds, calibration_of
from aiwf_ci.verdict.design import SequentialDesign
from aiwf_ci.verdict.pairing import RUN_ID
from aiwf_ci.verdict.thresholds import Threshold, build_rules

RULES = build_rules({"duration": Threshold(metric="duration", relative=0.05)})


def side(medians: list[float], *, budget: float, seconds: float) -> Results:
    rounds = len(medians)
    metric = Metric.from_samples(
        [m for m in medians for _ in range(3)],
        unit="s",
        rounds=[r for r in range(rounds) for _ in range(3)],
    )
    bench = BenchmarkResult(
        name="parse-json",
        kind="command",
        metrics={"duration": metric},
        extra={"rounds": rounds, "seconds": seconds, "samples_per_round": 3},
    )
    interleaved = {
        RUN_ID: "run-1",
        "rounds": rounds,
        "samples_per_round": 3,
        "time_budget": budget,
        "seconds": seconds,
        "stopped": "max-rounds",
        "design": {
            "alpha": 0.01,
            "beta": 0.05,
            "max_rounds": 100,
            "min_rounds": 0,
            "look_every": 2,
            "rho": 3.0,
            "beta_rho": 2.0,
            "margin": 0.5,
            "holm": False,
        },
    }
    return Results(suite="s", benchmarks=(bench,), environment={"interleaved": interleaved})


def aa_run(noise: float, rounds: int = 40) -> tuple[Results, Results]:
    rng = random.Random(3)
    drift = [rng.choice([1.0, 1.0, 2.0]) for _ in range(rounds)]  # a busy neighbour, both sides
    base = [d * (1 + rng.gauss(0, noise)) for d in drift]
    head = [d * (1 + rng.gauss(0, noise)) for d in drift]
    # 40 rounds of 1 s each (both sides): a 20 s budget allows 20 of them
    return side(base, budget=20.0, seconds=40.0), side(head, budget=20.0, seconds=40.0)


def test_an_aa_run_gives_its_spread_verdict_and_reach() -> None:
    calibration = calibration_of(*aa_run(0.02), RULES)
    (bench,) = calibration.benchmarks
    (metric,) = bench.metrics
    assert (bench.name, bench.seconds_per_round) == ("parse-json", 1.0)
    assert calibration.budget_rounds == 20 and calibration.rounds == 40
    assert metric.metric == "duration" and metric.rounds == 40
    assert 0.015 < metric.spread < 0.04  # ~2% per side: ~2.8% for the ratio, the drift gone
    assert metric.verdict == "unchanged"
    assert metric.detectable is not None and metric.noise_floor is not None
    assert metric.noise_floor < 0.05 < metric.detectable < 0.1


def test_a_noisier_machine_detects_only_larger_changes() -> None:
    quiet = calibration_of(*aa_run(0.02), RULES).benchmarks[0].metrics[0]
    noisy = calibration_of(*aa_run(0.15), RULES).benchmarks[0].metrics[0]
    assert quiet.detectable is not None and noisy.detectable is not None
    assert noisy.detectable > quiet.detectable


def test_budget_rounds_are_even_and_capped_by_the_design() -> None:
    design = SequentialDesign()
    assert budget_rounds(21.0, 1.0, design) == 20
    assert budget_rounds(3600.0, 1.0, design) == 100
    assert budget_rounds(60.0, 0.0, design) == 100


def test_the_file_reads_back_and_the_terminal_says_it_in_words(tmp_path: Path) -> None:
    calibration = calibration_of(*aa_run(0.02), RULES)
    path = tmp_path / "calibration.json"
    path.write_text(dumps_calibration(calibration))
    assert json.loads(path.read_text())["version"] == 1
    assert load_calibration(path) == calibration
    text = calibration_text(calibration)
    assert "on this machine `parse-json` can show changes of " in text
    assert "or more within 20.0 s" in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not JSON"),
        ('{"version": 2}', "version 2, this aiwf-ci reads 1"),
        ('{"version": 1, "suite": "s"}', "field time_budget missing"),
    ],
)
def test_a_bad_file_is_one_line_naming_it(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "c.json"
    path.write_text(content)
    with pytest.raises(ResultsFormatError) as caught:
        load_calibration(path)
    assert str(path) in str(caught.value) and message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_short_calibration_says_its_spreads_are_rough() -> None:
    short = calibration_text(calibration_of(*aa_run(0.02, rounds=10), RULES))
    assert "only 10 rounds measured" in short
    assert "rounds measured" not in calibration_text(calibration_of(*aa_run(0.02), RULES))


def test_the_file_matches_its_documented_schema() -> None:
    import jsonschema

    schema_path = Path(__file__).resolve().parents[3] / "aiwf_ci/schemas/calibration.schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    data = json.loads(dumps_calibration(calibration_of(*aa_run(0.02), RULES)))
    jsonschema.validate(data, schema)
    data["benchmarks"][0]["metrics"][0]["spread"] = "wide"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def test_a_calibration_its_budget_ended_counts_the_rounds_it_measured() -> None:
    base, head = aa_run(0.02, rounds=31)
    for side in (base, head):
        side.environment["interleaved"]["stopped"] = "budget"  # type: ignore[index]
    assert calibration_of(base, head, RULES).budget_rounds == 30  # not 20 s / 1 s
