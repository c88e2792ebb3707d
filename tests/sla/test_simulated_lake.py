"""A lake loaded from the simulator (its endpoints → the transforms → LocalLake partitions →
the DuckDB file), with the SLA views on top, against an oracle computed from the simulator's
own incidents."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from betterstack_etl.extract import transform
from betterstack_etl.lake.coverage import record_coverage
from betterstack_etl.lake.duck import publish_duckdb_views
from betterstack_etl.lake.local import LocalLake
from betterstack_etl.simulator import FrozenClock, SimConfig, SlaSkew, World
from betterstack_etl.simulator.api import Api, Request
from betterstack_etl.simulator.traits import Maintenance
from betterstack_etl.sla import VIEWS, SlaOptions, create_duckdb_views
from betterstack_etl.tables import (
    COVERAGE,
    DAILY_SLA,
    INCIDENTS,
    MONITORS,
    RESPONSE_TIMES,
    TableSpec,
)

from . import oracle
from .rows import fetch
from .test_views import assert_period_rows, by_key

NOW = datetime(2026, 12, 1, 3, 5, tzinfo=UTC)  # 00:05 on Dec 1 in São Paulo: the Nov 30 boundary
# incident of the even monitors (23:30-23:40 → 03:10-03:40 UTC) is still open
FIRST = date(2026, 10, 25)
CREATED = datetime(2026, 11, 14, 15, 20, tzinfo=UTC)
SKEW_DAY = date(2026, 11, 10)
# monitor 0 has a maintenance window, monitor 2 pauses, the last is the recent one
MONITOR_COUNT = 4
# the simulator (seed 11) pauses its third monitor 2026-11-15 13:25 - 11-16 02:29 UTC: listed
# during the pause, and again the next day
LISTINGS = (datetime(2026, 11, 15, 20, tzinfo=UTC), datetime(2026, 11, 16, 12, tzinfo=UTC))
DAILY, MONTHLY, KPI, RECON, HOURLY = (v.name for v in VIEWS[:5])
_TOKEN = "sim-token"
pytestmark = pytest.mark.slow  # builds a five-week lake from the simulator (~5-15 s)


@dataclass
class SimLake:
    conn: duckdb.DuckDBPyConnection
    world: World
    incidents: list[oracle.Inc]
    monitors: list[oracle.Mon]
    slas: list[oracle.Sla]
    points: list[tuple[str, str, datetime, float]]
    coverage: list[oracle.Cov]


class _Endpoints:
    def __init__(self, api: Api) -> None:
        self._api = api

    def get(self, path: str, **query: str) -> Any:
        request = Request("GET", path, list(query.items()), f"Bearer {_TOKEN}", "http://sim")
        answer = self._api.handle(request)
        assert answer.status == 200, answer.body[:200]
        return json.loads(answer.body)

    def walk(self, path: str, **query: str) -> list[Any]:
        items: list[Any] = []
        page = 1
        while True:
            body = self.get(path, **query, page=str(page))
            items += body["data"]
            if body["pagination"]["next"] is None:
                return items
            page += 1


def _partition_dates(spec: TableSpec, table: pa.Table) -> list[date]:
    values = table.column(spec.partition_by).to_pylist()
    return [
        v if isinstance(v, date) and not isinstance(v, datetime) else v.astimezone(UTC).date()
        for v in values
    ]


def _merge(lake: LocalLake, spec: TableSpec, table: pa.Table) -> None:
    days = _partition_dates(spec, table)
    for day in sorted(set(days)):
        mask = pa.array([d == day for d in days])
        lake.merge_partition(spec, day, table.filter(mask))


@pytest.fixture(scope="module")
def sim_lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimLake]:
    first_id = World(SimConfig(seed=11, monitors=MONITOR_COUNT)).monitor_ids()[0]
    config = SimConfig(
        seed=11,
        monitors=MONITOR_COUNT,
        sla_edge_cases=True,
        recent_monitor_created_at=CREATED,
        sla_skews=(SlaSkew(first_id, SKEW_DAY, 600),),
    )
    world = World(config)
    api = _Endpoints(Api(world, _TOKEN, FrozenClock(NOW)))
    root = tmp_path_factory.mktemp("sla-lake")
    lake = LocalLake(root)
    run: dict[str, Any] = {"extracted_at": NOW, "run_id": "sla-test"}

    listing = api.walk("/api/v2/monitors")
    _merge(lake, MONITORS, transform.monitor_rows(listing, **run))
    for listed_at in LISTINGS:  # earlier daily listings: one shows the third monitor paused
        then = _Endpoints(Api(world, _TOKEN, FrozenClock(listed_at)))
        rows = transform.monitor_rows(
            then.walk("/api/v2/monitors"), extracted_at=listed_at, run_id="sla-test"
        )
        _merge(lake, MONITORS, rows)
    found = api.walk(
        "/api/v3/incidents",
        per_page="50",
        **{"from": FIRST.isoformat(), "to": NOW.date().isoformat()},
    )
    _merge(lake, INCIDENTS, transform.incident_rows(found, **run))
    slas: list[oracle.Sla] = []
    points: list[tuple[str, str, datetime, float]] = []
    days = [FIRST + timedelta(days=n) for n in range((NOW.date() - FIRST).days + 1)]
    for monitor_id in world.monitor_ids():
        sla_tables = []
        for day in days:
            body = api.get(
                f"/api/v2/monitors/{monitor_id}/sla",
                **{"from": day.isoformat(), "to": day.isoformat()},
            )
            sla_tables.append(
                transform.sla_row(body["data"], monitor_id=monitor_id, day=day, **run)
            )
            attrs = body["data"]["attributes"]
            slas.append(
                oracle.Sla(monitor_id, day, attrs["total_downtime"], attrs["number_of_incidents"])
            )
        _merge(lake, DAILY_SLA, pa.concat_tables(sla_tables))
        series = api.get(f"/api/v2/monitors/{monitor_id}/response-times")
        _merge(
            lake,
            RESPONSE_TIMES,
            transform.response_time_rows(series["data"], monitor_id=monitor_id, **run),
        )
        for region in series["data"]["attributes"]["regions"]:
            for point in region["response_times"]:
                at = datetime.fromisoformat(point["at"].replace("Z", "+00:00"))
                points.append((monitor_id, region["region"], at, point["response_time"]))

    # what the pipeline records after such a run: every day of the window, today up to NOW
    fetched = [
        (spec.name, world.monitor_ids(), FIRST, NOW.date(), NOW) for spec in (INCIDENTS, DAILY_SLA)
    ]
    assert record_coverage(lake, fetched, run_id="sla-test", extracted_at=NOW) == ()
    db = publish_duckdb_views(root, [RESPONSE_TIMES, INCIDENTS, DAILY_SLA, MONITORS, COVERAGE])
    conn = duckdb.connect(str(db))
    create_duckdb_views(conn, options=SlaOptions(), now=NOW)

    now_ms = int(NOW.timestamp() * 1000)

    def moment(ms: int | None) -> datetime | None:
        return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)

    incidents = [
        oracle.Inc(
            i.id,
            m.id,
            moment(i.started_ms) or NOW,
            moment(i.resolved_ms),
            moment(i.acknowledged_ms),
            i.cause,
        )
        for m in world.monitors()
        for i in world.incidents(m, FIRST, NOW.date(), now_ms)
    ]
    # the simulator's own pauses and maintenance windows (SPEC §7), as each listing shows
    # them: the oracle leaves them out of observed time by its own definitions
    monitors = [
        oracle.Mon(
            m.id,
            m.name,
            moment(m.created_ms),
            m.check_frequency,
            at,
            paused_at=moment(world.paused_since(m, int(at.timestamp() * 1000))),
            maintenance=_maintenance(m.maintenance),
        )
        for at in (*LISTINGS, NOW)
        for m in world.monitors()
        if moment(m.created_ms) <= at  # type: ignore[operator]
    ]
    coverage = [
        oracle.Cov(
            m, FIRST + timedelta(days=n), NOW if FIRST + timedelta(days=n) == NOW.date() else None
        )
        for m in world.monitor_ids()
        for n in range((NOW.date() - FIRST).days + 1)
    ]
    yield SimLake(conn, world, incidents, monitors, slas, points, coverage)
    conn.close()


def _maintenance(window: Maintenance | None) -> oracle.Maintenance | None:
    """The simulator's weekly window in the oracle's terms: Brasília clock times, its days."""
    if window is None:
        return None
    clock = [
        f"{m // 60 % 24:02d}:{m % 60:02d}:00" for m in (window.start_minute, window.end_minute)
    ]
    return oracle.Maintenance(clock[0], clock[1], window.days, "America/Sao_Paulo")


def expected(
    lake: SimLake, grain: oracle.Grain, zone: str = "America/Sao_Paulo"
) -> dict[tuple[str, date], oracle.Row]:
    return oracle.periods(lake.incidents, lake.monitors, lake.slas, NOW, zone, grain, lake.coverage)


def test_the_world_holds_the_edge_cases(sim_lake: SimLake) -> None:
    causes = {i.cause for i in sim_lake.incidents}
    assert causes & {"SSL certificate expires soon", "Domain expires soon"}
    down = [i for i in sim_lake.incidents if not oracle.is_expiry(i.cause)]
    boundary = datetime(2026, 12, 1, 3, tzinfo=UTC)  # midnight of Dec 1 in São Paulo
    assert any(i.started_at < boundary < (i.resolved_at or NOW) for i in down)
    assert any(i.resolved_at is None or i.resolved_at > NOW for i in down)
    overlapping = 0
    for monitor in sim_lake.monitors:
        spans = [
            (i.started_at, i.resolved_at or NOW) for i in down if i.monitor_id == monitor.monitor_id
        ]
        total = sum((b - a for a, b in spans), timedelta(0))
        overlapping += total > oracle.clipped(
            oracle.merge(spans), datetime.min.replace(tzinfo=UTC), NOW
        )
    assert overlapping


def test_daily_view_matches_the_simulator(sim_lake: SimLake) -> None:
    rows = fetch(sim_lake.conn, DAILY)
    assert_period_rows(rows, expected(sim_lake, "day"), "day")
    recent = sim_lake.world.monitor_ids()[-1]
    days = sorted(r["day"] for r in rows if r["monitor_id"] == recent)
    assert days[0] == date(2026, 11, 14)  # created that day: its first row
    first = next(r for r in rows if r["monitor_id"] == recent and r["day"] == days[0])
    assert (
        first["observed_seconds"]
        == (datetime(2026, 11, 15, 3, tzinfo=UTC) - CREATED).total_seconds()
    )
    assert max(r["day"] for r in rows) == date(2026, 12, 1)
    first_id, _, pausing, _ = sim_lake.world.monitor_ids()
    assert sum(r["maintenance_seconds"] for r in rows if r["monitor_id"] == first_id) > 0
    paused = {r["day"]: r["paused_seconds"] for r in rows if r["paused_seconds"]}
    assert set(paused) == {date(2026, 11, 15), date(2026, 11, 16)}  # São Paulo days
    assert all(r["monitor_id"] == pausing for r in rows if r["paused_seconds"])


def test_monthly_view_and_kpi_match_the_simulator(sim_lake: SimLake) -> None:
    monthly = expected(sim_lake, "month")
    assert_period_rows(fetch(sim_lake.conn, MONTHLY), monthly, "month")
    kpi = by_key(fetch(sim_lake.conn, KPI), "monitor_id", "mes")
    assert len(kpi) == len(monthly)
    for (monitor_id, month), want in monthly.items():
        row = kpi[(monitor_id, month.strftime("%Y-%m"))]
        minutes = want.period_seconds / 60
        assert row["disponibilidade_percentual"] == round(
            (1 - want.downtime / 60 / minutes) * 100, 3
        )


def test_reconciliation_matches_except_the_skewed_day(sim_lake: SimLake) -> None:
    rows = by_key(fetch(sim_lake.conn, RECON), "monitor_id", "date")
    assert set(rows) == {(s.monitor_id, s.day) for s in sim_lake.slas}
    computed = oracle.reconcile(sim_lake.incidents, sim_lake.monitors, sim_lake.slas, NOW)
    for sla in sim_lake.slas:
        row = rows[(sla.monitor_id, sla.day)]
        downtime, incidents = computed[(sla.monitor_id, sla.day)]
        assert row["computed_downtime_seconds"] == pytest.approx(downtime, abs=1e-6)
        assert row["computed_incidents"] == incidents
    mismatched = [key for key, row in rows.items() if not row["matches"]]
    assert mismatched == [(sim_lake.world.monitor_ids()[0], SKEW_DAY)]
    assert 599 <= rows[mismatched[0]]["downtime_diff_seconds"] <= 600 + 60
    assert [r["is_complete"] for k, r in rows.items() if k[1] == NOW.date()] == [
        False
    ] * MONITOR_COUNT


def test_hourly_view_matches_the_served_points(sim_lake: SimLake) -> None:
    rows = by_key(fetch(sim_lake.conn, HOURLY), "monitor_id", "region", "hour")
    frequency: dict[str, int | None] = {m.monitor_id: m.check_frequency for m in sim_lake.monitors}
    want = oracle.hourly(sim_lake.points, frequency)
    assert {(m, r, h.astimezone(UTC)) for m, r, h in rows} == set(want)
    for (m, r, h), row in rows.items():
        for name, value in want[(m, r, h.astimezone(UTC))].items():
            assert row[name] == (None if value is None else pytest.approx(value, rel=1e-9)), (
                m,
                r,
                h,
                name,
            )
    full_hours = [row for row in rows.values() if row["samples"] == row["expected_samples"]]
    assert full_hours  # some hours hold every check...
    assert len(full_hours) < len(rows)  # ...not all: the grid is irregular, checks go missing
