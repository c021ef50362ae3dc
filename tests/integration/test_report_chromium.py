"""The HTML report in a real headless Chromium: loads offline, no console errors, charts drawn,
and screenshots at 1,280 px, the width of a laptop's browser.

Skipped when no Chromium binary is installed (CI installs Debian's ``chromium``). Set
``AIWF_SCREENSHOT=DIR`` to keep the screenshots and look at them; with
``AIWF_UPDATE_GOLDEN=1`` the charts screenshot is also kept as
``tests/data/golden/report-screenshot.png`` when it is under 300 KB.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from aiwf_ci.models import Results, Series, load_results
from aiwf_ci.report import ReportContext, render_html
from aiwf_ci.verdict.compare import compare
from aiwf_ci.verdict.model import Report
from tests.integration.chromium_helpers import (
    CHROMIUM,
    WIDTH,
    chromium,
    console_messages,
    png_size,
    screenshot,
)

GOLDEN = Path(__file__).parents[1] / "data" / "golden"
CHARTS_HEIGHT = 2000
SHOWN = ("health-endpoint", "leaky-cache")
GOLDEN_SHOT = GOLDEN / "report-screenshot.png"
GOLDEN_SHOT_MAX = 300_000

#: Read before the env-cleaning fixture.
KEEP_SCREENSHOTS = os.environ.get("AIWF_SCREENSHOT")
UPDATE = os.environ.get("AIWF_UPDATE_GOLDEN") == "1"

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary installed"),
]


def _screenshot(tmp_path: Path, page: Path, name: str, height: int) -> Path:
    shot = screenshot(tmp_path, page.as_uri(), name, height)
    if KEEP_SCREENSHOTS:
        Path(KEEP_SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, Path(KEEP_SCREENSHOTS) / name)
    return shot


@pytest.fixture(scope="module")
def runs() -> tuple[Results, Results]:
    return load_results(GOLDEN / "baseline.json"), load_results(GOLDEN / "head.json")


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory, runs: tuple[Results, Results]) -> Path:
    baseline, head = runs
    html = render_html(Report.of(compare(baseline, head)), ReportContext(suite=head.suite))
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(html, encoding="utf-8")
    return path


def _flat_baseline(head: Results, baseline: Results) -> Results:
    """The baseline plus a ``leaky-cache`` whose memory stayed flat, so the RSS chart has
    two series and its legend two keys."""
    leaky = next(b for b in head.benchmarks if b.name == "leaky-cache")
    rss = leaky.series["memory_rss"]
    flat = Series(unit=rss.unit, t=rss.t, values=tuple(rss.values[0] for _ in rss.values))
    kept = replace(leaky, series={"memory_rss": flat}, alerts=())
    return replace(baseline, benchmarks=(*baseline.benchmarks, kept))


@pytest.fixture(scope="module")
def charts_file(tmp_path_factory: pytest.TempPathFactory, runs: tuple[Results, Results]) -> Path:
    """A report of a few benchmarks with every kind of chart, short enough that one
    1,280-px screenshot shows the charts."""
    baseline, head = runs

    def only(results: Results) -> Results:
        return replace(results, benchmarks=tuple(b for b in results.benchmarks if b.name in SHOWN))

    comparison = compare(only(_flat_baseline(head, baseline)), only(head))
    html = render_html(Report.of(comparison), ReportContext(suite=head.suite, design="files"))
    path = tmp_path_factory.mktemp("charts") / "charts.html"
    path.write_text(html, encoding="utf-8")
    return path


def test_report_loads_without_console_errors_and_draws_charts(
    report_file: Path, tmp_path: Path
) -> None:
    result = chromium(tmp_path, "--dump-dom", report_file.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert 'id="verdict"' in dom
    assert '<span class="badge v-errored">errored</span>' in dom  # status in words, not emoji only
    assert dom.count("<svg") >= 10
    assert dom.count('class="sample"') > 100  # strip-plot points
    assert 'class="series"' in dom  # memory over time
    assert 'class="bar"' in dom  # latency percentiles
    assert dom.count('class="grid"') > 50  # axes with ticks
    assert "<img" not in dom  # the hostile benchmark name stayed text
    assert console_messages(result.stderr) == []


def test_report_screenshots_at_laptop_width(
    report_file: Path, charts_file: Path, tmp_path: Path
) -> None:
    top = _screenshot(tmp_path, report_file, "report-top.png", 1400)
    assert png_size(top) == (WIDTH, 1400)
    assert top.stat().st_size > 20_000  # a blank page is a few KiB
    charts = _screenshot(tmp_path, charts_file, "report-charts.png", CHARTS_HEIGHT)
    assert png_size(charts) == (WIDTH, CHARTS_HEIGHT)
    assert charts.stat().st_size > 20_000
    if UPDATE and charts.stat().st_size < GOLDEN_SHOT_MAX:
        shutil.copyfile(charts, GOLDEN_SHOT)
