"""report.html in real headless Chromium (Debian's ``chromium``): the DOM has the timelines and
the screenshot shows the page drawn with its colours."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from html_tree import read_page
from png_pixels import decode_png
from report_samples import error_scenario, failing_scenario, many_items_scenario, passing_scenario, run

from harness.testing import require_real
from harness.report import write_reports

TIMEOUT_S = 60
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")
FAIL_RED, ONLINE_GREEN, SYNCING_BLUE = (0xCF, 0x22, 0x2E), (0xAC, 0xEE, 0xBB), (0x80, 0xCC, 0xFF)


@pytest.fixture
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        require_real("Debian's chromium", "run `bash .ci/run`, or `apt-get install -y --no-install-recommends chromium`")
    return path


def open_in_chromium(chromium: str, tmp_path: Path, page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [chromium, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args, page.resolve().as_uri()]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"chromium did not finish within {TIMEOUT_S} s: {' '.join(command)}", pytrace=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def test_chromium_dom_has_every_scenario_and_its_svg_timeline(chromium: str, tmp_path: Path) -> None:
    results = run(passing_scenario(), failing_scenario(), error_scenario(), many_items_scenario())
    page = write_reports(results, tmp_path / "reports")["report.html"]
    dom = read_page(open_in_chromium(chromium, tmp_path, page, "--dump-dom").stdout)
    timelines = dom.find("svg", "timeline")
    assert len(timelines) == 3  # the error scenario recorded none
    titles = [el.all_text() for el in dom.find("h3")]
    assert titles == ["response-lost-after-commit", "backlog-of-300", "payment-offline", "offline-then-online"]
    assert len(dom.find("rect", "attempt")) == 5 + 300 - 270 + 1 + 3  # drawn rows only, see the cap
    assert "2 failed, 1 could not run, 1 passed" in dom.find("div", "banner")[0].all_text()


def test_chromium_screenshot_shows_the_red_banner_and_the_coloured_timeline(chromium: str, tmp_path: Path) -> None:
    page = write_reports(run(failing_scenario()), tmp_path / "reports")["report.html"]
    shot = tmp_path / "report.png"
    open_in_chromium(chromium, tmp_path, page, f"--screenshot={shot}", "--window-size=1280,2000")
    image = decode_png(shot.read_bytes())
    assert (image.width, image.height) == (1280, 2000)
    colours = {image.pixel(x, y) for y in range(0, image.height, 4) for x in range(0, image.width, 4)}
    assert len(colours) > 50, "the screenshot is nearly blank"
    banner = {image.pixel(x, y) for y in range(40, 110) for x in range(0, image.width, 16)}
    assert FAIL_RED in banner, "no red failure banner at the top of the page"
    assert {ONLINE_GREEN, SYNCING_BLUE} <= colours, "the timeline's network and sync bands were not drawn"
