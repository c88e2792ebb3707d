"""A lake built from the simulator (its API in-process → the transforms → LocalLake → the DuckDB
file, with the SLA views published on top, frozen at ``NOW``), as a pipeline run leaves it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from betterstack_etl.extract import transform
from betterstack_etl.lake.coverage import record_coverage
from betterstack_etl.lake.duck import publish_duckdb_views
from betterstack_etl.lake.local import LocalLake
from betterstack_etl.simulator import FrozenClock, SimConfig, SlaSkew, World
from betterstack_etl.simulator.api import Api, Request
from betterstack_etl.sla import SlaOptions, create_duckdb_views
from betterstack_etl.tables import (
    COVERAGE,
    DAILY_SLA,
    INCIDENTS,
    MONITORS,
    RESPONSE_TIMES,
    TableSpec,
)

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # 12:00 in São Paulo
FIRST = date(2026, 11, 1)
SKEW_DAY = date(2026, 11, 10)
_TOKEN = "sim-token"


def _get(api: Api, path: str, **query: str) -> Any:
    answer = api.handle(Request("GET", path, list(query.items()), f"Bearer {_TOKEN}", "http://sim"))
    assert answer.status == 200, answer.body[:200]
    return json.loads(answer.body)


def _walk(api: Api, path: str, **query: str) -> list[Any]:
    items: list[Any] = []
    page = 1
    while True:
        body = _get(api, path, **query, page=str(page))
        items += body["data"]
        if body["pagination"]["next"] is None:
            return items
        page += 1


def _merge(lake: LocalLake, spec: TableSpec, table: pa.Table) -> None:
    days = [
        v if not isinstance(v, datetime) else v.astimezone(UTC).date()
        for v in table.column(spec.partition_by).to_pylist()
    ]
    for day in sorted(set(days)):
        lake.merge_partition(spec, day, table.filter(pa.array([d == day for d in days])))


def build(root: Path) -> Path:
    first_id = World(SimConfig(seed=5, monitors=3)).monitor_ids()[0]
    world = World(
        SimConfig(seed=5, monitors=3, sla_edge_cases=True,
                  sla_skews=(SlaSkew(first_id, SKEW_DAY, 600),))
    )  # fmt: skip
    api = Api(world, _TOKEN, FrozenClock(NOW))
    lake = LocalLake(root)
    run: dict[str, Any] = {"extracted_at": NOW, "run_id": "report-test"}
    _merge(lake, MONITORS, transform.monitor_rows(_walk(api, "/api/v2/monitors"), **run))
    found = _walk(api, "/api/v3/incidents", per_page="50",
                  **{"from": FIRST.isoformat(), "to": NOW.date().isoformat()})  # fmt: skip
    _merge(lake, INCIDENTS, transform.incident_rows(found, **run))
    days = [FIRST + timedelta(days=n) for n in range((NOW.date() - FIRST).days + 1)]
    for monitor_id in world.monitor_ids():
        slas = [
            transform.sla_row(
                _get(api, f"/api/v2/monitors/{monitor_id}/sla",
                     **{"from": d.isoformat(), "to": d.isoformat()})["data"],
                monitor_id=monitor_id, day=d, **run,
            )
            for d in days
        ]  # fmt: skip
        _merge(lake, DAILY_SLA, pa.concat_tables(slas))
        series = _get(api, f"/api/v2/monitors/{monitor_id}/response-times")["data"]
        _merge(
            lake, RESPONSE_TIMES, transform.response_time_rows(series, monitor_id=monitor_id, **run)
        )
    # what a run over those days records (lake.coverage): every day fetched, today up to NOW
    fetched = [
        (spec.name, world.monitor_ids(), FIRST, NOW.date(), NOW) for spec in (INCIDENTS, DAILY_SLA)
    ]
    assert record_coverage(lake, fetched, run_id="report-test", extracted_at=NOW) == ()
    db = publish_duckdb_views(root, [RESPONSE_TIMES, INCIDENTS, DAILY_SLA, MONITORS, COVERAGE])
    conn = duckdb.connect(str(db))
    try:
        create_duckdb_views(conn, options=SlaOptions(), now=NOW)
    finally:
        conn.close()
    return root
