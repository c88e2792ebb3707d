"""The report over a simulator-built lake and the real SLA views: what it prints is what the
published views (frozen at the same moment) say, and the incidents table, read here directly."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from betterstack_etl.report import DuckDbSource, ReportOptions, render_report, slo_breaches

from . import sim_lake as S
from .conftest import rows, section

pytestmark = pytest.mark.slow  # builds a three-week lake from the simulator (~5-10 s)

_EXPIRY = re.compile(r"expir", re.I)  # the simulator's expiry warnings: "SSL certificate expires…"


def _pct(value: float, digits: int, lang: str) -> str:
    figure = f"{value:,.{digits}f}"
    if lang == "pt-BR":
        return figure.replace(",", "_").replace(".", ",").replace("_", ".") + "\u00a0%"
    return figure + "%"


def _views(lake: Path, sql: str) -> list[dict[str, Any]]:
    con = duckdb.connect(str(lake / "betterstack.duckdb"), read_only=True)
    try:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description or []]
        return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    finally:
        con.close()


@pytest.mark.parametrize("lang", ["pt-BR", "en"])
def test_report_prints_what_the_views_say(simulated_lake: Path, lang: str) -> None:
    options = ReportOptions.from_cli(now=S.NOW, month="2026-11", lang=lang)
    with DuckDbSource.open(simulated_lake) as source:
        html = render_report(source, options)
    monthly = _views(simulated_lake, "SELECT * FROM eai_gateway_availability_monthly "
                     "WHERE month = DATE '2026-11-01'")  # fmt: skip
    names = {r["monitor_id"]: r["pronounceable_name"]
             for r in _views(simulated_lake, "SELECT * FROM eai_gateway_monitors")}  # fmt: skip
    table = rows(html, "monitor")
    assert set(table) == {r["monitor_id"] for r in monthly}
    budget = 30 * 86400 * 0.001
    for view in monthly:
        row = table[str(view["monitor_id"])]
        assert row[0] == names[view["monitor_id"]]
        assert row[1] == _pct(float(view["availability_pct"]), 3, lang)  # type: ignore[arg-type]
        assert row[3] == str(view["incidents"])
        assert row[6] == _pct(float(view["downtime_seconds"]) / budget * 100, 1, lang)  # type: ignore[arg-type]
    # the days the API's SLA and the incidents disagree: the reconciliation view's
    mismatched = _views(simulated_lake, "SELECT monitor_id, date FROM eai_gateway_sla_reconciliation "
                        "WHERE NOT matches AND date BETWEEN DATE '2026-11-01' AND DATE '2026-11-20'")  # fmt: skip
    assert mismatched  # the simulator's skew at least
    for view in monthly:
        monitor = str(view["monitor_id"])
        shown = set(rows(section(html, monitor), "date"))
        assert shown == {str(r["date"]) for r in mismatched if r["monitor_id"] == monitor}
    # the ten longest downtime incidents, from the incidents table
    incidents = _views(simulated_lake, "SELECT * FROM eai_gateway_incidents")
    start = datetime(2026, 11, 1, 3, tzinfo=UTC)
    for view in monthly:
        monitor = str(view["monitor_id"])
        own = [
            i for i in incidents
            if i["monitor_id"] == monitor and not _EXPIRY.search(str(i["cause"] or ""))
            and i["started_at"] < S.NOW and (i["resolved_at"] is None or i["resolved_at"] > start)
        ]  # fmt: skip

        def length(i: dict[str, object]) -> float:
            end = i["resolved_at"] if i["resolved_at"] is not None else S.NOW
            return (end - i["started_at"]).total_seconds()  # type: ignore[operator]

        ranked = sorted(own, key=lambda i: (-length(i), i["started_at"]))[:10]  # type: ignore[return-value]
        assert list(rows(section(html, monitor), "incident")) == [i["incident_id"] for i in ranked]
    # every monitor has its daily bars, its response times and its timeline
    charts = re.findall(r'data-chart="([a-z-]+)"', html)
    assert charts.count("daily") == charts.count("response-times") == len(monthly)


def test_breaches_match_the_monthly_view(simulated_lake: Path) -> None:
    options = ReportOptions.from_cli(now=S.NOW, month="2026-11")
    below = {
        r["monitor_id"]: r["availability_pct"]
        for r in _views(
            simulated_lake,
            "SELECT * FROM eai_gateway_availability_monthly "
            "WHERE month = DATE '2026-11-01' AND availability_pct < 99.9",
        )
    }
    with DuckDbSource.open(simulated_lake) as source:
        found = slo_breaches(source, month=options.month, options=options, now=S.NOW)
    assert {b.monitor_id: b.availability_pct for b in found} == pytest.approx(below)
    assert [b.availability_pct for b in found] == sorted(b.availability_pct for b in found)


@pytest.mark.parametrize("limit", [32, 1])
def test_a_memory_limited_source_answers_the_same(
    simulated_lake: Path, limit: int, caplog: pytest.LogCaptureFixture
) -> None:
    """The run's checks read the views with DuckDB's memory limited (issue 24: their queries
    spill instead of tripling a run's peak); a query that cannot fit (1 MiB) runs again with
    more (4 MiB, then DuckDB's default) and says so."""
    options = ReportOptions.from_cli(now=S.NOW, month="2026-11")
    with DuckDbSource.open(simulated_lake) as source:
        free = slo_breaches(source, month=options.month, options=options, now=S.NOW)
    with DuckDbSource.open(simulated_lake, memory_mib=limit) as source:
        limited = slo_breaches(source, month=options.month, options=options, now=S.NOW)
    assert limited == free
    assert free  # the lake has breaches: the comparison compares something
    raised = [r.getMessage() for r in caplog.records if "needs more memory" in r.getMessage()]
    if limit == 1:
        assert 1 <= len(raised) <= 2
        assert raised[0].endswith("now 4 MiB")
    else:
        assert raised == []
