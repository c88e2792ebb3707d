"""Issue 24: a report for hundreds of monitors, worst first, its size and cost bounded. The
expected order comes from ``many_lake``'s construction (plain integers), never from the code
under test; the size is checked as a shape (bytes per monitor), never as a time."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from betterstack_etl.report import DuckDbSource, ReportOptions, render_report
from betterstack_etl.report.options import DETAILED_MONITORS
from betterstack_etl.report.order import natural_key

from . import fixture_lake as F
from . import many_lake as M
from .conftest import section

CHARTS_PER_MONITOR = 2  # daily, timeline (the many lake has no response times)


def _render(root: Path, detailed: int = DETAILED_MONITORS) -> str:
    options = replace(ReportOptions.from_cli(now=M.NOW, lang="en"), detailed=detailed)
    with DuckDbSource.open(root) as source:
        return render_report(source, options)


@pytest.fixture(scope="module")
def lake_30(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return M.build(tmp_path_factory.mktemp("many30"), 30)


@pytest.fixture(scope="module")
def lake_60(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return M.build(tmp_path_factory.mktemp("many60"), 60)


def test_natural_order_of_names() -> None:
    names = ["Service 10", "service 2", "Service 1", "Service 100", "Service 02", "Service 0",
             "Alpha", "Service 1a", "Service " + "9" * 5000]  # fmt: skip
    assert sorted(names, key=natural_key) == [
        "Alpha", "Service 0", "Service 1", "Service 1a", "Service 02", "service 2",
        "Service 10", "Service 100", "Service " + "9" * 5000,
    ]  # fmt: skip


def test_the_table_and_the_sections_are_worst_first(lake_30: Path) -> None:
    html = _render(lake_30)
    expected = M.expected_order(30)
    summary = html[html.index('<section id="summary">') : html.index("</section>")]
    assert re.findall(r'<tr data-monitor="([^"]+)">', summary) == expected
    sections = re.findall(r'<section class="monitor[^"]*" id="m-([^"]+)"', html)
    assert sections == expected
    # the first one is the worst breach (Service 24), then the other breaches
    assert expected[:5] == [M.monitor_id(i) for i in (24, 18, 12, 6, 0)]
    # the ties (at risk, all 1500 s down) in natural order: Service 1, 7, 13, 19, 25
    assert expected[5:10] == [M.monitor_id(i) for i in (1, 7, 13, 19, 25)]
    # full charts for the worst DETAILED_MONITORS, compact sections for the rest
    assert len(re.findall(r'<section class="monitor" id=', html)) == DETAILED_MONITORS
    compact = re.findall(r'<section class="monitor compact" id="m-([^"]+)"', html)
    assert compact == expected[DETAILED_MONITORS:]


def test_a_compact_section_keeps_the_trend_the_coverage_and_the_lines(lake_30: Path) -> None:
    html = _render(lake_30)
    worst_compact = M.expected_order(30)[DETAILED_MONITORS]
    own = section(html, worst_compact)  # Service 2: partial coverage (30 %)
    assert "Service 2" in own
    assert 'class="badge partial"' in own
    assert "Data since Nov 18, 2026; coverage of the month: 30.0%." in own
    assert '<tr data-month="2026-10-01">' in own  # the trend, as in a full section
    assert '<svg class="spark"' in own
    breached = _render(lake_30, detailed=0)
    first = section(breached, M.monitor_id(24))
    assert "Longest incident: 1 h 30 min" in first
    assert "Status 504" in first
    assert "Days the API&#x27;s SLA disagrees with the incidents: 1 of 1." in first
    # the sparkline: 25 days, the 10th below the SLO (red), the others green
    spark = re.search(r'<svg class="spark".*?</svg>', first, re.S)
    assert spark is not None
    assert spark.group(0).count("M") == 25 + 1  # a bar per day and the SLO line
    red = re.search(r'<path fill="#c62828" d="([^"]*)"', spark.group(0))
    assert red is not None
    assert red.group(1).startswith("M45 24v-")


def test_bytes_per_monitor_do_not_grow_with_a_chart_per_monitor(
    lake_30: Path, lake_60: Path
) -> None:
    small, large = _render(lake_30), _render(lake_60)
    charts = [re.findall(r'<svg class="chart".*?</svg>', h, re.S) for h in (small, large)]
    # the matplotlib charts: the budget chart and the worst monitors' own, however many monitors
    assert len(charts[0]) == len(charts[1]) == 1 + CHARTS_PER_MONITOR * DETAILED_MONITORS
    per_monitor = (len(large.encode()) - len(small.encode())) / 30
    smallest_chart = min(len(c.encode()) for c in charts[1])
    assert per_monitor < smallest_chart / 2
    assert per_monitor < 3_000_000 / 500  # 500 monitors fit in 3 MB
    # the budget chart has at most its 20 bars, whatever the number of monitors
    assert "The chart shows the 20 monitors in the worst state; the table has all 60." in large


def test_hostile_names_and_causes_in_compact_sections(tmp_path: Path) -> None:
    name = "$\\frac{1}{$ <img src=x onerror=alert(1)> \x1b]0;T\x07 & 'q\" 0"
    root = M.build(tmp_path / "hostile", 12, names={0: name})
    import duckdb

    con = duckdb.connect(str(root / "betterstack.duckdb"))
    con.execute("UPDATE eai_gateway_incidents SET cause = ? WHERE monitor_id = ?",
                ["<script>alert(1)</script> \x1b[31m", M.monitor_id(0)])  # fmt: skip
    con.close()
    html = _render(root, detailed=0)
    own = section(html, M.monitor_id(0))
    assert "<script>" not in html
    assert "<img" not in html
    assert "\x1b" not in html
    assert (
        "$\\frac{1}{$ &lt;img src=x onerror=alert(1)&gt; \\x1b]0;T\\x07 &amp; &#x27;q&quot; 0"
        in own
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt; \\x1b[31m" in own


def test_the_fixture_lake_still_draws_every_monitor_in_full(tmp_path: Path) -> None:
    html = _render(F.build(tmp_path / "lake"))
    assert 'class="monitor compact"' not in html  # three monitors: all among the worst ten
    assert re.findall(r'<section class="monitor" id="m-([^"]+)"', html) == ["300", "200", "100"]
