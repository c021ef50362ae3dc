"""The trend dashboard in a real headless Chromium: loads offline without console errors
(and an error *is* seen: a page whose script does not match its hash logs one), the name
filter works (driven by a ``#filter=`` fragment, read by the page's script), hostile names
stay text, and a screenshot at 1,280 px.

Skipped when no Chromium binary is installed. ``AIWF_SCREENSHOT=DIR`` keeps the screenshot;
``AIWF_UPDATE_GOLDEN=1`` keeps it as ``tests/data/golden/dashboard-screenshot.png`` when it
is under 300 KB.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest

from aiwf_ci.history.trend import Trend, build_trend
from aiwf_ci.report import render_dashboard
from tests.integration.chromium_helpers import (
    CHROMIUM,
    WIDTH,
    chromium,
    console_messages,
    png_size,
    screenshot,
)
from tests.trend_points import HOSTILE, flat, history, step_at

GOLDEN_SHOT = Path(__file__).parents[1] / "data" / "golden" / "dashboard-screenshot.png"
GOLDEN_SHOT_MAX = 300_000
HEIGHT = 1100

#: Read before the env-cleaning fixture.
KEEP_SCREENSHOTS = os.environ.get("AIWF_SCREENSHOT")
UPDATE = os.environ.get("AIWF_UPDATE_GOLDEN") == "1"

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary installed"),
]


@pytest.fixture(scope="module")
def trend() -> Trend:
    """Four benchmarks, three steps, one hostile name, two runs on another machine."""
    levels = {
        "parse-json": (step_at(28, 1e-3, 1.25e-3), "s"),
        "sort-1m": (step_at(10, 0.13, 0.10), "s"),
        HOSTILE[1]: (flat(2e6), "bytes"),
        "copy-dataset": (step_at(33, 33_000.0, 30_000.0), "files/s"),
    }
    return build_trend(history(levels, runs=40, unlike=(5, 6)))


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory, trend: Trend) -> Path:
    html = render_dashboard(trend, branch="main", generated_at="2024-05-01 12:00 UTC")
    path = tmp_path_factory.mktemp("dashboard") / "dashboard.html"
    path.write_text(html, encoding="utf-8")
    return path


def _dom(tmp_path: Path, url: str) -> tuple[str, list[str]]:
    result = chromium(tmp_path, "--dump-dom", url)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout, console_messages(result.stderr)


def _cards(dom: str) -> dict[str, bool]:
    """Card id -> shown (not ``hidden``)."""
    tags = re.findall(r'<figure class="card" id="(m\d+)"([^>]*)>', dom)
    return {card: "hidden" not in rest for card, rest in tags}


def test_dashboard_loads_without_console_errors(page: Path, trend: Trend, tmp_path: Path) -> None:
    dom, console = _dom(tmp_path, page.as_uri())
    assert console == []
    assert _cards(dom) == {f"m{i}": True for i in range(4)}
    assert 'id="filter-form" role="search">' in dom  # the script ran and showed the filter
    assert "4 of 4 charts shown" in dom
    assert dom.count('<g class="step">') == len(trend.steps()) == 3
    assert dom.count('class="unlike"') == 2 * 4
    assert "<script>alert" not in dom and "<img" not in dom
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in dom  # shown as text


def test_a_console_error_is_detected(page: Path, tmp_path: Path) -> None:
    """The negative check: the same page with one character of its script changed no
    longer matches the hash in its Content-Security-Policy; Chromium blocks the script and
    logs it, so injected script would neither run nor go unnoticed."""
    tampered = tmp_path / "tampered.html"
    tampered.write_text(page.read_text().replace('"use strict";', '"use strict"; '))
    dom, console = _dom(tmp_path, tampered.as_uri())
    assert any("Content Security Policy" in line for line in console), console
    assert 'id="filter-form" role="search" hidden' in dom  # the script did not run
    assert all(_cards(dom).values())  # and everything still shows


@pytest.mark.parametrize(
    ("words", "shown"),
    [
        ("SORT", {"m1"}),
        ("Json", {"m0"}),
        ("</script>", {"m2"}),
        ("duration", {"m0", "m1", "m2", "m3"}),
        ("nothing-like-this", set()),
    ],
)
def test_the_filter_shows_matching_benchmarks_only(
    page: Path, tmp_path: Path, words: str, shown: set[str]
) -> None:
    dom, console = _dom(tmp_path, f"{page.as_uri()}#filter={quote(words)}")
    assert console == []
    cards = _cards(dom)
    assert {card for card, visible in cards.items() if visible} == shown
    assert f"{len(shown)} of 4 charts shown" in dom


def test_dashboard_screenshot_at_laptop_width(page: Path, tmp_path: Path) -> None:
    shot = screenshot(tmp_path, page.as_uri(), "dashboard.png", HEIGHT)
    assert png_size(shot) == (WIDTH, HEIGHT)
    assert shot.stat().st_size > 20_000  # a blank page is a few KiB
    if KEEP_SCREENSHOTS:
        Path(KEEP_SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, Path(KEEP_SCREENSHOTS) / "dashboard.png")
    if UPDATE and shot.stat().st_size < GOLDEN_SHOT_MAX:
        shutil.copyfile(shot, GOLDEN_SHOT)
