"""Headless Chromium for the HTML tests: found on the PATH, started with flags that keep it
offline and quiet, its console messages read from its log on stderr.

``--enable-logging=stderr --v=0`` makes Chromium log every console message of the page
(``console.error``, uncaught exceptions, Content-Security-Policy violations) as a line
holding ``CONSOLE``; ``console_messages`` picks those out.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
WIDTH = 1280


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium once with ``args`` (a URL last), offline, with its own profile."""
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def console_messages(stderr: str) -> list[str]:
    """The page's console messages among Chromium's log lines."""
    return [line for line in stderr.splitlines() if "CONSOLE" in line]


def screenshot(tmp_path: Path, url: str, name: str, height: int) -> Path:
    """A ``WIDTH`` × ``height`` PNG of ``url``."""
    shot = tmp_path / name
    result = chromium(tmp_path, f"--screenshot={shot}", f"--window-size={WIDTH},{height}", url)
    assert result.returncode == 0, result.stderr[-2000:]
    return shot


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG header (IHDR)."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    return width, height
