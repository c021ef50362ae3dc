"""The per-phase time budget as plain arithmetic on a clock the test holds."""

from __future__ import annotations

from aiwf_ci.github.phases import MARGIN, Phase, out_of_time
from aiwf_ci.github.ratelimit import WaitBudget


def phase(budget: float = 60.0) -> Phase:
    return Phase(name="baseline", budget=budget, waits=WaitBudget(10.0, lambda s: None))


def test_only_time_inside_a_call_counts() -> None:
    p = phase()
    assert p.left(1_000.0) == 60.0  # a phase never used has all of it, however late
    assert p.begin(1_000.0)
    assert p.left(1_010.0) == 50.0  # the call in progress counts
    p.end(1_020.0)
    assert p.left(5_000.0) == 40.0  # time between calls does not


def test_a_nested_call_is_not_counted_twice() -> None:
    p = phase()
    assert p.begin(0.0)
    assert not p.begin(1.0)
    p.end(4.0)
    p.end(9.0)  # the outer end after an inner one already closed it: nothing more
    assert p.spent == 4.0


def test_pacing_is_excused() -> None:
    p = phase()
    p.begin(0.0)
    p.excuse(30.0)  # 30 s of our own pacing inside the call
    p.end(35.0)
    assert p.spent == 5.0


def test_a_wait_must_leave_room_for_the_request_after_it() -> None:
    p = phase(budget=10.0)
    p.begin(0.0)
    assert p.may_wait(10.0 - MARGIN - 2.0, 2.0)
    assert not p.may_wait(10.0 - MARGIN - 2.0 + 0.01, 2.0)


def test_the_message_says_what_the_time_went_on() -> None:
    p = phase()
    p.requests, p.retries = 3, 2
    assert out_of_time(p, "GET /x") == (
        "GET /x: the API did not answer within 60 s spent on the baseline phase "
        "(3 requests, 2 retries)"
    )
    p.requests, p.retries = 1, 1
    assert out_of_time(p, "GET /x", "the download did not finish").endswith(
        "the download did not finish within 60 s spent on the baseline phase (1 request, 1 retry)"
    )
