"""The HTML report in a real headless Chromium: loads offline, no console errors, charts drawn.

Skipped when no Chromium binary is installed (CI installs Debian's ``chromium``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from aiwf_ci.models import load_results
from aiwf_ci.report import ReportContext, render_html
from aiwf_ci.verdict.compare import compare
from aiwf_ci.verdict.model import Report

GOLDEN = Path(__file__).parents[1] / "data" / "golden"
CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)

#: Set AIWF_SCREENSHOT=path.png to keep the screenshot and look at it.
KEEP_SCREENSHOT = os.environ.get("AIWF_SCREENSHOT")  # read before the env-cleaning fixture

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary installed"),
]


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
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
        "--enable-logging=stderr",
        "--v=0",
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    baseline = load_results(GOLDEN / "baseline.json")
    head = load_results(GOLDEN / "head.json")
    html = render_html(Report.of(compare(baseline, head)), ReportContext(suite=head.suite))
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(html, encoding="utf-8")
    return path


def test_report_loads_without_console_errors_and_draws_charts(
    report_file: Path, tmp_path: Path
) -> None:
    result = _chromium(tmp_path, "--dump-dom", report_file.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert 'id="verdict"' in dom
    assert dom.count("<svg") >= 10
    assert dom.count('class="sample"') > 100  # strip-plot points
    assert 'class="series"' in dom  # memory over time
    assert 'class="bar"' in dom  # latency percentiles
    assert "<img" not in dom  # the hostile benchmark name stayed text
    console = [line for line in result.stderr.splitlines() if "CONSOLE" in line]
    assert console == []


def test_report_screenshot(report_file: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    result = _chromium(
        tmp_path, f"--screenshot={shot}", "--window-size=1200,1600", report_file.as_uri()
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.stat().st_size > 20_000  # a blank page is a few KiB
    if KEEP_SCREENSHOT:
        shutil.copyfile(shot, KEEP_SCREENSHOT)
