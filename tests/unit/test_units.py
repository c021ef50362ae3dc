from __future__ import annotations

import pytest

from aiwf_ci.units import parse_duration, parse_percent, parse_size


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (2, 2.0),
        (0.5, 0.5),
        ("500ms", 0.5),
        ("2s", 2.0),
        ("1.5m", 90.0),
        ("10 ms", 0.01),
        ("3us", 3e-6),
    ],
)
def test_parse_duration(text: object, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["fast", "-1s", True, None, "5 parsecs", -3])
def test_parse_duration_rejects(bad: object) -> None:
    with pytest.raises(ValueError, match=r"expected|negative"):
        parse_duration(bad)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        (4096, 4096),
        ("4KiB", 4096),
        ("4KB", 4000),
        ("10MB", 10_000_000),
        ("1GiB", 1 << 30),
        ("12 b", 12),
    ],
)
def test_parse_size(text: object, size: int) -> None:
    assert parse_size(text) == size


def test_parse_percent() -> None:
    assert parse_percent("20%") == pytest.approx(0.2)
    assert parse_percent("-10%") == pytest.approx(-0.1)
    with pytest.raises(ValueError, match="percentage"):
        parse_percent("20")
