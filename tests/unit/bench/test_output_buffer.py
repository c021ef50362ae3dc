"""``OutputBuffer``: the head and tail of a stream in bounded memory, saying what it dropped."""

from __future__ import annotations

from aiwf_ci.bench.process import OutputBuffer


def test_a_short_stream_is_kept_whole() -> None:
    buffer = OutputBuffer(head=8, tail=8)
    for chunk in (b"abc", b"def", b"ghij"):
        buffer.add(chunk)
    assert buffer.text() == "abcdefghij"
    assert buffer.dropped == 0


def test_a_long_stream_keeps_its_head_and_tail_and_says_how_much_was_dropped() -> None:
    buffer = OutputBuffer(head=4, tail=6)
    for i in range(1000):
        buffer.add(f"{i:04d}".encode())
    text = buffer.text()
    assert text.startswith("0000\naiwf-ci: 3.90 KiB of output dropped here")
    assert text.endswith("\n980999")
    assert buffer.dropped == 4000 - 4 - 6
    assert len(buffer.first) + len(buffer.last) == 10


def test_memory_stays_bounded_while_the_stream_grows() -> None:
    buffer = OutputBuffer(head=16, tail=64)
    for _ in range(10_000):
        buffer.add(b"x" * 100)
        assert len(buffer.last) <= 2 * 64 + 100
