"""The readiness wait of the ``raw`` engine: ``epoll`` on Linux, ``poll`` elsewhere.

Both take a mask of ``IN``/``OUT`` per descriptor and report ``(fd, events)`` pairs; only
their timeouts differ (seconds vs milliseconds), which this hides.
"""

from __future__ import annotations

import select

IN, OUT, ERR = select.POLLIN, select.POLLOUT, select.POLLERR | select.POLLHUP


class Poller:
    """``epoll`` where there is one, ``poll`` otherwise, with a timeout in seconds."""

    def __init__(self) -> None:
        self._epoll = select.epoll() if hasattr(select, "epoll") else None
        self._poll = select.poll() if self._epoll is None else None

    def register(self, fd: int, mask: int) -> None:
        (self._epoll or self._poll).register(fd, mask)  # type: ignore[union-attr]

    def modify(self, fd: int, mask: int) -> None:
        (self._epoll or self._poll).modify(fd, mask)  # type: ignore[union-attr]

    def unregister(self, fd: int) -> None:
        (self._epoll or self._poll).unregister(fd)  # type: ignore[union-attr]

    def wait(self, timeout: float) -> list[tuple[int, int]]:
        if self._epoll is not None:
            return self._epoll.poll(timeout)
        assert self._poll is not None
        return self._poll.poll(timeout * 1000)

    def close(self) -> None:
        if self._epoll is not None:
            self._epoll.close()
