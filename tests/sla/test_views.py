"""The views in DuckDB over hand-made rows, against the Python oracle and hand-checked figures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import pytest

from betterstack_etl.sla import VIEWS, SlaOptions, create_duckdb_views, view_selects

from . import oracle, scenario
from .rows import fetch, load_duckdb, raw_tables

_ = oracle.Cov  # the coverage rows come from scenario.COVERAGE

DAILY, MONTHLY, KPI, RECON, HOURLY = (v.name for v in VIEWS[:5])
ZONE = "America/Sao_Paulo"


def connect(
    session_zone: str = "UTC", options: SlaOptions | None = None, **data: Any
) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute(f"SET TimeZone = '{session_zone}'")
    load_duckdb(
        conn,
        raw_tables(
            data.get("incidents", scenario.INCIDENTS),
            data.get("monitors", scenario.MONITORS),
            data.get("slas", scenario.SLAS),
            data.get("points", scenario.POINTS),
            data.get("coverage", scenario.COVERAGE),
        ),
    )
    create_duckdb_views(conn, options=options or SlaOptions(), now=data.get("now", scenario.NOW))
    return conn


@pytest.fixture(scope="module")
def conn() -> Iterator[duckdb.DuckDBPyConnection]:
    # a session zone with a half-hour offset: the views must not depend on it
    connection = connect("Asia/Kolkata")
    yield connection
    connection.close()


def by_key(rows: list[dict[str, Any]], *key: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {tuple(r[k] for k in key): r for r in rows}


def assert_period_rows(
    rows: list[dict[str, Any]], expected: dict[tuple[str, date], oracle.Row], column: str
) -> None:
    got = by_key(rows, "monitor_id", column)
    assert set(got) == set(expected)
    for key, want in expected.items():
        row = got[key]
        assert row["monitor_name"] == want.name, key
        for column, seconds in (
            ("covered_seconds", want.covered),
            ("paused_seconds", want.paused),
            ("maintenance_seconds", want.maintenance),
            ("observed_seconds", want.observed),
        ):
            assert row[column] == pytest.approx(seconds, abs=1e-6), (key, column)
        if want.coverage_pct is None:
            assert row["coverage_pct"] is None, key
        else:
            assert row["coverage_pct"] == pytest.approx(want.coverage_pct, abs=1e-9), key
        assert row["downtime_seconds"] == pytest.approx(want.downtime, abs=1e-6), key
        assert row["incidents"] == want.incidents, key
        if want.availability is None:
            assert row["availability_pct"] is None, key
        else:
            assert row["availability_pct"] == pytest.approx(want.availability, abs=1e-9), key
        assert row["longest_incident_seconds"] == pytest.approx(want.longest, abs=1e-6), key
        for name, value in (("mtta_seconds", want.mtta), ("mttr_seconds", want.mttr)):
            assert row[name] == (None if value is None else pytest.approx(value, abs=1e-6)), (
                key,
                name,
            )


def oracle_rows(
    grain: oracle.Grain, zone: str = ZONE, **data: Any
) -> dict[tuple[str, date], oracle.Row]:
    return oracle.periods(
        data.get("incidents", scenario.INCIDENTS),
        data.get("monitors", scenario.MONITORS),
        data.get("slas", scenario.SLAS),
        data.get("now", scenario.NOW),
        zone,
        grain,
        data.get("coverage", scenario.COVERAGE),
    )


def test_daily_matches_the_oracle(conn: duckdb.DuckDBPyConnection) -> None:
    assert_period_rows(fetch(conn, DAILY), oracle_rows("day"), "day")


def test_monthly_matches_the_oracle(conn: duckdb.DuckDBPyConnection) -> None:
    assert_period_rows(fetch(conn, MONTHLY), oracle_rows("month"), "month")


def test_daily_hand_checked_figures(conn: duckdb.DuckDBPyConnection) -> None:
    rows = by_key(fetch(conn, DAILY), "monitor_id", "day")
    a = {day: rows[("m-a", day)] for m, day in rows if m == "m-a"}
    assert sorted(a) == [date(2026, 10, 29) + timedelta(days=n) for n in range(6)]
    # the first São Paulo day holds 3 covered hours (21:00-24:00): observed 3 h, not a day
    assert a[date(2026, 10, 29)]["availability_pct"] == 100.0
    assert a[date(2026, 10, 29)]["observed_seconds"] == 3 * 3600
    assert a[date(2026, 10, 29)]["coverage_pct"] == 12.5
    # a quiet, covered day: a full day observed, 100 %
    assert a[date(2026, 10, 30)]["observed_seconds"] == 86400
    assert a[date(2026, 10, 30)]["availability_pct"] == 100.0
    # a1 20:00-24:00 on Oct 31 and 00:00-01:00 on Nov 1 in São Paulo
    assert a[date(2026, 10, 31)]["downtime_seconds"] == 4 * 3600
    assert a[date(2026, 11, 1)]["downtime_seconds"] == 3600
    assert a[date(2026, 11, 1)]["incidents"] == 1
    # overlap a2/a3 counts once (2 h), the SSL warning a4 not at all
    assert a[date(2026, 11, 2)]["downtime_seconds"] == 2 * 3600
    assert a[date(2026, 11, 2)]["incidents"] == 2
    assert a[date(2026, 11, 2)]["mtta_seconds"] == pytest.approx(5 * 60 + 30.25)
    # today in progress: 12 h observed; a5 open since 14:30 and a6 (resolved after now) → 30 min
    today = a[date(2026, 11, 3)]
    assert today["observed_seconds"] == 12 * 3600
    assert today["downtime_seconds"] == 30 * 60
    assert today["incidents"] == 2
    assert today["mttr_seconds"] is None
    assert today["availability_pct"] == pytest.approx(100 * (1 - 1800 / 43200))
    # m-b created at 07:00 São Paulo on Nov 2: 17 h observed that day
    b = rows[("m-b", date(2026, 11, 2))]
    assert b["observed_seconds"] == 17 * 3600
    assert b["downtime_seconds"] == 1800.5
    assert b["monitor_name"] == "Portal"
    assert a[date(2026, 11, 3)]["monitor_name"] == "EAí gateway"  # the newest listing row
    assert all(r["time_zone"] == ZONE for r in rows.values())


def test_monthly_hand_checked_figures(conn: duckdb.DuckDBPyConnection) -> None:
    rows = by_key(fetch(conn, MONTHLY), "monitor_id", "month")
    october, november = rows[("m-a", date(2026, 10, 1))], rows[("m-a", date(2026, 11, 1))]
    assert october["downtime_seconds"] == 4 * 3600  # a1's São Paulo October part only
    assert october["month_seconds"] == 31 * 86400
    assert october["longest_incident_seconds"] == 4 * 3600
    assert october["mttr_seconds"] == 5 * 3600  # a1 started in October
    assert november["downtime_seconds"] == 3600 + 2 * 3600 + 1800
    assert november["incidents"] == 5  # a1, a2, a3, a5, a6
    assert november["observed_seconds"] == 2 * 86400 + 12 * 3600
    # October: covered from 10-30 00:00 UTC (10-29 21:00 in São Paulo), not the whole month
    assert october["observed_seconds"] == 3 * 3600 + 2 * 86400
    assert october["coverage_pct"] == pytest.approx(100 * (3 * 3600 + 2 * 86400) / (31 * 86400))
    assert november["slo_pct"] == 99.9
    budget = 30 * 86400 * (100 - 99.9) / 100
    assert november["error_budget_seconds"] == pytest.approx(budget)
    assert november["error_budget_remaining_seconds"] == pytest.approx(budget - 12600)
    assert november["error_budget_remaining_seconds"] < 0  # spent
    b = rows[("m-b", date(2026, 11, 1))]
    assert b["observed_seconds"] == 17 * 3600 + 12 * 3600


def test_uptime_kpi_has_the_analysts_columns_computed_right(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    rows = by_key(fetch(conn, KPI), "monitor_id", "mes")
    monthly = oracle_rows("month")
    assert set(rows) == {(m, p.strftime("%Y-%m")) for m, p in monthly}
    for (monitor_id, period), want in monthly.items():
        row = rows[(monitor_id, period.strftime("%Y-%m"))]
        minutes = want.period_seconds / 60
        assert row["total_minutes_in_month"] == minutes
        assert row["total_downtime_minutes"] == pytest.approx(want.downtime / 60)
        assert row["disponibilidade_percentual"] == round(
            (1 - want.downtime / 60 / minutes) * 100, 3
        )
    assert rows[("m-a", "2026-10")]["total_downtime_minutes"] == 240
    assert rows[("m-b", "2026-11")]["total_downtime_minutes"] == pytest.approx(30 + 0.5 / 60)


def test_reconciliation_reports_the_mismatch_in_utc_days(conn: duckdb.DuckDBPyConnection) -> None:
    rows = by_key(fetch(conn, RECON), "monitor_id", "date")
    assert set(rows) == {(s.monitor_id, s.day) for s in scenario.SLAS}
    computed = oracle.reconcile(scenario.INCIDENTS, scenario.MONITORS, scenario.SLAS, scenario.NOW)
    for sla in scenario.SLAS:
        row = rows[(sla.monitor_id, sla.day)]
        downtime, incidents = computed[(sla.monitor_id, sla.day)]
        assert row["computed_downtime_seconds"] == pytest.approx(downtime, abs=1e-6)
        assert row["computed_incidents"] == incidents
        assert row["downtime_diff_seconds"] == pytest.approx(
            sla.total_downtime - downtime, abs=1e-6
        )
        assert row["api_total_downtime"] == sla.total_downtime
        assert row["is_complete"] == sla.is_complete
        assert row["matches"] == (
            abs(sla.total_downtime - downtime) <= 60 and sla.number_of_incidents == incidents
        )
    assert [key for key, r in rows.items() if not r["matches"]] == [("m-a", date(2026, 11, 1))]
    assert rows[("m-a", date(2026, 11, 1))]["downtime_diff_seconds"] == 120
    # today's row: as of 14:55 (when the API answered), not as of now (15:00)
    assert rows[("m-a", date(2026, 11, 3))]["computed_downtime_seconds"] == 1500


def test_hourly_response_times(conn: duckdb.DuckDBPyConnection) -> None:
    rows = by_key(fetch(conn, HOURLY), "monitor_id", "region", "hour")
    expected = oracle.hourly(scenario.POINTS, {"m-a": 60, "m-b": 180})
    assert {(m, r, h.astimezone(UTC)) for m, r, h in rows} == set(expected)
    for (m, r, h), row in rows.items():
        want = expected[(m, r, h.astimezone(UTC))]
        for name, value in want.items():
            assert row[name] == (None if value is None else pytest.approx(value, abs=1e-12)), (
                m,
                r,
                name,
            )
    us = rows[("m-a", "us", datetime(2026, 11, 3, 10, tzinfo=UTC))]
    assert (us["samples"], us["expected_samples"], us["p50_response_time"]) == (5, 60, 0.3)
    assert us["p95_response_time"] == pytest.approx(0.4 + 0.6 * 0.8)
    assert rows[("m-zz", "as", datetime(2026, 11, 3, 10, tzinfo=UTC))]["expected_samples"] is None


def test_dst_days_and_months_follow_the_zone() -> None:
    """New York: 2026-03-08 has 23 hours, March 2026 one hour less than 31 days."""
    incidents = [
        oracle.Inc(
            "n1",
            "m-n",
            datetime(2026, 3, 8, 6, 30, tzinfo=UTC),
            datetime(2026, 3, 8, 8, 0, tzinfo=UTC),
        )
    ]
    monitors = [
        oracle.Mon(
            "m-n", "NY", datetime(2026, 2, 1, tzinfo=UTC), 60, datetime(2026, 3, 5, tzinfo=UTC)
        )
    ]
    data: dict[str, Any] = {
        "incidents": incidents,
        "monitors": monitors,
        "slas": [],
        "points": [],
        "now": datetime(2026, 3, 10, 12, tzinfo=UTC),
        "coverage": [oracle.Cov("m-n", date(2026, 3, day)) for day in range(1, 11)],
    }
    options = SlaOptions(time_zone="America/New_York")
    conn = connect("UTC", options, **data)
    daily = by_key(fetch(conn, DAILY), "monitor_id", "day")
    assert daily[("m-n", date(2026, 3, 8))]["observed_seconds"] == 23 * 3600
    assert_period_rows(fetch(conn, DAILY), oracle_rows("day", "America/New_York", **data), "day")
    monthly = by_key(fetch(conn, MONTHLY), "monitor_id", "month")
    assert monthly[("m-n", date(2026, 3, 1))]["month_seconds"] == 31 * 86400 - 3600
    # the daily rows add up to the month (both count only covered time)
    march = [r for (m, d), r in daily.items() if m == "m-n" and d.month == 3]
    assert sum(r["observed_seconds"] for r in march) == pytest.approx(
        monthly[("m-n", date(2026, 3, 1))]["observed_seconds"]
    )
    # the daily rows add up to the month (both count only covered time)
    march = [r for (m, d), r in daily.items() if m == "m-n" and d.month == 3]
    assert sum(r["observed_seconds"] for r in march) == pytest.approx(
        monthly[("m-n", date(2026, 3, 1))]["observed_seconds"]
    )
    assert_period_rows(
        fetch(conn, MONTHLY), oracle_rows("month", "America/New_York", **data), "month"
    )


def test_current_timestamp_when_now_is_not_given() -> None:
    (daily, select), *_ = view_selects("duckdb", table_ref=lambda n: f'"{n}"', options=SlaOptions())
    assert daily.name == DAILY
    assert "CURRENT_TIMESTAMP" in select.upper()
    conn = duckdb.connect()
    covered = [oracle.Cov("m-a", date(2026, 11, 3)), oracle.Cov("m-a", date(2026, 11, 4))]
    load_duckdb(conn, raw_tables(scenario.INCIDENTS, scenario.MONITORS, scenario.SLAS, [], covered))
    create_duckdb_views(conn, options=SlaOptions())
    rows = by_key(fetch(conn, DAILY), "monitor_id", "day")
    today = datetime.now(UTC).astimezone(oracle.ZoneInfo(ZONE)).date()
    assert ("m-a", today) in rows or ("m-a", today - timedelta(days=1)) in rows
    assert rows[("m-a", date(2026, 11, 3))]["observed_seconds"] == 86400  # over, a full day


def test_naive_now_is_refused() -> None:
    from betterstack_etl.errors import ConfigError

    with pytest.raises(ConfigError, match="no time zone"):
        view_selects("duckdb", table_ref=str, options=SlaOptions(), now=datetime(2026, 1, 1))


def test_uncovered_paused_and_maintenance_time_is_not_observed(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    """m-c by hand (scenario docstring): November in São Paulo from 11-01 03:00 UTC to now."""
    daily = by_key(fetch(conn, DAILY), "monitor_id", "day")
    gap = daily[("m-c", date(2026, 11, 1))]  # 11-01 UTC never fetched: 3 h of 11-02 covered
    assert gap["covered_seconds"] == 3 * 3600
    assert gap["downtime_seconds"] == 0  # c1 lies in the gap
    monthly = by_key(fetch(conn, MONTHLY), "monitor_id", "month")
    november = monthly[("m-c", date(2026, 11, 1))]
    assert november["covered_seconds"] == 39 * 3600  # 11-02 00:00 .. 11-03 15:00 UTC
    assert november["paused_seconds"] == 19.5 * 3600  # 11-02 05:30 .. 11-03 01:00
    assert november["maintenance_seconds"] == 2.5 * 3600  # 04:00-05:30, then 01:00-02:00
    assert november["observed_seconds"] == 17 * 3600
    assert november["downtime_seconds"] == 3600 + 600  # c2 03:00-04:00, c4 (Validating)
    assert november["coverage_pct"] == pytest.approx(100 * 39 / 60)
    october = monthly[("m-c", date(2026, 10, 1))]
    assert october["maintenance_seconds"] == 2 * 3600  # Saturday 10-31 01:00-03:00 Brasilia
    assert october["coverage_pct"] == pytest.approx(100 * 24 / (31 * 24))  # 10-31 UTC


def test_a_month_without_coverage_has_no_availability() -> None:
    """Incidents and listings in the lake but no day fetched: every row null, never 100 %."""
    conn = connect(coverage=[])
    for view in (DAILY, MONTHLY):
        rows = fetch(conn, view)
        assert rows, view
        assert all(r["availability_pct"] is None for r in rows), view
        assert all(r["covered_seconds"] == 0 for r in rows), view


def test_daily_rows_add_up_to_the_month(conn: duckdb.DuckDBPyConnection) -> None:
    daily, monthly = fetch(conn, DAILY), by_key(fetch(conn, MONTHLY), "monitor_id", "month")
    for (monitor_id, month), row in monthly.items():
        days = [
            r for r in daily if r["monitor_id"] == monitor_id and r["day"].replace(day=1) == month
        ]
        for column in ("covered_seconds", "observed_seconds", "downtime_seconds", "paused_seconds"):
            assert sum(r[column] for r in days) == pytest.approx(row[column]), (monitor_id, column)
