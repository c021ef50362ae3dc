"""The load generator with Python callables: budgets, duration, rate cap, ramp-up,
hard limit, burst simultaneity, error classification and sampling."""

from __future__ import annotations

import random
import threading
import time

import pytest

from aiwf_ci.loadgen import (
    CallableTarget,
    LoadOptions,
    TokenBucket,
    callable_factory,
    ramp_offsets,
    run_burst,
    run_load,
)
from aiwf_ci.loadgen.tally import Tally, merge, percentiles


def test_ramp_offsets_spread_workers() -> None:
    assert ramp_offsets(4, 2.0) == [0.0, 0.5, 1.0, 1.5]
    assert ramp_offsets(3, 0.0) == [0.0, 0.0, 0.0]


def test_token_bucket_with_a_fake_clock() -> None:
    now = [0.0]
    bucket = TokenBucket(10.0, clock=lambda: now[0])
    assert bucket.try_take() == 0.0
    assert bucket.try_take() == pytest.approx(0.1)
    now[0] = 0.1
    assert bucket.try_take() == 0.0


def test_percentiles_and_bounded_sample() -> None:
    assert percentiles([1.0, 2.0, 3.0, 4.0, 5.0])["p50"] == 3.0
    tally = Tally()
    for i in range(50_000):
        tally.add(i / 1000, 200, None)
    report = merge([tally], elapsed=1.0, max_samples=1000, rng=random.Random(1))
    assert len(report.latency_sample) == 1000
    assert report.latency_percentiles["max"] == pytest.approx(49.999)
    assert report.requests == 50_000


def test_callable_classification() -> None:
    def boom() -> None:
        raise RuntimeError("no")

    assert CallableTarget(boom, 1.0).call()[1] == "exception:RuntimeError"
    assert CallableTarget(lambda: 503, 1.0).call()[:2] == (503, "http_5xx")
    assert CallableTarget(lambda: None, 1.0).call() == (None, None, "")
    assert CallableTarget(lambda: time.sleep(0.02), 0.01).call()[1] == "timeout"


def test_request_budget_is_exact() -> None:
    report = run_load(callable_factory(lambda: None, 1.0), LoadOptions(concurrency=4, requests=500))
    assert report.requests == 500
    assert report.succeeded == 500
    assert report.error_rate == 0.0


def test_duration_ramp_up_and_rate_cap() -> None:
    start = time.monotonic()
    options = LoadOptions(concurrency=4, ramp_up=0.4, duration=1.0, rate=100)
    report = run_load(callable_factory(lambda: None, 1.0), options)
    assert time.monotonic() - start < 10.0  # the duration ends the run (not a speed check)
    # the cap is never exceeded; how many fit under it depends on how busy the machine is
    assert 0 < report.requests <= 110
    assert report.workers_started == 4


def test_failures_are_counted_not_fatal() -> None:
    counter = iter(range(10**6))

    def flaky() -> int:
        if next(counter) % 2:
            raise ConnectionError("dropped")
        return 200

    report = run_load(callable_factory(flaky, 1.0), LoadOptions(concurrency=2, requests=100))
    assert report.requests == 100
    assert report.errors_by_kind == {"exception:ConnectionError": 50}
    assert report.status_codes == {"200": 50}
    assert report.error_rate == 0.5


def test_a_stuck_call_cannot_hold_the_run() -> None:
    release = threading.Event()
    options = LoadOptions(concurrency=2, duration=0.2, request_timeout=0.1, hard_limit=0.8)
    start = time.monotonic()
    report = run_load(callable_factory(lambda: release.wait(10), 0.1), options)
    elapsed = time.monotonic() - start
    release.set()
    assert elapsed < 2.0
    assert report.abandoned == 2
    assert report.errors_by_kind["abandoned"] == 2


def test_burst_releases_all_calls_together_and_settles_all() -> None:
    entered: list[float] = []
    lock = threading.Lock()

    def call() -> None:
        with lock:
            entered.append(time.perf_counter())
            index = len(entered)
        time.sleep(0.05)
        if index % 4 == 0:
            raise ValueError("every fourth fails")

    report = run_burst(callable_factory(call, 1.0), 40, hard_limit=10)
    assert report.requests == 40
    assert report.succeeded == 30
    assert report.errors_by_kind == {"exception:ValueError": 10}
    assert max(entered) - min(entered) < 0.05  # all started before the first finished
    assert 0.04 < report.elapsed < 2.0


def test_burst_with_a_broken_worker_is_not_released() -> None:
    made = iter(range(100))

    def factory() -> CallableTarget:
        if next(made) == 3:
            raise OSError("cannot connect")
        return CallableTarget(lambda: None, 1.0)

    report = run_burst(factory, 8, ready_timeout=2.0, hard_limit=5.0)
    assert report.succeeded == 0
    assert report.errors_by_kind == {"not-started": 8}


def test_options_need_a_stop_condition() -> None:
    with pytest.raises(ValueError, match="duration"):
        LoadOptions(concurrency=1)


def test_merge_adds_every_tally_and_keeps_the_first_example_of_a_kind() -> None:
    first, second = Tally(), Tally()
    first.add(0.1, 200, None)
    first.add(0.2, 500, "http_5xx", "first 500")
    second.add(0.3, 500, "http_5xx", "second 500")
    second.add(0.4, None, "timeout")
    report = merge([first, second], elapsed=2.0, max_samples=10, abandoned=1)
    assert report.requests == 5
    assert report.succeeded == 1
    assert report.status_codes == {"200": 1, "500": 2}
    assert report.errors_by_kind == {"abandoned": 1, "http_5xx": 2, "timeout": 1}
    assert list(report.error_examples) == ["http_5xx", "timeout", "abandoned"]
    assert report.error_examples["http_5xx"] == "first 500"
    assert sorted(report.latency_sample) == [0.1, 0.2, 0.3, 0.4]


def test_options_paced_as_a_load_spec() -> None:
    from aiwf_ci.config.models import LoadSpec

    spec = LoadSpec(url="http://127.0.0.1/", concurrency=3, ramp_up=1.0, requests=9, rate=5.0)
    options = LoadOptions.paced(spec, hard_limit=30.0, max_samples=7)
    assert options == LoadOptions(
        concurrency=3, ramp_up=1.0, requests=9, rate=5.0, hard_limit=30.0, max_samples=7
    )
    with pytest.raises(ValueError, match="needs a duration or a number of requests"):
        LoadOptions.paced(LoadSpec(url="http://127.0.0.1/"), hard_limit=1.0, max_samples=1)
