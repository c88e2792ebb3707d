"""The report in a real browser: headless Chromium (Debian's ``chromium``) opens the file, every
chart draws, no request leaves the file, and the page is not blank.

Set ``REPORT_SCREENSHOT`` to a path to keep the screenshot (docs/report.png is made that way).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from betterstack_etl.report import DuckDbSource, ReportOptions, render_report, write_report
from betterstack_etl.report.options import DETAILED_MONITORS

from . import sim_lake as S

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="no /usr/bin/chromium: run scripts/setup.sh as root (apt-get install chromium)",
    ),
]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        # a fresh profile; Playwright's own driver, Debian's browser (nothing is downloaded)
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            args=FLAGS,
            headless=True,
            viewport={"width": 1100, "height": 1500},
        )
        try:
            yield context
        finally:
            context.close()


def test_the_report_opens_from_a_file_draws_every_chart_and_fetches_nothing(
    browser: Any, simulated_lake: Path, tmp_path: Path
) -> None:
    from PIL import Image, ImageStat

    with DuckDbSource.open(simulated_lake) as source:
        html = render_report(source, ReportOptions.from_cli(now=S.NOW, lang="pt-BR"))
    drawn = html.count('<svg class="chart"')
    assert drawn == 10  # budget bars + 3 monitors x (daily, response times, timeline)
    page_file = Path(write_report(html, str(tmp_path / "report.html")))
    requests: list[str] = []
    browser.on("request", lambda request: requests.append(request.url))
    browser.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file:")
                  else route.continue_())  # fmt: skip
    page = browser.new_page()
    page.goto(page_file.as_uri(), wait_until="load")
    # every chart is an SVG the browser laid out with a size and drawn paths
    charts = page.locator("svg.chart")
    assert charts.count() == drawn
    for index in range(charts.count()):
        chart = charts.nth(index)
        box = chart.bounding_box()
        assert box is not None
        assert box["width"] > 300
        assert box["height"] > 80
        assert chart.locator("path").count() > 5
    assert page.locator("#summary table tbody tr").count() == 3
    # badges and names stay on one line (a wrapped badge is twice as tall)
    line = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    for locator in (page.locator(".badge"), page.locator("td.name a"), page.locator("h2 .title")):
        assert locator.count() > 0
        for index in range(locator.count()):
            box = locator.nth(index).bounding_box()
            assert box is not None
            assert box["height"] < 2.2 * line, (locator, index, box)
    # per monitor: the covered period, the months' trend, the SLOs (the default here)
    assert page.locator("p.covered").count() == 3
    assert page.locator("table.trend").count() == 3
    assert page.locator("table.slos tbody tr").count() == 3
    assert requests == [page_file.as_uri()]  # the file itself, nothing else
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=False)
    image = Image.open(shot).convert("L")
    assert image.size == (1100, 1500)
    assert ImageStat.Stat(image).stddev[0] > 20  # not a blank page
    if os.environ.get("REPORT_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["REPORT_SCREENSHOT"])


def test_many_monitors_worst_first_with_compact_sections(browser: Any, tmp_path: Path) -> None:
    from . import many_lake as M

    n = 30
    root = M.build(tmp_path / "many", n)
    with DuckDbSource.open(root) as source:
        html = render_report(source, ReportOptions.from_cli(now=M.NOW, lang="pt-BR"))
    page_file = Path(write_report(html, str(tmp_path / "many.html")))
    requests: list[str] = []
    browser.on("request", lambda request: requests.append(request.url))
    browser.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file:")
                  else route.continue_())  # fmt: skip
    page = browser.new_page()
    page.goto(page_file.as_uri(), wait_until="load")
    shown = page.eval_on_selector_all(
        "#summary table tbody tr", "rows => rows.map(r => r.dataset.monitor)"
    )
    assert shown == M.expected_order(n)
    compact = page.locator("section.monitor.compact")
    assert compact.count() == n - DETAILED_MONITORS
    # every sparkline laid out at its size, its bars drawn
    sparks = page.locator("svg.spark")
    assert sparks.count() == n - DETAILED_MONITORS
    for index in range(sparks.count()):
        box = sparks.nth(index).bounding_box()
        assert box is not None
        assert box["width"] == 124  # 25 days × 5 − 1
        assert box["height"] == 24
        assert sparks.nth(index).locator("path").count() >= 2
    line = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    titles = page.locator("section.compact h3 .title")
    for index in range(titles.count()):
        box = titles.nth(index).bounding_box()
        assert box is not None
        assert box["height"] < 2.2 * line
    assert page.locator("svg.chart").count() == 1 + 2 * DETAILED_MONITORS
    assert requests == [page_file.as_uri()]
